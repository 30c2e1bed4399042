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

# ReviewGain (numpy only) is re-exported: scripts import it from here
from toolkit.priority.gain import ReviewGain  # noqa: F401
from toolkit.priority.stored import ARRAYS, DEFAULT_DIR, FORMAT_VERSION, read_stored  # noqa: F401


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


def set_fitted(est, meta: dict, arrays, man: dict) -> None:
    """Give ``est`` (a :class:`ScoringModel` or ``PriorityScorer``) the fitted attributes a
    stored model holds: ``meta`` and ``arrays`` as :func:`toolkit.priority.stored.read_stored`
    returns them, ``man`` its manifest. Shared by :func:`load_scoring_model` and
    ``PriorityScorer.load`` so that both read a stored model the same way."""
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
        out = self._averaged_scores(Xf.to_numpy(dtype=float), B, full)
        if full:
            out.update(self._contributions(B))
        return pd.DataFrame(out, index=X.index)

    def _averaged_scores(self, raw: np.ndarray, B: np.ndarray, full: bool) -> dict:
        """Chance (with its interval) and days gained, averaged over the unknown yes/no values
        (:meth:`_unknown_yes_no`); ``B`` is the basis with unknowns filled."""
        zq = ndtri(0.5 + self.interval / 2)
        out = {k: np.zeros(len(B)) for k in ("probability", "probability_lo", "probability_hi")}
        out["days_gained"] = np.zeros(len(B))
        for w, a in self._unknown_yes_no(raw):
            if not w.any():
                continue
            filled = None if a is None else self._filled(pd.DataFrame(a, columns=list(FEATURES)))
            Bc = B if filled is None else self._basis(filled)
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
        return out

    def _unknown_yes_no(self, raw: np.ndarray):
        """Each combination of values of the unknown yes/no features, as ``(weight, values)``
        (``values`` None when no feature is unknown: the filled basis serves).

        Unknown yes/no features are averaged over, not filled: the chance is the mixture of the
        chances with the value yes and no, weighted by the training share of yes (a filled 0.74
        "wants release" would put the case between two very different log-odds and understate
        its chance). Known values pass through unchanged. Accommodation need and secured are not
        independent: "secured" happens only with a need. Their unknown values are averaged over
        the joint (no need; need, not secured; need, secured), never over the impossible
        "secured without a need", on which the additive model would extrapolate without bound.
        """
        cols = [FEATURES.index(f) for f in BINARY_FEATURES]
        miss = np.isnan(raw[:, cols])
        used = [j for j in range(len(cols)) if miss[:, j].any()]
        i_need, i_sec = (
            FEATURES.index("accommodation_need"),
            FEATURES.index("accommodation_secured"),
        )
        pair = {cols.index(i_need), cols.index(i_sec)}
        prior, denom, known_both = self._accommodation_prior(raw, i_need, i_sec)
        for combo in np.ndindex(*(2,) * len(used)):
            w = np.ones(len(raw))
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
                w = w * np.where(known_both, 1.0, prior[n_, s_] / np.where(denom > 0, denom, 1.0))
            yield w, (a if used else None)

    def _accommodation_prior(self, raw: np.ndarray, i_need: int, i_sec: int):
        """The training joint of (need, secured), never "secured without a need"; each row's
        share of it compatible with what the row knows; and whether it knows both."""
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
        return prior, denom, known_n & known_s

    def _contributions(self, B: np.ndarray) -> dict:
        """Each feature's contribution to the log-odds, centred on the training mean row."""
        centred = (B - self.basis_mean_) * self.coef_
        return {
            f"contrib_{name}": centred[:, cols].sum(axis=1)
            for name, cols in zip(FEATURES, self._groups())
        }

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
    set_fitted(est, meta, arrays, man)
    return est
