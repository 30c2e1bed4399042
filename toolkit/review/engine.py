"""The vectorised review engine: episodes in, one outcome record per person x strategy x rep.

Every person's release day is computed from their draws and the strategy's review days in array
form: the first review on or after the day their risk became manageable that also *notices* it,
plus the decision delay of their route, capped at SED (or the horizon). Whether a review on day
``d`` notices is a deterministic function of the person's key and ``d`` (a counter-based hash),
so strategies compared on the same episodes share common random numbers and adding review days
can only bring a release forward.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from toolkit.exceptions import CohortError, UsageError
from toolkit.review.policy import ReleaseRules, load_release_rules
from toolkit.review.strategies import CapacityLimited, Strategy
from toolkit.schema import RECALL_TYPES

ROUTES = ("automatic", "executive", "parole_board", "sed", "horizon")
REQUIRED = (
    "population",
    "recall_type",
    "ogrs3_2yr",
    "rsr_2yr",
    "need_domains",
    "need_accommodation",
    "rosh",
    "sex",
    "ethnicity",
    "person_id",
)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Standardisation of logit(OGRS3 2-year) for the risk loading: fixed constants (about the
#: standard-recall mean and SD), so an episode's latent does not depend on who else is sampled.
RISK_CENTRE, RISK_SCALE = float(logit(0.62)), 1.0


def hash_uniform(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Uniform(0, 1) from (person key, review day) via SplitMix64; vectorised, deterministic."""
    with np.errstate(over="ignore"):
        d = np.where(np.isfinite(day), day, 0).astype(np.uint64)
        z = key + d * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class Episodes:
    """An admissions cohort: one recall episode per row (arrays of equal length)."""

    n: int
    cohort_row: np.ndarray
    recall_type: np.ndarray  # codes into schema.RECALL_TYPES
    sed: np.ndarray  # days from recall to SED; inf if none
    manageable: np.ndarray  # latent day from which risk is manageable; inf if never
    declines: np.ndarray
    exec_ok: np.ndarray
    event_day: np.ndarray  # (n, 2): accommodation secured, programme completed; inf if none
    auto_day: np.ndarray  # nan unless automatic release
    reviewable: np.ndarray
    key: np.ndarray
    u_rerecall: np.ndarray
    u_sfo: np.ndarray
    h_rerecall: np.ndarray
    h_sfo: np.ndarray
    admit_day: np.ndarray
    score: np.ndarray  # default priority score (higher = review sooner)


DEFAULT_PARAMS = {"mu_d": 5.6, "sigma_d": 0.9, "q_never": 0.3, "mu_m": 4.5}


def _params(rules: ReleaseRules, params: dict | None) -> dict:
    if params is not None:
        return dict(params)
    cal = rules.raw.get("calibrated")
    if cal:
        return {k: float(cal[k]) for k in DEFAULT_PARAMS}
    return dict(DEFAULT_PARAMS)


def _check_cohort(cohort: pd.DataFrame) -> None:
    missing = [c for c in REQUIRED if c not in cohort.columns]
    if missing:
        raise CohortError(
            f"cohort lacks column(s) {', '.join(missing)} needed by the simulation; "
            "use a cohort from `recall-toolkit generate`"
        )


