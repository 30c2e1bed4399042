"""Expected releases before SED from reviewing a case this week: the review simulation's
scorer ordering, with numpy alone (no pandas or scipy: ``simulate`` starts without them).

:class:`ReviewGain` reads the stored readiness model's coefficients and the release rules;
spline terms are evaluated with de Boor's algorithm (:func:`bspline`, checked against
:class:`scipy.interpolate.BSpline` in the tests), and the hot path reads them from tables
(:class:`Tabulated`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.exceptions import UsageError
from toolkit.mathfn import expit
from toolkit.priority.stored import DEFAULT_DIR, FAR_DAYS, SPLINE_FEATURES, read_stored


def ndtr(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF from :func:`math.erf` (exact to rounding; slow, used off the hot
    path and to build :data:`ndtr_tabulated`)."""
    z = np.asarray(z, dtype=float)
    erf = np.frompyfunc(math.erf, 1, 1)
    out = 0.5 * (1.0 + erf(np.nan_to_num(z, nan=0.0) / math.sqrt(2.0)).astype(float))
    return np.where(np.isnan(z), np.nan, out)


def extended_knots(base: np.ndarray, degree: int) -> np.ndarray:
    """``base`` extended by ``degree`` equally spaced knots each side, as scikit-learn's
    SplineTransformer extends them."""
    d = degree
    lo_step, hi_step = base[1] - base[0], base[-1] - base[-2]
    return np.r_[
        np.linspace(base[0] - d * lo_step, base[0] - lo_step, d),
        base,
        np.linspace(base[-1] + hi_step, base[-1] + d * hi_step, d),
    ]


def bspline(t: np.ndarray, c: np.ndarray, d: int, x: np.ndarray) -> np.ndarray:
    """The spline with knots ``t``, coefficients ``c`` and degree ``d`` at ``x`` (which must lie
    in ``[t[d], t[len(c)]]``), by de Boor's algorithm, vectorised over ``x``."""
    x = np.asarray(x, dtype=float)
    k = np.clip(np.searchsorted(t, x, side="right") - 1, d, len(c) - 1)
    D = [c[k - d + j] for j in range(d + 1)]
    for r in range(1, d + 1):
        for j in range(d, r - 1, -1):
            i = k - d + j
            alpha = (x - t[i]) / (t[i + d + 1 - r] - t[i])
            D[j] = (1.0 - alpha) * D[j - 1] + alpha * D[j]
    return D[d]


class _Spline:
    """One feature's spline term, constant beyond ``[lo, hi]`` (as the fitted model holds it)."""

    def __init__(self, t, c, d, lo, hi):
        self.t, self.c, self.d, self.lo, self.hi = t, c, d, float(lo), float(hi)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return bspline(self.t, self.c, self.d, np.clip(x, self.lo, self.hi))


class Tabulated:
    """A spline term on ``[lo, hi]`` (held constant outside, as the model does) tabulated at
    :data:`TABLE_POINTS` equally spaced points and read by linear interpolation: for the cubic
    splines fitted here the error is below 1e-8 (a test checks it)."""

    def __init__(self, spline, lo: float, hi: float):
        # ``spline``: any vectorised function on [lo, hi]
        self.lo = float(lo)
        self.step = (float(hi) - self.lo) / (TABLE_POINTS - 1)
        self.table = spline(np.linspace(lo, hi, TABLE_POINTS))
        self.hi = float(hi)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        u = (np.clip(x, self.lo, self.hi) - self.lo) / self.step
        i = np.minimum(u.astype(np.int64), TABLE_POINTS - 2)
        lo = self.table[i]
        return lo + (u - i) * (self.table[i + 1] - lo)


#: Points of each spline table (:class:`Tabulated`).
TABLE_POINTS = 1 << 16


@lru_cache(maxsize=1)
def _ndtr_table() -> Tabulated:
    return Tabulated(ndtr, -8.5, 8.5)


