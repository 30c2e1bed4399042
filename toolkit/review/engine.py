"""The review engine: episodes in, one outcome record per person x strategy x replication.

``simulate_reviews`` draws admissions from a census (:mod:`toolkit.review.episodes`), asks each
strategy for its outcomes (:mod:`toolkit.review.strategies`, :mod:`toolkit.review.mechanism`) on
the same episodes (common random numbers), counts outcomes over one follow-up window from
recall, and scales to national figures with the flow share implied by the seeds' stock and the
model's stays (:mod:`toolkit.review.national`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.exceptions import UsageError
from toolkit.mathfn import t_quantile  # noqa: F401 - re-exported (it lived here before)
from toolkit.results import ResultMixin
from toolkit.review.episodes import (
    DEFAULT_PARAMS,
    REQUIRED,
    Draws,
    Episodes,
    build_episodes,
    episodes_from,
    params_from,
    prepare_census,
    stay_weights,
)
from toolkit.review.mechanism import ROUTES, hash_uniform, release_outcomes
from toolkit.review.policy import ROSH_LEVELS, ReleaseRules, load_release_rules
from toolkit.review.strategies import Strategy, check_distinct

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made: `simulate` needs none
    import pandas as pd

__all__ = [
    "DEFAULT_PARAMS",
    "RECORD_COLUMNS",
    "REQUIRED",
    "ROUTES",
    "Episodes",
    "RecordStream",
    "SimulationResult",
    "build_episodes",
    "hash_uniform",
    "release_outcomes",
    "simulate_reviews",
]

#: The columns of ``SimulationResult.records`` (one row per person x strategy x replication).
#: Days are days since recall; ``inf`` = never / none.
RECORD_COLUMNS = {
    "replication": "replication number",
    "strategy": "strategy, as named",
    "episode": "episode index within the replication (same person across strategies)",
    "person_id": "census person drawn for this admission",
    "recall_type": "recall type",
    "sex": "sex",
    "ethnicity": "ethnicity",
    "age": "age at the census",
    "ogrs3_2yr": "OGRS3 2-year, percent",
    "rsr_2yr": "RSR 2-year, percent",
    "rosh": "RoSH level",
    "accommodation_need": "accommodation need at recall",
    "accommodation_day": "day accommodation was secured (inf: not needed or never)",
    "unmet_programme_need": "unmet accredited-programme need at recall",
    "programme_day": "day that programme was completed (inf: none)",
    "om_contact_day": "day of first offender-manager contact since recall",
    "wants_release": "wants re-release (false: declines)",
    "releasable_day": "day the person became releasable (inf: never before SED, or declines)",
    "charge_day": "day a pending further charge stops holding executive release (0: none)",
    "executive_open_day": "first day an executive review can release (releasable, OM contact, "
    "no pending charge; inf: no executive route)",
    "recall_day": "day of the year the person was recalled (capacity caseload timing)",
    "first_board_day": "day of the Parole Board's first determination (inf: automatic types)",
    "sed_day": "days from recall to SED (inf: none)",
    "notice_day": "day an executive review recognised the person as releasable (inf: none)",
    "release_day": "day of release (SED or horizon if not before)",
    "route": "automatic, executive, parole_board, sed, horizon",
    "custody_days": "days in custody from recall (= release_day)",
    "supervised_days": "licence days from release to SED",
    "bed_days_saved": "days before SED (or horizon) released",
    "reviews": "executive reviews held",
    "review_hours": "staff hours for those reviews",
    "follow_up_custody_days": "custody days within the follow-up window (re-recall stays included)",
    "follow_up_supervised_days": "licence days within the follow-up window",
    "community_days": "days out of custody within the follow-up window",
    "re_recalled": "re-recalled within the window (licence days only)",
    "re_recall_day": "day of the re-recall (inf: none within the window)",
    "return_custody_days": "custody days of the re-recall's stay within the window",
    "reoffended": "proven reoffence within the window (any community day)",
    "sfo": "RSR-predicted serious reoffending within the window (alias: rsr_serious_reoffending)",
    "sfo_on_licence": "RSR-predicted serious reoffending while on licence (alias: "
    "rsr_serious_reoffending_on_licence)",
    "rsr_serious_reoffending": "RSR-predicted serious reoffending within the window (on licence "
    "or after SED); not observed serious further offences",
    "rsr_serious_reoffending_on_licence": "the part of it while on licence",
    "releasable_earlier": "releasable at least 28 days before SED",
    "cost": "within the window: custody days (re-recall stays included) at the average cost "
    "per day + licence days at the supervision cost + review staff cost, GBP",
    "cost_marginal": "as cost, custody days at the marginal cost per bed-day, GBP",
}


@dataclass(frozen=True)
class SimulationResult(ResultMixin):
    """Records (one row per person x strategy x replication) and their summaries.

    The result protocol (:mod:`toolkit.results`): :meth:`to_frame` is the summary per strategy,
    :meth:`to_dict` the JSON summary keyed by strategy, :meth:`render` the headline table and
    :meth:`plot` the release curves (:func:`toolkit.report.plots.plot_release_curves`; the route
    mix and the frontier are ``plot_route_mix`` and ``plot_frontier`` there).
    """

    _plot: ClassVar[str] = "plot_release_curves"

    records: pd.DataFrame
    strategies: tuple[str, ...]
    n_replications: int
    annual_recalls: float
    flow_share: float
    national: dict = field(default_factory=dict)

    def summary(self, by: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Per strategy (x ``by``): mean over replications with a t interval across them."""
        import pandas as pd

        rec = self.records
        keys = ["strategy", "replication"] + ([by] if by else [])
        route = rec["route"].cat.codes.to_numpy()
        cols = {
            "_sed": route == 3,
            "_exec": route == 1,
            "_board": route == 2,
            "_auto": route == 0,
        }
        # a narrow frame: grouping the full records would copy every column
        small = pd.DataFrame({k: rec[k] for k in keys + list(_MEAN_COLUMNS)} | cols, copy=False)
        m = small.groupby(keys, observed=True, sort=False).mean().reset_index()
        rows = summary_rows(
            m.to_dict("records"),
            self.strategies,
            self.annual_recalls * self.flow_share,
            by=by,
            confidence=confidence,
        )
        return pd.DataFrame(rows)

    HEADLINE = (
        "strategy",
        "released_at_sed_pct",
        "executive_pct",
        "parole_board_pct",
        "mean_custody_days",
        "mean_supervised_days",
        "reviews_per_person",
        "bed_days_saved_per_person",
        "reoffending_pct",
        "sfo_per_1000",
        "cost_per_person",
    )

    def render(self, summary: pd.DataFrame | None = None) -> str:
        """The headline summary as a readable table (``summary``: a precomputed one)."""
        return render_summary(self.summary() if summary is None else summary)

    def summary_json(self, summary: pd.DataFrame | None = None) -> dict:
        """Summary keyed by each strategy exactly as named on the command line."""
        return summary_json(self.summary() if summary is None else summary, self.strategies)

    def to_frame(self) -> pd.DataFrame:
        """The summary per strategy (:meth:`summary`; the records are :attr:`records`)."""
        return self.summary()

    def to_dict(self) -> dict:
        """The summary keyed by strategy, as ``simulate --summary`` writes it."""
        return self.summary_json()


