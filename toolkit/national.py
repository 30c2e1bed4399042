"""The national model of recalled prisoners (``papers/recall_process_experience/national.toml``).

One data file and this one loader hold every national figure the toolkit uses: stocks with their
dates, flows with their periods, the published growth, the standard-recall share, what national
figures are anchored on, and the projection's assumptions. ``simulate``
(:mod:`toolkit.review.national`), ``gaps --stock/--capacity`` (:mod:`toolkit.needs`), the
sweep's projection (:mod:`toolkit.sweep.projection`) and the notebooks read it through
:func:`load_national`; dates and labels in their output come from the data.

This module is a leaf (it imports only the TOML reader and the exceptions), so every stage can
use it.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from toolkit.datafiles import check_keys, read_toml
from toolkit.exceptions import SpecError, UsageError

__all__ = [
    "ANCHORS",
    "TIME_WINDOW_DAYS",
    "DatedStock",
    "Flow",
    "Growth",
    "NationalModel",
    "Projection",
    "date_label",
    "load_national",
]

_SOURCE, _NAME = "recall_process_experience", "national.toml"
#: What national figures are scaled to (``[anchor] kind``).
ANCHORS = ("flow", "stock")
#: A figure published for a date is read as describing the half-year either side of it
#: (*assumed*: 183 days spans 31 March to 30 September, the two 2016 snapshots in the seeds).
TIME_WINDOW_DAYS = 183


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


def _date(label, where, v) -> _dt.date:
    if isinstance(v, _dt.datetime) or not isinstance(v, _dt.date):
        raise SpecError(label, where, "must be a TOML date (YYYY-MM-DD)", v)
    return v


def _positive_int(label: str, key: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise SpecError(label, key, "must be a positive whole number of people", v)
    return v


def _number(label, key, v, lo, hi) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise SpecError(label, key, f"must be a number between {lo} and {hi}", v)
    return float(v)


def _tables(data, key, label) -> list:
    v = data[key]
    if not isinstance(v, list) or not v or not all(isinstance(t, dict) for t in v):
        raise SpecError(label, key, f"must be one or more [[{key}]] tables", v)
    return v


def load_national(path: str | Path | None = None) -> NationalModel:
    """Read and check ``national.toml`` (default: the shipped one; cached).

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
    return _load(None if path is None else str(Path(path).resolve()))


