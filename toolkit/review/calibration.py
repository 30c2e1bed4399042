"""Calibrate the person model to the case review and the census (scipy.optimize).

Four parameters are not published: the sentence-length distribution at recall (``mu_d``,
``sigma_d``, log-normal days to SED), the share never releasable before SED (``q_never``) and
the median latent risk day (``mu_m``, log days). Under the formal strategy for standard recalls
they are fitted to

* about 60% released at SED and a third of those releasable earlier (case review), and
* the steady-state census implied by the simulated flow: 57/21/18% under six months / six to
  twelve / over a year back in custody (renormalised over the 96% with a band), and about a
  third with a year or more to SED (Study 1),

* Little's law: 21,500 recalls a year times the model's mean stay (all recall types) should give
  the published stock of 6,564,

each weighted by its precision (:data:`TARGET_SE`), with two plausibility conditions as
penalties (seed-supported, in release_rules.toml
``[calibration]``): no single day holds more than ``max_day_share_pct`` of releases before SED,
and the Board's share of releases before SED lies within ``board_share_range_pct``.

In steady state with constant admissions, the census holds each admitted person for their stay
``S``; the census share with elapsed time in a band is ``sum(time spent in band) / sum(S)``,
and the share with a year or more to SED is ``sum(min(S, max(SED - 365, 0))) / sum(S)``.
Intervals: Gauss-Newton (the moments' Jacobian at the optimum and each target's precision,
stated in :data:`TARGET_SE`); everything else (loadings, delays, probabilities) stays assumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from toolkit.review.episodes import DEFAULT_PARAMS, build_episodes
from toolkit.review.mechanism import formal_plan, release_outcomes
from toolkit.review.policy import ReleaseRules, load_release_rules

PARAM_NAMES = tuple(DEFAULT_PARAMS)
#: Precision (standard error, percentage points) of each published target, for the intervals.
#: Census shares: binomial SE at the 3,912 standard recalls profiled (about 0.8 points). Case
#: review: its size is not published; about 100 cases assumed (SE about 5 points). Little's law:
#: the implied national stock over the published 6,564, in percent; SE 8 points for "around
#: 21,500" recalls and the stationarity assumption (growth 15% a year moves it by about 2).
TARGET_SE = {
    "released_at_sed_pct": 5.0,
    "releasable_earlier_of_sed_pct": 6.0,
    "census_under_6m_pct": 0.8,
    "census_6_to_12m_pct": 0.7,
    "census_over_12m_pct": 0.6,
    "census_1yr_plus_to_sed_pct": 0.8,
    "littles_law_stock_pct": 8.0,
}
#: Fit settings; the stored parameters are what ``calibrate()`` returns with these (a test
#: guards it).
FIT_N, FIT_SEED = 5_000, 12345
STARTS = (
    {"mu_d": 5.2, "sigma_d": 1.0, "q_never": 0.3, "mu_m": 3.0},
    {"mu_d": 5.6, "sigma_d": 0.8, "q_never": 0.15, "mu_m": 2.0},
)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters, their intervals, and the targets beside the model's values."""

    params: dict
    table: pd.DataFrame
    success: bool
    message: str
    mean_stay_days: float
    intervals: pd.DataFrame | None = None
    plausibility: dict | None = None
    case_review_frames: dict | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def model_moments(
    cohort, rules: ReleaseRules, params: dict, n: int = FIT_N, seed: int = FIT_SEED
) -> dict:
    """Case-review, census and plausibility statistics implied by the formal strategy for
    standard recalls."""
    ep = build_episodes(cohort, rules, n, populations=("standard",), params=params, rng=seed)
    out = release_outcomes(ep, formal_plan(ep, rules), rules)
    s = out["release_day"]
    route = out["route"]
    at_sed = route == 3
    margin = float(rules.calibration.get("releasable_margin_days", 28))
    releasable = ep.releasable_day <= ep.sed - margin
    tot = s.sum()
    early = (route == 1) | (route == 2)
    days = np.floor(s[early]).astype(np.int64)
    day_share = 100 * np.bincount(days).max() / days.size if days.size else 0.0
    frames = case_review_shares(s, at_sed, releasable)
    chosen = rules.calibration.get("case_review_frame", "admissions")
    return {
        "released_at_sed_pct": frames[f"released_at_sed_{chosen}_pct"],
        "releasable_earlier_of_sed_pct": frames[f"releasable_earlier_of_sed_{chosen}_pct"],
        **frames,
        "census_under_6m_pct": 100 * np.minimum(s, 183).sum() / tot,
        "census_6_to_12m_pct": 100 * (np.minimum(s, 365) - np.minimum(s, 183)).sum() / tot,
        "census_over_12m_pct": 100 * np.maximum(s - 365, 0).sum() / tot,
        "census_1yr_plus_to_sed_pct": 100 * np.minimum(s, np.maximum(ep.sed - 365, 0)).sum() / tot,
        "max_day_share_pct": float(day_share),
        "board_share_pct": 100 * (route == 2).sum() / max(early.sum(), 1),
        "executive_pct": 100 * (route == 1).mean(),
        "parole_board_pct": 100 * (route == 2).mean(),
        "mean_stay_days": float(s.mean()),
        "littles_law_stock_pct": 100 * _stock_ratio(rules, params),
    }


