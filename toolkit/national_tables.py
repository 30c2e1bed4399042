"""``national.toml``, declared: one pydantic model per table (:class:`NationalFile`).

Keys, types and ranges, and the rules across keys (a period's end after its start, a share
between its bounds, an anchor dated as a published stock), checked once by
:func:`~toolkit.tomlmodel.parse`; errors name the file, key, rule and value.
:func:`validate_national` is the one validation of a national file; :mod:`toolkit.national`
imports this module only when a file must be validated, so that reading the shipped, unchanged
file does not import pydantic.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from toolkit.categories import RECALL_TYPES
from toolkit.national_model import (
    ANCHORS,
    DatedStock,
    Flow,
    Growth,
    NationalModel,
    Projection,
)
from toolkit.tomlmodel import (
    FileModel,
    ValueAt,
    choice,
    is_number,
    listed,
    number,
    parse,
    toml_date,
    whole,
)

__all__ = ["NationalFile", "validate_national"]

# --- The file, declared ----------------------------------------------------------------------
# national.toml's tables as pydantic models (toolkit.tomlmodel): keys, types, ranges and the
# rules across keys, checked once by parse(); errors name the file, key, rule and value.

_PEOPLE = whole(1, what="a positive whole number of people")


class _Meta(FileModel):
    document: str
    title: str | None = None
    population: str | None = None
    census_date: toml_date
    census_line: int | None = None
    census_quote: str | None = None


class _Stock(FileModel):
    date: toml_date
    count: _PEOPLE
    line: int
    quote: str
    note: str = ""


class _Period(FileModel):
    """A published figure over a period: the period's end must follow its start."""

    #: the names of the period's first and last day
    ENDS: ClassVar[tuple[str, str]] = ("start", "end")

    @model_validator(mode="after")
    def _ordered(self):
        first, last = self.ENDS
        if getattr(self, last) <= getattr(self, first):
            shown = type(self).model_fields[first].alias or first  # `from`, a Python keyword
            raise ValueAt(last, f"must be after {shown}", getattr(self, last))
        return self


class _Flow(_Period):
    start: toml_date
    end: toml_date
    count: _PEOPLE
    line: int
    quote: str


class _Growth(_Period):
    ENDS: ClassVar[tuple[str, str]] = ("from_", "to")
    from_: toml_date = Field(alias="from")
    to: toml_date
    percent: number(-99, 1000)
    line: int
    quote: str


def _share(v):
    if not (is_number(v) and 0 < v <= 1):
        raise ValueError("must be a share in (0, 1]")
    return float(v)


_SHARE = Annotated[float, PlainValidator(_share)]


class _StandardShare(FileModel):
    value: _SHARE
    low: _SHARE
    high: _SHARE
    line: int
    quote: str
    assumed: str | None = None

    @model_validator(mode="after")
    def _inside(self):
        if not self.low <= self.value <= self.high:
            raise ValueAt("", "needs low <= value <= high", [self.low, self.value, self.high])
        return self


class _Anchor(FileModel):
    kind: choice(ANCHORS)
    date: toml_date
    assumed: str = ""


def _month(v):
    switch = str(v)
    try:
        _dt.date.fromisoformat(switch + "-01" if len(switch) == 7 else switch)
    except ValueError:
        raise ValueError("must be a month like 2016-04") from None
    return switch[:7]


class _Projection(FileModel):
    growth_until: toml_date
    growth_after_pct_per_year: number(-99, 1000)
    growth_after_range: list
    populations: listed(RECALL_TYPES, "recall types")
    status_quo_strategy: str
    switch: Annotated[str, PlainValidator(_month)]
    years: whole(1, 30, what="a whole number of years, 1 to 30")
    assumed: str = ""

    @model_validator(mode="after")
    def _range_holds_value(self):
        r, after = self.growth_after_range, self.growth_after_pct_per_year
        if not (len(r) == 2 and all(is_number(x) for x in r) and r[0] <= after <= r[1]):
            raise ValueAt(
                "growth_after_range", "must be [low, high] around growth_after_pct_per_year", r
            )
        return self

    def build(self) -> Projection:
        lo, hi = self.growth_after_range
        return Projection(
            growth_until=self.growth_until,
            growth_after_pct_per_year=self.growth_after_pct_per_year,
            growth_after_range=(float(lo), float(hi)),
            populations=self.populations,
            status_quo_strategy=self.status_quo_strategy,
            switch=self.switch,
            years=self.years,
            reason=self.assumed,
        )


def _tables(name: str):
    def check(v):
        if not v:
            raise ValueError(f"must be one or more [[{name}]] tables")
        return v

    return AfterValidator(check)


class NationalFile(FileModel):
    """``national.toml``, declared: one model per table (see each table's class)."""

    meta: _Meta
    stock: Annotated[list[_Stock], _tables("stock")]
    flow: Annotated[list[_Flow], _tables("flow")]
    growth: list[_Growth] = []
    standard_share: _StandardShare
    anchor: _Anchor
    projection: _Projection

    @model_validator(mode="after")
    def _anchor_is_a_stock(self):
        dates = [s.date for s in self.stock]
        if self.anchor.date not in dates:
            known = ", ".join(str(d) for d in dates)
            raise ValueAt(
                "anchor.date", f"must be the date of a [[stock]] ({known})", self.anchor.date
            )
        return self


def validate_national(data: dict, label: str) -> NationalModel:
    """Validate a parsed national file (the TOML's tables) and build :class:`NationalModel`.

    Raises
    ------
    SpecError
        Naming ``label``, the key, the rule and the value.
    """
    m = parse(NationalFile, data, label)
    sh = m.standard_share
    return NationalModel(
        path=label,
        document=m.meta.document,
        census_date=m.meta.census_date,
        stocks=tuple(
            sorted(
                (DatedStock(s.date, s.count, s.line, s.quote, s.note) for s in m.stock),
                key=lambda s: s.date,
            )
        ),
        flows=tuple(Flow(f.start, f.end, f.count, f.line, f.quote) for f in m.flow),
        growths=tuple(Growth(g.from_, g.to, g.percent, g.line, g.quote) for g in m.growth),
        standard_share=sh.value,
        standard_share_low=sh.low,
        standard_share_high=sh.high,
        standard_share_line=sh.line,
        standard_share_quote=sh.quote,
        anchor=m.anchor.kind,
        anchor_date=m.anchor.date,
        anchor_reason=m.anchor.assumed,
        projection=m.projection.build(),
    )
