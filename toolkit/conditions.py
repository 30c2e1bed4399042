"""The toolkit's one condition language: ``"<column> <op> <value>"`` over the rows of a table.

Programme rules (``programmes.toml`` criteria, readings and flag columns), need pathways
(``pathways.toml``) and the schema's logical relations (:data:`toolkit.schema.RELATIONS`) all
write conditions in this language, parsed by :func:`parse_condition` and evaluated, vectorised
over people, by :meth:`Condition.evaluate`:

* ``ogrs3_2yr >= 25`` -- a number (``op`` one of ``== != >= > <= <``); a threshold on a score
  in :data:`PERCENT_COLUMNS` must lie in 0-100, on a ``need_*`` item in 0-2;
* ``violent_history == true`` -- ``true``/``false`` (``==`` or ``!=`` only);
* ``index_offence_group != acquisitive`` -- a category (``==`` or ``!=`` only);
* ``index_offence_group in violence,robbery`` -- one of the listed categories;
* ``a >= 1 or b >= 1`` -- any part holds (where the caller allows ``or``);
* ``previous_sanctions >= previous_breaches`` -- another column, compared person by person
  (where the caller allows column references: the relations do; a data file's rules do not,
  so a category name there is never mistaken for a column).

A missing value never satisfies a condition; :meth:`Condition.known` says where every column a
condition reads has a value (a relation does not count a person whose item was not scored).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from toolkit.exceptions import SpecError

if TYPE_CHECKING:  # pandas is imported where a frame is evaluated (the arrow reader has none)
    import pandas as pd

__all__ = [
    "OPS",
    "PERCENT_COLUMNS",
    "ColumnRef",
    "Condition",
    "parse_condition",
    "parse_conditions",
]

OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
_ORDER_OPS = (">=", ">", "<=", "<")
_COND = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(==|!=|>=|<=|>|<)\s*(\S+)\s*$")
#: ``<column> in a,b,c``: the value is one of the listed categories.
_IN = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+in\s+([A-Za-z0-9_]+(?:,[A-Za-z0-9_]+)*)\s*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
#: Columns on a 0-100 percent scale (thresholds on them must lie in 0-100; ``need_*`` in 0-2).
PERCENT_COLUMNS = ("ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr", "ovp_2yr")
_SYNTAX = (
    "must look like '<column> <op> <value>' with op one of == != >= > <= < "
    "(or '<column> in a,b'; alternatives may join conditions with 'or')"
)


@dataclass(frozen=True)
class ColumnRef:
    """The value of a condition that names another column (``age_at_first_sanction <= age``)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Condition:
    """One condition, e.g. ``ogrs3_2yr >= 25`` or ``index_offence_group in a,b``.

    ``or_else`` holds further conditions joined by ``or`` (``"a >= 1 or b >= 1"``): the
    condition holds when any part does; ``column``, ``op`` and ``value`` are the first part's.
    ``value`` is a float, a bool, a category (str), a tuple of categories (``op == "in"``) or a
    :class:`ColumnRef`.
    """

    column: str
    op: str
    value: object
    or_else: tuple[Condition, ...] = ()

    @property
    def parts(self) -> tuple[Condition, ...]:
        """Every part of the condition (one unless it has ``or``)."""
        return (Condition(self.column, self.op, self.value), *self.or_else)

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the condition reads on its left-hand side."""
        return tuple(c.column for c in self.parts)

    @property
    def reads(self) -> tuple[str, ...]:
        """Every column the condition reads, column references included."""
        refs = tuple(c.value.name for c in self.parts if isinstance(c.value, ColumnRef))
        return tuple(dict.fromkeys((*self.columns, *refs)))

    def __str__(self) -> str:
        return " or ".join(_text(c) for c in self.parts)

    def evaluate(self, df: pd.DataFrame) -> np.ndarray:
        """Boolean array over the rows of ``df``; missing values never satisfy a condition."""
        if self.or_else:
            out = np.zeros(len(df), dtype=bool)
            for c in self.parts:
                out |= c.evaluate(df)
            return out
        return _evaluate_one(self, df)

    def known(self, df: pd.DataFrame) -> np.ndarray:
        """Boolean array: rows where every column the condition reads has a value."""
        out = np.ones(len(df), dtype=bool)
        for col in self.reads:
            out &= df[col].notna().to_numpy()
        return out


def _text(c: Condition) -> str:
    if isinstance(c.value, bool):
        v = str(c.value).lower()
    elif isinstance(c.value, float):
        v = f"{c.value:g}"
    elif isinstance(c.value, tuple):
        v = ",".join(c.value)
    else:
        v = str(c.value)
    return f"{c.column} {c.op} {v}"


def _evaluate_one(c: Condition, df: pd.DataFrame) -> np.ndarray:
    import pandas as pd

    s = df[c.column]
    if isinstance(c.value, ColumnRef):
        left = s.astype("float64").to_numpy()
        right = df[c.value.name].astype("float64").to_numpy()
        with np.errstate(invalid="ignore"):
            return OPS[c.op](left, right) & ~(np.isnan(left) | np.isnan(right))
    if isinstance(s.dtype, pd.CategoricalDtype) and isinstance(c.value, (str, tuple)):
        # compare codes, not strings: fast on a million rows
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        cats = s.cat.categories
        codes = s.cat.codes.to_numpy()
        hit = np.isin(codes, [cats.get_loc(v) for v in values if v in cats])
        return ~hit & (codes >= 0) if c.op == "!=" else hit
    if c.op == "in":
        res = s.astype("string").isin(c.value)
        return (
            pd.array(res, dtype="boolean").fillna(False).to_numpy(dtype=bool) & s.notna().to_numpy()
        )
    if isinstance(c.value, bool):
        res = OPS[c.op](s.astype("boolean"), c.value)
    elif isinstance(c.value, str):
        res = OPS[c.op](s.astype("string"), c.value)
    else:
        x = s.astype("float64")
        # NaN != 3 is True in numpy; a missing value satisfies no condition
        res = OPS[c.op](x, float(c.value)) & x.notna()
    return pd.array(res, dtype="boolean").fillna(False).to_numpy(dtype=bool)


def _parse_value(text: str):
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def parse_condition(
    text: object, label: str = "", key: str = "", *, column_values: bool = False
) -> Condition:
    """Parse one condition (without ``or``; see :func:`parse_conditions`).

    Parameters
    ----------
    text : str
        E.g. ``"ogrs3_2yr >= 25"``.
    label, key : str
        The file and key, for the error message.
    column_values : bool
        Whether a name compared with ``>= > <= <`` is another column (the relations);
        otherwise a category may be compared only with ``==`` or ``!=``.

    Raises
    ------
    SpecError
        A malformed condition, a threshold outside its column's scale, or an order comparison
        with true/false or a category.
    """
    m_in = _IN.match(text) if isinstance(text, str) else None
    if m_in:
        return Condition(m_in.group(1), "in", tuple(m_in.group(2).split(",")))
    m = _COND.match(text) if isinstance(text, str) else None
    if not m:
        raise SpecError(label, key, _SYNTAX, text)
    col, op, raw = m.groups()
    value = _parse_value(raw)
    if isinstance(value, float):
        lo, hi = (
            (0, 100)
            if col in PERCENT_COLUMNS
            else (0, 2)
            if col.startswith("need_")
            else (-np.inf, np.inf)
        )
        if not lo <= value <= hi:
            raise SpecError(label, key, f"threshold for {col} must lie in [{lo}, {hi}]", value)
    if column_values and isinstance(value, str) and op in _ORDER_OPS and _NAME.match(value):
        return Condition(col, op, ColumnRef(value))
    if isinstance(value, (bool, str)) and op not in ("==", "!="):
        raise SpecError(label, key, "can only use == or != with true/false or a category", text)
    return Condition(col, op, value)


def parse_conditions(
    label: str, key: str, items, *, empty_ok: bool = False, or_ok: bool = False
) -> tuple[Condition, ...]:
    """Parse a list of conditions (all must hold), as a data file writes them.

    Parameters
    ----------
    label, key : str
        The file and the key holding the list, for error messages.
    items : list of str
        The conditions.
    empty_ok : bool
        Whether an empty list is allowed.
    or_ok : bool
        Whether a condition may join parts with ``or`` (only alternative readings may: the
        generator builds the unpublished columns for the default readings, which are
        conjunctions).

    Raises
    ------
    SpecError
        Not a list, empty where not allowed, ``or`` where not allowed, or a malformed part.
    """
    if not isinstance(items, list) or (not items and not empty_ok):
        raise SpecError(
            label, key, "must be a non-empty list of conditions like 'ogrs3_2yr >= 25'", items
        )
    out = []
    for i, text in enumerate(items):
        parts = re.split(r"\s+or\s+", text.strip()) if isinstance(text, str) else [text]
        if len(parts) > 1 and not or_ok:
            raise SpecError(
                label,
                f"{key}[{i}]",
                "may not use 'or': only alternative readings can (the generator builds the "
                "unpublished columns for the default readings, which are conjunctions)",
                text,
            )
        conds = [parse_condition(t, label, f"{key}[{i}]") for t in parts]
        first = conds[0]
        out.append(
            first
            if len(conds) == 1
            else Condition(first.column, first.op, first.value, tuple(conds[1:]))
        )
    return tuple(out)
