"""Writing the practitioner outputs: through the output layer (:mod:`toolkit.outputs`, a
leaf module that imports neither pandas nor the cohort generator) and fast."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.outputs import OutputSet, atomic_write

__all__ = ["atomic_write", "csv_writer", "write_csv"]


def csv_writer(df: pd.DataFrame):
    """A ``write(tmp)`` that writes ``df`` as CSV with pyarrow's writer (about 5x pandas' on
    long text), for :meth:`toolkit.outputs.OutputSet.write`."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(df, preserve_index=False)
    return lambda tmp: pcsv.write_csv(table, tmp)


def write_csv(df: pd.DataFrame, path: str | Path, outputs: OutputSet | None = None) -> None:
    """Write ``df`` as CSV atomically (into ``outputs`` when given, committed with it)."""
    if outputs is not None:
        outputs.write(path, csv_writer(df))
    else:
        atomic_write(path, csv_writer(df))
