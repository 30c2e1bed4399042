"""One validation layer for tables: cohorts, simulation records, practitioner caseloads.

A table's structure is declared once, as :class:`toolkit.schema.Column` entries (dtype, range,
allowed values, nullability, uniqueness); :func:`table_schema` turns those into a pandera
:class:`~pandera.api.pandas.container.DataFrameSchema` whose checks read the values *as found*
(strings from a CSV, typed values from Parquet or memory). :func:`find_problems` runs any pandera
schema lazily and returns every failure as a :class:`Problem` with a spreadsheet-style row number;
:func:`check_table` raises them all at once in one error naming the file. Only after a table has
passed is it converted to the schema's dtypes (:func:`coerce_table`), so a boolean written as the
string ``"False"`` becomes ``False`` (not ``True``, as ``astype(bool)`` would make it) and an age of
``25.5`` is refused instead of truncated.

Typical use, for any table with its own columns (e.g. a caseload)::

    schema = table_schema(CASELOAD_COLUMNS, name="caseload")
    check_table(df, schema, "caseload.csv", error=UsageError)
    df = coerce_table(df, CASELOAD_COLUMNS)

Cohorts have :func:`validate_cohort`, which :func:`toolkit.cohort.io.read_cohort` calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from toolkit.exceptions import CohortError, ToolkitError
from toolkit.schema import OPEN_CATEGORICALS, Column, apply_dtypes, cohort_columns

#: How many problems the one-line message lists before summarising the rest by column.
MAX_LISTED = 20

#: Spellings accepted for booleans (compared case-insensitively after stripping spaces). CSV
#: writers differ (pandas writes True/False, R TRUE/FALSE, databases 1/0); anything else is
#: refused rather than guessed.
BOOL_WORDS: dict[str, bool] = {
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
}

# Header is row 1, so the first data row (position 0) is row 2: the number a user sees when
# the CSV is opened in a spreadsheet.
_FIRST_DATA_ROW = 2


@dataclass(frozen=True)
class Problem:
    """One bad value (or a missing column, or a whole-table problem).

    Attributes
    ----------
    row : int or None
        Spreadsheet row number (header = row 1, first data row = 2); None if not one row.
    column : str or None
        The column, or None for a whole-table problem.
    value : object
        The value found (None if missing).
    expected : str
        What the value should be, e.g. ``"a whole number"`` or ``"between 0 and 100"``.
    """

    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row:,}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        head = ", ".join(where)
        if self.value is None:
            body = self.expected
        else:
            body = f"{_show(self.value)} is not {self.expected}"
        return f"{head}: {body}" if head else body


class TableError(ToolkitError, ValueError):
    """Raised by :func:`check_table` when the caller asks for no more specific error type."""


def _show(value: object) -> str:
    # numpy scalars print as np.float64(7.0); show the plain Python value instead.
    return repr(value.item() if isinstance(value, np.generic) else value)


# -- parsing values as found ------------------------------------------------------------------


def by_unique(s: pd.Series, fn) -> pd.Series:
    """Apply a vectorised ``fn`` to the distinct values of ``s`` only, then broadcast back.

    A table read as text repeats the same few strings (``True``/``False``, dates, programme
    lists) many times: parsing 2 distinct values instead of 1,000,000 is what keeps reading a
    large CSV fast. The result keeps ``fn``'s dtype and ``s``'s index.
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=False)
    res = fn(pd.Series(uniq))
    return res.take(codes).set_axis(s.index)


def _numbers_of(u: pd.Series) -> pd.Series:
    out = pd.to_numeric(u, errors="coerce")
    if u.dtype == object:
        # Python bools inside an object column would otherwise count as 0/1.
        out = out.where(~u.map(lambda v: isinstance(v, (bool, np.bool_))), np.nan)
    return out.astype("float64")


