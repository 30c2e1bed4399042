"""The stored readiness model's prediction, without scikit-learn.

:class:`ScoringModel` holds what a fitted :class:`toolkit.priority.scorer.PriorityScorer` learnt
(knots, scalers, coefficients) and computes its scores; ``PriorityScorer`` inherits it, so
fitting and prediction share one copy of the arithmetic. ``prioritise`` loads the stored model
with :func:`load_scoring_model`, which reads the same JSON + npz files but does not import
scikit-learn (about a second of start-up, a fifth of the 100,000-row time budget). The spline
basis is :meth:`scipy.interpolate.BSpline.design_matrix` on the knots
:class:`sklearn.preprocessing.SplineTransformer` would extend them to, with values outside the
outer knots held at the boundary (its ``extrapolation="constant"``); a test checks the two agree.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri

from toolkit.exceptions import UsageError
from toolkit.priority.features import (
    BINARY_FEATURES,
    FEATURES,
    LINEAR_FEATURES,
    SPLINE_FEATURES,
)

DEFAULT_DIR = Path(__file__).with_name("default")
FORMAT_VERSION = 1
ARRAYS = ("knots_", "fill_", "loc_", "scale_", "basis_mean_", "coef_", "cov_", "gain_coef_")


def _bspline_basis(x: np.ndarray, base: np.ndarray, degree: int) -> np.ndarray:
    """B-spline basis of ``x`` on the knots ``base`` extended by ``degree`` equally spaced knots
    on each side (as SplineTransformer extends them); constant beyond the outer knots."""
    from scipy.interpolate import BSpline

    d = degree
    lo_step, hi_step = base[1] - base[0], base[-1] - base[-2]
    t = np.r_[
        np.linspace(base[0] - d * lo_step, base[0] - lo_step, d),
        base,
        np.linspace(base[-1] + hi_step, base[-1] + d * hi_step, d),
    ]
    xc = np.clip(np.asarray(x, dtype=float), base[0], base[-1])
    return BSpline.design_matrix(xc, t, d).toarray()


def read_stored(directory: str | Path):
    """The stored model's settings, arrays and manifest, checking the manifest's hashes."""
    d = Path(directory)
    try:
        man = json.loads((d / "manifest.json").read_text())
        for f, digest in man["files"].items():
            if hashlib.sha256((d / f).read_bytes()).hexdigest() != digest:
                raise UsageError(f"{d / f}: contents do not match manifest.json")
        meta = json.loads((d / "scorer.json").read_text())
        arrays = np.load(d / "scorer.npz", allow_pickle=False)
    except (OSError, KeyError, ValueError) as exc:
        raise UsageError(
            f"{d}: not a stored readiness model (expected manifest.json, scorer.json and "
            f"scorer.npz, as the toolkit writes them; {exc})"
        ) from None
    if meta.get("features") != list(FEATURES):
        raise UsageError(f"{d}: stored features {meta.get('features')} differ from {FEATURES}")
    return meta, arrays, man


def _set_fitted(est, meta, arrays, man) -> None:
    for k in ARRAYS:
        setattr(est, k, arrays[k])
    est.intercept_ = float(meta["intercept_"])
    est.gain_intercept_ = float(meta["gain_intercept_"])
    est.feature_names_in_ = np.asarray(FEATURES, dtype=object)
    est.n_features_in_ = len(FEATURES)
    est.classes_ = np.array([False, True])
    est.manifest_ = man


class ScoringModel:
    """A stored readiness model's prediction (see the module docstring)."""

    def __init__(
        self, degree: int = 3, interval: float = 0.9, rank_by: str = "days_gained", **params
    ):
        self.degree = degree
        self.interval = interval
        self.rank_by = rank_by
        self.params = dict(params, degree=degree, interval=interval, rank_by=rank_by)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise UsageError("the readiness model is not fitted: call fit, or load a stored one")

    # -- the basis --------------------------------------------------------------------------
    def _frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise UsageError(
                "PriorityScorer takes a DataFrame from toolkit.priority.features.design"
            )
        missing = [f for f in FEATURES if f not in X.columns]
        if missing:
            raise UsageError(f"feature table lacks {', '.join(missing)}")
        return X[list(FEATURES)]

    def _filled(self, X: pd.DataFrame) -> np.ndarray:
        a = X.to_numpy(dtype=float, copy=True)
        nan = np.isnan(a)
        if nan.any():
            a[nan] = np.broadcast_to(self.fill_, a.shape)[nan]
        return a

    def _basis(self, filled: np.ndarray) -> np.ndarray:
        k = len(SPLINE_FEATURES)
        S = np.column_stack(
            [_bspline_basis(filled[:, j], self.knots_[:, j], self.degree) for j in range(k)]
        )
        L = (filled[:, k:] - self.loc_) / self.scale_
        return np.column_stack([S, L])

    def _groups(self) -> list[np.ndarray]:
        """Basis columns of each feature, in FEATURES order."""
        per = self.knots_.shape[0] + self.degree - 1  # SplineTransformer's n_splines
        cols = [np.arange(i * per, (i + 1) * per) for i in range(len(SPLINE_FEATURES))]
        start = per * len(SPLINE_FEATURES)
        cols += [np.array([start + j]) for j in range(len(LINEAR_FEATURES))]
        return cols

    # -- prediction -------------------------------------------------------------------------
    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of being releasable within 28 days."""
        self._check_fitted()
        return self._basis(self._filled(self._frame(X))) @ self.coef_ + self.intercept_

    def score_frame(self, X: pd.DataFrame, *, full: bool = True) -> pd.DataFrame:
        """Everything the ranking needs, vectorised over cases (``full=False``: the chance and
        days gained only, without intervals or contributions, for the review simulation, which
        scores every candidate on every review day).

        Returns
        -------
        pandas.DataFrame
            ``probability``, ``probability_lo``, ``probability_hi`` (delta-method interval on
            the log-odds, parameter uncertainty only), ``days_gained`` (expected) and one
            ``contrib_<feature>`` column per feature (log-odds, centred on the training mean;
            an unknown value contributes 0). Unknown yes/no features are averaged over.
        """
        self._check_fitted()
        Xf = self._frame(X)
        B = self._basis(self._filled(Xf))
        zq = ndtri(0.5 + self.interval / 2)
        out = {k: np.zeros(len(B)) for k in ("probability", "probability_lo", "probability_hi")}
        out["days_gained"] = np.zeros(len(B))
        # Unknown yes/no features are averaged over, not filled: the chance is the mixture of
        # the chances with the value yes and no, weighted by the training share of yes (a
        # filled 0.74 "wants release" would put the case between two very different
        # log-odds and understate its chance). Known values pass through unchanged.
        raw = Xf.to_numpy(dtype=float)
        cols = [FEATURES.index(f) for f in BINARY_FEATURES]
        miss = np.isnan(raw[:, cols])
        used = [j for j in range(len(cols)) if miss[:, j].any()]
        # Accommodation need and secured are not independent: "secured" happens only with a
        # need. Their unknown values are averaged over the joint (no need; need, not secured;
        # need, secured), never over the impossible "secured without a need", on which the
        # additive model would extrapolate without bound.
        i_need, i_sec = (
            FEATURES.index("accommodation_need"),
            FEATURES.index("accommodation_secured"),
        )
        pair = {cols.index(i_need), cols.index(i_sec)}
        pn, ps = float(self.fill_[i_need]), float(self.fill_[i_sec])
        ps = min(ps, pn)
        prior = np.array([[1 - pn, 0.0], [pn - ps, ps]])  # [need, secured]
        known_n, known_s = ~np.isnan(raw[:, i_need]), ~np.isnan(raw[:, i_sec])
        kn = np.nan_to_num(raw[:, i_need]).astype(int).clip(0, 1)
        ks = np.nan_to_num(raw[:, i_sec]).astype(int).clip(0, 1)
        denom = np.where(
            known_n & known_s,
            prior[kn, ks],
            np.where(
                known_n, prior[kn].sum(axis=1), np.where(known_s, prior[:, ks].sum(axis=0), 1.0)
            ),
        )
        for combo in np.ndindex(*(2,) * len(used)):
            w = np.ones(len(B))
            a = raw.copy()
            for j, v in zip(used, combo):
                m = miss[:, j]
                # a row whose value is known is counted once (in the combos with v = 0)
                if j in pair:
                    f = 1.0  # weighted jointly below
                else:
                    share = self.fill_[cols[j]]
                    f = share if v else 1 - share
                w = np.where(m, w * f, w * (1.0 if v == 0 else 0.0))
                a[m, cols[j]] = v
            if pair & set(used):
                n_, s_ = a[:, i_need].astype(int).clip(0, 1), a[:, i_sec].astype(int).clip(0, 1)
                both = known_n & known_s
                w = w * np.where(both, 1.0, prior[n_, s_] / np.where(denom > 0, denom, 1.0))
            if not w.any():
                continue
            Bc = self._basis(self._filled(pd.DataFrame(a, columns=list(FEATURES)))) if used else B
            eta = Bc @ self.coef_ + self.intercept_
            if full:
                Z = np.column_stack([np.ones(len(Bc)), Bc])
                se = np.sqrt(np.einsum("ij,ij->i", Z @ self.cov_, Z))
            else:
                se = np.full(len(Bc), np.nan)
            out["probability"] += w * expit(eta)
            out["probability_lo"] += w * expit(eta - zq * se)
            out["probability_hi"] += w * expit(eta + zq * se)
            out["days_gained"] += w * np.exp(Bc @ self.gain_coef_ + self.gain_intercept_)
        if not full:
            return pd.DataFrame(out, index=X.index)
        centred = (B - self.basis_mean_) * self.coef_
        for name, cols in zip(FEATURES, self._groups()):
            out[f"contrib_{name}"] = centred[:, cols].sum(axis=1)
        return pd.DataFrame(out, index=X.index)

    def rank_score(self, X: pd.DataFrame) -> np.ndarray:
        """Higher = review sooner (``rank_by``)."""
        s = self.score_frame(X)
        return s["days_gained" if self.rank_by == "days_gained" else "probability"].to_numpy()


def load_scoring_model(directory: str | Path | None = None) -> ScoringModel:
    """The stored readiness model for prediction only (default: the shipped one), without
    importing scikit-learn."""
    meta, arrays, man = read_stored(DEFAULT_DIR if directory is None else directory)
    params = dict(meta["params"])
    est = ScoringModel(**params)
    _set_fitted(est, meta, arrays, man)
    return est


class _Tabulated:
    """A spline term on ``[lo, hi]`` (held constant outside, as the model does) tabulated at
    :data:`_TABLE_POINTS` equally spaced points and read by linear interpolation: for the cubic
    splines fitted here the error is below 1e-8 (a test checks it)."""

    def __init__(self, spline, lo: float, hi: float):
        self.lo = float(lo)
        self.step = (float(hi) - self.lo) / (_TABLE_POINTS - 1)
        self.table = spline(np.linspace(lo, hi, _TABLE_POINTS))
        self.hi = float(hi)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        u = (np.clip(x, self.lo, self.hi) - self.lo) / self.step
        i = np.minimum(u.astype(np.int64), _TABLE_POINTS - 2)
        lo = self.table[i]
        return lo + (u - i) * (self.table[i + 1] - lo)


#: Points of each spline table (:class:`_Tabulated`).
_TABLE_POINTS = 1 << 16


def _ndtr_table() -> _Tabulated:
    from scipy.special import ndtr

    return _Tabulated(ndtr, -8.5, 8.5)


#: The standard normal CDF on [-8.5, 8.5] (held at its end values outside: below 1e-16 from
#: 0 and 1), tabulated: within 1e-8 of :func:`scipy.special.ndtr`, five times faster.
_NDTR = _ndtr_table()


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

    The readiness spline terms are evaluated as one spline function per feature
    (:class:`scipy.interpolate.BSpline` with the fitted coefficients), the same sum as
    :meth:`ScoringModel.decision_function` without building the basis matrix.
    """

    def __init__(self, model: ScoringModel, rules=None):
        from scipy.interpolate import BSpline

        from toolkit.priority.routes import load_rules
        from toolkit.review.policy import ROSH_LEVELS
        from toolkit.schema import RECALL_TYPES

        model._check_fitted()
        self.model = model
        self.rules = rules = load_rules(rules)
        d = model.degree
        groups = model._groups()
        self.splines = []
        for j in range(len(SPLINE_FEATURES)):
            base = model.knots_[:, j]
            lo_step, hi_step = base[1] - base[0], base[-1] - base[-2]
            t = np.r_[
                np.linspace(base[0] - d * lo_step, base[0] - lo_step, d),
                base,
                np.linspace(base[-1] + hi_step, base[-1] + d * hi_step, d),
            ]
            self.splines.append(
                (BSpline(t, model.coef_[groups[j]], d, extrapolate=False), base[0], base[-1])
            )
        k = len(SPLINE_FEATURES)
        self.lin_coef = model.coef_[k * len(groups[0]) :] / model.scale_
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
        from toolkit.priority.features import FAR_DAYS

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
        for (spl, lo, hi), x in zip(self.splines, xs):
            eta += spl(np.clip(x, lo, hi))
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
        from scipy.special import ndtr

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
        spline terms that move with the day are read from tables (:class:`_Tabulated`, within
        1e-8 on the log-odds), ten times faster than evaluating the splines. With
        ``floor_days > 0`` the gain is divided by the days left to SED (at least that many),
        as :func:`toolkit.priority.simulation_score` ranks."""
        from toolkit.priority.features import FAR_DAYS

        rows = ep.cohort_row
        n = ep.n
        rtype = ep.recall_type
        indet = self.no_sed[rtype]
        rosh = census.rosh[rows] if census is not None else np.full(n, -1)
        ogrs = census.ogrs[rows] if census is not None else np.full(n, np.nan)
        clipped = np.clip(np.nan_to_num(ogrs, nan=0.5), 1e-3, 1 - 1e-3)
        lg = np.where(np.isnan(ogrs), self.fill[3], np.log(clipped / (1 - clipped)))
        spl, lo, hi = self.splines[3]
        accom_need = np.isfinite(ep.accommodation_day)
        if census is not None:
            accom_need = accom_need | census.accommodation_need[rows]
        c = self.lin_coef
        static = (
            self.lin_const
            + spl(np.clip(lg, lo, hi))
            + c[0] * self.fill[len(SPLINE_FEATURES)]
            + c[1] * accom_need
            + c[5] * ~ep.declines
            + c[6] * (rosh == 3)
            + c[7] * indet
        )
        mult = (self.exec_type[rtype] & ~np.isin(rosh, self.excluded_rosh)) * self.p_notice
        unmet = np.isfinite(ep.programme_day)
        if not hasattr(self, "_tables"):  # built once per model, shared by every prepare
            self._tables = tuple(_Tabulated(*sp) for sp in self.splines[:3])
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
                lands = _NDTR((np.log(np.maximum(left, 0.0)) - dlog) / dsig)
            out = mult[idx] * lands / (1.0 + np.exp(-eta))
            if floor_days > 0:
                out = out / np.maximum(left, floor_days)
            return out

        return gain