@lru_cache(maxsize=8)
def _load(path: str | None) -> NationalModel:
    data, label = read_toml(path, _SOURCE, _NAME)
    check_keys(
        data,
        ["meta", "stock", "flow", "growth", "standard_share", "anchor", "projection"],
        label,
        required=["meta", "stock", "flow", "standard_share", "anchor", "projection"],
    )
    meta = data["meta"]
    check_keys(
        meta,
        ["document", "title", "population", "census_date", "census_line", "census_quote"],
        label,
        "meta",
        required=["document", "census_date"],
    )
    census = _date(label, "meta.census_date", meta["census_date"])
    prov = ["line", "quote"]
    stocks = []
    for i, s in enumerate(_tables(data, "stock", label)):
        w = f"stock[{i}]"
        check_keys(s, ["date", "count", *prov, "note"], label, w, required=["date", "count", *prov])
        stocks.append(
            DatedStock(
                _date(label, f"{w}.date", s["date"]),
                _positive_int(label, f"{w}.count", s["count"]),
                int(s["line"]),
                str(s["quote"]),
                str(s.get("note", "")),
            )
        )
    flows = []
    for i, f in enumerate(_tables(data, "flow", label)):
        w = f"flow[{i}]"
        keys = ["start", "end", "count", *prov]
        check_keys(f, keys, label, w, required=keys)
        start, end = _date(label, f"{w}.start", f["start"]), _date(label, f"{w}.end", f["end"])
        if end <= start:
            raise SpecError(label, f"{w}.end", "must be after start", f["end"])
        flows.append(
            Flow(
                start,
                end,
                _positive_int(label, f"{w}.count", f["count"]),
                int(f["line"]),
                str(f["quote"]),
            )
        )
    growths = []
    for i, g in enumerate(data.get("growth", [])):
        w = f"growth[{i}]"
        keys = ["from", "to", "percent", *prov]
        check_keys(g, keys, label, w, required=keys)
        a, b = _date(label, f"{w}.from", g["from"]), _date(label, f"{w}.to", g["to"])
        if b <= a:
            raise SpecError(label, f"{w}.to", "must be after from", g["to"])
        pct = _number(label, f"{w}.percent", g["percent"], -99, 1000)
        growths.append(Growth(a, b, pct, int(g["line"]), str(g["quote"])))
    sh = data["standard_share"]
    check_keys(
        sh,
        ["value", "low", "high", *prov, "assumed"],
        label,
        "standard_share",
        required=["value", "low", "high", *prov],
    )
    for k in ("value", "low", "high"):
        v = sh[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise SpecError(label, f"standard_share.{k}", "must be a share in (0, 1]", v)
    if not sh["low"] <= sh["value"] <= sh["high"]:
        raise SpecError(
            label,
            "standard_share",
            "needs low <= value <= high",
            [sh["low"], sh["value"], sh["high"]],
        )
    an = data["anchor"]
    check_keys(an, ["kind", "date", "assumed"], label, "anchor", required=["kind", "date"])
    if an["kind"] not in ANCHORS:
        raise SpecError(label, "anchor.kind", f"must be one of {', '.join(ANCHORS)}", an["kind"])
    anchor_date = _date(label, "anchor.date", an["date"])
    if anchor_date not in {s.date for s in stocks}:
        raise SpecError(
            label,
            "anchor.date",
            "must be the date of a [[stock]] (" + ", ".join(str(s.date) for s in stocks) + ")",
            anchor_date,
        )
    projection = _projection(label, data["projection"])
    return NationalModel(
        path=label,
        document=str(meta["document"]),
        census_date=census,
        stocks=tuple(sorted(stocks, key=lambda s: s.date)),
        flows=tuple(flows),
        growths=tuple(growths),
        standard_share=float(sh["value"]),
        standard_share_low=float(sh["low"]),
        standard_share_high=float(sh["high"]),
        standard_share_line=int(sh["line"]),
        standard_share_quote=str(sh["quote"]),
        anchor=str(an["kind"]),
        anchor_date=anchor_date,
        anchor_reason=str(an.get("assumed", "")),
        projection=projection,
    )


def _projection(label: str, p: dict) -> Projection:
    from toolkit.categories import RECALL_TYPES

    keys = (
        "growth_until",
        "growth_after_pct_per_year",
        "growth_after_range",
        "populations",
        "status_quo_strategy",
        "switch",
        "years",
        "assumed",
    )
    check_keys(p, keys, label, "projection", required=keys[:-1])
    pops = p["populations"]
    if not isinstance(pops, list) or not pops or any(x not in RECALL_TYPES for x in pops):
        raise SpecError(
            label,
            "projection.populations",
            f"must list recall types ({', '.join(RECALL_TYPES)})",
            pops,
        )
    years = p["years"]
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 30:
        raise SpecError(
            label, "projection.years", "must be a whole number of years, 1 to 30", years
        )
    after = _number(
        label, "projection.growth_after_pct_per_year", p["growth_after_pct_per_year"], -99, 1000
    )
    rng_ = p["growth_after_range"]
    if (
        not isinstance(rng_, list)
        or len(rng_) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in rng_)
        or not rng_[0] <= after <= rng_[1]
    ):
        raise SpecError(
            label,
            "projection.growth_after_range",
            "must be [low, high] around growth_after_pct_per_year",
            rng_,
        )
    switch = str(p["switch"])
    try:
        _dt.date.fromisoformat(switch + "-01" if len(switch) == 7 else switch)
    except ValueError:
        raise SpecError(
            label, "projection.switch", "must be a month like 2016-04", switch
        ) from None
    return Projection(
        growth_until=_date(label, "projection.growth_until", p["growth_until"]),
        growth_after_pct_per_year=after,
        growth_after_range=(float(rng_[0]), float(rng_[1])),
        populations=tuple(pops),
        status_quo_strategy=str(p["status_quo_strategy"]),
        switch=switch[:7],
        years=years,
        reason=str(p.get("assumed", "")),
    )
