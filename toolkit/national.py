"""The national model of recalled prisoners (``papers/recall_process_experience/national.toml``).

One data file and this one loader hold every national figure the toolkit uses: stocks with their
dates, flows with their periods, the published growth, the standard-recall share, what national
figures are anchored on, and the projection's assumptions. ``simulate``
(:mod:`toolkit.review.national`), ``gaps --stock/--capacity`` (:mod:`toolkit.needs`), the
sweep's projection (:mod:`toolkit.sweep.projection`) and the notebooks read it through
:func:`load_national`; dates and labels in their output come from the data.

This module is a leaf (it imports only the TOML reader, the declared-validation helpers, the
argument checks, the category names and the exceptions), so every stage can use it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from toolkit.args import check_real
from toolkit.categories import RECALL_TYPES
from toolkit.datafiles import read_toml
from toolkit.exceptions import UsageError
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

__all__ = [
    "ANCHORS",
    "GROWTH_RANGE",
    "TIME_WINDOW_DAYS",
    "DatedStock",
    "Flow",
    "Growth",
    "NationalModel",
    "Projection",
    "check_growth",
    "date_label",
    "load_national",
]

_SOURCE, _NAME = "recall_process_experience", "national.toml"
#: What national figures are scaled to (``[anchor] kind``).
ANCHORS = ("flow", "stock")
#: A figure published for a date is read as describing the half-year either side of it
#: (*assumed*: 183 days spans 31 March to 30 September, the two 2016 snapshots in the seeds).
TIME_WINDOW_DAYS = 183


#: Yearly growth rates of the recall flow the national figures accept (exclusive): above -99%
#: (a flow that stops leaves nothing to scale) and below 1,000% a year.
GROWTH_RANGE = (-0.99, 10)


def check_growth(growth: float | None) -> float | None:
    """A yearly growth rate of the recall flow (0.15 for 15% a year), or None (the published
    growth); the one check of a growth argument, for the API and the command line alike.

    Raises
    ------
    UsageError
        ``growth must be a yearly rate between -0.99 and 10 (exclusive); got 50``.

    Examples
    --------
    >>> check_growth(-0.5), check_growth(None)
    (-0.5, None)
    """
    if growth is None:
        return None
    lo, hi = GROWTH_RANGE
    return check_real("growth", growth, lo, hi, lo_open=True, hi_open=True, what="a yearly rate")


def date_label(d: _dt.date) -> str:
    """A date as the sources print it: ``31 March 2016``."""
    return f"{d.day} {d:%B %Y}"


@dataclass(frozen=True)
class DatedStock:
    """People in custody on recall on one day, with provenance."""

    date: _dt.date
    count: int
    line: int
    quote: str
    note: str = ""

    @property
    def label(self) -> str:
        return date_label(self.date)


@dataclass(frozen=True)
class Flow:
    """Recalls to custody over a period (both ends included), with provenance."""

    start: _dt.date
    end: _dt.date
    count: int
    line: int
    quote: str

    @property
    def years(self) -> float:
        return ((self.end - self.start).days + 1) / 365.25

    @property
    def per_year(self) -> float:
        return self.count / self.years

    @property
    def label(self) -> str:
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return (
                str(self.start.year)
                if self.start.year == self.end.year
                else (f"{self.start.year}-{self.end.year}")
            )
        return f"{date_label(self.start)} to {date_label(self.end)}"


@dataclass(frozen=True)
class Growth:
    """Published growth of the stock between two dates, in percent."""

    start: _dt.date
    end: _dt.date
    percent: float
    line: int
    quote: str

    @property
    def per_year(self) -> float:
        """The yearly rate (0.15 for 15% over one year)."""
        a, b = self.start, self.end
        # whole calendar years when the dates fall on the same day of the year (March to March)
        same_day = (a.month, a.day) == (b.month, b.day)
        years = b.year - a.year if same_day else (b - a).days / 365.25
        return (1 + self.percent / 100) ** (1 / years) - 1


@dataclass(frozen=True)
class Projection:
    """The projection's assumptions (all *assumed*; see the data file's reason)."""

    growth_until: _dt.date
    growth_after_pct_per_year: float
    growth_after_range: tuple[float, float]
    populations: tuple[str, ...]
    status_quo_strategy: str
    switch: str
    years: int
    reason: str


@dataclass(frozen=True)
class NationalModel:
    """Every national figure, with provenance (read by :func:`load_national`)."""

    path: str
    document: str
    census_date: _dt.date
    stocks: tuple[DatedStock, ...]
    flows: tuple[Flow, ...]
    growths: tuple[Growth, ...]
    standard_share: float
    standard_share_low: float
    standard_share_high: float
    standard_share_line: int
    standard_share_quote: str
    anchor: str
    anchor_date: _dt.date
    anchor_reason: str
    projection: Projection

    # --- what callers ask ----------------------------------------------------------------------
    @property
    def flow(self) -> int:
        """The published flow's count (the first [[flow]]: 21,500 recalls in 2015)."""
        return self.flows[0].count

    @property
    def flow_year(self) -> int:
        return self.flows[0].start.year

    @property
    def anchor_stock(self) -> DatedStock:
        """The published stock national figures hold (``[anchor] date``)."""
        return self.stock_at(self.anchor_date)

    @property
    def growth_per_year(self) -> float:
        """The published yearly growth (the first [[growth]]), 0 if none."""
        return self.growths[0].per_year if self.growths else 0.0

    def stock_at(self, date: _dt.date | str) -> DatedStock:
        """The published stock on exactly this date (no interpolation: only dated counts)."""
        d = as_date(date)
        for s in self.stocks:
            if s.date == d:
                return s
        known = ", ".join(str(s.date) for s in self.stocks)
        raise UsageError(
            f"no published stock on {d}; {self.path} has stocks for {known} "
            "(give --stock N to scale to another figure)"
        )

    def window(self, date: _dt.date | str, days: int = TIME_WINDOW_DAYS) -> tuple[DatedStock, ...]:
        """Published stocks within ``days`` of ``date`` (inclusive), excluding the census."""
        d = as_date(date)
        return tuple(
            s for s in self.stocks if abs((s.date - d).days) <= days and s.date != self.census_date
        )

    def rules_view(self) -> dict:
        """The figures the review model reads (``ReleaseRules.national``), keyed as the release
        rules' former ``[national]`` block was, plus the dates and labels."""
        a = self.anchor_stock
        f = self.flows[0]
        others = [s for s in self.stocks if s.date > self.census_date and s.date != a.date]
        return {
            "stock": float(a.count),
            "stock_date": a.date.isoformat(),
            "stock_label": a.label,
            # the other post-census stocks, as (label, count), printed beside the anchor
            "other_stocks": tuple((s.label, float(s.count)) for s in others),
            "stock_sept_2016": float(others[-1].count) if others else float("nan"),
            "annual_recalls": float(f.count),
            "flow_start": f.start.isoformat(),
            "flow_end": f.end.isoformat(),
            "flow_label": f.label,
            "growth_per_year": self.growth_per_year,
            "anchor": self.anchor,
            "source": self.file,
        }

    @property
    def file(self) -> str:
        """The data file's path, one a user can copy and edit (the label names the shipped one
        as ``<default>/...``)."""
        if self.path.startswith("<default>/"):
            from toolkit.datafiles import paper_file

            return str(paper_file(_SOURCE, _NAME))
        return self.path