def case_review_shares(stay: np.ndarray, at_sed: np.ndarray, releasable: np.ndarray) -> dict:
    """The case review's two shares in both frames (percent).

    *Admissions*: every recall counts once (a cohort followed from recall). *In custody*: the
    cases held on one day, which in a stationary stock holds each admission in proportion to its
    stay, so each episode is weighted by its stay (length-biased sampling: long stays, and the
    routes that produce them, are over-represented).
    """
    stay = np.asarray(stay, dtype=float)
    rel_sed = at_sed & releasable
    out = {}
    for frame, w in (("admissions", np.ones_like(stay)), ("in_custody", stay)):
        sed_w = float(w[at_sed].sum())
        out[f"released_at_sed_{frame}_pct"] = 100 * sed_w / float(w.sum()) if w.sum() else 0.0
        out[f"releasable_earlier_of_sed_{frame}_pct"] = (
            100 * float(w[rel_sed].sum()) / sed_w if sed_w else 0.0
        )
    return out


def _stock_ratio(rules, params) -> float:
    """Implied national stock (21,500 a year x the model's mean stay over all recall types,
    stationary) over the published 6,564."""
    from toolkit.review.national import national_flow

    return national_flow(rules, params)["implied_stock_over_published"]


def calibration_targets(rules: ReleaseRules) -> dict:
    """The published targets, with the census bands renormalised over those with a band."""
    cal = rules.calibration
    bands = cal["census_days_on_recall_pct"]
    total = sum(bands.values())
    return {
        "released_at_sed_pct": cal["released_at_sed_pct"],
        "releasable_earlier_of_sed_pct": cal["releasable_earlier_of_sed_pct"],
        "census_under_6m_pct": 100 * bands["under_6m"] / total,
        "census_6_to_12m_pct": 100 * bands["6_to_12m"] / total,
        "census_over_12m_pct": 100 * bands["over_12m"] / total,
        "census_1yr_plus_to_sed_pct": cal["census_1yr_plus_to_sed_pct"],
        "littles_law_stock_pct": 100.0,
    }


def _penalty(m: dict, rules: ReleaseRules) -> float:
    cal = rules.calibration
    lo, hi = cal["board_share_range_pct"]
    over = max(0.0, m["max_day_share_pct"] - cal["max_day_share_pct"])
    board = max(0.0, lo - m["board_share_pct"], m["board_share_pct"] - hi)
    return 100.0 * (over**2 + board**2)


def _unpack(x, mu_m_min: float = -np.inf) -> dict:
    return {
        "mu_d": float(x[0]),
        "sigma_d": float(abs(x[1]) + 1e-3),
        "q_never": float(1 / (1 + np.exp(-x[2]))),
        "mu_m": float(max(x[3], mu_m_min)),
    }


