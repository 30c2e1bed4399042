"""recall-toolkit: synthetic recall cohorts calibrated to published profiles.

The public API is re-exported here; see the README for the flow from profile spec to cohort to
fidelity report.
"""

from __future__ import annotations

__version__ = "0.1.0"

from toolkit.exceptions import CohortError, SpecError, ToolkitError, UsageError

__all__ = [
    "CohortError",
    "ProfileSpec",
    "SpecError",
    "ToolkitError",
    "UsageError",
    "__version__",
    "load_profile",
]

# The profile stage (numpy, pandas, scipy) is imported on first use, not on `import toolkit`, so
# the command line can install its Ctrl-C handling before any heavy import (issue 12).
_LAZY = {"ProfileSpec": "toolkit.profile.spec", "load_profile": "toolkit.profile.spec"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