#: Record columns averaged per strategy x replication for the summary.
_MEAN_COLUMNS = (
    "custody_days",
    "supervised_days",
    "reviews",
    "bed_days_saved",
    "re_recalled",
    "reoffended",
    "sfo",
    "sfo_on_licence",
    "follow_up_custody_days",
    "follow_up_supervised_days",
    "cost",
    "cost_marginal",
    "review_hours",
    "return_custody_days",
)


def replication_means(cols: dict[str, np.ndarray]) -> dict[str, float]:
    """The means :func:`summary_rows` needs from one strategy x replication's records (arrays as
    :class:`RecordStream` yields them), so a summary needs no copy of all records."""
    n = cols["route"].size
    share = np.bincount(cols["route"], minlength=len(ROUTES)) / n
    out = {c: float(np.mean(cols[c], dtype=np.float64)) for c in _MEAN_COLUMNS}
    out.update(_sed=share[3], _exec=share[1], _board=share[2], _auto=share[0])
    return out


#: Summary columns (per person, per 1,000 or percent) from the means of one strategy x
#: replication: (name, mean it comes from, scale).
_SUMMARY = (
    ("released_at_sed_pct", "_sed", 100),
    ("executive_pct", "_exec", 100),
    ("parole_board_pct", "_board", 100),
    ("automatic_pct", "_auto", 100),
    ("mean_custody_days", "custody_days", None),
    ("mean_supervised_days", "supervised_days", None),
    ("reviews_per_person", "reviews", None),
    ("bed_days_saved_per_person", "bed_days_saved", None),
    ("re_recall_pct", "re_recalled", 100),
    ("reoffending_pct", "reoffended", 100),
    ("sfo_per_1000", "sfo", 1000),
    ("sfo_on_licence_per_1000", "sfo_on_licence", 1000),
    ("rsr_serious_reoffending_per_1000", "sfo", 1000),
    ("rsr_serious_reoffending_on_licence_per_1000", "sfo_on_licence", 1000),
    ("follow_up_custody_days", "follow_up_custody_days", None),
    ("follow_up_supervised_days", "follow_up_supervised_days", None),
    ("cost_per_person", "cost", None),
    ("cost_marginal_per_person", "cost_marginal", None),
    ("return_custody_days_per_person", "return_custody_days", None),
    ("review_hours_per_person", "review_hours", None),
)