def as_date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"date must look like YYYY-MM-DD; got {value!r}") from None


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


def load_national(path: str | Path | None = None) -> NationalModel:
    """Read and check ``national.toml`` (default: the shipped one; cached per file version).

    The cache holds the file as last read: every consumer gets the same object while the file is
    unchanged, and a file edited since (another modification time or size) is read again.

    Raises
    ------
    SpecError
        Unknown or missing keys, bad dates, non-positive counts, a share outside its range, an
        anchor date with no published stock (naming the file, key and value).

    Examples
    --------
    >>> nat = load_national()
    >>> nat.stock_at("2016-09-30").count, nat.flows[0].label, nat.anchor_stock.label
    (6710, '2015', '31 March 2016')
    """
    resolved = None if path is None else str(Path(path).resolve())
    return _load(resolved, _version(resolved))


def _version(path: str | None) -> tuple[int, int] | None:
    """(modification time in ns, size) of the file, None if it cannot be read (the loader then
    reports why)."""
    from toolkit.datafiles import paper_file

    try:
        st = Path(path if path is not None else paper_file(_SOURCE, _NAME)).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=8)
def _load(path: str | None, version: tuple[int, int] | None) -> NationalModel:
    """The file at ``path`` parsed and checked; ``version`` keys the cache to its contents."""
    data, label = read_toml(path, _SOURCE, _NAME)
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
