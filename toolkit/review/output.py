"""Simulation records to a file as they are simulated, and the summary from the same pass.

``recall-toolkit simulate`` writes 2,000,000 records x 38 columns in about the time it takes to
simulate them. Going through one pandas DataFrame of all records (``simulate_reviews``) cost a
full copy of every column and pandas' conversion to Arrow; here each strategy x replication's
arrays (:class:`~toolkit.review.engine.RecordStream`) become one Parquet row group directly.
The file holds the same columns, types and values as ``SimulationResult.records.to_parquet``
(``pd.read_parquet`` gives the same DataFrame; there is no pandas schema metadata, which would
need pandas imported: 0.3 s); the columns are declared non-null (the records have no missing
values; NaN and inf are values), which spares the writer a validity pass per column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.review.engine import RecordStream, _join, replication_means

#: Columns written uncompressed: continuous draws (and the days and costs made from them) that
#: snappy shrinks by under a quarter (8-13% at 2,000,000 records) while compressing them costs
#: about a quarter of the whole write. Every other column (codes, flags, ids, days that are often
#: inf or 0) is snappy-compressed, as pandas does by default.
UNCOMPRESSED = (
    "episode",
    "ogrs3_2yr",
    "rsr_2yr",
    "accommodation_day",
    "om_contact_day",
    "releasable_day",
    "recall_day",
    "first_board_day",
    "sed_day",
    "release_day",
    "custody_days",
    "follow_up_custody_days",
    "community_days",
    "cost",
)
#: Columns with Parquet min/max statistics: the keys a reader filters row groups on. Statistics
#: on every column cost a quarter of the writing time and serve no filter.
STATISTICS = ["replication", "strategy", "episode"]


def write_records(stream: RecordStream, path: str | Path, fmt: str):
    """Run ``stream`` and write its records to ``path`` (``fmt``: ``"parquet"`` or ``"csv"``).

    Returns
    -------
    list of dict
        One per strategy x replication: the means :func:`~toolkit.review.engine.summary_rows`
        takes.
    """
    means = []
    if fmt == "parquet":
        writer = None
        try:
            for r, name, cols in stream:
                means.append({"strategy": name, "replication": r} | replication_means(cols))
                table = _arrow_table(cols, stream.categories)
                if writer is None:
                    import pyarrow.parquet as pq

                    writer = pq.ParquetWriter(
                        path,
                        table.schema,
                        compression={c: "none" if c in UNCOMPRESSED else "snappy" for c in cols},
                        # dictionary-encode only the categorical columns: trying it on every
                        # float column costs more than the whole simulation
                        use_dictionary=list(stream.categories),
                        write_statistics=STATISTICS,
                    )
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
    else:
        parts = []
        for r, name, cols in stream:
            means.append({"strategy": name, "replication": r} | replication_means(cols))
            parts.append(cols)
        _join(parts, stream.categories).to_csv(path, index=False)
    return means


def _arrow_table(cols: dict[str, np.ndarray], categories: dict):
    """One chunk of records as an Arrow table (categoricals as dictionary arrays with the code
    width pandas uses, every field non-null).

    Arrays are wrapped from their numpy buffers (``Array.from_buffers``): ``pyarrow.array`` on
    a numpy array imports pandas (to check for pandas objects), 0.3 s the command can skip.
    """
    import pyarrow as pa

    arrays, fields = [], []
    for name, v in cols.items():
        cats = categories.get(name)
        if cats is not None:
            # the code width pandas picks (int8 up to 127 categories)
            code = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32768 else np.int32
            typ = pa.dictionary(_ARROW[np.dtype(code)](), pa.string())
            arr = pa.DictionaryArray.from_buffers(
                typ, v.size, [None, _buffer(v.astype(code, copy=False))], _strings(cats)
            )
        elif v.dtype == np.bool_:
            bits = np.packbits(v, bitorder="little")  # Arrow booleans are LSB-first bitmaps
            arr = pa.Array.from_buffers(pa.bool_(), v.size, [None, pa.py_buffer(bits)])
        else:
            arr = pa.Array.from_buffers(_ARROW[v.dtype](), v.size, [None, _buffer(v)])
        arrays.append(arr)
        fields.append(pa.field(name, arr.type, nullable=False))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _buffer(v: np.ndarray):
    import pyarrow as pa

    return pa.py_buffer(np.ascontiguousarray(v))


def _strings(values) -> object:
    """A pyarrow string array from Python strings (offsets and UTF-8 bytes)."""
    import pyarrow as pa

    enc = [str(s).encode() for s in values]
    offsets = np.zeros(len(enc) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(e) for e in enc])
    return pa.Array.from_buffers(
        pa.string(), len(enc), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(enc))]
    )


class _ArrowTypes(dict):
    """numpy dtype -> pyarrow type factory (filled on first use, so pyarrow loads lazily)."""

    def __missing__(self, dtype):
        import pyarrow as pa

        table = {
            np.dtype(np.int8): pa.int8,
            np.dtype(np.int16): pa.int16,
            np.dtype(np.int32): pa.int32,
            np.dtype(np.int64): pa.int64,
            np.dtype(np.float32): pa.float32,
            np.dtype(np.float64): pa.float64,
        }
        self.update(table)
        if np.dtype(dtype) not in table:
            raise TypeError(f"no Arrow type for record column dtype {dtype}")
        return table[np.dtype(dtype)]


_ARROW = _ArrowTypes()
