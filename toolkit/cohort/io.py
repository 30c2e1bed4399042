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
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from toolkit.exceptions import CohortError, UsageError

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


class OutputSet:
    """Several output files written all or nothing.

    :meth:`reserve` each output as soon as its path is known (before the work starts): that
    creates an empty temporary file beside it, so an output that cannot be written is refused
    before any time is spent. :meth:`write` fills a reserved temporary file. :meth:`commit`
    renames every temporary file onto its target only when all have been written; leaving the
    ``with`` block by an exception (including Ctrl-C) deletes them all, so no output is written.

    Use through :func:`atomic_outputs`::

        with atomic_outputs() as out:
            out.reserve(args.out)
            out.reserve(args.summary)
            ...  # the work
            out.write(args.out, lambda tmp: df.to_parquet(tmp))
            out.write_json(summary, args.summary)
        # here both files exist, or neither does
    """

    def __init__(self) -> None:
        self._tmp: dict[Path, Path] = {}
        self._written: set[Path] = set()
        self._inputs: set[str] = set()

    def protect(self, *inputs: str | Path | None) -> None:
        """Declare the command's input files: an output that is one of them is refused.

        Raises
        ------
        UsageError
            If an already reserved output is one of ``inputs``.
        """
        for p in inputs:
            if p is not None:
                self._inputs.add(os.path.realpath(p))
        for key in self._tmp:
            self._refuse_input(key)

    def _refuse_input(self, path: str | Path) -> None:
        if os.path.realpath(path) in self._inputs:
            raise UsageError(
                f"{path}: is also an input of this command; outputs never overwrite inputs, "
                "choose another output path"
            )

    @staticmethod
    def _key(path: str | Path) -> Path:
        return Path(os.path.abspath(path))

    def reserve(self, path: str | Path) -> Path:
        """Create the temporary file for ``path`` and return it.

        Raises
        ------
        UsageError
            If the directory does not exist, is not writable, ``path`` is a directory, or the
            same path is given twice.
        """
        key = self._key(path)
        if key in self._tmp:
            raise UsageError(f"{path}: the same output file is given twice")
        self._refuse_input(key)
        parent = key.parent
        if not Path(path).parent.is_dir():
            raise UsageError(
                f"{path}: directory {Path(path).parent} does not exist; create it or choose "
                "another output path"
            )
        if key.is_dir():
            raise UsageError(f"{path}: is a directory; give a file name")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{key.name}.", suffix=".tmp", dir=parent)
        except OSError as exc:
            raise UsageError(
                f"{path}: cannot write to {Path(path).parent} ({exc.strerror})"
            ) from None
        os.close(fd)
        self._tmp[key] = Path(tmp)
        return Path(tmp)

    def write(self, path: str | Path, write: Callable[[Path], None]) -> None:
        """Call ``write(tmp_path)`` for output ``path`` (reserving it first if needed)."""
        key = self._key(path)
        tmp = self._tmp.get(key) or self.reserve(path)
        try:
            write(tmp)
        except OSError as exc:
            raise UsageError(
                f"{path}: cannot write ({exc.strerror or exc}); choose another output path"
            ) from None
        self._written.add(key)

    def write_bytes(self, path: str | Path, data: bytes) -> None:
        """Write ``data`` as output ``path``."""
        self.write(path, lambda tmp: tmp.write_bytes(data))

    def write_text(self, path: str | Path, text: str) -> None:
        """Write ``text`` (UTF-8) as output ``path``."""
        self.write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_json(self, obj: dict, path: str | Path) -> None:
        """Write ``obj`` as indented JSON (key order kept: it is meaningful)."""
        self.write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")

    def write_cohort(self, df: pd.DataFrame, path: str | Path) -> dict[str, str | None]:
        """Write a cohort (format from the suffix); return its hashes (see :func:`write_cohort`)."""
        fmt = cohort_format(path)
        hashes: dict[str, str | None] = {}
        self.write(path, lambda tmp: hashes.update(_write_cohort_file(df, tmp, fmt)))
        return hashes

    def commit(self) -> None:
        """Rename every temporary file onto its target (all were written, or raise)."""
        unwritten = [k for k in self._tmp if k not in self._written]
        if unwritten:  # a reserved output nobody wrote: a bug in the command, not user input
            raise RuntimeError(f"outputs reserved but never written: {unwritten}")
        umask = os.umask(0)
        os.umask(umask)
        # Block Ctrl-C while renaming so the set cannot end half renamed.
        blocked = _block_sigint()
        try:
            for key, tmp in self._tmp.items():
                os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give outputs the usual mode
                os.replace(tmp, key)
        except OSError as exc:
            raise UsageError(f"cannot rename an output into place ({exc})") from None
        finally:
            self._tmp.clear()
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def discard(self) -> None:
        """Delete every temporary file (nothing is written)."""
        for tmp in self._tmp.values():
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        self._tmp.clear()


