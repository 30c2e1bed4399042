"""Reading and writing cohorts and manifests, atomically.

Outputs are written to a temporary file in the target directory and renamed into place, so a
failure never leaves a partial file; input files are only ever read.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.exceptions import CohortError, UsageError
from toolkit.schema import COLUMN_NAMES, DTYPES, apply_dtypes

SUFFIXES = (".csv", ".parquet", ".csv.gz")


def _toolkit_version() -> str:
    # Read from package metadata so this stage does not import the package root.
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


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` onto ``path``.

    Raises
    ------
    UsageError
        If the directory does not exist or is not writable.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"{path}: directory {parent} does not exist; create it or choose another --out"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write to {parent} ({exc.strerror})") from None
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give outputs the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise UsageError(
            f"{path}: cannot write ({exc.strerror or exc}); choose another output path"
        ) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cohort_csv_bytes(df: pd.DataFrame) -> bytes:
    """The canonical CSV bytes of a cohort (UTF-8, ``\\n`` line ends, NA as empty)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def write_cohort(df: pd.DataFrame, path: str | Path) -> str:
    """Write a cohort as CSV, gzipped CSV or Parquet (by suffix), atomically.

    Returns
    -------
    str
        sha256 of the canonical CSV bytes (independent of the container format).
    """
    fmt = cohort_format(path)
    data = cohort_csv_bytes(df)

    def _write(tmp: Path) -> None:
        if fmt == "csv":
            tmp.write_bytes(data)
        elif fmt == "csv.gz":
            with (
                open(tmp, "wb") as fh,
                gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz,
            ):
                gz.write(data)
        else:
            df.to_parquet(tmp, index=False)

    atomic_write(path, _write)
    return hashlib.sha256(data).hexdigest()


def read_cohort(path: str | Path) -> pd.DataFrame:
    """Read a cohort written by :func:`write_cohort`, with schema dtypes.

    Raises
    ------
    CohortError
        If the file cannot be read or lacks schema columns (named in the message).
    """
    fmt = cohort_format(path)
    p = Path(path)
    if not p.is_file():
        raise CohortError(f"{path}: no such cohort file")
    try:
        df = pd.read_parquet(p) if fmt == "parquet" else pd.read_csv(p, low_memory=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
        raise CohortError(f"{path}: cannot be read as {fmt} ({exc})") from None
    missing = [c for c in COLUMN_NAMES if c not in df.columns]
    if missing:
        raise CohortError(
            f"{path}: missing column(s) {', '.join(missing)}; a cohort needs the "
            "columns documented in toolkit.schema"
        )
    for name, dtype in DTYPES.items():
        try:
            df[name].astype(dtype)
        except (ValueError, TypeError):
            raise CohortError(_first_bad_value(path, df, name, dtype)) from None
    return apply_dtypes(df)


def _first_bad_value(path, df: pd.DataFrame, name: str, dtype) -> str:
    """Message naming the file, column, first offending row (1-based data row) and value."""
    col = df[name]
    if isinstance(dtype, pd.CategoricalDtype):
        bad = col.notna() & ~col.isin(list(dtype.categories))
        expected = f"one of {', '.join(map(str, dtype.categories))}"
    elif str(dtype) in ("bool", "boolean"):
        bad = col.notna() & ~col.isin([True, False, "True", "False", "true", "false", 0, 1])
        expected = "true or false"
    else:
        num = pd.to_numeric(col, errors="coerce")
        bad = (col.notna() & num.isna()) | (
            num.notna() & (num % 1 != 0) if str(dtype) in ("int64", "Int64") else False
        )
        expected = "a whole number" if str(dtype) in ("int64", "Int64") else "a number"
        if str(dtype) == "int64" and not bad.any():
            bad = col.isna()
            expected = "a whole number (no missing values)"
    rows = np.flatnonzero(bad.to_numpy())
    if rows.size == 0:
        return f"{path}: column '{name}' cannot be read as {dtype}"
    r = int(rows[0])
    return (
        f"{path}: row {r + 1}, column '{name}': value {col.iloc[r]!r} is not {expected} "
        f"({rows.size} bad value(s) in this column)"
    )


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
    *, spec, seed, n, populations, csv_sha256: str, n_rows: int, command: list[str] | None = None
) -> dict:
    """The manifest written beside every cohort: enough to rebuild it byte for byte."""
    import scipy

    return {
        "toolkit_version": _toolkit_version(),
        "spec_path": spec.path,
        "spec_sha256": spec.sha256,
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


def write_json(obj: dict, path: str | Path) -> None:
    """Write JSON atomically (sorted keys are not used: order is meaningful)."""
    text = json.dumps(obj, indent=2, default=_json_default) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
