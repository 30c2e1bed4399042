"""Does the scorer help? Its ordering against FIFO, a caseload-column rule and an oracle.

* :func:`snapshot_comparison`: held-out simulated caseloads of a team's size; each ordering
  picks ``capacity`` cases to review now; we count how many picked cases a review releases and
  the supervised days it gains, using the engine's own outcomes
  (:func:`toolkit.priority.features.caseload_from_simulation`). One week, one decision.
* :func:`decision_records` and :func:`decision_table`: the review model's weekly capacity
  simulation at several capacities, with FIFO, the caseload-column rule
  (``cleared_nearest_sed``), the scorer (:func:`toolkit.priority.simulation_score`) and the
  oracle (an exact maximum allocation over every draw, so a true upper bound) on the same
  episodes; every comparison paired with FIFO by replication, with t intervals over
  replications, and the targets marked met or missed (never asserted).
* :func:`capacity_comparison`: the older one-capacity summary (kept for scripts).

The stated objective is people released before SED by the executive or the Parole Board (not
the five-year-horizon route). Targets: at least 80% of the oracle's gain over FIFO; at least
20% more people released before SED than FIFO from 20 a week up; no rise in modelled serious
reoffending, re-recall, or an age, sex or ethnicity gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.exceptions import ToolkitError
from toolkit.priority import simulation_score
from toolkit.priority.features import simulated_caseload
from toolkit.priority.scorer import PriorityScorer
from toolkit.review import CapacityLimited, FormalReviews, simulate_reviews
from toolkit.review.ordering import Scorer

ORDERINGS = ("fifo", "random", "nearest_sed", "scorer", "oracle")


class OrderingNotInjectable(ToolkitError):
    """The review model does not (yet) take an injected priority callable."""


def _order_keys(frame, X, outcomes, scorer, rng) -> dict[str, np.ndarray]:
    """Higher = reviewed first, per ordering."""
    t = np.expm1(X["log_days_since_recall"].to_numpy())
    to_sed = np.expm1(X["log_days_to_sed"].to_numpy())
    return {
        "fifo": t,  # longest in custody first
        "random": rng.random(len(X)),
        "nearest_sed": -to_sed,
        "scorer": scorer.rank_score(X),
        # The oracle knows who is releasable today (not the luck of the review itself), and
        # among them puts the most supervision at stake first.
        "oracle": outcomes["releasable_now"].to_numpy() * (1.0 + to_sed),
    }


def snapshot_comparison(
    scorer: PriorityScorer,
    *,
    capacity: int = 20,
    caseload_size: int = 200,
    n_caseloads: int = 50,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Released-by-review and days gained when each ordering picks ``capacity`` of a caseload.

    Returns
    -------
    pandas.DataFrame
        Per ordering: ``released_per_week`` and ``days_gained_per_week`` (means over caseloads
        with 95% t intervals), ``ratio_to_fifo`` and ``share_of_oracle_gain`` (of the oracle's
        gain over FIFO, in released people).
    """
    rng = np.random.default_rng(rng)
    sim_rng, pick_rng = rng.spawn(2)
    n = caseload_size * n_caseloads
    frame, X, o = simulated_caseload(n, rng=sim_rng)
    released = (o["days_gained"].to_numpy() > 0).astype(float)
    gained = o["days_gained"].to_numpy()
    keys = _order_keys(frame, X, o, scorer, pick_rng)
    team = np.repeat(np.arange(n_caseloads), caseload_size)
    res = {}
    for name, k in keys.items():
        # rank within each caseload (vectorised): sort by (team, -key)
        order = np.lexsort((-k, team))
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n) - np.repeat(np.arange(n_caseloads) * caseload_size, caseload_size)
        chosen = pos < capacity
        rel = np.bincount(team, weights=released * chosen, minlength=n_caseloads)
        gain = np.bincount(team, weights=gained * chosen, minlength=n_caseloads)
        res[name] = (rel, gain)
    tq = stats.t.ppf(0.975, n_caseloads - 1)
    rows = []
    fifo_rel = res["fifo"][0].mean()
    oracle_rel = res["oracle"][0].mean()
    for name, (rel, gain) in res.items():
        row = {"ordering": name}
        for label, v in (("released_per_week", rel), ("days_gained_per_week", gain)):
            se = v.std(ddof=1) / np.sqrt(len(v))
            row[label] = v.mean()
            row[f"{label}_lo"] = v.mean() - tq * se
            row[f"{label}_hi"] = v.mean() + tq * se
        row["ratio_to_fifo"] = rel.mean() / fifo_rel if fifo_rel > 0 else np.nan
        span = oracle_rel - fifo_rel
        row["share_of_oracle_gain"] = (rel.mean() - fifo_rel) / span if span > 0 else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(capacity=capacity, caseload_size=caseload_size, n_caseloads=n_caseloads)
    return out