def numbers(s: pd.Series) -> pd.Series:
    """Values as float (NaN where not a number, blank or missing); booleans are not numbers."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return by_unique(s, _numbers_of)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def whole_numbers(s: pd.Series) -> pd.Series:
    """Values as float where they are whole numbers; NaN elsewhere."""
    x = numbers(s)
    return x.where(np.isfinite(x) & (x == np.floor(x)))


def parse_bool(s: pd.Series, words: dict[str, bool] | None = None) -> pd.Series:
    """Booleans from bools, 0/1 or ``words`` (default :data:`BOOL_WORDS`, compared
    case-insensitively after stripping spaces); NA where neither."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.map({0: False, 1: True}).astype("boolean")
    words = BOOL_WORDS if words is None else words

    def parse(u: pd.Series) -> pd.Series:
        low = u.astype("string").str.strip().str.lower()
        return low.map(words, na_action="ignore").astype("boolean")

    return by_unique(s, parse)


def _is_bool(s: pd.Series) -> pd.Series:
    """True where a value reads as a boolean (:func:`parse_bool`)."""
    if pd.api.types.is_bool_dtype(s.dtype):  # already booleans: nothing to parse
        return s.notna()
    return parse_bool(s).notna()


def _is_whole(s: pd.Series) -> pd.Series:
    """True where a value is a whole number (an integer column is, without arithmetic)."""
    if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.notna()
    return whole_numbers(s).notna()


def _range_text(lo, hi) -> str:
    def f(x):
        return f"{x:g}" if isinstance(x, float) else f"{x:,}"

    if lo is not None and hi is not None:
        return f"between {f(lo)} and {f(hi)}"
    return f"at least {f(lo)}" if lo is not None else f"at most {f(hi)}"


# -- declared checks --------------------------------------------------------------------------


def value_checks(col: Column) -> list[tuple[Callable[[pd.Series], pd.Series], str]]:
    """The checks of one declared column as ``(check, expected)`` pairs.

    Each ``check`` takes the column's non-missing values as found and returns a boolean Series
    (True = fine), vectorised; ``expected`` says what a failing value should be. The pandera
    schema (:func:`column_checks`) and the fast screen (:func:`suspect_columns`) run these same
    functions, so a table the screen passes is one pandera passes.
    """
    dtype = col.dtype
    out: list[tuple[Callable[[pd.Series], pd.Series], str]] = []
    if isinstance(dtype, pd.CategoricalDtype):
        cats = list(dtype.categories)
        out.append((lambda s, c=cats: s.isin(c), "one of " + ", ".join(map(str, cats))))
    elif str(dtype) in ("bool", "boolean"):
        out.append((_is_bool, "true or false"))
    elif str(dtype) in ("string", "str", "object"):
        pass  # free text: only presence (nullable) and uniqueness apply
    elif str(dtype).startswith("datetime64"):
        out.append((lambda s: pd.to_datetime(s, errors="coerce").notna(), "a date (YYYY-MM-DD)"))
    else:
        if str(dtype) in ("int64", "Int64"):
            out.append((_is_whole, "a whole number"))
        else:
            out.append(
                (lambda s: pd.Series(np.isfinite(numbers(s)), index=s.index), "a finite number")
            )
        if col.minimum is not None or col.maximum is not None:
            lo = -math.inf if col.minimum is None else col.minimum
            hi = math.inf if col.maximum is None else col.maximum
            # Values that are not numbers at all fail the check above, not this one.
            out.append(
                (
                    lambda s, lo=lo, hi=hi: (lambda x: x.isna() | x.between(lo, hi))(numbers(s)),
                    _range_text(col.minimum, col.maximum),
                )
            )
        if col.allowed is not None:
            allowed = list(col.allowed)
            out.append(
                (
                    lambda s, a=allowed: (lambda x: x.isna() | x.isin(a))(numbers(s)),
                    "one of " + ", ".join(map(str, allowed)),
                )
            )
    return out


