"""``PriorityScorer``: the chance a case is releasable within 28 days and the supervised days a
review now would gain, as a calibrated, additive (interpretable) scikit-learn model.

Model: each spline feature (days since recall, days to SED, days since the last review, logit
OGRS3) is expanded in cubic B-splines with knots at training quantiles
(:class:`sklearn.preprocessing.SplineTransformer`); the linear features (need domains,
accommodation need and secured, wants release, very high RoSH, indeterminate sentence) are
standardised. A :class:`sklearn.linear_model.LogisticRegression` on that basis gives the chance
of being releasable within 28 days; a :class:`sklearn.linear_model.PoissonRegressor` on the
same basis gives the expected supervised days gained by a review now (log link, so it stays
positive). Both are additive on their link scale, so each feature's contribution to a case's
score is exact and is what :mod:`toolkit.priority.reasons` turns into words.

The fitted scorer is stored as JSON (settings, knots, scalers, metrics) plus ``.npz`` (arrays);
never pickle, so a stored scorer cannot run code when loaded.
"""

from __future__ import annotations

import hashlib
import json
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.preprocessing import SplineTransformer
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted

from toolkit.exceptions import UsageError
from toolkit.priority.features import (
    FEATURES,
    LINEAR_FEATURES,
    SPLINE_FEATURES,
)
from toolkit.priority.model import (
    ARRAYS,
    DEFAULT_DIR,
    FORMAT_VERSION,
    ScoringModel,
    read_stored,
    set_fitted,
)


