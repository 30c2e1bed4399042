"""Capacity scenario over time: a monthly stock-flow of unmet programme need.

For each programme, people with unmet need are in custody at the start (the census base scaled
to the national stock), more arrive every month from the recall flow, programme places start
every month, a person can start only after the wait and only if they can finish before they
leave, and everyone leaves at release. "Met before SED" is counted per person: someone who
started a programme they could finish before release counts once, when they finish.

Inputs and what is assumed (each also printed as a note with the result):

* **Arrivals.** The published recall flow (``national.toml``: about 21,500 recalls in 2015)
  times the share of arrivals who are in the base with unmet need for the programme. The census
  is a stock, which over-represents long stays; in a steady state a person is in the stock in
  proportion to their stay, so arrivals are the census reweighted by ``1 / stay`` (Little's
  law), where stay = days on recall + days to SED (or the automatic release day from
  ``release_rules.toml``). Recall types without an SED (life, IPP) have no finite stay and no
  weight. Shares are taken among recalled people with OASys data and applied to the whole
  flow; people with missing days on recall are left out of the weights (both missing at
  random, *assumed*).
* **Release.** Released at SED, the census stock would need only about half the published
  flow: many are re-released earlier. By default (``release="calibrated"``) every stay is
  shortened by one factor ``theta`` chosen so that stock = flow x mean stay (Little's law)
  holds at the target stock; ``release="sed"`` keeps SED (more time for programmes, more
  people in custody than the stock). Either way release is never after SED.
* **Places, length, wait** come from the capacity file, which is ILLUSTRATIVE unless the user
  gives real figures.
* **Programmes are independent** (*assumed*): a person with two unmet needs queues for both.
* **First come, first served** among those who can still finish before release.

Vectorised over people: the only loop is over months (and programmes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from toolkit.args import check_choice, check_int, check_rng
from toolkit.datafiles import check_keys, read_toml
from toolkit.declared import read_table
from toolkit.exceptions import SpecError
from toolkit.profile.rules import ProgrammeRules, load_programme_rules
from toolkit.results import ResultMixin
from toolkit.tomlmodel import FileModel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DAYS_PER_MONTH = 365.25 / 12
#: Which national figures the scenario stands on (issue 21 item 5: it moves to the review
#: model's one national model when that lands; until then it says which it uses).
FOOTING = (
    "footing: the one national model (national.toml, read by toolkit.national): the stock on "
    "its date and the admissions the caller passes (the CLI, demo and write-up pass the review "
    "model's stock-anchored admissions, as simulate uses), with this scenario's own release "
    "calibration (theta) on the census stays"
)
RELEASE_MODES = ("calibrated", "sed")
#: Capacity summary columns shown on the terminal and in the write-up (all are in the JSON).
CAPACITY_SHOWN = (
    "programme",
    "national_unmet",
    "national_arrivals",
    "places_in_horizon",
    "national_met_before_sed",
    "national_released_unmet",
    "national_waiting_at_end",
)


def capacity_lines(summary: pd.DataFrame, notes: Sequence[str]) -> list[str]:
    """The capacity scenario as terminal text: a heading, the :data:`CAPACITY_SHOWN` columns
    and one line per note."""
    return [
        "Capacity scenario over time (ILLUSTRATIVE: places, length and wait are not "
        "published; see notes)",
        summary[list(CAPACITY_SHOWN)].round(1).to_string(index=False),
        *(f"  - {n}" for n in notes),
    ]


class CapacityEntry(FileModel):
    """One programme of a capacity scenario, declared once: its fields and their ranges
    (inclusive). Lengths and waits are capped at ten years (*assumed*: longer than any
    programme or wait could be, so a larger number is a typo such as days entered as hours); a
    programme takes at least one day. A bool, a word or NaN is not a number."""

    places_per_year: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    length_days: float = Field(ge=1, le=3_650, allow_inf_nan=False)
    wait_days: float = Field(ge=0, le=3_650, allow_inf_nan=False)


def _range(field) -> tuple[float, float]:
    lo = next(m.ge for m in field.metadata if getattr(m, "ge", None) is not None)
    hi = next(m.le for m in field.metadata if getattr(m, "le", None) is not None)
    return lo, hi


#: Capacity scenario fields and their allowed ranges (inclusive), read from
#: :class:`CapacityEntry` (kept as a table for callers that list them).
CAPACITY_FIELDS: dict[str, tuple[float, float]] = {
    name: _range(field) for name, field in CapacityEntry.model_fields.items()
}


def load_capacity(path: str | Path, rules: ProgrammeRules | None = None) -> pd.DataFrame:
    """Read a capacity scenario (TOML or CSV): places per year, length and wait per programme.

    TOML: ``[programmes.<name>] places_per_year = ..., length_days = ..., wait_days = ...``.
    CSV: columns ``programme, places_per_year, length_days, wait_days``. The structure is
    strict: unknown keys or columns (e.g. ``wait_day``), unknown, repeated or missing programmes
    and numbers outside :data:`CAPACITY_FIELDS` are errors.

    Raises
    ------
    SpecError
        Naming the file, programme and field, the value found and what is expected.
    """
    rules = load_programme_rules() if rules is None else rules
    path = Path(path)
    label = str(path)
    try:
        rows, where = _capacity_rows(path, label)
    except OSError as exc:
        raise SpecError(label, "(file)", f"cannot be read ({exc.strerror})") from None
    except (
        tomllib.TOMLDecodeError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
    ) as exc:
        raise SpecError(label, "(file)", f"cannot be parsed: {exc}") from None
    _check_capacity_rows(rows, where, label, [p.name for p in rules.programmes])
    return pd.DataFrame(rows)[["programme", *CAPACITY_FIELDS]]


def _capacity_rows(path: Path, label: str) -> tuple[list[dict], list[str]]:
    """The file's rows (one dict per programme) and where each is (``row 2``,
    ``programmes.<name>``), with unknown keys or columns refused."""
    fields = list(CAPACITY_FIELDS)
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path)
        check_keys(dict.fromkeys(df.columns), ["programme", *fields], label, "(columns)")
        rows = df.to_dict(orient="records")
        return rows, [f"row {i + 2}" for i in range(len(rows))]  # header = row 1
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    check_keys(data, ["programmes"], label, required=["programmes"])
    progs = data["programmes"]
    if not isinstance(progs, dict):
        raise SpecError(label, "programmes", "must be a table of programmes", progs)
    rows, where = [], []
    for k, v in progs.items():
        if not isinstance(v, dict):
            raise SpecError(label, f"programmes.{k}", "must be a table", v)
        check_keys(v, fields, label, f"programmes.{k}")
        rows.append({"programme": k, **v})
        where.append(f"programmes.{k}")
    return rows, where


def _check_capacity_rows(rows: list[dict], where: list[str], label: str, known: list[str]):
    """Every programme once, each a known one, its numbers as :class:`CapacityEntry` declares."""
    seen: list[str] = []
    for r, at in zip(rows, where):
        name = r.get("programme")
        if name not in known:
            raise SpecError(
                label,
                f"{at}.programme" if at.startswith("row") else at,
                f"is not a known programme (expected one of {', '.join(known)})",
                name,
            )
        if name in seen:
            raise SpecError(label, f"{at}.programme", "repeats a programme given above", name)
        # the numbers as declared (the rows themselves are kept as given: 600 stays an int)
        read_table(CapacityEntry, {k: v for k, v in r.items() if k != "programme"}, label,
                   f"programmes.{name}")  # fmt: skip
        seen.append(name)
    missing = [k for k in known if k not in seen]
    if missing:
        raise SpecError(
            label,
            "programmes",
            f"lacks programme(s) {', '.join(missing)}; give every programme (0 places is allowed)",
        )


@dataclass(frozen=True)
class CapacityResult(ResultMixin):
    """Result of :func:`capacity_over_time`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per programme (columns documented in :func:`capacity_over_time`).
    monthly : pandas.DataFrame
        One row per programme x month: ``month``, ``arrivals``, ``starts``, ``completed``,
        ``released_unmet`` (events in the month, days [start, end)), ``waiting`` and
        ``in_programme`` (at the month's end).
    notes : tuple of str
        What the scenario assumes, with the derived arrival shares and release factor.
    """

    summary: pd.DataFrame
    monthly: pd.DataFrame
    notes: tuple[str, ...]

    _plot = "plot_capacity_over_time"

    def to_frame(self) -> pd.DataFrame:
        """The summary, one row per programme (a copy)."""
        return self.summary.copy()

    def to_dict(self) -> dict:
        """JSON-ready dict: ``summary`` and ``monthly`` records and the ``notes``."""
        return {
            "summary": json.loads(self.summary.to_json(orient="records")),
            "monthly": json.loads(self.monthly.to_json(orient="records")),
            "notes": list(self.notes),
        }

    def render(self) -> str:
        """The summary's main columns and the notes, for the terminal."""
        return "\n".join(capacity_lines(self.summary, self.notes))


def stays(cohort: pd.DataFrame) -> np.ndarray:
    """Days in custody on this recall if released at SED (or the automatic release day).

    Automatic release days and the recall types with no SED come from ``release_rules.toml``
    (``automatic_release_day``, ``release_at_sed = false``). Missing where days on recall or
    to SED are missing; infinite where there is no SED.
    """
    dor = cohort["days_on_recall"].astype("float64").to_numpy()
    dts = cohort["days_to_sed"].astype("float64").to_numpy()
    stay = dor + dts
    rules, _ = read_toml(None, "recall_process_experience", "release_rules.toml")
    pop = cohort["population"].astype(str).to_numpy()
    for name, blk in rules.get("recall_types", {}).items():
        m = pop == name
        if not m.any():
            continue
        if "automatic_release_day" in blk:
            day = float(blk["automatic_release_day"])
            stay[m] = np.where(np.isnan(dts[m]), day, np.minimum(day, stay[m]))
        elif blk.get("release_at_sed") is False:
            stay[m] = np.where(np.isnan(dor[m]), np.nan, np.inf)
    return stay


def capacity_over_time(
    cohort: pd.DataFrame,
    base: np.ndarray,
    unmet: np.ndarray,
    names: list[str],
    capacity: pd.DataFrame,
    *,
    scale: float,
    stock: float,
    flow_per_year: float,
    flow_label: str = "published",
    months: int = 36,
    release: str = "calibrated",
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
) -> CapacityResult:
    """Run the monthly stock-flow scenario for every programme.

    Parameters
    ----------
    cohort : pandas.DataFrame
        The whole cohort (arrival shares use every recalled person with OASys data).
    base : numpy.ndarray of bool
        Who is in the needs-gap base (mask over ``cohort``).
    unmet : numpy.ndarray of bool, shape (base.sum(), programmes)
        Unmet need per base person and programme.
    names : list of str
        Programme names (columns of ``unmet``).
    capacity : pandas.DataFrame
        ``programme, places_per_year, length_days, wait_days``.
    scale : float
        National people per base person (the national population over the base size).
    stock : float
        National recalled stock at the target date (for the release calibration).
    flow_per_year : float
        Recalls per year (published).
    months : int
        Months to run.
    release : {"calibrated", "sed"}
    rng : numpy.random.Generator, numpy.random.SeedSequence or int, optional
        For the Poisson arrivals and which census people they resemble.

    Returns
    -------
    CapacityResult
        ``summary`` columns: ``programme``; cohort counts ``unmet``, ``reachable``,
        ``unreachable_before_sed`` (cannot finish wait plus programme before release);
        inputs ``places_per_year``, ``length_days``, ``wait_days``, ``horizon_years``;
        national persons ``national_unmet`` (at the start), ``national_reachable``,
        ``national_arrivals``, ``places_in_horizon``, ``national_met_before_sed`` (finished
        before release within the horizon), ``national_in_programme_at_end``,
        ``national_released_unmet``, ``national_waiting_at_end``, ``national_still_unmet``
        (released unmet plus waiting at the end); ``arrival_share`` and ``illustrative``.
    """
    months = _capacity_iv(months, release)
    rng = check_rng("rng", rng)
    base = np.asarray(base, dtype=bool)
    footing = _release_footing(cohort, base, stock, flow_per_year, release)
    cap = capacity.set_index("programme")
    rows, monthly = [], []
    for j, name in enumerate(names):
        c = cap.loc[name]
        places, length, wait = (
            float(c[k]) for k in ("places_per_year", "length_days", "wait_days")
        )
        queue = _Queue(name, places, length, wait, np.flatnonzero(unmet[:, j]))
        people = _people(queue, footing, scale, flow_per_year, months, rng)
        start = _serve(queue, people, months)
        rows.append(_summary_row(queue, footing, people, start, months))
        monthly.append(_monthly_counts(name, people, start, length, months))
    notes = _notes(footing, flow_per_year, flow_label, release, months)
    return CapacityResult(pd.DataFrame(rows), pd.concat(monthly, ignore_index=True), notes)


def _capacity_iv(months, release) -> int:
    """Check :func:`capacity_over_time`'s scenario arguments before any work; return the
    months as an int."""
    check_choice("release", release, RELEASE_MODES)
    return check_int("months", months, lo=1)


@dataclass(frozen=True)
class _Footing:
    """What every programme's queue shares: arrival weights, stays and the release factor."""

    w: np.ndarray  # 1 / stay over the whole cohort (0 where no finite stay)
    w_base: np.ndarray  # the same over the base
    stay_base: np.ndarray  # stay at SED over the base
    resid: np.ndarray  # days left to release (x theta) over the base
    elapsed: np.ndarray  # days served on this recall (x theta) over the base
    theta: float
    implied_per_year: float


def _release_footing(cohort, base, stock, flow_per_year, release) -> _Footing:
    """Arrival weights and the release factor ``theta`` (Little's law on the census)."""
    recalled = cohort["recall_type"].notna().to_numpy() & cohort["has_oasys"].to_numpy(bool)
    stay = stays(cohort)
    ok = recalled & np.isfinite(stay) & (stay > 0)
    w = np.where(ok, 1.0 / np.where(ok, stay, 1.0), 0.0)
    # Little's law on the census: arrivals per day = sum over the stock of 1 / stay.
    n_known = int((recalled & ~np.isnan(stay)).sum())
    implied_per_year = stock * w.sum() / max(n_known, 1) * 365.25
    theta = 1.0 if release == "sed" else min(1.0, implied_per_year / flow_per_year)
    dor = cohort["days_on_recall"].astype("float64").to_numpy()[base]
    dts = cohort["days_to_sed"].astype("float64").to_numpy()[base]
    return _Footing(
        w=w,
        w_base=w[base],
        stay_base=stay[base],
        resid=np.where(np.isnan(dts), np.inf, theta * dts),
        elapsed=theta * np.nan_to_num(dor, nan=0.0),
        theta=theta,
        implied_per_year=implied_per_year,
    )


@dataclass(frozen=True)
class _Queue:
    """One programme's queue: its places, length and wait, and who in the base needs it."""

    name: str
    places: float
    length: float
    wait: float
    who: np.ndarray  # base positions with unmet need for the programme


@dataclass(frozen=True)
class _People:
    """Everyone who queues in the scenario: those in custody at the start, then arrivals."""

    share: float  # share of all arrivals with unmet need for the programme
    n0: int  # in custody at the start (national scale)
    elig0: np.ndarray  # when those at the start may start (days)
    rel0: np.ndarray  # when those at the start are released (days)
    n_m: np.ndarray  # arrivals per month
    arrive1: np.ndarray  # arrival days of the arrivals
    arrive: np.ndarray  # arrival day of everyone (0 for those at the start)
    eligible: np.ndarray  # earliest start day of everyone
    rel: np.ndarray  # release day of everyone


def _people(q: _Queue, f: _Footing, scale, flow_per_year, months, rng) -> _People:
    """Those in custody at the start and the Poisson arrivals, drawn from ``rng`` in a fixed
    order (start draw, monthly counts, who arrives, when in the month)."""
    who = q.who
    share = float(f.w_base[who].sum() / f.w.sum()) if f.w.sum() > 0 else 0.0
    # People in custody at the start: the census base with unmet need, at national scale.
    n0 = int(round(len(who) * scale))
    # Each census person stands for `scale` people: whole copies, then a random draw
    # without replacement for the fraction (so an integer scale is exact).
    whole = int(np.floor(scale)) if len(who) else 0
    extra = max(0, n0 - whole * len(who))
    i0 = np.concatenate(
        [np.repeat(who, whole), rng.choice(who, size=extra, replace=False) if extra else []]
    ).astype(np.intp)
    elig0 = np.maximum(0.0, q.wait - f.elapsed[i0])
    rel0 = f.resid[i0]
    # Arrivals: Poisson per month, resembling census people in proportion to 1 / stay.
    n_m = rng.poisson(flow_per_year / 12 * share, size=months)
    wb = f.w_base[who]
    p = wb / wb.sum() if len(who) and wb.sum() > 0 else None
    ia = rng.choice(who, size=int(n_m.sum()), p=p) if p is not None else np.zeros(0, int)
    arrive1 = (np.repeat(np.arange(months), n_m) + rng.random(int(n_m.sum()))) * DAYS_PER_MONTH
    return _People(
        share=share,
        n0=n0,
        elig0=elig0,
        rel0=rel0,
        n_m=n_m,
        arrive1=arrive1,
        arrive=np.concatenate([np.zeros(n0), arrive1]),
        eligible=np.concatenate([elig0, arrive1 + q.wait]),
        rel=np.concatenate([rel0, arrive1 + f.theta * f.stay_base[ia]]),
    )


def _serve(q: _Queue, people: _People, months: int) -> np.ndarray:
    """Start day of each person (NaN: never started): each month's places go first come, first
    served to those eligible who can finish before release; unused whole places are lost."""
    eligible, rel = people.eligible, people.rel
    start = np.full(people.arrive.size, np.nan)
    credit = 0.0
    for m in range(months):
        t0, t1 = m * DAYS_PER_MONTH, (m + 1) * DAYS_PER_MONTH
        credit += q.places / 12
        avail = int(np.floor(credit + 1e-9))
        credit -= avail  # unused whole places are lost, not banked
        if avail == 0:
            continue
        s = np.maximum(t0, eligible)
        cand = np.flatnonzero(np.isnan(start) & (eligible < t1) & (s + q.length <= rel))
        if cand.size == 0:
            continue
        take = cand[np.argsort(eligible[cand], kind="stable")[:avail]]
        start[take] = s[take]
    return start


def _summary_row(q: _Queue, f: _Footing, people: _People, start, months) -> dict:
    """One programme's row of the summary (cohort counts, inputs, national persons)."""
    horizon = months * DAYS_PER_MONTH
    done = start + q.length
    started = ~np.isnan(start)
    met = started & (done < horizon)
    reach0 = (people.elig0 + q.length) <= people.rel0
    k = len(q.who)
    cohort_reach = int(
        ((np.maximum(0.0, q.wait - f.elapsed[q.who]) + q.length) <= f.resid[q.who]).sum()
    )
    released_unmet = ~started & (people.rel < horizon)
    waiting_end = ~started & (people.rel >= horizon)
    return {
        "programme": q.name,
        "unmet": k,
        "unreachable_before_sed": k - cohort_reach,
        "reachable": cohort_reach,
        "horizon_years": months / 12,
        "places_per_year": q.places,
        "wait_days": q.wait,
        "length_days": q.length,
        "arrival_share": people.share,
        "national_unmet": float(people.n0),
        "national_reachable": float(reach0.sum()),
        "national_arrivals": float(people.arrive1.size),
        "places_in_horizon": q.places * months / 12,
        "national_met_before_sed": float(met.sum()),
        "national_in_programme_at_end": float((started & (done >= horizon)).sum()),
        "national_released_unmet": float(released_unmet.sum()),
        "national_waiting_at_end": float(waiting_end.sum()),
        "national_still_unmet": float(released_unmet.sum() + waiting_end.sum()),
        "illustrative": True,
    }


def _monthly_counts(name, people: _People, start, length, months) -> pd.DataFrame:
    """Month-by-month counts, vectorised over people x months."""
    e = ((np.arange(months) + 1) * DAYS_PER_MONTH)[None, :]
    b = e - DAYS_PER_MONTH
    a_, s_, r_ = people.arrive[:, None], start[:, None], people.rel[:, None]
    d_ = s_ + length
    not_started_by = np.isnan(s_) | (s_ >= e)
    return pd.DataFrame(
        {
            "programme": name,
            "month": np.arange(1, months + 1),
            "arrivals": people.n_m,
            "starts": ((s_ >= b) & (s_ < e)).sum(axis=0),
            "completed": ((d_ >= b) & (d_ < e)).sum(axis=0),
            "released_unmet": (np.isnan(s_) & (r_ >= b) & (r_ < e)).sum(axis=0),
            "waiting": ((a_ < e) & (r_ >= e) & not_started_by).sum(axis=0),
            "in_programme": ((s_ < e) & (d_ >= e)).sum(axis=0),
        }
    )


def _notes(f: _Footing, flow_per_year, flow_label, release, months) -> tuple[str, ...]:
    """What the scenario assumes, with the derived release factor, as sentences."""
    implied = f.implied_per_year
    return (
        FOOTING,
        f"arrivals: {flow_per_year:,.0f} recalls a year ({flow_label}) x each programme's "
        "arrival_share (census reweighted by 1/stay, Little's law; assumed steady state)",
        f"release: {release}; stays x theta = {f.theta:.2f} (released at SED the census stock "
        f"implies {implied:,.0f} recalls a year against these {flow_per_year:,.0f})"
        if release == "calibrated"
        else f"release: at SED (theta = 1; the census implies {implied:,.0f} recalls "
        f"a year against these {flow_per_year:,.0f}, so this keeps more people longer)",
        "places, length and wait: ILLUSTRATIVE unless replaced with real figures; programmes "
        "are independent queues, first come first served among those who can finish in time",
        "met_before_sed counts each person once, when they finish before release within the "
        f"{months}-month horizon; one seeded draw of Poisson arrivals",
    )