def column_checks(col: Column) -> list:
    """The pandera checks for one declared column (:func:`value_checks`), on values as found."""
    import pandera.pandas as pa

    return [pa.Check(fn, error=expected) for fn, expected in value_checks(col)]


def table_schema(columns: Iterable[Column], *, name: str = "table"):
    """A pandera schema checking every declared column (extra columns are allowed).

    Parameters
    ----------
    columns : iterable of Column
        The table's declared columns (e.g. :data:`toolkit.schema.COLUMNS`).
    name : str
        Schema name, shown only in pandera's own reprs.
    """
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            c.name: pa.Column(
                checks=column_checks(c),
                nullable=c.nullable,
                unique=c.unique,
                required=True,
                coerce=False,
            )
            for c in columns
        },
        strict=False,
        name=name,
    )


@lru_cache(maxsize=8)
def cohort_schema(columns: tuple[Column, ...] | None = None):
    """The pandera schema of a cohort (default: :data:`toolkit.schema.COLUMNS`), built once."""
    return table_schema(cohort_columns() if columns is None else columns, name="cohort")


def suspect_columns(df: pd.DataFrame, columns: Iterable[Column]) -> list[str] | None:
    """Declared columns whose values may break their declaration: one vectorised pass each.

    The same checks as the pandera schema (:func:`value_checks`, missing values dropped
    first as ``Check(ignore_na=True)`` does, plus nullability and uniqueness), asking only
    whether anything fails: no pandera import, no schema, no failure-case tables. A table
    with no suspect column passes :func:`table_schema`.

    Returns
    -------
    list of str or None
        The columns that fail (empty: the table passes); None when a column is missing (the
        caller runs the schema, which names it).
    """
    out = []
    for col in columns:
        if col.name not in df.columns:
            return None
        if _fails(df[col.name], col.nullable, col.unique, [fn for fn, _ in value_checks(col)]):
            out.append(col.name)
    return out


def _fails(s: pd.Series, nullable: bool, unique: bool, checks) -> bool:
    """Whether any value of ``s`` breaks nullability, uniqueness or one of ``checks``."""
    na = s.isna()
    has_na = bool(na.any())
    if (has_na and not nullable) or (unique and bool(s.duplicated().any())):
        return True
    values = s[~na] if has_na else s
    for fn in checks:
        ok = fn(values)
        if isinstance(ok, pd.Series):
            ok = bool(ok.fillna(False).astype(bool).all())
        if not bool(ok):
            return True
    return False


# -- running schemas --------------------------------------------------------------------------


def _expected(check: str, failure_case) -> tuple[object, str]:
    """(value, expected) for one row of pandera's ``failure_cases``."""
    if check == "not_nullable":
        return None, "missing; a value is required"
    if check == "field_uniqueness":
        return failure_case, "unique (it appears in more than one row)"
    return failure_case, str(check)


def _suspect_columns(df: pd.DataFrame, schema) -> list[str] | None:
    """:func:`suspect_columns` for any pandera schema: the columns that may fail it.

    Runs each column's own checks as pandera would (see :func:`_fails`) but only asks whether
    anything fails, without pandera's per-column copies and failure-case tables (5.6 of 7.5 s
    of reading a 2,000,000-row cohort, issue 23). A column flagged here is then checked by
    pandera itself, so the problems reported are pandera's. None when a declared column is
    missing or a check cannot be screened (the caller runs the whole schema).
    """
    out = []
    for name, col in schema.columns.items():
        if name not in df.columns:
            return None
        fns = []
        for check in col.checks:
            fn = getattr(check, "_check_fn", None)
            if fn is None or not check.ignore_na or check.element_wise or check.groupby:
                return None
            fns.append(fn)
        if _fails(df[name], col.nullable, col.unique, fns):
            out.append(name)
    return out


def failure_cases(df: pd.DataFrame, schema) -> pd.DataFrame | None:
    """pandera's ``failure_cases`` for ``df`` (every problem, lazily); None if it passes."""
    import pandera.pandas as pa

    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return exc.failure_cases
    return None


