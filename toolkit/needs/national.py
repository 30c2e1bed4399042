"""National stock and flow of recalled prisoners (``papers/<source>/national.toml``), as data.

Every figure used to scale a cohort to the nation lives once, in the data file, with its seed
document, line and quoted text; this module reads and checks it and answers two questions: what
was the stock on a date, and which published stocks fall near that date (the *time* component of
the national intervals).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from toolkit.datafiles import check_keys, read_toml
from toolkit.exceptions import SpecError, UsageError

#: A figure published for a date is read as describing the half-year either side of it
#: (*assumed*: 183 days spans 31 March to 30 September, the two 2016 snapshots in the seeds).
TIME_WINDOW_DAYS = 183


@dataclass(frozen=True)
class DatedStock:
    """People in custody on recall on one day, with provenance."""

    date: _dt.date
    count: int
    line: int
    quote: str


@dataclass(frozen=True)
class NationalFigures:
    """The national stocks, the annual recall flow and the standard-recall share of the stock."""

    path: str
    document: str
    census_date: _dt.date
    stocks: tuple[DatedStock, ...]
    flow_year: int
    flow: int
    standard_share: float
    standard_share_low: float
    standard_share_high: float

    def stock_at(self, date: _dt.date | str) -> DatedStock:
        """The published stock on exactly this date (no interpolation: only dated counts)."""
        d = _as_date(date)
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
        d = _as_date(date)
        return tuple(
            s for s in self.stocks if abs((s.date - d).days) <= days and s.date != self.census_date
        )


def _as_date(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"date must look like YYYY-MM-DD; got {value!r}") from None


def load_national(path: str | Path | None = None) -> NationalFigures:
    """Read and check ``national.toml`` (default: the shipped one).

    Raises
    ------
    SpecError
        Unknown or missing keys, non-positive counts, a share outside its range.

    Examples
    --------
    >>> nat = load_national()
    >>> nat.stock_at("2016-09-30").count
    6710
    """
    data, label = read_toml(path, "recall_process_experience", "national.toml")
    check_keys(
        data,
        ["meta", "stock", "flow", "standard_share", "growth"],
        label,
        required=["meta", "stock", "flow", "standard_share"],
    )
    meta = data["meta"]
    check_keys(
        meta,
        ["document", "population", "census_date", "census_line", "census_quote"],
        label,
        "meta",
        required=["document", "census_date"],
    )
    stocks = []
    for i, s in enumerate(data["stock"]):
        w = f"stock[{i}]"
        check_keys(
            s,
            ["date", "count", "line", "quote", "note"],
            label,
            w,
            required=["date", "count", "line", "quote"],
        )
        if not isinstance(s["date"], _dt.date):
            raise SpecError(label, f"{w}.date", "must be a TOML date (YYYY-MM-DD)", s["date"])
        _positive_int(label, f"{w}.count", s["count"])
        stocks.append(DatedStock(s["date"], int(s["count"]), int(s["line"]), str(s["quote"])))
    flow = data["flow"]
    check_keys(
        flow,
        ["year", "count", "line", "quote"],
        label,
        "flow",
        required=["year", "count", "line", "quote"],
    )
    _positive_int(label, "flow.count", flow["count"])
    sh = data["standard_share"]
    check_keys(
        sh,
        ["value", "low", "high", "line", "quote", "assumed"],
        label,
        "standard_share",
        required=["value", "low", "high", "line", "quote"],
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
    if "growth" in data:
        check_keys(data["growth"], ["from", "to", "percent", "line", "quote"], label, "growth")
    census = meta["census_date"]
    if not isinstance(census, _dt.date):
        raise SpecError(label, "meta.census_date", "must be a TOML date (YYYY-MM-DD)", census)
    return NationalFigures(
        path=label,
        document=str(meta["document"]),
        census_date=census,
        stocks=tuple(sorted(stocks, key=lambda s: s.date)),
        flow_year=int(flow["year"]),
        flow=int(flow["count"]),
        standard_share=float(sh["value"]),
        standard_share_low=float(sh["low"]),
        standard_share_high=float(sh["high"]),
    )


def _positive_int(label: str, key: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise SpecError(label, key, "must be a positive whole number of people", v)