def build_episodes(
    cohort: pd.DataFrame,
    rules: ReleaseRules,
    n: int,
    *,
    populations: Sequence[str] = ("standard",),
    params: dict | None = None,
    rng: np.random.Generator | int | None = None,
) -> Episodes:
    """Draw an admissions cohort of ``n`` recall episodes from a census cohort.

    The census over-represents long stays; admissions are drawn from the census rows of each
    recall type in proportion to N / expected stay (automatic types: their fixed stay; review
    types: the calibrated mean stay), and sentence lengths from the calibrated distribution, so
    the steady-state census of the simulated flow reproduces the published census figures
    (checked in calibration).
    """
    _check_cohort(cohort)
    rng = np.random.default_rng(rng)
    p = _params(rules, params)
    pops = [x for x in populations if x in RECALL_TYPES]
    if not pops or len(pops) != len(list(populations)):
        raise UsageError(
            f"populations must be recall types ({', '.join(RECALL_TYPES)}); got {list(populations)}"
        )
    pop = cohort["population"].astype(str).to_numpy()
    rows = np.flatnonzero(np.isin(pop, pops))
    if rows.size == 0:
        raise CohortError(f"cohort has no people in {pops}")
    stay = _expected_stay(rules, p)
    w = np.empty(rows.size)
    for t in pops:
        w[pop[rows] == t] = 1.0 / stay[t]
    idx = rows[rng.choice(rows.size, size=n, p=w / w.sum())]
    c = cohort.iloc[idx]
    rtype = np.array([RECALL_TYPES.index(x) for x in c["population"].astype(str)])
    ogrs = np.clip(c["ogrs3_2yr"].to_numpy(float) / 100, 1e-4, 1 - 1e-4)
    rsr = np.clip(c["rsr_2yr"].to_numpy(float) / 100, 0, 1 - 1e-4)
    risk = (logit(ogrs) - RISK_CENTRE) / RISK_SCALE
    need = np.nan_to_num((c["need_domains"].astype("float64").to_numpy() - 5.0) / 2.0)
    accom = np.nan_to_num(c["need_accommodation"].astype("float64").to_numpy()) >= 1
    per = rules.person
    z = rng.standard_normal((n, 3))
    u = rng.random((n, 4))
    has_sed = np.array([rules.types[t].release_at_sed for t in RECALL_TYPES])[rtype]
    sed = np.where(has_sed, np.maximum(np.exp(p["mu_d"] + p["sigma_d"] * z[:, 0]), 29.0), np.inf)
    never = u[:, 0] < expit(logit(p["q_never"]) + per["never_risk_loading"] * risk)
    m_day = np.exp(
        p["mu_m"]
        + per["risk_loading"] * risk
        + per["need_loading"] * need
        + per["accommodation_loading"] * accom
        + per["sigma"] * z[:, 1]
    )
    manageable = np.where(never, np.inf, m_day)
    declines = u[:, 1] < rules.prefer_stay_share * rules.declines_release_share
    auto = np.array([rules.types[t].automatic_release_day or np.nan for t in RECALL_TYPES])
    exec_route = np.array(["executive" in rules.types[t].routes for t in RECALL_TYPES])[rtype]
    exec_ok = exec_route & (c["rosh"].astype(str).to_numpy() != "very_high")
    reviewable = np.array([rules.types[t].release == "review" for t in RECALL_TYPES])[rtype]
    return Episodes(
        n=n,
        cohort_row=idx,
        recall_type=rtype,
        sed=sed,
        manageable=manageable,
        declines=declines,
        exec_ok=exec_ok,
        event_day=_event_days(c, per, z[:, 2], rng),
        auto_day=auto[rtype],
        reviewable=reviewable,
        key=rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64),
        u_rerecall=u[:, 2],
        u_sfo=u[:, 3],
        h_rerecall=-np.log1p(-ogrs) / 730 * rules.re_recall_multiplier,
        h_sfo=-np.log1p(-rsr) / 730 * rules.sfo_multiplier,
        admit_day=rng.random(n) * 365.0,
        score=1.0 - ogrs,
    )


def _event_days(c: pd.DataFrame, per, z: np.ndarray, rng) -> np.ndarray:
    """Days of the changes that trigger an event review, per person (inf where none).

    Column 0: accommodation secured, for people with an accommodation need (log-normal around
    ``event_day_median``). Column 1: an accredited programme completed, for people with unmet
    programme need under the default Table 2 readings (wait plus length, log-normal around
    ``programme_day_median``). Both assumed (see release_rules.toml [person]).
    """
    n = len(c)
    out = np.full((n, 2), np.inf)
    accom = np.nan_to_num(c["need_accommodation"].astype("float64").to_numpy()) >= 1
    out[accom, 0] = np.exp(np.log(per["event_day_median"]) + 0.5 * z[accom])
    try:
        from toolkit.needs.gap import outcome_matrix
        from toolkit.profile.rules import load_programme_rules

        suit, att, oth = outcome_matrix(c, load_programme_rules())
        unmet = (suit & ~att & ~oth).any(axis=1)
    except Exception:  # noqa: BLE001 - a cohort without programme columns has no such events
        unmet = np.zeros(n, dtype=bool)
    med = per.get("programme_day_median", 180)
    out[unmet, 1] = np.exp(np.log(med) + 0.4 * rng.standard_normal(n))[unmet]
    return out


