"""The national model of recalled prisoners as the toolkit reads it: :class:`NationalModel` and
its dated figures (plain frozen dataclasses, no validation and no pydantic).

:mod:`toolkit.national_tables` declares ``national.toml`` and builds these from a validated file;
:mod:`toolkit.national` loads them (from a stored copy when the file is the shipped one,
unchanged). Import them from :mod:`toolkit.national`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from toolkit.args import check_real
from toolkit.exceptions import UsageError

__all__ = [
    "ANCHORS",
    "DEFAULT_FILE",
    "GROWTH_RANGE",
    "TIME_WINDOW_DAYS",
    "DatedStock",
    "Flow",
    "Growth",
    "NationalModel",
    "Projection",
    "as_date",
    "check_growth",
    "date_label",
]

#: The shipped national model: ``papers/<source>/<name>``.
DEFAULT_FILE = ("recall_process_experience", "national.toml")
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

            return str(paper_file(*DEFAULT_FILE))
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