class PriorityScorer(ScoringModel, ClassifierMixin, BaseEstimator):
    """Chance of being releasable within 28 days, and supervised days gained by reviewing now.

    Parameters
    ----------
    n_knots : int, default 5
        Knots per spline feature (placed at training quantiles).
    degree : int, default 3
        Spline degree.
    C : float, default 10.0
        Inverse L2 penalty of both regressions (weak: the training sets are large).
    interval : float, default 0.9
        Coverage of the score interval (parameter uncertainty, delta method).
    rank_by : {"days_gained", "probability"}, default "days_gained"
        What :meth:`rank_score` orders by.

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    knots_ : ndarray, shape (n_knots, n_spline_features)
    fill_ : ndarray
        Training means used for unknown values.
    loc_, scale_ : ndarray
        Standardisation of the linear features.
    basis_mean_ : ndarray
        Mean training basis row (contributions are centred on it).
    coef_, intercept_ : ndarray, float
        Logistic regression on the basis.
    cov_ : ndarray
        Approximate covariance of (intercept, coef) from the penalised Fisher information.
    gain_coef_, gain_intercept_ : ndarray, float
        Poisson regression of days gained on the basis.
    classes_ : ndarray
    n_features_in_ : int
    """

    _parameter_constraints: dict = {
        "n_knots": [Interval(Integral, 3, 20, closed="both")],
        "degree": [Interval(Integral, 1, 5, closed="both")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "interval": [Interval(Real, 0, 1, closed="neither")],
        "rank_by": [StrOptions({"days_gained", "probability"})],
    }

    def __init__(self, n_knots=5, degree=3, C=10.0, interval=0.9, rank_by="days_gained"):
        self.n_knots = n_knots
        self.degree = degree
        self.C = C
        self.interval = interval
        self.rank_by = rank_by

    # -- fitting --------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y, *, days_gained=None, sample_weight=None):
        """Fit on a feature table (:func:`toolkit.priority.features.design`).

        Parameters
        ----------
        X : pandas.DataFrame with the columns of ``features.FEATURES``
        y : array of bool, releasable within 28 days
        days_gained : array of float, optional
            Supervised days a review now gains; without it the gain model is not fitted.
        sample_weight : array, optional
        """
        self._validate_params()
        X = self._frame(X)
        y = np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise UsageError(f"X has {len(X)} rows but y has {len(y)}")
        self.feature_names_in_ = np.asarray(FEATURES, dtype=object)
        self.n_features_in_ = len(FEATURES)
        self.classes_ = np.array([False, True])
        self.fill_ = np.nanmean(X.to_numpy(float), axis=0)
        self.fill_ = np.where(np.isfinite(self.fill_), self.fill_, 0.0)
        filled = self._filled(X)
        spl = SplineTransformer(
            n_knots=self.n_knots, degree=self.degree, knots="quantile", extrapolation="constant"
        ).fit(filled[:, : len(SPLINE_FEATURES)])
        self.knots_ = np.column_stack([b.t[self.degree : -self.degree] for b in spl.bsplines_])
        lin = filled[:, len(SPLINE_FEATURES) :]
        self.loc_ = lin.mean(axis=0)
        sd = lin.std(axis=0)
        self.scale_ = np.where(sd > 0, sd, 1.0)
        B = self._basis(filled)
        self.basis_mean_ = B.mean(axis=0)
        lr = LogisticRegression(C=self.C, max_iter=2000).fit(B, y, sample_weight=sample_weight)
        self.coef_ = lr.coef_[0].copy()
        self.intercept_ = float(lr.intercept_[0])
        p = expit(B @ self.coef_ + self.intercept_)
        Z = np.column_stack([np.ones(len(B)), B])
        w = p * (1 - p) * (1.0 if sample_weight is None else np.asarray(sample_weight))
        info = (Z * w[:, None]).T @ Z
        info[1:, 1:] += np.eye(B.shape[1]) / self.C  # sklearn's penalty is 0.5 ||w||^2 / C
        self.cov_ = np.linalg.pinv(info)
        if days_gained is not None:
            g = np.asarray(days_gained, dtype=float)
            pr = PoissonRegressor(
                alpha=1.0 / (self.C * len(B)), solver="newton-cholesky", max_iter=200
            ).fit(B, g, sample_weight=sample_weight)
            self.gain_coef_ = pr.coef_.copy()
            self.gain_intercept_ = float(pr.intercept_)
        else:
            self.gain_coef_ = np.zeros(B.shape[1])
            self.gain_intercept_ = float("nan")
        return self

    # -- prediction (basis, decision_function, score_frame: toolkit.priority.model) ------
    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns: not releasable, releasable within 28 days."""
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(X)[:, 1] >= 0.5

    # -- storage (JSON + npz, never pickle) ------------------------------------------------
    _ARRAYS = ARRAYS

    def save(self, directory: str | Path, *, manifest: dict | None = None) -> Path:
        """Write ``scorer.json``, ``scorer.npz`` and ``manifest.json`` (with SHA-256 of both)."""
        check_is_fitted(self, "coef_")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": FORMAT_VERSION,
            "class": "toolkit.priority.scorer.PriorityScorer",
            "params": self.get_params(),
            "features": list(FEATURES),
            "spline_features": list(SPLINE_FEATURES),
            "linear_features": list(LINEAR_FEATURES),
            "intercept_": self.intercept_,
            "gain_intercept_": self.gain_intercept_,
        }
        (d / "scorer.json").write_text(json.dumps(meta, indent=2) + "\n")
        with open(d / "scorer.npz", "wb") as fh:
            np.savez(fh, **{k: getattr(self, k) for k in self._ARRAYS})
        man = dict(manifest or {})
        man["files"] = {
            f: hashlib.sha256((d / f).read_bytes()).hexdigest()
            for f in ("scorer.json", "scorer.npz")
        }
        (d / "manifest.json").write_text(json.dumps(man, indent=2, default=str) + "\n")
        return d

    @classmethod
    def load(cls, directory: str | Path = DEFAULT_DIR) -> PriorityScorer:
        """Read a scorer written by :meth:`save`, checking the manifest's hashes."""
        meta, arrays, man = read_stored(directory)
        est = cls(**meta["params"])
        set_fitted(est, meta, arrays, man)
        return est


@validate_params({"directory": [str, Path, None]}, prefer_skip_nested_validation=True)
def load_default_scorer(directory: str | Path | None = None) -> PriorityScorer:
    """The shipped default scorer (``toolkit/priority/default/``)."""
    return PriorityScorer.load(DEFAULT_DIR if directory is None else directory)
