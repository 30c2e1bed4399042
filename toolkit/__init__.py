"""recall-toolkit: synthetic recall cohorts calibrated to published profiles.

The public API is re-exported here; see the README for the flow from profile spec to cohort to
fidelity report.
"""

from __future__ import annotations

import sys as _sys

if _sys.argv[:1] == ["-m"] or _sys.argv[0].endswith("recall-toolkit"):  # pragma: no cover
    # Started as the command line (`python -m toolkit.cli`, or the console script): until
    # toolkit.cli.main takes over, Ctrl-C ends the process with one line and exit 130 instead
    # of a traceback from the middle of an import (issue 12). Nothing has been written yet.
    import os as _os
    import signal as _signal

    def _interrupted_at_start_up(signum, frame):
        _os.write(2, b"recall-toolkit: interrupted; no output written\n")
        _os._exit(130)

    if _signal.getsignal(_signal.SIGINT) is not _signal.SIG_IGN:
        _signal.signal(_signal.SIGINT, _interrupted_at_start_up)

__version__ = "0.1.0"

from toolkit.exceptions import CohortError, SpecError, ToolkitError, UsageError  # noqa: E402

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
