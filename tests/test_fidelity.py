"""The fidelity report judges honestly: it fails a cohort that misses a figure."""

import json

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from toolkit import CohortError  # noqa: E402
from toolkit.fidelity.report import fidelity_report  # noqa: E402
from toolkit.report.plots import figure1_table, plot_fidelity, plot_figure1  # noqa: E402
from toolkit.schema import RELATIONS  # noqa: E402

COLUMNS = [
    "target_id",
    "population",
    "statistic",
    "published",
    "synthetic",
    "tolerance",
    "pass",
    "source",
]


@pytest.fixture(scope="module")
def report(default_cohort, spec):
    return fidelity_report(default_cohort, spec)


def test_report_shape(report, spec):
    df = report.to_frame()
    for c in COLUMNS:
        assert c in df.columns
    # + Table 2: 6 programmes x 4 figures, + one row per logical relation
    assert len(df) == len(spec.targets) + 24 + len(RELATIONS)
    rel = df[df["statistic"] == "relation"]
    assert (rel["synthetic"] == 0).all() and rel["pass"].all()
    assert report.passed
    assert set(report.assumed["kind"]) == {"assumed", "derived"}
    assert (report.assumed["reason"].str.len() > 0).all()
    json.dumps(report.to_dict())  # serialisable


def test_perturbed_cohort_fails(default_cohort, spec):
    bad = default_cohort.copy()
    std = bad["population"] == "standard"
    bad.loc[std, "age"] = bad.loc[std, "age"] + 1
    rep = fidelity_report(bad, spec)
    failed = set(rep.failures["target_id"])
    assert "appendix.age.standard" in failed
    assert "appendix.age.all_recalled" in failed
    assert not rep.passed


def test_dropping_people_fails_counts(default_cohort, spec):
    # Dropping one standard recall leaves sizes no generate_cohort(n=...) call would produce,
    # so the published counts are judged as they stand, and fail.
    first_standard = default_cohort.index[default_cohort["population"] == "standard"][0]
    rep = fidelity_report(default_cohort.drop(index=first_standard), spec)
    failed = set(rep.failures["target_id"])
    assert {"appendix.n.all_prisoners", "appendix.n.standard"} <= failed


@pytest.mark.slow
def test_scaled_cohort_judged_at_its_own_granularity(spec):
    from toolkit.cohort.generate import generate_cohort

    rep = fidelity_report(generate_cohort(spec, n=20_000, rng=4), spec)
    t = rep.targets.set_index("target_id")
    assert t.loc["appendix.n.standard", "role"] == "scaled"
    # group rows are met too: the targets are derived at the cohort's own sizes
    assert t.loc["appendix.age.all_recalled", "role"] == "target"
    assert t.loc["appendix.age.hdc", "role"] == "target"
    assert rep.passed, rep.failures[["target_id", "published", "synthetic", "tolerance"]]


def test_broken_relation_fails(default_cohort, spec):
    bad = default_cohort.copy()
    rows = bad.index[(bad["need_class_a"] >= 1).fillna(False)][:3]
    bad.loc[rows, "need_drugs_ever"] = 0
    rep = fidelity_report(bad, spec)
    row = rep.targets.set_index("target_id").loc["relation.class_a_implies_drug_use"]
    assert row["synthetic"] == 3
    assert row["pass"] is False or row["pass"] == False  # noqa: E712
    assert not rep.passed
    # the summary keeps relations apart from published figures (drug use also underlies
    # another relation, and the drug-use share moves, so both counts drop)
    d = rep.to_dict()["summary"]
    assert d["relations_checked"] - d["relations_held"] >= 1
    assert d["published_passed"] + d["relations_held"] == d["passed"]
    assert d["published_evaluated"] + d["relations_checked"] == d["evaluated"]
    assert "logical relations hold" in rep.render().splitlines()[0]


def test_claims_retested_with_direction(report):
    t = report.tests.set_index("claim_id")
    assert t.loc["claim.standard_younger", "observed"] == "lower"
    assert bool(t.loc["claim.standard_younger", "agrees"])
    assert t.loc["claim.standard_younger", "p_value"] < 0.05
    # The chart data contradict the text for problematic relationships; the report shows it.
    assert t.loc["claim.figure1_higher.need_relationship", "observed"] == "lower"


def test_unmeetable_and_context_not_evaluated(report):
    t = report.targets.set_index("target_id")
    assert t.loc["bo.days_on_recall.under_6m.all_recalled", "role"] == "unmeetable"
    assert t.loc["bo.days_on_recall.under_6m.all_recalled", "pass"] is None
    assert t.loc["bo.stock.national_2016", "role"] == "context"


def test_partial_cohort_marks_missing_populations(spec):
    from toolkit.cohort.generate import generate_cohort

    rep = fidelity_report(generate_cohort(spec, populations=["life"], rng=2), spec)
    t = rep.targets.set_index("target_id")
    assert t.loc["appendix.age.life", "pass"]
    assert t.loc["appendix.age.standard", "role"] == "not_in_cohort"
    assert rep.passed


def test_bad_cohort():
    import pandas as pd

    with pytest.raises(CohortError, match="lacks required column"):
        fidelity_report(pd.DataFrame({"x": [1]}))


def test_plots_take_and_return_axes(default_cohort, spec, report):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_figure1(default_cohort, spec, ax=ax) is ax
    assert len(ax.patches) == 24
    fig2, ax2 = plt.subplots()
    assert plot_fidelity(report, ax=ax2) is ax2
    # the report draws itself through the same function (toolkit.results protocol)
    fig3, ax3 = plt.subplots()
    assert report.plot(ax=ax3) is ax3
    assert [t.get_text() for t in ax3.texts] == [t.get_text() for t in ax2.texts]
    plt.close("all")
    tab = figure1_table(default_cohort, spec)
    assert (abs(tab["synthetic_standard"] - tab["published_standard"]) < 5e-4).all()


def test_check_cohort_file_is_what_the_command_runs(tmp_path, spec):
    """The API behind `recall-toolkit fidelity`: read the file, then report (same result)."""
    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import read_cohort, write_cohort
    from toolkit.fidelity.report import check_cohort_file

    path = tmp_path / "hdc.csv"
    write_cohort(generate_cohort(spec, populations=["hdc"], rng=3), path)
    got = check_cohort_file(path).to_dict()
    assert got == fidelity_report(read_cohort(path), spec).to_dict()
    with pytest.raises(CohortError, match="no such cohort file"):
        check_cohort_file(tmp_path / "missing.csv")
