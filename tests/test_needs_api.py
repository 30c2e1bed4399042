"""The needs stage's public names: one home each (issue 24 item 4)."""

from __future__ import annotations

from pathlib import Path

import toolkit


def test_the_needs_gap_alias_is_gone_and_the_package_exports_the_estimator():
    # the file, not an import: an editable install of another checkout could still resolve it
    assert not (Path(toolkit.__file__).parent / "needs_gap.py").exists()
    from toolkit.needs import NeedsGapResult, estimate_needs_gap, load_capacity
    from toolkit.needs.gap import estimate_needs_gap as home

    assert estimate_needs_gap is home
    assert callable(load_capacity) and NeedsGapResult.__module__ == "toolkit.needs.gap"