def summary_rows(
    means: Sequence[dict],
    strategies: Sequence[str],
    national_admissions: float,
    *,
    by: str | None = None,
    confidence: float = 0.95,
) -> list[dict]:
    """Per strategy (x ``by``): mean over replications with a t interval across them, as rows
    (dicts) in the order of ``strategies``.

    ``means`` has one dict per strategy x replication (x ``by``): the keys and the means of
    :data:`_MEAN_COLUMNS` and of the route indicators ``_sed``, ``_exec``, ``_board``, ``_auto``
    (:func:`replication_means`). Means and standard deviations are computed as pandas computes
    them (sum / k; squared deviations from that mean, summed, / (k - 1)).
    """
    groups: dict[tuple, list[dict]] = {}
    for m in means:
        groups.setdefault((m["strategy"],) + ((m[by],) if by else ()), []).append(m)
    out = []
    for key, ms in groups.items():
        row = dict(zip(["strategy"] + ([by] if by else []), key))
        k = len(ms)
        tq = t_quantile(0.5 + confidence / 2, k - 1) if k > 1 else 0.0
        for col, src, scale in _SUMMARY:
            x = np.array([m[src] for m in ms], dtype=np.float64)
            if scale is not None:
                x = scale * x
            mu = x.sum() / k
            sd = np.sqrt(((mu - x) ** 2).sum() / (k - 1)) if k > 1 else 0.0
            row[col] = float(mu)
            row[f"{col}_lo"] = float(mu - tq * sd / np.sqrt(k))
            row[f"{col}_hi"] = float(mu + tq * sd / np.sqrt(k))
        flow = national_admissions
        row["national_admissions_per_year"] = flow
        row["bed_days_saved_national_per_year"] = row["bed_days_saved_per_person"] * flow
        out.append(row)
    order = {s: i for i, s in enumerate(strategies)}
    return sorted(out, key=lambda r: order.get(r["strategy"], len(order)))


