"""OGRS3, the Offender Group Reconviction Scale version 3 (Howard et al. 2009), vectorised.

The coefficients are data (``papers/howard_2009_ogrs3/ogrs3.toml``), read once.

References
----------
Howard, P., Francis, B., Soothill, K. and Humphreys, L. (2009). *OGRS 3: the revised Offender
Group Reconviction Scale*. Ministry of Justice Research Summary 7/09.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.special import expit

from toolkit.schema import INDEX_OFFENCES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class OGRS3Coefficients:
    """OGRS3 model coefficients (read-only arrays)."""

    copas: float
    intercept_1yr: float
    intercept_2yr: float
    first_sanction: float
    repeat_sanction: float
    age_lower: np.ndarray
    male: np.ndarray
    female: np.ndarray
    offence: np.ndarray  # in the order of schema.INDEX_OFFENCES
    test_vectors: tuple[dict, ...]
    citation: str


@lru_cache(maxsize=1)
def coefficients() -> OGRS3Coefficients:
    """Load the OGRS3 coefficients shipped in ``papers/howard_2009_ogrs3/ogrs3.toml``."""
    path = resources.files("toolkit.papers") / "howard_2009_ogrs3" / "ogrs3.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    c = data["coefficients"]
    bands = data["age_bands"]

    def ro(x):
        a = np.asarray(x, dtype=float)
        a.setflags(write=False)
        return a

    return OGRS3Coefficients(
        copas=c["copas"],
        intercept_1yr=c["intercept_1yr"],
        intercept_2yr=c["intercept_2yr"],
        first_sanction=c["first_sanction"],
        repeat_sanction=c["repeat_sanction"],
        age_lower=ro(bands["lower"]),
        male=ro(bands["male"]),
        female=ro(bands["female"]),
        offence=ro([data["offence"][o] for o in INDEX_OFFENCES]),
        test_vectors=tuple(data["test_vectors"]),
        citation=data["meta"]["citation"],
    )


def ogrs3_linear(
    age: np.ndarray,
    is_female: np.ndarray,
    offence_code: np.ndarray,
    previous_sanctions: np.ndarray,
    years_since_first_sanction: np.ndarray,
) -> np.ndarray:
    """OGRS3 linear predictor without the follow-up intercept.

    Parameters
    ----------
    age : array of int or float
        Age in years (banded as in OGRS3; ages below 10 use the 10-11 band).
    is_female : array of bool
    offence_code : array of int
        Index into :data:`toolkit.schema.INDEX_OFFENCES`.
    previous_sanctions : array of int
        Sanctions before the current one (0 means a first sanction).
    years_since_first_sanction : array of float
        ``age - age_at_first_sanction``.

    Returns
    -------
    numpy.ndarray
        The linear predictor; add ``intercept_1yr`` or ``intercept_2yr`` and apply the logistic.
    """
    c = coefficients()
    band = np.clip(np.searchsorted(c.age_lower, age, side="right") - 1, 0, len(c.age_lower) - 1)
    age_sex = np.where(is_female, c.female[band], c.male[band])
    sanctions = np.asarray(previous_sanctions, dtype=float)
    copas = np.log((1.0 + sanctions) / (10.0 + np.asarray(years_since_first_sanction, float)))
    sanction_term = np.where(sanctions > 0, c.repeat_sanction, c.first_sanction)
    return c.copas * copas + sanction_term + age_sex + c.offence[offence_code]


def ogrs3_probability(
    age,
    sex,
    offence,
    previous_sanctions,
    age_at_first_sanction,
    years: int = 2,
) -> np.ndarray:
    """OGRS3 probability of proven reoffending within one or two years.

    Parameters
    ----------
    age : array_like
        Age at the current conviction (the cohort uses age on the census day).
    sex : array_like of str
        ``"male"`` or ``"female"``.
    offence : array_like of str
        OGRS3 offence category (see :data:`toolkit.schema.INDEX_OFFENCES`).
    previous_sanctions : array_like of int
        Number of previous sanctions (0 for a first sanction).
    age_at_first_sanction : array_like
        Age at first sanction.
    years : {1, 2}
        Follow-up period.

    Returns
    -------
    numpy.ndarray
        Probabilities in (0, 1).

    Examples
    --------
    >>> round(float(ogrs3_probability(20, "male", "violence", 0, 20, years=2)[0]), 6)
    0.221305
    """
    if years not in (1, 2):
        raise ValueError(f"years must be 1 or 2; got {years!r}")
    c = coefficients()
    codes = {o: i for i, o in enumerate(INDEX_OFFENCES)}
    off = np.vectorize(codes.__getitem__, otypes=[int])(np.atleast_1d(offence))
    age = np.atleast_1d(np.asarray(age, dtype=float))
    lin = ogrs3_linear(
        age,
        np.atleast_1d(np.asarray(sex)) == "female",
        off,
        np.atleast_1d(previous_sanctions),
        age - np.atleast_1d(np.asarray(age_at_first_sanction, dtype=float)),
    )
    return expit((c.intercept_1yr if years == 1 else c.intercept_2yr) + lin)