def ndtr_tabulated(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF on [-8.5, 8.5] (held at its end values outside: below 1e-16 from
    0 and 1), tabulated: within 1e-8 of :func:`scipy.special.ndtr`, far faster."""
    return _ndtr_table()(z)


class ReviewGain:
    """Expected people released before SED by reviewing a case this week, from the caseload
    view the review simulation shows (:func:`toolkit.review.ordering.case_arrays`).

    The product of four chances, each as the review model applies it:

    * **readiness**: the stored model's chance the case is releasable within 28 days (fitted to
      the review model's records; RoSH enters as the model's loading does);
    * **route open**: whether the release rules give the executive the power for this recall
      type and do not exclude the case's RoSH level (``executive.excluded_rosh``; none by
      default, since s.255C(3) sets a public-protection test, not a RoSH bar);
    * **noticed**: the rules' chance that a review of a releasable person recognises it;
    * **lands before SED**: the chance the executive decision delay (log-normal, the rules'
      median and spread) is shorter than the days left to SED.

    The readiness spline terms are evaluated as one spline function per feature (de Boor's
    algorithm on the fitted coefficients), the same sum as
    :meth:`toolkit.priority.model.ScoringModel.decision_function` without the basis matrix.

    Parameters
    ----------
    model : a fitted PriorityScorer, a ScoringModel, or :class:`StoredModel`
    rules : ReleaseRules, optional
        Default: the shipped release rules.
    """

    def __init__(self, model, rules=None):
        # the review package imports pandas, which this numpy-only module must not at import
        from toolkit.review.policy import ROSH_LEVELS

        if not hasattr(model, "coef_"):
            raise UsageError("the readiness model is not fitted: call fit, or load a stored one")
        self.model = model
        self.rules = rules = _shipped_rules() if rules is None else rules
        d = int(model.degree)
        per = model.knots_.shape[0] + d - 1  # splines per feature (SplineTransformer's)
        self.splines = []
        for j in range(len(SPLINE_FEATURES)):
            base = model.knots_[:, j]
            c = model.coef_[j * per : (j + 1) * per]
            self.splines.append(_Spline(extended_knots(base, d), c, d, base[0], base[-1]))
        k = len(SPLINE_FEATURES)
        self.lin_coef = model.coef_[k * per :] / model.scale_
        self.lin_const = model.intercept_ - float(model.loc_ @ self.lin_coef)
        self.fill = model.fill_
        excluded = [ROSH_LEVELS.index(x) for x in rules.excluded_rosh]
        self.excluded_rosh = np.array(excluded, dtype=np.int64)
        self.exec_type = np.array(
            [rules.types[t].release == "review" and rules.types[t].executive for t in RECALL_TYPES]
        )
        self.no_sed = np.array([not rules.types[t].release_at_sed for t in RECALL_TYPES])
        std = rules.types["standard"]
        self.first, self.every = float(std.board_referral_day), float(std.board_review_every)
        self.p_notice = float(rules.notice_probability)
        self.delay_log = np.log(max(rules.delay_executive, 1e-9))
        self.delay_sigma = float(rules.delay_executive_sigma)

    def readiness(self, a: dict) -> np.ndarray:
        """The stored model's chance of being releasable within 28 days (all features known,
        as in the simulation; need domains at the training mean)."""
        t = np.asarray(a["days_since_recall"], dtype=float)
        rtype = np.asarray(a["recall_type"])
        indet = self.no_sed[rtype]
        to_sed = np.where(indet, FAR_DAYS, np.asarray(a["days_to_sed"], dtype=float))
        to_sed = np.clip(np.nan_to_num(to_sed, nan=FAR_DAYS, posinf=FAR_DAYS), 0, FAR_DAYS)
        with np.errstate(invalid="ignore"):
            last = self.first + self.every * np.floor((t - self.first) / self.every)
        since = np.where(t >= self.first, t - last, t)
        ogrs = np.asarray(a["ogrs3_2yr"], dtype=float) / 100
        clipped = np.clip(np.nan_to_num(ogrs, nan=0.5), 1e-3, 1 - 1e-3)
        lg = np.where(np.isnan(ogrs), self.fill[3], np.log(clipped / (1 - clipped)))
        xs = (np.log1p(np.maximum(t, 0)), np.log1p(to_sed), np.log1p(since), lg)
        eta = np.full(t.size, self.lin_const)
        for spl, x in zip(self.splines, xs):
            eta += spl(x)
        unmet = np.asarray(a["unmet_programme_need"], bool) & ~np.asarray(
            a["programme_completed"], bool
        )
        lin = (
            self.fill[len(SPLINE_FEATURES)],  # need domains: not in the caseload view
            np.asarray(a["accommodation_need"], float),
            np.asarray(a["accommodation_secured"], float),
            unmet.astype(float),
            np.asarray(a["om_contact"], float),
            np.asarray(a["wants_release"], float),
            (np.asarray(a["rosh"]) == 3).astype(float),
            indet.astype(float),
        )
        for c, x in zip(self.lin_coef, lin):
            eta += c * x
        return expit(eta)

    def __call__(self, a: dict) -> np.ndarray:
        rtype = np.asarray(a["recall_type"])
        rosh = np.asarray(a["rosh"])
        open_ = self.exec_type[rtype] & ~np.isin(rosh, self.excluded_rosh)
        left = np.asarray(a["days_to_sed"], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (np.log(np.maximum(left, 0.0)) - self.delay_log) / self.delay_sigma
        lands = ndtr(np.nan_to_num(z, nan=-np.inf))
        return self.readiness(a) * open_ * self.p_notice * lands

    def prepare(self, ep, census=None, *, floor_days: float = 0.0):
        """The same gain for one set of simulation episodes as ``f(idx, t)``, with everything
        that does not change while a person waits (OGRS3, RoSH, needs, recall type, the route)
        computed once: the review simulation scores every candidate every week. The three
        spline terms that move with the day are read from tables (:class:`Tabulated`, within
        1e-8 on the log-odds), ten times faster than evaluating the splines. With
        ``floor_days > 0`` the gain is divided by the days left to SED (at least that many),
        as :func:`toolkit.priority.simulation_score` ranks."""
        rows = ep.cohort_row
        n = ep.n
        rtype = ep.recall_type
        indet = self.no_sed[rtype]
        rosh = census.rosh[rows] if census is not None else np.full(n, -1)
        ogrs = census.ogrs[rows] if census is not None else np.full(n, np.nan)
        clipped = np.clip(np.nan_to_num(ogrs, nan=0.5), 1e-3, 1 - 1e-3)
        lg = np.where(np.isnan(ogrs), self.fill[3], np.log(clipped / (1 - clipped)))
        spl = self.splines[3]
        accom_need = np.isfinite(ep.accommodation_day)
        if census is not None:
            accom_need = accom_need | census.accommodation_need[rows]
        c = self.lin_coef
        static = (
            self.lin_const
            + spl(lg)
            + c[0] * self.fill[len(SPLINE_FEATURES)]
            + c[1] * accom_need
            + c[5] * ~ep.declines
            + c[6] * (rosh == 3)
            + c[7] * indet
        )
        mult = (self.exec_type[rtype] & ~np.isin(rosh, self.excluded_rosh)) * self.p_notice
        unmet = np.isfinite(ep.programme_day)
        if not hasattr(self, "_tables"):  # built once per model, shared by every prepare
            self._tables = tuple(Tabulated(sp, sp.lo, sp.hi) for sp in self.splines[:3])
        s1, s2, s3 = self._tables
        first, every = self.first, self.every
        dlog, dsig = self.delay_log, self.delay_sigma

        any_indet = bool(indet.any())
        # the step features' days, gathered once per call from one (n, 3) array
        steps = np.column_stack(
            [ep.accommodation_day, np.where(unmet, ep.programme_day, np.inf), ep.om_contact_day]
        )
        step_coef = np.array([c[2], -c[3], c[4]])
        static = static + c[3] * unmet  # unmet need counts until the programme is completed
        sed = ep.sed

        def gain(idx: np.ndarray, t: np.ndarray) -> np.ndarray:
            left = sed[idx] - t
            to_sed = np.clip(left, 0, FAR_DAYS)
            if any_indet:
                to_sed = np.where(indet[idx], FAR_DAYS, to_sed)
            since = np.where(t >= first, t - first - every * np.floor((t - first) / every), t)
            eta = (
                static[idx]
                + s1(np.log1p(np.maximum(t, 0)))
                + s2(np.log1p(to_sed))
                + s3(np.log1p(since))
                + (steps[idx] <= t[:, None]) @ step_coef
            )
            with np.errstate(divide="ignore"):
                lands = ndtr_tabulated((np.log(np.maximum(left, 0.0)) - dlog) / dsig)
            out = mult[idx] * lands / (1.0 + np.exp(-eta))
            if floor_days > 0:
                out = out / np.maximum(left, floor_days)
            return out

        return gain


@lru_cache(maxsize=1)
def _shipped_rules():
    # the review package imports pandas, which this numpy-only module must not at import
    from toolkit.review.policy import load_release_rules

    return load_release_rules()


class StoredModel:
    """A stored readiness model's coefficients (what :class:`ReviewGain` reads), loaded with
    numpy and the standard library only."""

    def __init__(self, directory: str | Path | None = None):
        meta, arrays, man = read_stored(DEFAULT_DIR if directory is None else directory)
        self.degree = int(meta["params"].get("degree", 3))
        for k in ("knots_", "fill_", "loc_", "scale_", "coef_"):
            setattr(self, k, np.asarray(arrays[k]))
        self.intercept_ = float(meta["intercept_"])
        self.manifest_ = man