def render_summary(summary) -> str:
    """The headline columns of a summary (a DataFrame or :func:`summary_rows`' rows) as a plain
    table the toolkit owns: one header line, the strategy left-aligned, every number with two
    decimals right-aligned, columns two spaces apart."""
    rows = summary if isinstance(summary, list) else summary.to_dict("records")
    cols = list(SimulationResult.HEADLINE)
    body = [[str(r[cols[0]])] + [f"{float(r[c]):.2f}" for c in cols[1:]] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(cols)]

    def line(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))]).rstrip()

    return "\n".join([line(cols), *(line(b) for b in body)])


def json_number(value) -> float | None:
    """A summary value as the JSON summary writes it: a float rounded to 10 decimals (the
    toolkit's own format; Python's correctly rounded ``round``), None (null) for NaN and
    infinities, which JSON has no numbers for."""
    v = float(value)
    return round(v, 10) if math.isfinite(v) else None


def summary_json(summary, strategies: Sequence[str]) -> dict:
    """Summary (a DataFrame or :func:`summary_rows`' rows) keyed by each strategy exactly as
    named on the command line, every value a number (:func:`json_number`)."""
    rows = summary if isinstance(summary, list) else summary.to_dict("records")
    by_name = {r["strategy"]: r for r in rows}
    return {
        name: {k: json_number(v) for k, v in by_name[name].items() if k != "strategy"}
        for name in strategies
    }


_CATEGORIES = {
    "recall_type": RECALL_TYPES,
    "rosh": ROSH_LEVELS,
    "route": ROUTES,
}


def _episode_columns(r: int, ep: Episodes, census, rules: ReleaseRules) -> dict[str, np.ndarray]:
    """The record columns that do not depend on the strategy (the person and the episode's
    draws): computed once per replication and shared by every strategy's records."""
    n = ep.n
    rows = ep.cohort_row
    f32 = np.float32
    return {
        "replication": np.full(n, r, dtype=np.int32),
        "episode": np.arange(n, dtype=np.int32),
        "person_id": census.person_id[rows],
        "recall_type": ep.recall_type.astype(np.int8),
        "sex": census.sex.codes[rows],
        "ethnicity": census.ethnicity.codes[rows],
        "age": census.age[rows].astype(f32),
        "ogrs3_2yr": (census.ogrs[rows] * 100).astype(f32),
        "rsr_2yr": (census.rsr[rows] * 100).astype(f32),
        "rosh": census.rosh[rows].astype(np.int8),
        "accommodation_need": census.accommodation_need[rows],
        "accommodation_day": ep.accommodation_day.astype(f32),
        "unmet_programme_need": census.unmet_programme[rows],
        "programme_day": ep.programme_day.astype(f32),
        "om_contact_day": ep.om_contact_day.astype(f32),
        "wants_release": ~ep.declines,
        "releasable_day": ep.releasable_day.astype(f32),
        "charge_day": ep.charge_day.astype(f32),
        "executive_open_day": ep.exec_open_day.astype(f32),
        "recall_day": ep.admit_day.astype(f32),
        "first_board_day": ep.first_board_day.astype(f32),
        "sed_day": ep.sed,
        "releasable_earlier": ep.releasable_day <= ep.sed - rules.releasable_margin_days,
    }


