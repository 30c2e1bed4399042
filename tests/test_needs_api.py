"""The needs stage's public names (one home each) and its results' protocol (to_frame, to_dict,
render, plot(ax=) through toolkit.report.plots; rng= as int, Generator or SeedSequence)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import toolkit  # noqa: E402
from toolkit.needs.capacity import CapacityResult  # noqa: E402
from toolkit.needs.gap import estimate_needs_gap, load_capacity  # noqa: E402
from toolkit.needs.pathways import ttg_report  # noqa: E402
from toolkit.profile.rules import default_rules_path, load_programme_rules  # noqa: E402


def test_the_needs_gap_alias_is_gone_and_the_package_exports_the_estimator():
    # the file, not an import: an editable install of another checkout could still resolve it
    assert not (Path(toolkit.__file__).parent / "needs_gap.py").exists()
    from toolkit.needs import NeedsGapResult, estimate_needs_gap, load_capacity
    from toolkit.needs.gap import estimate_needs_gap as home

    assert estimate_needs_gap is home
    assert callable(load_capacity) and NeedsGapResult.__module__ == "toolkit.needs.gap"


# --- the result protocol (toolkit.results) on the needs results


@pytest.fixture(scope="module")
def standard():
    from toolkit.cohort.generate import generate_cohort

    return generate_cohort(populations=["standard"], rng=1)


@pytest.fixture(scope="module")
def gap(standard):
    rules = load_programme_rules()
    cap = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
    return estimate_needs_gap(standard, rules, capacity=cap, capacity_months=6, n_boot=50, rng=2)


def _bar_widths(ax):
    return [round(p.get_width(), 9) for p in ax.patches]


def test_needs_gap_result_plots_through_plot_needs_gap(gap):
    from toolkit.report.plots import plot_needs_gap

    fig, (a, b) = plt.subplots(1, 2)
    assert gap.plot(ax=a) is a
    plot_needs_gap(gap, ax=b)
    assert _bar_widths(a) == _bar_widths(b) and len(a.patches) == 3 * len(gap.table)
    plt.close(fig)
    frame = gap.to_frame()
    frame.loc[0, "suitable"] = -1  # a copy: the result does not change
    assert gap.table.loc[0, "suitable"] >= 0
    assert json.loads(json.dumps(gap.to_dict()))["table"][0]["programme"] == gap.table.iloc[0, 0]


def test_capacity_result_offers_the_protocol(gap):
    res = CapacityResult(gap.capacity, gap.capacity_monthly, gap.capacity_notes)
    pd.testing.assert_frame_equal(res.to_frame(), gap.capacity)
    d = json.loads(json.dumps(res.to_dict()))
    assert len(d["summary"]) == len(gap.capacity) and len(d["monthly"]) == 6 * len(gap.capacity)
    assert d["notes"] == list(gap.capacity_notes)
    # the same lines the needs gap prints for its scenario
    assert res.render() in gap.render()
    ax = res.plot(ax=None)
    assert len(ax.get_lines()) == len(gap.capacity)
    plt.close(ax.figure)


def test_ttg_report_offers_a_frame_and_a_figure_of_its_levels(standard):
    rep = ttg_report(standard, reading="person_only")
    pd.testing.assert_frame_equal(rep.to_frame(), rep.table)
    assert rep.to_frame() is not rep.table
    ax = rep.plot()
    t = rep.table.set_index("pathway")
    rows = list(t.index)
    # three level segments per row, in PATHWAY_LEVELS order (level 3, level 2 only, combined)
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, len(rows))
    acc = rows.index("accommodation")
    n = t.loc["accommodation", "n"]
    assert widths[0, acc] == pytest.approx(100 * t.loc["accommodation", "level_3"] / n)
    assert widths[1, acc] == pytest.approx(100 * t.loc["accommodation", "level_2_only"] / n)
    # a pathway the cohort cannot estimate is labelled, not drawn as a zero need
    texts = [x.get_text() for x in ax.texts]
    n_missing = int((~t["estimable"].astype(bool)).sum())
    assert n_missing and sum(x.startswith("not estimable") for x in texts) == n_missing
    assert "person_only" in ax.get_title()
    plt.close(ax.figure)


def test_rng_takes_a_seed_sequence_with_the_same_bytes_as_a_generator(standard):
    """`rng=` takes an int, a Generator or a SeedSequence; the same stream gives the same result."""
    rules = load_programme_rules()
    cap = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
    kw = {"capacity": cap, "capacity_months": 3, "n_boot": 20}
    a = estimate_needs_gap(standard, rules, rng=np.random.SeedSequence(7), **kw)
    b = estimate_needs_gap(
        standard, rules, rng=np.random.default_rng(np.random.SeedSequence(7)), **kw
    )
    assert a.to_dict() == b.to_dict()


# --- the API refuses what `gaps` refuses, with the same message (no flag names) ---------------


def _refusal(kwargs, standard):
    from toolkit.exceptions import ToolkitError
    from toolkit.needs import needs_summary

    with pytest.raises(ToolkitError) as e:
        needs_summary(standard, **kwargs)
    return str(e.value)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"capacity_months": 0}, ["capacity_months", "whole number >= 1", "got 0"]),
        ({"capacity_months": 2.5}, ["capacity_months", "whole number", "2.5"]),
        ({"capacity_release": "soon"}, ["capacity_release", "calibrated, sed", "'soon'"]),
        (
            {"pathways": True, "pathway_reading": "nope"},
            ["pathway_reading", "'nope'", "person_only"],
        ),
        ({"reading": "nope"}, ["unknown reading", "'nope'"]),
    ],
)
def test_needs_summary_refuses_bad_arguments_without_naming_flags(standard, kwargs, words):
    msg = _refusal(kwargs, standard)
    assert all(w in msg for w in words), msg
    assert "--" not in msg


def test_national_figures_refuse_a_base_too_small_in_the_api(standard):
    """MIN_BASE is the API's rule (it was the command's alone): 29 people in the Table 2 base are
    refused when scaled to the nation, accepted without national figures, and 30 pass."""
    from toolkit.exceptions import CohortError
    from toolkit.needs.gap import MIN_BASE, require_national_base
    from toolkit.profile.rules import base_mask

    rules = load_programme_rules()
    inside = np.flatnonzero(base_mask(standard, rules))
    few = standard.iloc[inside[: MIN_BASE - 1]]
    with pytest.raises(CohortError, match=r"^my\.csv: has 29 people in the Table 2 base"):
        require_national_base(few, rules, label="my.csv")
    with pytest.raises(CohortError, match="at least 30 needed"):
        estimate_needs_gap(few, rules, n_boot=0)
    assert estimate_needs_gap(few, rules, stock=None, n_boot=0).table["n_base"].iloc[0] == 29
    enough = standard.iloc[inside[:MIN_BASE]]
    assert estimate_needs_gap(enough, rules, n_boot=0).stock > 0


def test_needs_summary_dict_holds_the_gap_and_what_the_command_adds(standard):
    from toolkit.needs import needs_summary

    s = needs_summary(standard, pathways=True, sensitivity=True, rng=1)
    d = s.to_dict()
    gap = estimate_needs_gap(standard, rng=1)
    assert {k: v for k, v in d.items() if k in gap.to_dict()} == gap.to_dict()
    assert {"sensitivity", "reading_summary", "pathways", "pathway_groups"} <= set(d)
    text = s.render()
    assert text.startswith(gap.render()) and "Resettlement pathways" in text
    assert "Suitable and unmet counts under each reading" in text


@pytest.mark.parametrize("bad", [-1, 2.5, True, "7"])
def test_a_bad_rng_is_refused_in_words(standard, bad):
    from toolkit.exceptions import UsageError
    from toolkit.needs.gap import bootstrap_mean_interval

    with pytest.raises(UsageError, match="rng must be a non-negative int seed"):
        estimate_needs_gap(standard, n_boot=10, rng=bad)
    with pytest.raises(UsageError, match="rng must be"):
        bootstrap_mean_interval(np.array([0, 1]), 10, 0.95, rng=bad)


def test_render_reproduction_refuses_a_bad_seed_as_the_command_does():
    from toolkit.exceptions import UsageError
    from toolkit.report.markdown import render_reproduction

    with pytest.raises(UsageError, match="seed must be a whole number >= 0; got -1"):
        render_reproduction("howard_2009_ogrs3", seed=-1)
