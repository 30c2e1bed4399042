"""Reading and writing cohorts and manifests, atomically.

Outputs go through the output layer (:mod:`toolkit.outputs`): a temporary file in the target
folder renamed into place, so a failure never leaves a partial file; input files are only ever
read.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from toolkit.exceptions import CohortError, UsageError

# The output layer lives in toolkit.outputs (issue 20); its names stay importable from here.
from toolkit.outputs import (  # noqa: F401
    OutputSet,
    atomic_outputs,
    atomic_write,
    file_sha256,
    output_folder,
    write_json,
)

if TYPE_CHECKING:  # pandas is imported where a frame is read or written (start-up cost)
    import pandas as pd

SUFFIXES = (".csv", ".parquet", ".csv.gz")


def _toolkit_version() -> str:
    # Read from package metadata so this stage does not import the package root (imported
    # here: importlib.metadata costs 25 ms of start-up for commands that write no manifest).
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("recall-toolkit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def cohort_format(path: str | Path) -> str:
    """``csv``, ``parquet`` or ``csv.gz`` from a file name; :class:`UsageError` otherwise."""
    name = str(path).lower()
    for s in (".csv.gz", ".parquet", ".csv"):
        if name.endswith(s):
            return s[1:]
    raise UsageError(f"{path}: unknown file suffix; use .parquet, .csv or .csv.gz")


def atomic_directory(path: str | Path):
    """A folder built under a temporary name and swapped in when complete.

    Kept for scripts written before issue 20: :func:`toolkit.outputs.output_folder`, which
    also refuses a folder that would lose something of the user's.
    """
    return output_folder(path, command="directory")


def cohort_csv_bytes(df: pd.DataFrame) -> bytes:
    """The canonical CSV bytes of a cohort (UTF-8, ``\\n`` line ends, NA as empty)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_cohort_file(df: pd.DataFrame, tmp: Path, fmt: str) -> dict[str, str | None]:
    """Serialise once and hash what was serialised (issue 10: no second serialisation)."""
    if fmt == "parquet":
        df.to_parquet(tmp, index=False)
        return {"csv_sha256": None, "file_sha256": file_sha256(tmp)}
    data = cohort_csv_bytes(df)
    csv_sha = hashlib.sha256(data).hexdigest()
    if fmt == "csv":
        tmp.write_bytes(data)
        return {"csv_sha256": csv_sha, "file_sha256": csv_sha}
    with open(tmp, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)
    return {"csv_sha256": csv_sha, "file_sha256": file_sha256(tmp)}


def write_cohort(df: pd.DataFrame, path: str | Path) -> str:
    """Write a cohort as CSV, gzipped CSV or Parquet (by suffix), atomically.

    The data are serialised once and what was serialised is hashed: for ``.csv`` and
    ``.csv.gz`` the canonical CSV bytes (so the hash does not depend on gzip), for ``.parquet``
    the file's bytes. (Until issue 10 a Parquet output was also serialised to CSV only to hash
    it, which took 19 of 25 s at 1,000,000 rows.)

    Returns
    -------
    str
        sha256 of the canonical CSV bytes for CSV formats, of the file for Parquet. Use
        :func:`write_cohort_output` to get both hashes by name.
    """
    with atomic_outputs() as out:
        hashes = write_cohort_output(out, df, path)
    return hashes["csv_sha256"] or hashes["file_sha256"]


def write_cohort_output(
    out: OutputSet, df: pd.DataFrame, path: str | Path
) -> dict[str, str | None]:
    """Write a cohort as output ``path`` of the set ``out`` (format from the suffix).

    Returns
    -------
    dict
        ``{"csv_sha256", "file_sha256"}`` (``csv_sha256`` None for Parquet; see
        :func:`write_cohort`).
    """
    fmt = cohort_format(path)
    hashes: dict[str, str | None] = {}
    out.write(path, lambda tmp: hashes.update(write_cohort_file(df, tmp, fmt)))
    return hashes