def _records(
    r, name, names, ep, out, census, rules, shared=None, back=None
) -> dict[str, np.ndarray]:
    """One strategy's records as arrays (categoricals as codes; joined once at the end).
    ``shared``: :func:`_episode_columns` of ``ep`` (computed here if not given). ``back``:
    ``(draws, strategy, params)``, a second draw's random numbers for the same people
    (:class:`~toolkit.review.episodes.Draws`), the strategy and the person-model parameters,
    for the stay of a re-recall (None: re-recalls are counted but not returned to custody)."""
    e = _episode_columns(r, ep, census, rules) if shared is None else shared
    n = ep.n
    costs = rules.costs
    w = rules.follow_up_days
    limit = np.minimum(ep.sed, rules.horizon_days)
    release = out["release_day"]
    sup = np.maximum(limit - release, 0.0)
    # one window from recall for every strategy: licence days, then unsupervised days after SED
    lic_end = np.minimum(limit, w)
    with np.errstate(divide="ignore"):
        wait = -np.log1p(-ep.u_rerecall) / ep.h_rerecall  # licence days to a re-recall
    rr_day = release + wait
    rerecall = rr_day < lic_end
    ret_custody = np.zeros(n)
    ret_release = np.full(n, np.inf)
    ret_reviews = np.zeros(n, dtype=np.int64)
    idx = np.flatnonzero(rerecall)
    if back is not None and idx.size:
        # the re-recall is a new recall of the same person with the sentence left: its stay
        # comes from the same rules and strategy (a second draw; one return followed)
        draws, strat, params = back
        # the re-recall's episode from the second draw, with the sentence left (at least a day)
        # as its SED; only the re-recalled people's episodes are built
        left = ep.sed[idx] - rr_day[idx]
        left = np.where(np.isfinite(ep.sed[idx]), np.maximum(left, 1.0), np.inf)
        sub = episodes_from(census, ep.cohort_row[idx], rules, params, draws.take(idx), sed=left)
        o2 = strat.outcomes(sub, rules, census)
        ret_release[idx] = rr_day[idx] + o2["release_day"]
        ret_custody[idx] = np.minimum(o2["release_day"], w - rr_day[idx])
        ret_reviews[idx] = o2["reviews"]
    fu_custody = np.minimum(release, w) + ret_custody
    # licence days in the window: release to re-recall (or licence end), then after the return
    fu_sup = np.maximum(np.minimum(np.where(rerecall, rr_day, lic_end), lic_end) - release, 0.0)
    fu_sup = fu_sup + np.maximum(lic_end - ret_release, 0.0)
    community = np.maximum(w - fu_custody, 0.0)
    reoff = ep.u_reoffend < -np.expm1(-ep.h_reoffend * community)
    sfo = ep.u_sfo < -np.expm1(-ep.h_sfo * community)
    sfo_lic = ep.u_sfo < -np.expm1(-ep.h_sfo * fu_sup)
    reviews = out["reviews"] + ret_reviews
    hours = reviews * costs["review_hours"]
    f32 = np.float32
    staff = hours * costs["staff_cost_per_hour"]
    supervision = fu_sup * costs["supervision_per_day"]
    return {
        "replication": e["replication"],
        "strategy": np.full(n, names.index(name), dtype=np.int8 if len(names) < 128 else np.int16),
        **{k: e[k] for k in _EPISODE_ORDER},
        "notice_day": out["notice_day"].astype(f32),
        "release_day": release,
        "route": out["route"].astype(np.int8),
        "custody_days": release,
        "supervised_days": sup,
        "bed_days_saved": limit - release,
        "reviews": reviews,
        "review_hours": hours,
        "follow_up_custody_days": fu_custody.astype(f32),
        "follow_up_supervised_days": fu_sup.astype(f32),
        "community_days": community.astype(f32),
        "re_recalled": rerecall,
        "re_recall_day": np.where(rerecall, rr_day, np.inf).astype(f32),
        "return_custody_days": ret_custody.astype(f32),
        "reoffended": reoff,
        "sfo": sfo,
        "sfo_on_licence": sfo_lic,
        "rsr_serious_reoffending": sfo,
        "rsr_serious_reoffending_on_licence": sfo_lic,
        "releasable_earlier": e["releasable_earlier"],
        "cost": fu_custody * costs["custody_per_day"] + supervision + staff,
        "cost_marginal": fu_custody * costs["marginal_custody_per_day"] + supervision + staff,
    }