def capacity_comparison(
    score,
    cohort: pd.DataFrame,
    *,
    per_week: int = 20,
    n: int = 4000,
    n_replications: int = 5,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Weekly-capacity simulation of each ordering (issue 13 item 6).

    Parameters
    ----------
    score : callable ``score(features) -> array`` (higher = sooner), e.g.
        :func:`toolkit.priority.simulation_score`, injected into the review model's
        ``scorer`` ordering; FIFO, random, nearest SED and the oracle run on the same episodes
        (common random numbers).

    Returns
    -------
    pandas.DataFrame
        :meth:`SimulationResult.summary` rows, one per ordering (``strategy`` names end in
        ``priority=<ordering>``), plus ``formal`` (no extra reviews).
    """
    try:
        injected = CapacityLimited(per_week=per_week, priority=Scorer(score))
    except (ToolkitError, TypeError, ValueError) as exc:
        raise OrderingNotInjectable(
            f"the review model does not take an injected priority ({exc})"
        ) from None
    strategies = {"formal": FormalReviews()}
    for name in ("fifo", "random", "nearest_sed", "oracle"):
        strategies[f"capacity:per_week={per_week},priority={name}"] = CapacityLimited(
            per_week=per_week, priority=name
        )
    strategies[f"capacity:per_week={per_week},priority=scorer"] = injected
    res = simulate_reviews(cohort, strategies, n=n, n_replications=n_replications, rng=rng)
    return res.summary()


# -- the decision-quality table: paired against FIFO, bounded by the oracle ---------------------
#: The orderings of :func:`decision_table`, in its row order.
DECISION_ORDERINGS = ("fifo", "cleared_nearest_sed", "scorer", "oracle")
#: Targets the table judges (the stated objective is people released before SED).
TARGETS = {
    "share_of_oracle_gain": 0.8,  # of the oracle's gain over FIFO, in people released before SED
    "ratio_to_fifo": 1.2,  # people released before SED, from 20 reviews a week up
}


def paired_interval(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and t interval over replications of paired per-replication values ``x`` (e.g.
    scorer minus FIFO in each replication: common random numbers make them paired)."""
    x = np.asarray(x, dtype=float)
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return m, m - half, m + half


def per_replication(records: pd.DataFrame) -> pd.DataFrame:
    """Per strategy x replication: share released before SED (executive and Board routes only,
    not the horizon), mean supervised days, RSR-predicted serious reoffending per 1,000,
    re-recall %, and the released-before-SED gaps: age 50+ minus 18-24, female minus male,
    and the largest absolute gap of an ethnicity group from the largest group (points)."""
    route = records["route"].astype(str)
    df = pd.DataFrame(
        {
            "strategy": records["strategy"].astype(str),
            "replication": records["replication"].to_numpy(),
            "before": route.isin(["executive", "parole_board"]).to_numpy(float) * 100,
            "supervised_days": records["supervised_days"].to_numpy(float),
            "sfo_per_1000": records["rsr_serious_reoffending"].to_numpy(float) * 1000,
            "re_recall_pct": records["re_recalled"].to_numpy(float) * 100,
        }
    )
    keys = ["strategy", "replication"]
    out = df.groupby(keys, sort=False).mean()
    age = records["age"].to_numpy(float)
    band = np.where(age >= 50, "old", np.where(age < 25, "young", "mid"))
    g = df.assign(band=band).groupby(keys + ["band"], sort=False)["before"].mean().unstack()
    out["age_gap"] = g["old"] - g["young"]
    sex = records["sex"].astype(str).str.lower().to_numpy()
    g = df.assign(sex=sex).groupby(keys + ["sex"], sort=False)["before"].mean().unstack()
    out["sex_gap"] = g.get("female", np.nan) - g.get("male", np.nan)
    eth = records["ethnicity"].astype(str).to_numpy()
    ref = pd.Series(eth).value_counts().idxmax()
    g = df.assign(eth=eth).groupby(keys + ["eth"], sort=False)["before"].mean().unstack()
    out["ethnicity_gap"] = g.drop(columns=ref).sub(g[ref], axis=0).abs().max(axis=1)
    return out


def decision_table(records: pd.DataFrame, capacities, confidence: float = 0.95) -> pd.DataFrame:
    """The decision-quality table from capacity-simulation records whose strategies are named
    ``"<ordering>@<per_week>"`` (:data:`DECISION_ORDERINGS`), all on the same episodes.

    Every comparison is paired by replication (common random numbers): a difference or ratio is
    computed within each replication, then averaged with a t interval over replications.
    ``share_of_oracle_gain`` is (ordering - FIFO) / (oracle - FIFO) in people released before
    SED; ``*_change`` columns are the ordering minus FIFO. ``*_met`` columns judge the targets:
    a share or ratio target is met when its mean reaches it; "no rise" is met when the paired
    interval of the change reaches down to zero or below.
    """
    per = per_replication(records)
    rows = []
    for cap in capacities:
        f = per.loc[f"fifo@{cap}"]
        o = per.loc[f"oracle@{cap}"]
        for name in DECISION_ORDERINGS:
            s = per.loc[f"{name}@{cap}"]
            row = {"per_week": cap, "ordering": name}
            # levels, with t intervals over replications (not paired)
            for label, col in (
                ("released_before_sed_pct", "before"),
                ("mean_supervised_days", "supervised_days"),
                ("sfo_per_1000", "sfo_per_1000"),
                ("re_recall_pct", "re_recall_pct"),
            ):
                m, lo, hi = paired_interval(s[col], confidence)
                row[label], row[f"{label}_lo"], row[f"{label}_hi"] = m, lo, hi
            span = (o["before"] - f["before"]).to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(span > 0, (s["before"] - f["before"]).to_numpy() / span, np.nan)
            ratio = (s["before"] / f["before"]).to_numpy()
            for label, v in (("share_of_oracle_gain", share), ("ratio_to_fifo", ratio)):
                m, lo, hi = paired_interval(v, confidence)
                row[label], row[f"{label}_lo"], row[f"{label}_hi"] = m, lo, hi
            for col in (
                "supervised_days",
                "sfo_per_1000",
                "re_recall_pct",
                "age_gap",
                "sex_gap",
                "ethnicity_gap",
            ):
                m, lo, hi = paired_interval((s[col] - f[col]).to_numpy(), confidence)
                row[f"{col}_change"], row[f"{col}_change_lo"], row[f"{col}_change_hi"] = m, lo, hi
            row["oracle_gain_met"] = bool(row["share_of_oracle_gain"] >= 0.8)
            row["ratio_to_fifo_met"] = bool(row["ratio_to_fifo"] >= 1.2) if cap >= 20 else None
            for col in ("sfo_per_1000", "re_recall_pct", "age_gap", "sex_gap", "ethnicity_gap"):
                row[f"no_rise_{col}_met"] = bool(row[f"{col}_change_lo"] <= 0)
            rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["n_replications"] = int(per.index.get_level_values("replication").nunique())
    return out


def decision_records(
    cohort: pd.DataFrame,
    *,
    capacities=(10, 20, 40, 60),
    n: int = 10_000,
    n_replications: int = 10,
    rng=None,
    score=None,
) -> pd.DataFrame:
    """Simulate each ordering of :data:`DECISION_ORDERINGS` at each capacity on the same
    episodes; strategies named ``"<ordering>@<per_week>"``. ``score``: the scorer's score
    function (default :func:`toolkit.priority.simulation_score`)."""
    score = simulation_score if score is None else score
    strategies = {}
    for cap in capacities:
        for name in DECISION_ORDERINGS:
            prio = Scorer(score) if name == "scorer" else name
            strategies[f"{name}@{cap}"] = CapacityLimited(per_week=cap, priority=prio)
    return simulate_reviews(cohort, strategies, n=n, n_replications=n_replications, rng=rng).records


def _caps(values) -> str:
    v = [str(int(c)) for c in values]
    return v[0] if len(v) == 1 else ", ".join(v[:-1]) + " and " + v[-1]


def decision_summary(table: pd.DataFrame) -> str:
    """The scorer's rows of :func:`decision_table` in plain words: which aims are met at which
    capacities (the README's paragraph; a test checks the README carries it)."""
    sc = table[table["ordering"] == "scorer"].set_index("per_week")
    base = table[table["ordering"] == "cleared_nearest_sed"].set_index("per_week")
    caps = list(sc.index)

    def split(mask, what, met_words="met", missed_words="**not met**"):
        met = [c for c in caps if mask.get(c) is True]
        missed = [c for c in caps if mask.get(c) is False]
        parts = []
        if met:
            parts.append(f"{met_words} at {_caps(met)} a week")
        if missed:
            parts.append(f"{missed_words} at {_caps(missed)}")
        return f"{what}: " + ", ".join(parts)

    def flags(col):
        return {
            c: (None if pd.isna(v) else bool(v) if not isinstance(v, str) else v == "True")
            for c, v in sc[col].items()
        }

    beats = {
        c: bool(sc.loc[c, "released_before_sed_pct"] > base.loc[c, "released_before_sed_pct"])
        for c in caps
    }
    sentences = [
        split(
            beats, "more people released before SED than the caseload-column rule", "yes", "**no**"
        ),
        split(flags("oracle_gain_met"), "80% of the oracle's gain over FIFO"),
        split(flags("ratio_to_fifo_met"), "20% more people released before SED than FIFO"),
    ]
    for col, words in (
        ("sfo_per_1000", "no rise in modelled serious reoffending"),
        ("re_recall_pct", "no rise in re-recall"),
        ("age_gap", "no wider age gap"),
        ("sex_gap", "no wider sex gap"),
        ("ethnicity_gap", "no wider ethnicity gap"),
    ):
        sentences.append(split(flags(f"no_rise_{col}_met"), words))
    return "; ".join(sentences) + "."
