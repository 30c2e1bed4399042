"""The stored readiness model's names and files, without pandas, scipy or scikit-learn.

The feature names (:data:`FEATURES`), where the shipped model lives (:data:`DEFAULT_DIR`) and
:func:`read_stored`, which reads its JSON + npz files checking the manifest's hashes. Kept
apart so that the review simulation's scorer ordering (:mod:`toolkit.priority.gain`) loads the
model with numpy alone; :mod:`toolkit.priority.features` and :mod:`toolkit.priority.model`
re-export these names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from toolkit.exceptions import UsageError

#: SED further than this counts as "far" (and indeterminate sentences are set to it): five
#: years is the longest follow-up the simulation runs.
FAR_DAYS = 1825.0
#: Features modelled with a spline (non-linear in the log of days / logit of a score).
SPLINE_FEATURES = (
    "log_days_since_recall",
    "log_days_to_sed",
    "log_days_since_review",
    "logit_ogrs3",
)
#: Features entering linearly (yes/no as 0/1; unknown -> the training mean).
LINEAR_FEATURES = (
    "need_domains",
    "accommodation_need",
    "accommodation_secured",
    "unmet_programme",
    "om_contact",
    "wants_release",
    "rosh_very_high",
    "indeterminate",
)
FEATURES = SPLINE_FEATURES + LINEAR_FEATURES
#: Yes/no features a caseload may leave unknown; the scorer averages over them when unknown.
BINARY_FEATURES = (
    "accommodation_need",
    "accommodation_secured",
    "unmet_programme",
    "om_contact",
    "wants_release",
)
DEFAULT_DIR = Path(__file__).with_name("default")
FORMAT_VERSION = 1
ARRAYS = ("knots_", "fill_", "loc_", "scale_", "basis_mean_", "coef_", "cov_", "gain_coef_")


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