def read_cohort(path: str | Path, *, min_rows: int = 1, rules=None, spec=None) -> pd.DataFrame:
    """Read a cohort written by :func:`write_cohort`, checked, with schema dtypes.

    Every value is checked against the cohort's columns (:func:`toolkit.schema.cohort_columns`:
    ``attended_<programme>`` for the programmes of ``rules``, categories as ``spec`` declares)
    by
    :func:`toolkit.validation.validate_cohort` before it is converted, so ``"False"`` reads as
    False, 25.5 in an integer column is refused rather than truncated, and all problems are
    reported at once.

    Parameters
    ----------
    path : str or Path
        ``.parquet``, ``.csv`` or ``.csv.gz``.
    min_rows : int
        Fewest people that make sense (default 1: an empty cohort is refused).
    rules : ProgrammeRules, optional
        The programme rules the cohort was generated with (default: the shipped rules).
    spec : ProfileSpec, optional
        The profile it was generated from, whose declared categories (e.g. an extra ethnic
        group) the cohort may hold (default: the schema's categories).

    Raises
    ------
    CohortError
        If the file cannot be read, lacks schema columns, holds bad values (each named by row,
        column and value) or has fewer than ``min_rows`` rows.
    """
    from toolkit.validation import validate_cohort

    df = read_table(path)
    return validate_cohort(df, str(path), min_rows=min_rows, columns=columns_for(rules, spec))


def read_table(path: str | Path, *, keep=None) -> pd.DataFrame:
    """A cohort file as it is written, unchecked (see :func:`read_cohort` for the checks).

    Parameters
    ----------
    path : str or Path
        ``.parquet``, ``.csv`` or ``.csv.gz``.
    keep : set of str, optional
        Read only these columns (those the file has); default: every column.

    Raises
    ------
    CohortError
        If the file is missing or cannot be parsed.
    UsageError
        If the suffix is not one of those.
    """
    import pandas as pd

    fmt = cohort_format(path)
    p = Path(path)
    if not p.is_file():
        raise CohortError(f"{path}: no such cohort file")
    try:
        if fmt == "parquet":
            columns = None
            if keep is not None:
                import pyarrow.parquet as pq

                columns = [c for c in pq.read_schema(p).names if c in keep]
            # Arrow's buffers are freed column by column as they are converted, and columns
            # are not consolidated into 2-D blocks (a copy): at 1,000,000 rows 0.6 GB and 1.2 s
            # instead of 0.7 GB and 2.7 s (issue 23).
            kw = {"self_destruct": True, "split_blocks": True}
            return pd.read_parquet(p, columns=columns, to_pandas_kwargs=kw)
        usecols = None if keep is None else (lambda c: c in keep)
        return pd.read_csv(p, low_memory=False, usecols=usecols)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
        raise CohortError(f"{path}: cannot be read as {fmt} ({exc})") from None


def columns_for(rules=None, spec=None):
    """The cohort columns under programme rules and a profile (either may be None: default)."""
    from toolkit.schema import cohort_columns

    progs = None if rules is None else [p.name for p in rules.programmes]
    return cohort_columns(progs, None if spec is None else spec.categories)


def manifest_path(path: str | Path) -> Path:
    """Where the manifest of an output file lives: ``<name without suffix>.manifest.json``."""
    p = Path(path)
    name = p.name
    for s in SUFFIXES:
        if name.lower().endswith(s):
            name = name[: -len(s)]
            break
    return p.with_name(name + ".manifest.json")


def build_manifest(
    *,
    spec,
    seed,
    n,
    populations,
    csv_sha256: str | None,
    n_rows: int,
    command: list[str] | None = None,
    file_sha256: str | None = None,
    rules=None,
) -> dict:
    """The manifest written beside every cohort: enough to rebuild it byte for byte.

    ``csv_sha256`` is the sha256 of the canonical CSV bytes (None for a Parquet output, which is
    not serialised to CSV); ``file_sha256``, when given, of the file as written (what
    ``sha256sum`` prints).
    """
    import pandas as pd
    import scipy

    man = {
        "toolkit_version": _toolkit_version(),
        "spec_path": spec.path,
        "spec_sha256": spec.sha256,
        # the programme file whose programmes are the cohort's attended_<programme> columns:
        # the --rules FILE that fidelity and gaps need to read this cohort
        "rules_path": None if rules is None else rules.path,
        "seed": seed,
        "n": n,
        "populations": populations,
        "rows": n_rows,
        "csv_sha256": csv_sha256,
        "command": command if command is not None else ["recall-toolkit", *sys.argv[1:]],
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }
    if file_sha256 is not None:
        man["file_sha256"] = file_sha256
    return man