def _block_sigint() -> bool:
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return True


@contextmanager
def atomic_outputs() -> Iterator[OutputSet]:
    """An :class:`OutputSet` committed when the block succeeds and discarded otherwise."""
    outputs = OutputSet()
    try:
        yield outputs
    except BaseException:
        outputs.discard()
        raise
    try:
        outputs.commit()
    except BaseException:
        outputs.discard()
        raise


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Build a folder of outputs under a temporary name; rename it to ``path`` at the end.

    For commands such as ``demo`` that fill a whole folder: files are written into the yielded
    temporary folder (beside ``path``, so the rename is atomic); if the block fails or is
    interrupted the temporary folder is deleted and ``path`` is untouched. An existing ``path``
    is replaced only when the new folder is complete.

    Raises
    ------
    UsageError
        If the parent folder does not exist or is not writable, or ``path`` is a file.
    """
    import shutil

    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{path}: directory {parent} does not exist; create it first")
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: is a file; give a folder name")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write to {parent} ({exc.strerror})") from None
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the folder the usual mode
        blocked = _block_sigint()
        try:
            if path.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
                os.replace(path, old / path.name)
                os.replace(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, path)
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` onto ``path`` (one-file OutputSet).

    Raises
    ------
    UsageError
        If the directory does not exist or is not writable.
    """
    with atomic_outputs() as out:
        out.write(path, write)


def cohort_csv_bytes(df: pd.DataFrame) -> bytes:
    """The canonical CSV bytes of a cohort (UTF-8, ``\\n`` line ends, NA as empty)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_cohort_file(df: pd.DataFrame, tmp: Path, fmt: str) -> dict[str, str | None]:
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
        :meth:`OutputSet.write_cohort` to get both hashes by name.
    """
    with atomic_outputs() as out:
        hashes = out.write_cohort(df, path)
    return hashes["csv_sha256"] or hashes["file_sha256"]


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
    import pandas as pd

    from toolkit.validation import validate_cohort

    fmt = cohort_format(path)
    p = Path(path)
    if not p.is_file():
        raise CohortError(f"{path}: no such cohort file")
    try:
        if fmt == "parquet":
            # Arrow's buffers are freed column by column as they are converted, and columns
            # are not consolidated into 2-D blocks (a copy): at 1,000,000 rows 0.6 GB and 1.2 s
            # instead of 0.7 GB and 2.7 s (issue 23).
            df = pd.read_parquet(p, to_pandas_kwargs={"self_destruct": True, "split_blocks": True})
        else:
            df = pd.read_csv(p, low_memory=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
        raise CohortError(f"{path}: cannot be read as {fmt} ({exc})") from None
    return validate_cohort(df, str(path), min_rows=min_rows, columns=columns_for(rules, spec))


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


def write_json(obj: dict, path: str | Path) -> None:
    """Write JSON atomically (sorted keys are not used: order is meaningful)."""
    with atomic_outputs() as out:
        out.write_json(obj, path)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