#: Episode columns between ``strategy`` and ``notice_day`` in RECORD_COLUMNS order.
_EPISODE_ORDER = tuple(
    list(RECORD_COLUMNS)[
        list(RECORD_COLUMNS).index("episode") : list(RECORD_COLUMNS).index("notice_day")
    ]
)


def join_records(parts: list[dict], categories: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Concatenate per-strategy record arrays column by column into one DataFrame."""
    import pandas as pd

    data = {}
    for col in parts[0]:
        v = np.concatenate([p[col] for p in parts])
        cats = categories.get(col)
        data[col] = pd.Categorical.from_codes(v, categories=list(cats)) if cats else v
    return pd.DataFrame(data, copy=False)


def positive_count(name: str, value) -> int:
    """``value`` if it is a positive whole number (a Python or numpy integer, not a bool).

    Raises
    ------
    UsageError
        Naming the argument and the value given.
    """
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value <= 0
    ):
        raise UsageError(f"{name} must be a positive whole number; got {value!r}")
    return int(value)


class RecordStream:
    """The simulation, one strategy x replication at a time: iterating yields
    ``(replication, strategy, records)`` with the records as arrays (the columns of
    :data:`RECORD_COLUMNS`, categoricals as codes into :attr:`categories`).

    :func:`simulate_reviews` joins them into one DataFrame; the command line writes them to
    Parquet as they come, so all records never need to be in memory at once. Parameters as
    :func:`simulate_reviews`, plus ``weights``: the flow weights of the census rows of
    ``populations`` if already computed (:func:`~toolkit.review.episodes.stay_weights` with the
    same census, rules and params; None: computed here). Iterate once.
    """

    def __init__(
        self,
        cohort,
        strategies: Sequence[Strategy] | dict,
        rules: ReleaseRules | None = None,
        *,
        n: int = 10_000,
        n_replications: int = 10,
        populations: Sequence[str] = ("standard",),
        params: dict | None = None,
        rng: np.random.Generator | int | None = None,
        progress=None,
        weights: np.ndarray | None = None,
    ):
        rules = load_release_rules() if rules is None else rules
        named = (
            dict(strategies) if isinstance(strategies, dict) else {repr(s): s for s in strategies}
        )
        if not named:
            raise UsageError("give at least one strategy")
        check_distinct(named)
        positive_count("n", n)
        positive_count("n_replications", n_replications)
        self.rules, self.named, self.n, self.n_replications = rules, named, n, n_replications
        self.populations, self.progress = populations, progress
        self.census = census = prepare_census(cohort)
        self.params = p = params_from(rules, params)
        codes = [RECALL_TYPES.index(t) for t in populations if t in RECALL_TYPES]
        rows = np.flatnonzero(np.isin(census.recall_type, codes))
        if weights is not None and np.shape(weights) != rows.shape:
            raise UsageError(
                f"weights: expected one per census row of {list(populations)} ({rows.size}), "
                f"got shape {np.shape(weights)}"
            )
        # weights given: stay_weights(census, rows, rules, params) computed by the caller (a
        # sweep computes them once for every scenario that shares what they depend on)
        if not rows.size:
            self.weights = None
        else:
            self.weights = stay_weights(census, rows, rules, p) if weights is None else weights
        self.streams = np.random.default_rng(rng).spawn(n_replications)
        self.names = list(named)
        #: Categories of the categorical columns (records hold codes into them).
        self.categories = dict(_CATEGORIES) | {
            "strategy": tuple(self.names),
            "sex": tuple(census.sex.categories),
            "ethnicity": tuple(census.ethnicity.categories),
        }

    def __iter__(self):
        rules, census = self.rules, self.census
        for r, g in enumerate(self.streams):
            ep = build_episodes(
                census,
                rules,
                self.n,
                populations=self.populations,
                params=self.params,
                weights=self.weights,
                rng=g,
            )
            shared = _episode_columns(r, ep, census, rules)
            # a second draw for the same people: the stay of a re-recall (common to strategies)
            draws = Draws.draw(g, ep.n)
            for name, strat in self.named.items():
                out = strat.outcomes(ep, rules, census)
                back = (draws, strat, self.params)
                cols = _records(r, name, self.names, ep, out, census, rules, shared, back=back)
                yield r, name, cols
            if self.progress:
                self.progress(r + 1, self.n_replications)

    def national(
        self,
        *,
        annual_recalls: float | None = None,
        growth: float | None = None,
        national_census=None,
        cohort=None,
    ) -> dict:
        """National flow and Little's-law figures (:func:`toolkit.review.national.national_flow`)
        for the simulated populations; ``national_census`` None: the default census."""
        from toolkit.review.national import national_flow

        return national_flow(
            self.rules,
            self.params,
            self.populations,
            growth=growth,
            annual_recalls=annual_recalls,
            census=self.census
            if national_census is not None and national_census is cohort
            else national_census,
        )


def simulate_reviews(
    cohort: pd.DataFrame,
    strategies: Sequence[Strategy] | dict,
    rules: ReleaseRules | None = None,
    *,
    n: int = 10_000,
    n_replications: int = 10,
    populations: Sequence[str] = ("standard",),
    params: dict | None = None,
    annual_recalls: float | None = None,
    growth: float | None = None,
    national_census: pd.DataFrame | None = None,
    rng: np.random.Generator | int | None = None,
    progress=None,
) -> SimulationResult:
    """Simulate review strategies on admissions drawn from a census cohort.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A census cohort (``generate_cohort``).
    strategies : sequence of Strategy, or dict name -> Strategy
        Compared on the same episodes in each replication (common random numbers). Two equal
        strategies are refused.
    rules : ReleaseRules, optional
    n : int
        Episodes per replication.
    n_replications : int
        Replications; each uses its own spawned generator stream.
    populations : sequence of str
        Recall types to admit (default: standard recalls, the calibrated population).
    params : dict, optional
        Person-model parameters (default: the calibrated values in the rules file).
    annual_recalls : float, optional
        All recalls a year (default: the rules' ``national.annual_recalls``, 21,500 in 2015);
        the simulated populations' share of it comes from the national stock mix and the
        model's stays (Little's law), whatever cohort is passed.
    growth : float, optional
        Yearly growth of the recall flow (e.g. 0.15); national admissions are then the current
        rate, not the 2015 average.
    national_census : pandas.DataFrame, optional
        A census of all recall types giving the national stock mix (default: the shipped
        profile's, seed :data:`toolkit.defaults.DEFAULT_SEED`).
    rng : numpy.random.Generator or int, optional
    progress : callable, optional
        Called with (done, total) after each replication.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from toolkit.cohort.generate import generate_cohort
    >>> from toolkit.review.strategies import FormalReviews, ProactiveReview
    >>> res = simulate_reviews(generate_cohort(populations=["standard"], rng=1),
    ...                        {"formal": FormalReviews(), "proactive:every=28":
    ...                         ProactiveReview(every=28)}, n=2000, n_replications=2, rng=1)
    >>> s = res.summary().set_index("strategy")
    >>> bool(s.loc["proactive:every=28", "mean_custody_days"] <= s.loc["formal",
    ...      "mean_custody_days"])
    True
    """
    stream = RecordStream(
        cohort,
        strategies,
        rules,
        n=n,
        n_replications=n_replications,
        populations=populations,
        params=params,
        rng=rng,
        progress=progress,
    )
    records = join_records([cols for _, _, cols in stream], stream.categories)
    nat = stream.national(
        annual_recalls=annual_recalls, growth=growth, national_census=national_census, cohort=cohort
    )
    return SimulationResult(
        records,
        tuple(stream.names),
        n_replications,
        nat["annual_recalls_now"],
        nat["flow_share"],
        nat,
    )
