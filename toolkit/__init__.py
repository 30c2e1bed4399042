"""recall-toolkit: synthetic recall cohorts calibrated to published profiles.

The public API is re-exported here; see the README for the flow from profile spec to cohort to
fidelity report.
"""

from __future__ import annotations

__version__ = "0.1.0"

from toolkit.exceptions import CohortError, SpecError, ToolkitError, UsageError  # noqa: E402
from toolkit.profile.spec import ProfileSpec, load_profile  # noqa: E402

__all__ = [
    "CohortError",
    "ProfileSpec",
    "SpecError",
    "ToolkitError",
    "UsageError",
    "__version__",
    "load_profile",
]
