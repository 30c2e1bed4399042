"""The one national model (``national.toml``, :mod:`toolkit.national`): its figures and quotes,
its checks, and that every consumer reads the same figures from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from seeds import seeds_dir

from toolkit.datafiles import paper_file
from toolkit.exceptions import SpecError
from toolkit.national import load_national

TEXT = paper_file("recall_process_experience", "national.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def nat():
    return load_national()


def test_figures_dates_and_labels(nat):
    assert [(str(s.date), s.count, s.label) for s in nat.stocks] == [
        ("2014-03-31", 5125, "31 March 2014"),
        ("2016-03-31", 6564, "31 March 2016"),
        ("2016-09-30", 6710, "30 September 2016"),
    ]
    f = nat.flows[0]
    assert (f.count, f.label, str(f.start), str(f.end)) == (
        21500,
        "2015",
        "2015-01-01",
        "2015-12-31",
    )
    assert f.per_year == pytest.approx(21500 * 365.25 / 365)
    g = nat.growths[0]
    assert (str(g.start), str(g.end), g.percent) == ("2015-03-31", "2016-03-31", 15)
    assert g.per_year == pytest.approx(0.15)
    assert (nat.anchor, nat.anchor_stock.count) == ("stock", 6564)


def test_every_quote_is_in_the_seed_at_its_line(nat):
    lines = (seeds_dir() / nat.document).read_text(encoding="utf-8").splitlines()
    quoted = [*nat.stocks, *nat.flows, *nat.growths]
    quoted.append(
        type("S", (), {"line": nat.standard_share_line, "quote": nat.standard_share_quote})
    )
    for b in quoted:
        # the quote may wrap over the next lines of the text file
        near = " ".join(lines[b.line - 2 : b.line + 3])
        assert re.sub(r"\s+", " ", b.quote) in re.sub(r"\s+", " ", near), b.quote


@pytest.mark.parametrize(
    "old, new, match",
    [
        (
            "count = 21500",
            "cuont = 21500",
            r"`flow\[0\]\.cuont` is not a known key; did you mean `count`",
        ),
        ("count = 6710", "count = -6710", r"`stock\[2\]\.count` must be a positive whole number"),
        ('kind = "stock"', 'kind = "stocks"', r"`anchor\.kind` must be one of flow, stock"),
        ("date = 2016-03-31\nassumed", "date = 2016-04-30\nassumed", r"`anchor\.date` must be the"),
        ("end = 2015-12-31", "end = 2014-12-31", r"`flow\[0\]\.end` must be after start"),
        ("years = 10", "years = 0", r"`projection\.years` must be a whole number"),
        ("growth_after_range = [-5.0, 15.0]", "growth_after_range = [1.0, 15.0]", "around"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path, old, new, match):
    assert old in TEXT
    p = tmp_path / "national.toml"
    p.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError, match=match):
        load_national(p)


def test_every_consumer_reads_the_same_figures(nat):
    from toolkit.needs.national import load_national as needs_loader
    from toolkit.review import load_release_rules
    from toolkit.sweep.projection import load_national_flow

    assert needs_loader() is nat and load_national_flow() is nat
    r = load_release_rules().national
    assert r["stock"] == nat.anchor_stock.count and r["stock_date"] == str(nat.anchor_date)
    assert r["annual_recalls"] == nat.flow and r["flow_label"] == nat.flows[0].label
    assert r["anchor"] == nat.anchor
    assert r["growth_per_year"] == pytest.approx(nat.growth_per_year)
    assert dict(r["other_stocks"]) == {"30 September 2016": 6710.0}


def test_the_review_model_labels_come_from_the_data(tmp_path, nat):
    """An edited national file changes the labels simulate prints (no date in code)."""
    from dataclasses import replace

    from toolkit.national import DatedStock
    from toolkit.review.national import littles_law_text, national_flow
    from toolkit.review.policy import load_release_rules

    rules = load_release_rules()
    text = littles_law_text(national_flow(rules, dict(rules.calibrated)))
    assert "(2015)" in text and "31 March 2016" in text and "30 September 2016" in text
    other = replace(
        nat,
        stocks=(*nat.stocks, DatedStock(nat.anchor_date.replace(year=2017), 7000, 1, "made up")),
    )
    view = other.rules_view()
    assert ("31 March 2017", 7000.0) in view["other_stocks"]
    r2 = replace(rules, national={**rules.national, **view})
    assert "7,000 on 31 March 2017" in littles_law_text(national_flow(r2, dict(rules.calibrated)))


@pytest.mark.slow
def test_simulate_and_gaps_capacity_stand_on_one_national_footing(tmp_path):
    """The capacity scenario admits the recalls a year that simulate scales by (both from the
    national model's anchor), not the published flow with a separate factor."""
    import subprocess
    import sys

    root = Path(__file__).parents[1]
    cli = [sys.executable, "-m", "toolkit.cli"]
    sim = subprocess.run(
        [*cli, "simulate", "--strategy", "formal", "--n", "300", "--replications", "1"]
        + ["--seed", "1", "--out", str(tmp_path / "r.parquet")],
        capture_output=True,
        text=True,
    )
    assert sim.returncode == 0, sim.stderr
    text = " ".join(sim.stdout.split())  # the printout wraps at 100 columns
    flow = re.search(r"anchored on the published stock: ([\d,]+) admissions a year", text)
    cap = subprocess.run(
        [*cli, "gaps", str(root / "synthetic/default_cohort.csv.gz"), "--seed", "1"]
        + ["--capacity", str(root / "papers/recall_process_experience/capacity_example.toml")],
        capture_output=True,
        text=True,
    )
    assert cap.returncode == 0, cap.stderr
    arrivals = re.search(r"arrivals: ([\d,]+) recalls a year \(holding the published", cap.stdout)
    assert flow and arrivals and flow.group(1) == arrivals.group(1)


def test_negative_growth_is_applied_and_named():
    """A shrinking flow (negative --growth) was silently treated as stationary while the text
    said "growing -50% a year". The growth formulas hold for any rate and tend to the
    stationary ones as the rate goes to zero (checked at 1e-6 a year to 1%: the growth branch
    averages drawn stays, the stationary one the smoothed stays behind the flow weights, so
    the two differ by the Monte Carlo error of the draws, about 0.4% here)."""
    from toolkit.review import load_release_rules
    from toolkit.review.national import littles_law_text, national_flow

    rules = load_release_rules()
    params = dict(rules.calibrated)
    flat = national_flow(rules, params)
    tiny = national_flow(rules, params, growth=1e-6)
    down = national_flow(rules, params, growth=-0.3)
    assert tiny["implied_stock"] == pytest.approx(flat["implied_stock"], rel=1e-2)
    assert abs(down["implied_stock"] / tiny["implied_stock"] - 1) > 0.02
    text = littles_law_text(down)
    assert "shrinking 30% a year" in text and "-30%" not in text
