"""Writing the practitioner outputs: atomically (temp file then rename) and fast.

Why not :func:`toolkit.cohort.io.atomic_write`: importing ``toolkit.cohort`` loads the cohort
generator and scipy.optimize (about 1.7 s), a fifth of the 100,000-row time budget of
``prioritise``. The logic is the same.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from toolkit.exceptions import UsageError


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it onto ``path``."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{path}: directory {parent} does not exist; create it or choose another")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write to {parent} ({exc.strerror})") from None
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` as CSV atomically with pyarrow's writer (about 5x pandas' on long text)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(path, lambda tmp: pcsv.write_csv(table, tmp))
