"""Compatibility alias: the needs-gap estimator now lives in :mod:`toolkit.needs.gap`.

Kept so that ``from toolkit.needs_gap import estimate_needs_gap`` (shown in earlier READMEs)
keeps working.
"""

from toolkit.needs.gap import NeedsGapResult, estimate_needs_gap, load_capacity

__all__ = ["NeedsGapResult", "estimate_needs_gap", "load_capacity"]