def _pack(p: dict) -> np.ndarray:
    q = min(max(p["q_never"], 1e-6), 1 - 1e-6)
    return np.array([p["mu_d"], p["sigma_d"], np.log(q / (1 - q)), p["mu_m"]], dtype=float)


def calibrate(
    cohort,
    rules: ReleaseRules | None = None,
    *,
    n: int = FIT_N,
    seed: int = FIT_SEED,
    starts: tuple[dict, ...] = STARTS,
    maxiter: int = 150,
    intervals: bool = True,
) -> CalibrationResult:
    """Fit the four unpublished parameters by Nelder-Mead on squared errors (percent points)
    plus the plausibility penalties; the best of several starts is kept.

    The draws are fixed (common random numbers across evaluations), so the objective is a
    deterministic function of the parameters. Nothing is written: store the result in
    release_rules.toml ``[calibrated]`` by hand if you accept it.
    """
    rules = load_release_rules() if rules is None else rules
    targets = calibration_targets(rules)
    lo = float(np.log(rules.calibration["min_latent_median_days"]))

    def unpack(x):
        return _unpack(x, lo)

    def loss(x):
        m = model_moments(cohort, rules, unpack(x), n=n, seed=seed)
        return sum(((m[k] - v) / TARGET_SE[k]) ** 2 for k, v in targets.items()) + _penalty(
            m, rules
        )

    best = None
    for st in starts:
        res = minimize(
            loss,
            _pack(st),
            method="Nelder-Mead",
            options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": maxiter},
        )
        if best is None or res.fun < best.fun:
            best = res
    params = unpack(best.x)
    m = model_moments(cohort, rules, params, n=n, seed=seed)
    table = pd.DataFrame(
        [
            {
                "target": k,
                "published": v,
                "model": m[k],
                "difference": m[k] - v,
                "target_se": TARGET_SE[k],
            }
            for k, v in targets.items()
        ]
    )
    iv = _intervals(cohort, rules, params, n, seed, lo) if intervals else None
    keys = ("max_day_share_pct", "board_share_pct", "executive_pct", "parole_board_pct")
    plaus = {k: float(m[k]) for k in keys}
    return CalibrationResult(
        {k: round(v, 4) for k, v in params.items()},
        table,
        bool(best.success),
        str(best.message),
        m["mean_stay_days"],
        iv,
        plaus,
        {k: float(m[k]) for k in FRAME_KEYS},
    )


#: The case review's shares in both frames (reported, whichever frame is the target).
FRAME_KEYS = (
    "released_at_sed_admissions_pct",
    "releasable_earlier_of_sed_admissions_pct",
    "released_at_sed_in_custody_pct",
    "releasable_earlier_of_sed_in_custody_pct",
)


def case_review_frames_text(m: dict, rules: ReleaseRules) -> str:
    """The case review's two shares read in both frames, the targeted one marked."""
    chosen = rules.calibration.get("case_review_frame", "admissions")
    parts = []
    for frame, label in (("admissions", "every admission"), ("in_custody", "those in custody")):
        mark = " (the target's reading)" if frame == chosen else ""
        parts.append(
            f"over {label}{mark}: {m[f'released_at_sed_{frame}_pct']:.1f}% released at SED, "
            f"{m[f'releasable_earlier_of_sed_{frame}_pct']:.1f}% of them releasable earlier"
        )
    return (
        "Case review (published: around 60% at SED, a third of them releasable earlier), "
        + "; ".join(parts)
        + "."
    )


