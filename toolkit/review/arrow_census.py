"""A user's census cohort read with pyarrow straight into the arrays the model uses.

:func:`toolkit.review.census.read_census` reads a 200,000-person cohort for ``simulate``.
Through pandas that cost more CPU than simulating 2,000,000 episodes from it (parsing into a
DataFrame, converting to the schema's dtypes, evaluating the programme rules on pandas columns).
Here the columns go from the Parquet or CSV reader (single-threaded: CPU time is what the
machine pays) to numpy, are checked vectorised against the schema's columns
(:class:`toolkit.schema.Column`: presence, categories, missing values, whole numbers, ranges,
allowed values, uniqueness) and the programme rules' default readings are evaluated on the
arrays, with the semantics of :meth:`toolkit.profile.rules.Condition.evaluate` (missing values
never satisfy a condition; ``!=`` on a number compares as numpy does).

What a column may hold and the programmes' readings come from a plan
(:func:`toolkit.review.census.reading_plan`: plain data, stored with the default census), so a
valid file is read without importing the schema, the programme rules or pandas.

The check is conservative: anything unusual (a value the schema may refuse, a type the file
should not have, a rule naming a column the file lacks) returns None, and the caller reads the
file through the checked pandas path, which names every bad value by row, column and value. So a
bad file gets the same error as before, and a good file the same census (a test compares both
readers' censuses array by array).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.conditions import OPS
from toolkit.review.policy import ROSH_LEVELS


class _Unusual(Exception):
    """The fast reading does not apply; the checked pandas reading takes the file."""


def read_arrow_columns(path, fmt: str, plan: dict, min_rows: int) -> dict | None:
    """The census columns of the cohort file ``path`` as arrays, or None.

    :func:`toolkit.review.census.read_arrow_census` builds the census from them (this module
    does not import the census module, which calls it).

    Parameters
    ----------
    path : str or Path
    fmt : str
        ``"parquet"`` or ``"csv"``.
    plan : dict
        The columns the model reads with their types and allowed values, and the programmes'
        default readings (:func:`toolkit.review.census.reading_plan`).
    min_rows : int
        Fewest rows accepted.

    Returns
    -------
    dict or None
        The keyword arguments of :func:`toolkit.review.census.build_census` (``sex`` and
        ``ethnicity`` as ``(codes, categories)``); None when the file may hold a value the
        schema refuses (or cannot be read here).
    """
    try:
        cols = {c["name"]: c for c in plan["columns"]}
        categorical = {n for n, c in cols.items() if c["dtype"] == "category"}
        table = _read(Path(path), fmt, set(cols), categorical)
        if table.num_rows < min_rows or set(table.column_names) != set(cols):
            raise _Unusual
        arrays = {name: _column(table.column(name), c) for name, c in cols.items()}
        return _columns(arrays, plan["programmes"])
    except _Unusual:
        return None
    except Exception:  # noqa: BLE001 - a parser failure: the checked path reports it
        return None


@dataclass(frozen=True)
class Rule:
    """A programme rule's condition from the plan (the attributes of
    :class:`toolkit.profile.rules.Condition` that :func:`evaluate` reads)."""

    column: str
    op: str
    value: object
    or_else: tuple[Rule, ...] = ()

    @classmethod
    def from_plan(cls, d: dict) -> Rule:
        value = tuple(d["value"]) if d["tuple"] else d["value"]
        return cls(d["column"], d["op"], value, tuple(cls.from_plan(x) for x in d["or_else"]))

    @property
    def parts(self) -> tuple[Rule, ...]:
        return (Rule(self.column, self.op, self.value), *self.or_else)


def _read(path: Path, fmt: str, want: set[str], categorical: set[str]):
    """The wanted columns of the file as an Arrow table (no pandas); the ``categorical`` ones of
    a CSV file dictionary-encoded. pyarrow reads on its threads when the process may use two
    CPUs (the same table, in more chunks: :func:`_column` reads chunk by chunk)."""
    from toolkit.parallel import available_cpus

    threads = available_cpus() >= 2
    if fmt == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        keep = [n for n in names if n in want]
        if len(set(keep)) != len(keep):
            raise _Unusual
        return pf.read(columns=keep, use_threads=threads, use_pandas_metadata=False)
    import pyarrow as pa
    import pyarrow.csv as pc

    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    keep = [n for n in header if n in want]
    if len(set(keep)) != len(keep) or len(set(header)) != len(header):
        raise _Unusual
    text = pa.dictionary(pa.int32(), pa.string())
    return pc.read_csv(
        path,
        read_options=pc.ReadOptions(use_threads=threads),
        convert_options=pc.ConvertOptions(
            include_columns=keep,
            # categories arrive as codes; only an empty field is missing, only True/False are
            # booleans (as pandas writes them): any other spelling goes to the checked path
            column_types={n: text for n in keep if n in categorical},
            null_values=[""],
            strings_can_be_null=True,
            true_values=["True"],
            false_values=["False"],
        ),
    )


def _kind(c: dict) -> str:
    kind = c["dtype"]
    if kind == "category":
        return "category"
    if kind in ("bool", "boolean"):
        return "bool"
    if kind in ("int64", "Int64", "float64"):
        return "number"
    raise _Unusual


def _column(chunked, c: dict):
    """One column as numpy: ``(codes, categories)``, ``(values, valid)`` for booleans, or
    float64 values with NaN for missing numbers; raises :class:`_Unusual` unless every value is
    certainly allowed by the column ``c`` (a plan entry)."""
    kind = _kind(c)
    parts = [_chunk(ch, c, kind) for ch in chunked.chunks]
    if not parts:
        raise _Unusual
    values = np.concatenate([v for v, _ in parts])
    valid = np.concatenate([m for _, m in parts])
    if not c["nullable"] and not valid.all():
        raise _Unusual
    if kind == "category":
        return values, tuple(c["categories"])
    if kind == "bool":
        return values, valid
    v = values[valid]
    if not np.isfinite(v).all():
        raise _Unusual
    if c["dtype"] != "float64" and not (v == np.round(v)).all():
        raise _Unusual
    if c["minimum"] is not None and (v < c["minimum"]).any():
        raise _Unusual
    if c["maximum"] is not None and (v > c["maximum"]).any():
        raise _Unusual
    if c["allowed"] is not None and not np.isin(v, np.asarray(c["allowed"], float)).all():
        raise _Unusual
    if c["unique"] and np.unique(v).size != v.size:
        raise _Unusual
    if c["name"] == "person_id":
        # ids keep their integers exactly (the checked path converts them to int64)
        return values.astype(np.int64), valid
    return np.where(valid, values, np.nan), valid


def _chunk(arr, c: dict, kind: str):
    """(values, valid) of one Arrow chunk read from its buffers."""
    import pyarrow as pa

    n = len(arr)
    valid = _bits(arr.buffers()[0], arr.offset, n) if arr.null_count else np.ones(n, bool)
    t = arr.type
    if kind == "category":
        if not pa.types.is_dictionary(t) or not pa.types.is_string(t.value_type):
            raise _Unusual
        cats = c["categories"]
        lookup = np.array([cats.index(v) if v in cats else -2 for v in arr.dictionary.to_pylist()])
        idx = _fixed(arr.indices, t.index_type)
        codes = np.where(valid, lookup[np.where(valid, idx, 0)] if lookup.size else -2, -1)
        if (codes == -2).any():
            raise _Unusual
        return codes, valid
    if kind == "bool":
        if not pa.types.is_boolean(t):
            raise _Unusual
        return _bits(arr.buffers()[1], arr.offset, n), valid
    if not (pa.types.is_integer(t) or pa.types.is_floating(t)) or pa.types.is_float16(t):
        raise _Unusual
    return _fixed(arr, t).astype(np.float64), valid


def _fixed(arr, t) -> np.ndarray:
    """The values of a fixed-width Arrow array as numpy (missing slots hold anything)."""
    dtype = np.dtype(t.to_pandas_dtype())
    buf = arr.buffers()[1]
    return np.frombuffer(buf, dtype=dtype)[arr.offset : arr.offset + len(arr)]


def _bits(buf, offset: int, n: int) -> np.ndarray:
    """An Arrow bitmap (LSB first) as a bool array."""
    bits = np.unpackbits(np.frombuffer(buf, dtype=np.uint8), bitorder="little")
    return bits[offset : offset + n].astype(bool)


def _columns(arrays: dict, programmes: list[dict]) -> dict:
    """The census columns from checked arrays (the same values :func:`prepare_census` reads
    from the checked DataFrame)."""

    def codes_into(name, names):
        codes, cats = arrays[name]
        lookup = np.array([names.index(x) if x in names else -1 for x in cats], dtype=np.int64)
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1)

    def coded(name):
        codes, cats = arrays[name]
        if len(cats) >= 127:  # pandas would widen the codes; leave it to pandas
            raise _Unusual
        return codes.astype(np.int8), cats

    return dict(
        recall_type=codes_into("population", RECALL_TYPES),
        ogrs3_2yr=arrays["ogrs3_2yr"][0],
        rsr_2yr=arrays["rsr_2yr"][0],
        need_domains=arrays["need_domains"][0],
        need_accommodation=arrays["need_accommodation"][0],
        rosh=codes_into("rosh", ROSH_LEVELS),
        sex=coded("sex"),
        ethnicity=coded("ethnicity"),
        person_id=arrays["person_id"][0],
        age=arrays["age"][0],
        unmet_programme=_unmet(arrays, programmes),
    )


def _unmet(arrays: dict, programmes: list[dict]) -> np.ndarray:
    """Unmet programme need as :func:`toolkit.review.census._unmet_programme` computes it."""
    att_cols = [f"attended_{p['name']}" for p in programmes]
    if any(c not in arrays for c in (*att_cols, "attended_other_programme")):
        raise _Unusual
    n = arrays["person_id"][0].size
    suit = np.empty((n, len(att_cols)), dtype=bool)
    for j, p in enumerate(programmes):
        ok = np.ones(n, dtype=bool)
        for cond in p["criteria"]:
            ok &= evaluate(Rule.from_plan(cond), arrays)
        suit[:, j] = ok
    att = np.column_stack([arrays[c][0] for c in att_cols])
    any_att = att.any(axis=1) | arrays["attended_other_programme"][0]
    return np.asarray((suit & ~att & ~any_att[:, None]).any(axis=1))


def evaluate(cond, arrays: dict) -> np.ndarray:
    """A programme rule's condition on arrays as :func:`_column` returns them, as
    :meth:`toolkit.profile.rules.Condition.evaluate` evaluates it on the checked frame."""
    if cond.or_else:
        out = np.zeros(arrays["person_id"][0].size, dtype=bool)
        for part in cond.parts:
            out |= evaluate(part, arrays)
        return out
    if cond.column not in arrays:
        raise _Unusual
    a, b = arrays[cond.column]
    if isinstance(b, tuple):  # categorical: codes and categories
        if not isinstance(cond.value, (str, tuple)):
            raise _Unusual
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        if any(v not in b for v in values):  # the rules would refuse such a cohort
            raise _Unusual
        hit = np.isin(a, [b.index(v) for v in values])
        return ~hit & (a >= 0) if cond.op == "!=" else hit
    if cond.op == "in" or isinstance(cond.value, str):
        raise _Unusual
    if a.dtype == np.bool_:
        if not isinstance(cond.value, bool):
            raise _Unusual
        return OPS[cond.op](a, cond.value) & b
    if isinstance(cond.value, bool):
        raise _Unusual
    # a missing number satisfies no comparison, != included (toolkit.conditions)
    return OPS[cond.op](a, float(cond.value)) & b
