"""Calibrate the person model to the case review and the census (scipy.optimize).

Four parameters are not published: the sentence-length distribution at recall (``mu_d``,
``sigma_d``, log-normal days to SED), the share never manageable before SED (``q_never``) and the
median latent manageable day (``mu_m``, log days). Under the formal strategy (28-day and annual
reviews) for standard recalls they are fitted to

* about 60% released at SED and a third of those releasable earlier (case review), and
* the steady-state census implied by the simulated flow: 57/21/18% under six months / six to
  twelve / over a year back in custody (renormalised over the 96% with a band), and about a
  third with a year or more to SED (Study 1).

In steady state with constant admissions, the census holds each admitted person for their stay
``S``; the census share with elapsed time in a band is ``sum(time spent in band) / sum(S)``,
and the share with a year or more to SED is ``sum(min(S, max(SED - 365, 0))) / sum(S)``.
Everything else (loadings, delays, notice probability) stays an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from toolkit.review.engine import DEFAULT_PARAMS, build_episodes, release_outcomes
from toolkit.review.policy import ReleaseRules, load_release_rules
from toolkit.review.strategies import FormalReviews

PARAM_NAMES = tuple(DEFAULT_PARAMS)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted parameters and the targets beside the model's values."""

    params: dict
    table: pd.DataFrame
    success: bool
    message: str
    mean_stay_days: float

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def model_moments(
    cohort, rules: ReleaseRules, params: dict, n: int = 20_000, seed: int = 12345
) -> dict:
    """Case-review and census statistics implied by the formal strategy for standard recalls."""
    ep = build_episodes(cohort, rules, n, populations=("standard",), params=params, rng=seed)
    out = release_outcomes(ep, FormalReviews().review_days(ep, rules), rules)
    s = out["release_day"]
    at_sed = out["route"] == 3
    margin = float(rules.calibration.get("releasable_margin_days", 28))
    releasable = ep.manageable <= ep.sed - margin
    tot = s.sum()
    under = np.minimum(s, 183).sum() / tot
    mid = (np.minimum(s, 365) - np.minimum(s, 183)).sum() / tot
    over = np.maximum(s - 365, 0).sum() / tot
    long_sed = np.minimum(s, np.maximum(ep.sed - 365, 0)).sum() / tot
    return {
        "released_at_sed_pct": 100 * at_sed.mean(),
        "releasable_earlier_of_sed_pct": 100 * releasable[at_sed].mean() if at_sed.any() else 0,
        "census_under_6m_pct": 100 * under,
        "census_6_to_12m_pct": 100 * mid,
        "census_over_12m_pct": 100 * over,
        "census_1yr_plus_to_sed_pct": 100 * long_sed,
        "mean_stay_days": float(s.mean()),
    }


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
    }


#: Starting points for the multi-start fit (the objective is piecewise flat: reviews are
#: discrete days, so a single Nelder-Mead run can stop in a poor local optimum).
STARTS = (
    {"mu_d": 5.2, "sigma_d": 1.0, "q_never": 0.4, "mu_m": 6.0},
    {"mu_d": 5.5, "sigma_d": 1.0, "q_never": 0.2, "mu_m": 5.0},
    {"mu_d": 5.6, "sigma_d": 0.9, "q_never": 0.3, "mu_m": 4.5},
)


def calibrate(
    cohort,
    rules: ReleaseRules | None = None,
    *,
    n: int = 20_000,
    seed: int = 12345,
    starts: tuple[dict, ...] = STARTS,
) -> CalibrationResult:
    """Fit the four unpublished parameters by Nelder-Mead on squared errors (percent points).

    The draws are fixed (common random numbers across evaluations), so the objective is a
    deterministic function of the parameters; the best of several starts is kept.
    """
    rules = load_release_rules() if rules is None else rules
    fits = [_fit(cohort, rules, n, seed, st) for st in starts]
    return min(fits, key=lambda r: float((r.table["difference"] ** 2).sum()))


def _fit(cohort, rules, n, seed, start) -> CalibrationResult:
    targets = calibration_targets(rules)
    x0 = np.array([start[k] for k in PARAM_NAMES], dtype=float)
    x0[2] = np.log(x0[2] / (1 - x0[2]))  # q_never on the logit scale

    def unpack(x):
        return {
            "mu_d": x[0],
            "sigma_d": abs(x[1]) + 1e-3,
            "q_never": 1 / (1 + np.exp(-x[2])),
            "mu_m": x[3],
        }

    def loss(x):
        m = model_moments(cohort, rules, unpack(x), n=n, seed=seed)
        return sum((m[k] - v) ** 2 for k, v in targets.items())

    res = minimize(
        loss, x0, method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": 600}
    )
    params = unpack(res.x)
    m = model_moments(cohort, rules, params, n=n, seed=seed)
    table = pd.DataFrame(
        [
            {"target": k, "published": v, "model": m[k], "difference": m[k] - v}
            for k, v in targets.items()
        ]
    )
    return CalibrationResult(
        {k: float(v) for k, v in params.items()},
        table,
        bool(res.success),
        str(res.message),
        m["mean_stay_days"],
    )


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
        ("delay_executive", (7.0, 21.0, 42.0)),
        ("delay_parole_board", (42.0, 84.0, 168.0)),
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


def calibration_report(
    cohort,
    rules: ReleaseRules | None = None,
    *,
    n: int = 20_000,
    annual_recalls: float = 21_500,
    stock: float = 6_564,
) -> str:
    """The stored calibration beside its targets, plus the national stock = flow x stay check."""
    rules = load_release_rules() if rules is None else rules
    params = {k: float(rules.raw["calibrated"][k]) for k in PARAM_NAMES}
    m = model_moments(cohort, rules, params, n=n)
    t = calibration_targets(rules)
    lines = [
        "Calibration (formal strategy, standard recalls): published target vs model",
        *(f"  {k:32s} {v:6.1f}  {m[k]:6.1f}" for k, v in t.items()),
        "Parameters (calibrated): " + ", ".join(f"{k}={v:.3f}" for k, v in params.items()),
        f"Stock and flow: {annual_recalls:,.0f} recalls a year x mean stay "
        f"{m['mean_stay_days']:.0f} days / 365 = "
        f"{annual_recalls * m['mean_stay_days'] / 365:,.0f} in custody if every recall "
        f"stayed like a standard recall; published stock {stock:,.0f} (all types; fixed-term "
        "recalls stay 28 days, so the all-type mean stay is shorter).",
    ]
    return "\n".join(lines)