def find_problems(
    df: pd.DataFrame, schema, *, min_rows: int = 0, screen: bool = True
) -> list[Problem]:
    """Every problem pandera finds in ``df``, as :class:`Problem` objects in row order.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read (its index is ignored: rows are numbered by position).
    schema : pandera.DataFrameSchema
        Any pandera pandas schema, e.g. from :func:`table_schema`.
    min_rows : int
        Fewest rows the table may have; fewer is reported as a whole-table problem.
    screen : bool
        Screen every column in one vectorised pass first and give pandera only the columns
        that fail (the same problems, far faster on a large table that passes); False runs
        pandera on the whole table.

    Returns
    -------
    list of Problem
        Empty if the table passes.
    """
    import pandera.pandas as pa

    problems: list[Problem] = []
    if len(df) < min_rows:
        problems.append(
            Problem(
                None,
                None,
                None,
                f"the table has {len(df):,} row(s); at least {min_rows:,} needed",
            )
        )
    suspect = _suspect_columns(df, schema) if screen else None
    if suspect is not None:
        if not suspect:
            return problems
        # Only the columns the screen flagged go through pandera, for its failure cases: the
        # same problems as a whole-table run (each is about one column) at a fraction of the
        # cost.
        schema = pa.DataFrameSchema(
            {k: schema.columns[k] for k in suspect}, strict=False, name=schema.name
        )
        df = df[suspect]
    positional = df.reset_index(drop=True)  # pandera reports positions as the index
    fc = failure_cases(positional, schema)
    missing = []
    for rec in () if fc is None else fc.itertuples(index=False):
        if str(rec.check) == "column_in_dataframe":
            missing.append(str(rec.failure_case))
            continue
        value, expected = _expected(str(rec.check), rec.failure_case)
        column = None if rec.column is None else str(rec.column)
        idx = rec.index
        row = None if idx is None or pd.isna(idx) else int(idx) + _FIRST_DATA_ROW
        problems.append(Problem(row, column, value, expected))
    if missing:
        problems.insert(0, Problem(None, None, None, f"missing column(s) {', '.join(missing)}"))
    order = {c: i for i, c in enumerate(df.columns)}
    problems.sort(
        key=lambda p: (
            p.row is not None,
            -1 if p.row is None else p.row,
            order.get(p.column, -1),
        )
    )
    return problems


def format_problems(problems: list[Problem], label: str, *, max_listed: int = MAX_LISTED) -> str:
    """One line: the file, how many problems, the first ``max_listed``, the rest by column."""
    n = len(problems)
    shown = "; ".join(str(p) for p in problems[:max_listed])
    head = f"{label}: {n:,} problem{'s' if n != 1 else ''}"
    if any(p.row is not None for p in problems):
        head += " (rows numbered as in a spreadsheet, header = row 1)"
    text = f"{head}: {shown}"
    if n > max_listed:
        rest = pd.Series([p.column or "(table)" for p in problems[max_listed:]]).value_counts()
        parts = ", ".join(f"{k} {v:,}" for k, v in rest.items())
        text += f"; and {n - max_listed:,} more ({parts})"
    return text


def check_table(
    df: pd.DataFrame,
    schema,
    label: str,
    *,
    min_rows: int = 1,
    error: type[ToolkitError] = TableError,
) -> None:
    """Raise ``error`` listing every problem in ``df`` at once, or return if there are none.

    Parameters
    ----------
    df : pandas.DataFrame
        The table as read.
    schema : pandera.DataFrameSchema
        Its declared structure (see :func:`table_schema`).
    label : str
        The file (or name) shown at the start of the message.
    min_rows : int
        Fewest rows that make sense (default 1: an empty table is refused).
    error : type
        The :class:`~toolkit.exceptions.ToolkitError` subclass to raise; the exception gets a
        ``problems`` attribute holding the full list.
    """
    problems = find_problems(df, schema, min_rows=min_rows)
    if problems:
        exc = error(format_problems(problems, label))
        exc.problems = problems
        raise exc


