"""The needs stage's public names: one home each (issue 24 item 4)."""

from __future__ import annotations

import importlib

import pytest


def test_the_needs_gap_alias_is_gone_and_the_package_exports_the_estimator():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("toolkit.needs_gap")
    from toolkit.needs import NeedsGapResult, estimate_needs_gap, load_capacity
    from toolkit.needs.gap import estimate_needs_gap as home

    assert estimate_needs_gap is home
    assert callable(load_capacity) and NeedsGapResult.__module__ == "toolkit.needs.gap"