def release_outcomes(
    ep: Episodes, review_days: np.ndarray, rules: ReleaseRules, chunk: int = 100_000
) -> dict[str, np.ndarray]:
    """Release day, route and reviews for every episode, given its review days (n, K)."""
    limit = np.minimum(ep.sed, rules.horizon_days)
    notice = np.full(ep.n, np.inf)
    reviews = np.zeros(ep.n, dtype=np.int64)
    p = rules.notice_probability
    for s in range(0, ep.n, chunk):
        sl = slice(s, min(s + chunk, ep.n))
        r = review_days[sl]
        if r.shape[1] == 0:
            continue
        valid = r < limit[sl, None]
        cand = valid & (r >= ep.manageable[sl, None]) & ~ep.declines[sl, None]
        key = ep.key[sl]
        # The first noticing review is the first candidate whose hash draw falls below p. Walk
        # candidates in rounds (vectorised over people): most are resolved in the first round,
        # and the hash is evaluated only at the candidates looked at, not the whole matrix.
        rows = np.flatnonzero(cand.any(axis=1))
        first = np.full(r.shape[0], -1)
        while rows.size:
            j = cand[rows].argmax(axis=1)
            day = r[rows, j]
            hit = hash_uniform(key[rows], day) < p
            first[rows[hit]] = j[hit]
            miss = rows[~hit]
            cand[miss, j[~hit]] = False
            rows = miss[cand[miss].any(axis=1)]
        got = first >= 0
        notice[sl] = np.where(got, r[np.arange(r.shape[0]), np.maximum(first, 0)], np.inf)
        reviews[sl] = np.where(got, first + 1, valid.sum(axis=1))
    return _finish(ep, notice, reviews, rules)


def _finish(ep, notice, reviews, rules) -> dict[str, np.ndarray]:
    limit = np.minimum(ep.sed, rules.horizon_days)
    delay = np.where(ep.exec_ok, rules.delay_executive, rules.delay_parole_board)
    decided = notice + delay
    release = np.minimum(decided, limit)
    route = np.where(
        decided < limit, np.where(ep.exec_ok, 1, 2), np.where(ep.sed <= rules.horizon_days, 3, 4)
    )
    auto = ~ep.reviewable
    auto_release = np.minimum(np.nan_to_num(ep.auto_day, nan=0.0), limit)
    release = np.where(auto, auto_release, release)
    route = np.where(auto, np.where(ep.auto_day < ep.sed, 0, 3), route)
    reviews = np.where(auto, 0, reviews)
    supervised = np.maximum(limit - release, 0.0)
    return {
        "release_day": release,
        "route": route,
        "reviews": reviews,
        "supervised_days": supervised,
        "notice_day": notice,
    }


