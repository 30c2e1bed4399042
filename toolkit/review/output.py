"""Simulation records to a file as they are simulated, and the summary from the same pass.

``recall-toolkit simulate`` writes 2,000,000 records x 38 columns in about the time it takes to
simulate them. Going through one pandas DataFrame of all records (``simulate_reviews``) cost a
full copy of every column and pandas' conversion to Arrow; here each strategy x replication's
arrays (:class:`~toolkit.review.engine.RecordStream`) become one Parquet row group directly.
The file holds the same columns, types and values (and the same pandas metadata) as
``SimulationResult.records.to_parquet``; the columns are declared non-null (the records have no
missing values; NaN and inf are values), which spares the writer a validity pass per column.
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
    pandas.DataFrame
        One row per strategy x replication: the means :func:`~toolkit.review.engine.summarise`
        takes.
    """
    import pandas as pd

    means = []
    if fmt == "parquet":
        writer = None
        try:
            for r, name, cols in stream:
                means.append({"strategy": name, "replication": r} | replication_means(cols))
                table = _arrow_table(cols, stream.categories)
                if writer is None:
                    import pyarrow.parquet as pq

                    schema = table.schema.with_metadata(_pandas_metadata(cols, stream.categories))
                    writer = pq.ParquetWriter(
                        path,
                        schema,
                        compression={c: "none" if c in UNCOMPRESSED else "snappy" for c in cols},
                        # dictionary-encode only the categorical columns: trying it on every
                        # float column costs more than the whole simulation
                        use_dictionary=list(stream.categories),
                        write_statistics=STATISTICS,
                    )
                writer.write_table(table.replace_schema_metadata(schema.metadata))
        finally:
            if writer is not None:
                writer.close()
    else:
        parts = []
        for r, name, cols in stream:
            means.append({"strategy": name, "replication": r} | replication_means(cols))
            parts.append(cols)
        _join(parts, stream.categories).to_csv(path, index=False)
    return pd.DataFrame(means)


def _arrow_table(cols: dict[str, np.ndarray], categories: dict):
    """One chunk of records as an Arrow table (categoricals as int8 dictionary arrays, every
    field non-null)."""
    import pyarrow as pa

    arrays, fields = [], []
    for name, v in cols.items():
        cats = categories.get(name)
        if cats is not None:
            # the code width pandas picks (int8 up to 127 categories)
            code = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32768 else np.int32
            arr = pa.DictionaryArray.from_arrays(
                pa.array(v.astype(code, copy=False)), pa.array(list(cats), pa.string())
            )
        else:
            arr = pa.array(v)
        arrays.append(arr)
        fields.append(pa.field(name, arr.type, nullable=False))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _pandas_metadata(cols: dict[str, np.ndarray], categories: dict) -> dict:
    """The schema metadata pandas writes (dtypes, no index), from a one-row frame, so the file
    reads back as ``SimulationResult.records`` does (categoricals with all their categories)."""
    import pyarrow as pa

    one = _join([{k: v[:1] for k, v in cols.items()}], categories)
    return pa.Schema.from_pandas(one, preserve_index=False).metadata