def _intervals(cohort, rules, params, n, seed, mu_m_min, h=0.05) -> pd.DataFrame:
    """Gauss-Newton 95% intervals: Cov = (J' W J)^-1, W = diag(1 / TARGET_SE^2), J by central
    differences on the unconstrained scale (transformed back at the ends). A parameter at its
    bound (``mu_m``) is held fixed and reported as such."""
    keys = list(TARGET_SE)
    x0 = _pack(params)
    free = [j for j in range(x0.size) if not (j == 3 and params["mu_m"] <= mu_m_min + 1e-9)]
    jac = np.zeros((len(keys), x0.size))
    for j in free:
        e = np.zeros_like(x0)
        e[j] = h
        up = model_moments(cohort, rules, _unpack(x0 + e), n=n, seed=seed)
        dn = model_moments(cohort, rules, _unpack(x0 - e), n=n, seed=seed)
        jac[:, j] = [(up[k] - dn[k]) / (2 * h) for k in keys]
    w = np.diag([1 / TARGET_SE[k] ** 2 for k in keys])
    sub = jac[:, free]
    sd = np.zeros(x0.size)
    sd[free] = np.sqrt(np.maximum(np.diag(np.linalg.pinv(sub.T @ w @ sub)), 0))
    rows = []
    for j, name in enumerate(PARAM_NAMES):
        lo, hi = x0.copy(), x0.copy()
        lo[j] -= 1.96 * sd[j]
        hi[j] += 1.96 * sd[j]
        a, b = _unpack(lo, mu_m_min)[name], _unpack(hi, mu_m_min)[name]
        rows.append(
            {
                "parameter": name,
                "value": params[name],
                "lo": min(a, b),
                "hi": max(a, b),
                "note": "" if j in free else "at its lower bound (held fixed)",
            }
        )
    return pd.DataFrame(rows)


def sensitivity(
    cohort, rules: ReleaseRules | None = None, *, n: int = 10_000, seed: int = 7
) -> pd.DataFrame:
    """How formal vs proactive results move across plausible values of the assumptions.

    Varies one assumed parameter at a time (notice probability, executive and Parole Board
    delays, the share who decline release) and reports released-at-SED and bed-days saved per
    person for the formal and proactive (every 28 days) strategies, on common random numbers.
    """
    from dataclasses import replace

    from toolkit.review.engine import simulate_reviews
    from toolkit.review.strategies import FormalReviews, ProactiveReview

    rules = load_release_rules() if rules is None else rules
    grid = [
        ("notice_probability", (0.6, 0.8, 1.0)),
        ("delay_executive", (7.0, 14.0, 42.0)),
        ("delay_parole_board", (42.0, 70.0, 168.0)),
        ("declines_release_share", (0.25, 0.5, 0.75)),
    ]
    strategies = {"formal": FormalReviews(), "proactive:every=28": ProactiveReview(every=28)}
    rows = []
    for param, values in grid:
        for v in values:
            res = simulate_reviews(
                cohort, strategies, replace(rules, **{param: v}), n=n, n_replications=1, rng=seed
            )
            s = res.summary().set_index("strategy")
            rows.append(
                {
                    "parameter": param,
                    "value": v,
                    "formal_at_sed_pct": s.loc["formal", "released_at_sed_pct"],
                    "proactive_at_sed_pct": s.loc["proactive:every=28", "released_at_sed_pct"],
                    "extra_bed_days_saved": s.loc["proactive:every=28", "bed_days_saved_per_person"]
                    - s.loc["formal", "bed_days_saved_per_person"],
                }
            )
    return pd.DataFrame(rows)


def calibration_report(cohort, rules: ReleaseRules | None = None, *, n: int = FIT_N) -> str:
    """The stored calibration beside its targets, plus the Little's-law check."""
    from toolkit.review.national import littles_law_text, national_flow

    rules = load_release_rules() if rules is None else rules
    params = dict(rules.calibrated)
    m = model_moments(cohort, rules, params, n=n)
    t = calibration_targets(rules)
    lines = [
        "Calibration (formal strategy, standard recalls): published target vs model",
        *(f"  {k:32s} {v:6.1f}  {m[k]:6.1f}" for k, v in t.items()),
        f"  plausibility: busiest day {m['max_day_share_pct']:.1f}% of releases before SED; "
        f"Board {m['board_share_pct']:.0f}% of them",
        case_review_frames_text(m, rules),
        "Parameters (calibrated): " + ", ".join(f"{k}={v:.3f}" for k, v in params.items()),
        littles_law_text(national_flow(rules, params)),
    ]
    return "\n".join(lines)