def capacity_outcomes(
    ep: Episodes, strategy: CapacityLimited, rules: ReleaseRules, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Formal reviews plus a weekly budget of extra reviews across the caseload.

    People are admitted over a year (``admit_day``); each week the ``per_week`` highest-priority
    people in custody who have not had an extra review in ``min_gap`` days are reviewed. The loop
    is over weeks; each week is vectorised over people.
    """
    formal = release_outcomes(ep, strategy.review_days(ep, rules), rules)
    limit = np.minimum(ep.sed, rules.horizon_days)
    delay = np.where(ep.exec_ok, rules.delay_executive, rules.delay_parole_board)
    stop = np.minimum(formal["notice_day"] + delay, limit)  # formal path's exit day
    extra_notice = np.full(ep.n, np.inf)
    extra = np.zeros(ep.n, dtype=np.int64)
    last = np.full(ep.n, -np.inf)
    u_pri = rng.random(ep.n)
    end = float(np.max(ep.admit_day + np.where(np.isfinite(stop), stop, rules.horizon_days)))
    for week in range(int(np.ceil(end / 7)) + 1):
        t = 7.0 * week - ep.admit_day  # days since each person's recall
        cand = np.flatnonzero(
            ep.reviewable
            & (t >= 0)
            & (t < stop)
            & ~np.isfinite(extra_notice)
            & (t - last >= strategy.min_gap)
        )
        if cand.size == 0 or strategy.per_week == 0:
            continue
        if cand.size > strategy.per_week:
            if strategy.priority == "fifo":
                pri = ep.admit_day[cand]
            elif strategy.priority == "random":
                pri = u_pri[cand]
            elif strategy.priority == "nearest_sed":
                pri = ep.sed[cand] - t[cand]
            else:
                pri = -ep.score[cand]
            cand = cand[np.argpartition(pri, strategy.per_week - 1)[: strategy.per_week]]
        tc = t[cand]
        last[cand] = tc
        extra[cand] += 1
        hit = (
            (tc >= ep.manageable[cand])
            & ~ep.declines[cand]
            & (hash_uniform(ep.key[cand], tc) < rules.notice_probability)
        )
        extra_notice[cand[hit]] = tc[hit]
    notice = np.minimum(formal["notice_day"], extra_notice)
    out = _finish(ep, notice, formal["reviews"] + extra, rules)
    return out


@dataclass(frozen=True)
class SimulationResult:
    """Records (one row per person x strategy x replication) and their summaries."""

    records: pd.DataFrame
    strategies: tuple[str, ...]
    n_replications: int
    annual_recalls: float
    flow_share: float

    def summary(self, by: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Per strategy (x ``by``): mean over replications with a t interval across them."""
        rec = self.records
        keys = ["strategy", "replication"] + ([by] if by else [])
        g = rec.groupby(keys, observed=True, sort=False)
        per_rep = pd.DataFrame(
            {
                "released_at_sed_pct": 100 * g["route"].apply(lambda s: (s == "sed").mean()),
                "mean_custody_days": g["custody_days"].mean(),
                "mean_supervised_days": g["supervised_days"].mean(),
                "reviews_per_person": g["reviews"].mean(),
                "bed_days_saved_per_person": g["bed_days_saved"].mean(),
                "re_recall_pct": 100 * g["re_recalled"].mean(),
                "sfo_per_1000": 1000 * g["sfo"].mean(),
                "cost_per_person": g["cost"].mean(),
                "review_hours_per_person": g["review_hours"].mean(),
            }
        ).reset_index()
        out = []
        for key, d in per_rep.groupby(
            ["strategy"] + ([by] if by else []), sort=False, observed=True
        ):
            row = dict(
                zip(["strategy"] + ([by] if by else []), key if isinstance(key, tuple) else (key,))
            )
            k = len(d)
            tq = stats.t.ppf(0.5 + confidence / 2, k - 1) if k > 1 else 0.0
            for col in per_rep.columns[len(keys) :]:
                m, sd = d[col].mean(), d[col].std(ddof=1) if k > 1 else 0.0
                row[col] = m
                row[f"{col}_lo"] = m - tq * sd / np.sqrt(k)
                row[f"{col}_hi"] = m + tq * sd / np.sqrt(k)
            row["bed_days_saved_national_per_year"] = (
                row["bed_days_saved_per_person"] * self.annual_recalls * self.flow_share
            )
            out.append(row)
        order = {s: i for i, s in enumerate(self.strategies)}
        df = pd.DataFrame(out)
        return df.sort_values("strategy", key=lambda s: s.map(order), kind="stable").reset_index(
            drop=True
        )

    HEADLINE = (
        "strategy",
        "released_at_sed_pct",
        "mean_custody_days",
        "mean_supervised_days",
        "reviews_per_person",
        "bed_days_saved_per_person",
        "re_recall_pct",
        "cost_per_person",
    )

    def render(self) -> str:
        """The headline summary as a readable table."""
        return self.summary()[list(self.HEADLINE)].round(2).to_string(index=False)

    def summary_json(self) -> dict:
        """Summary keyed by each strategy exactly as named on the command line."""
        s = self.summary().set_index("strategy")
        return {name: json.loads(s.loc[name].to_json()) for name in self.strategies}


def simulate_reviews(
    cohort: pd.DataFrame,
    strategies: Sequence[Strategy] | dict,
    rules: ReleaseRules | None = None,
    *,
    n: int = 10_000,
    n_replications: int = 10,
    populations: Sequence[str] = ("standard",),
    params: dict | None = None,
    annual_recalls: float = 21_500,
    rng: np.random.Generator | int | None = None,
    progress=None,
) -> SimulationResult:
    """Simulate review strategies on admissions drawn from a census cohort.

    Parameters
    ----------
    cohort : pandas.DataFrame
        A census cohort (``generate_cohort``).
    strategies : sequence of Strategy, or dict name -> Strategy
        Compared on the same episodes in each replication (common random numbers).
    rules : ReleaseRules, optional
    n : int
        Episodes per replication.
    n_replications : int
        Replications; each uses its own spawned generator stream.
    populations : sequence of str
        Recall types to admit (default: standard recalls, the calibrated population).
    params : dict, optional
        Person-model parameters (default: the calibrated values in the rules file).
    annual_recalls : float
        For national scaling (about 21,500 recalls in 2015).
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
    rules = load_release_rules() if rules is None else rules
    if isinstance(strategies, dict):
        named = dict(strategies)
    else:
        named = {repr(s): s for s in strategies}
    if not named:
        raise UsageError("give at least one strategy")
    if n <= 0 or n_replications <= 0:
        raise UsageError("n and n_replications must be positive")
    rng = np.random.default_rng(rng)
    streams = rng.spawn(n_replications)
    frames = []
    costs = rules.costs
    sex = pd.Categorical(cohort["sex"])
    eth = pd.Categorical(cohort["ethnicity"])
    for r, g in enumerate(streams):
        ep = build_episodes(cohort, rules, n, populations=populations, params=params, rng=g)
        limit = np.minimum(ep.sed, rules.horizon_days)
        cap_rng = g.spawn(1)[0]
        for name, strat in named.items():
            if isinstance(strat, CapacityLimited):
                out = capacity_outcomes(
                    ep,
                    strat,
                    rules,
                    np.random.default_rng(cap_rng.bit_generator.seed_seq.spawn(1)[0]),
                )
            else:
                out = release_outcomes(ep, strat.review_days(ep, rules), rules)
            sup = out["supervised_days"]
            rerecall = ep.u_rerecall < -np.expm1(-ep.h_rerecall * sup)
            sfo = ep.u_sfo < -np.expm1(-ep.h_sfo * sup)
            hours = out["reviews"] * costs["review_hours"]
            frames.append(
                pd.DataFrame(
                    {
                        "replication": np.full(n, r, dtype=np.int32),
                        "strategy": pd.Categorical.from_codes(
                            np.full(n, list(named).index(name), dtype=np.int16),
                            categories=list(named),
                        ),
                        "episode": np.arange(n),
                        "person_id": cohort["person_id"].to_numpy()[ep.cohort_row],
                        "recall_type": pd.Categorical.from_codes(
                            ep.recall_type, categories=RECALL_TYPES
                        ),
                        "sex": sex[ep.cohort_row],
                        "ethnicity": eth[ep.cohort_row],
                        "sed_day": ep.sed,
                        "release_day": out["release_day"],
                        "route": pd.Categorical.from_codes(out["route"], categories=ROUTES),
                        "custody_days": out["release_day"],
                        "supervised_days": sup,
                        "bed_days_saved": limit - out["release_day"],
                        "reviews": out["reviews"],
                        "review_hours": hours,
                        "re_recalled": rerecall,
                        "sfo": sfo,
                        "releasable_earlier": ep.manageable <= ep.sed - 28,
                        "cost": (
                            out["release_day"] * costs["custody_per_day"]
                            + sup * costs["supervision_per_day"]
                            + hours * costs["staff_cost_per_hour"]
                        ),
                    },
                    copy=False,
                )
            )
        if progress:
            progress(r + 1, n_replications)
    records = pd.concat(frames, ignore_index=True)
    pop = cohort["population"].astype(str)
    flow_share = _flow_share(pop, rules, populations, _params(rules, params))
    return SimulationResult(records, tuple(named), n_replications, annual_recalls, flow_share)


def _expected_stay(rules: ReleaseRules, p: dict) -> dict[str, float]:
    """Rough expected stay per recall type, for turning census counts into flow weights:
    automatic types their fixed stay, review types the calibrated latent-day scale."""
    review_stay = float(np.exp(p["mu_m"]))
    return {
        t: max(r.automatic_release_day if r.release == "automatic" else review_stay, 1.0)
        for t, r in rules.types.items()
    }


def _flow_share(pop: pd.Series, rules, populations, p) -> float:
    """Share of annual recalls that are in the simulated populations (N / stay weights)."""
    stay = _expected_stay(rules, p)
    w = {t: (pop == t).sum() / stay[t] for t in RECALL_TYPES}
    tot = sum(w.values())
    return float(sum(w[t] for t in populations) / tot) if tot else 1.0