def coerce_table(df: pd.DataFrame, columns: Iterable[Column]) -> pd.DataFrame:
    """Convert a table that passed :func:`check_table` to its declared dtypes.

    Booleans are parsed (``"False"`` is False); numbers go through :func:`pandas.to_numeric`
    first so ``"3"`` and ``3.0`` both become 3.
    """
    out = df.copy(deep=False)  # copy-on-write: columns are copied only if changed
    for c in columns:
        if c.name not in out.columns:
            continue
        s = out[c.name]
        dtype = c.dtype
        if str(dtype) in ("bool", "boolean"):
            if s.dtype != dtype:
                s = parse_bool(s).astype(dtype)
        elif str(dtype) in ("int64", "Int64", "float64") and s.dtype != dtype:
            s = pd.to_numeric(s).astype(dtype)
        elif str(dtype).startswith("datetime64") and s.dtype != dtype:
            s = pd.to_datetime(s).astype(dtype)
        else:
            s = s.astype(dtype)
        out[c.name] = s
    return out


def validate_cohort(
    df: pd.DataFrame,
    label: str,
    *,
    min_rows: int = 1,
    columns: tuple[Column, ...] | None = None,
) -> pd.DataFrame:
    """Check a cohort as read against its columns; return it with its dtypes.

    Parameters
    ----------
    df : pandas.DataFrame
        The cohort as read.
    label : str
        The file, for messages.
    min_rows : int
        Fewest rows that make sense.
    columns : tuple of Column, optional
        The cohort's columns under the programme rules and profile in force
        (:func:`toolkit.schema.cohort_columns`); default :data:`toolkit.schema.COLUMNS` (the
        shipped rules and the schema's categories).

    Raises
    ------
    CohortError
        Listing every bad value (row, column, value, expected), every missing column, and a
        table with fewer than ``min_rows`` rows. A missing ``attended_<programme>`` column or a
        category outside the list adds a hint: the cohort was built with other programme rules
        or another profile, which must be given again (``--rules``, ``--profile``).
    """
    columns = cohort_columns() if columns is None else tuple(columns)
    if len(df) >= min_rows and suspect_columns(df, columns) == []:
        # every value passes its declaration (the schema's own checks, screened without
        # pandera): convert without building the schema or importing pandera
        return apply_dtypes(coerce_table(df, columns), columns)
    try:
        check_table(df, cohort_schema(columns), label, min_rows=min_rows, error=CohortError)
    except CohortError as exc:
        hints = []
        text = str(exc)
        if "missing column(s)" in text and "attended_" in text.split("missing column(s)")[1]:
            hints.append(
                "its programme columns differ from the programme rules in force: give the "
                "--rules FILE the cohort was generated with"
            )
        # only columns a profile may extend (a typo in `population` needs no profile)
        cats = {*OPEN_CATEGORICALS, "index_offence_group"}
        if any(p.column in cats for p in getattr(exc, "problems", [])):
            hints.append(
                "a category outside the list: give the --profile that declares it "
                "([variables.<name>] categories)"
            )
        if not hints:
            raise
        new = CohortError(f"{text} (hint: {'; '.join(hints)})")
        new.problems = exc.problems
        raise new from None
    return apply_dtypes(coerce_table(df, columns), columns)


def require_rows(n: int, minimum: int, label: str, what: str, why: str) -> None:
    """Refuse a table with fewer than ``minimum`` rows of some kind, saying why it matters.

    Raises
    ------
    CohortError
        ``"<label>: has <n> <what>; at least <minimum> needed (<why>)"``.
    """
    if n < minimum:
        raise CohortError(f"{label}: has {n:,} {what}; at least {minimum:,} needed ({why})")
