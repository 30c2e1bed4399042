"""National stock-flow projection: Little's law, a growing flow, the anchor and the validation
table of every published figure."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from toolkit.defaults import DEFAULT_SEED
from toolkit.sweep.projection import (
    MONTH_DAYS,
    load_national_flow,
    monthly_admissions,
    project_stock,
    stay_weights,
    validate_projection,
)


def stays(days, standard_share=1.0):
    n = len(days)
    k = int(round(n * standard_share))
    return pd.DataFrame(
        {
            "custody_days": np.asarray(days, float),
            "recall_type": ["standard"] * k + ["fixed_term"] * (n - k),
        }
    )


@pytest.fixture(scope="module")
def nat():
    return load_national_flow()


def flat_on_flow(nat):
    """The national model with no growth, scaled by the published flow."""
    return replace(nat, growths=(), anchor="flow")


@pytest.mark.parametrize("days", [5.0, 28.0, 100.0, 365.0, 1000.0])
def test_steady_stock_is_flow_times_stay(nat, days):
    """Little's law, exactly: with every stay ``d`` days and a constant flow, the month-end
    stock is annual flow x d / 365.25 (the evenly spread admissions make the monthly grid
    exact)."""
    proj = project_stock(flat_on_flow(nat), {"formal": stays([days])})
    assert proj["stock"].iloc[-1] == pytest.approx(nat.flow * days / 365.25, rel=1e-12)
    assert stay_weights(np.array([days]), 60).sum() == pytest.approx(days / MONTH_DAYS)


def test_flow_grows_at_the_published_rate_then_the_assumed_one(nat):
    months = pd.period_range("2013-01", "2020-12", freq="M")
    adm = pd.Series(monthly_admissions(nat, months), index=months)
    g = nat.growths[0]
    assert g.percent == 15 and nat.growth_per_year == pytest.approx(0.15)
    year = adm[pd.Period(g.end, freq="M")] / adm[pd.Period(g.start, freq="M")]
    assert year == pytest.approx(1.15, rel=1e-12)
    until = pd.Period(nat.projection.growth_until, freq="M")
    after = adm[adm.index >= until]
    assert np.allclose(after, after.iloc[0], rtol=1e-12)  # 0% a year after September 2016
    assert nat.projection.growth_after_pct_per_year == 0.0


@pytest.mark.parametrize("days", [[30.0], np.linspace(10, 400, 50), [60.0, 900.0]])
def test_growing_flow_grows_the_stock_at_the_same_rate(nat, days):
    # in steady exponential growth the stock grows exactly as the flow does, whatever the stays
    proj = project_stock(nat, {"formal": stays(days)})
    val = validate_projection(nat, proj).set_index("figure")
    row = val.loc["stock growth % 2015-03-31 to 2016-03-31"]
    assert row["projected"] == pytest.approx(15.0, rel=1e-9)
    assert row["role"] == "input"


@pytest.mark.parametrize("days", [[30.0], np.linspace(10, 400, 50)])
def test_stock_anchor_holds_the_published_stock(nat, days):
    assert nat.anchor == "stock"
    proj = project_stock(nat, {"formal": stays(days)})
    val = validate_projection(nat, proj).set_index("figure")
    a = val.loc[f"stock {nat.anchor_stock.label}"]
    assert a["projected"] == pytest.approx(nat.anchor_stock.count, rel=1e-12)
    assert bool(a["anchored"]) and a["miss"] == pytest.approx(0, abs=1e-6)
    # the other figures are checks: nothing else is anchored
    assert int(val["anchored"].sum()) == 1
    # anchored on the flow instead: admissions over 2015 total the published 21,500
    f = replace(nat, anchor="flow")
    vf = validate_projection(f, project_stock(f, {"formal": stays(days)})).set_index("figure")
    assert vf.loc["recalls 2015", "projected"] == pytest.approx(21_500, rel=1e-12)
    assert bool(vf.loc["recalls 2015", "anchored"])


def test_validation_lists_every_published_figure(nat):
    val = validate_projection(nat, project_stock(nat, {"formal": stays([120.0])}))
    want = {f"stock {s.label}" for s in nat.stocks} | {f"recalls {f.label}" for f in nat.flows}
    want |= {f"stock growth % {g.start} to {g.end}" for g in nat.growths}
    assert want <= set(val["figure"])
    # from the 2014 census to September 2016, each at its own date
    assert {"2014-03-31", "2016-03-31", "2016-09-30"} <= set(val["date"])
    np.testing.assert_allclose(val["miss"], val["projected"] - val["published"])
    assert val["quote"].str.len().gt(20).all()


def test_strategy_applies_to_admissions_from_the_switch(nat):
    f = flat_on_flow(nat)
    proj = project_stock(f, {"formal": stays([200.0]), "faster": stays([100.0])})
    a = proj[proj.strategy == "formal"].set_index("month")["stock"]
    b = proj[proj.strategy == "faster"].set_index("month")["stock"]
    before = a.index < pd.Period(nat.projection.switch, freq="M")
    assert (a[before] == b[before]).all()  # identical history up to the switch
    assert b.iloc[-1] == pytest.approx(nat.flow * 100 / 365.25)  # then the new stays' level
    assert (b[~before] <= a[~before] + 1e-9).all()


def test_standard_share_of_stock(nat):
    # half the admissions standard with 300-day stays, half fixed term with 28 days; with a
    # constant flow the stock share is 300 / (300 + 28) exactly
    d = stays(np.r_[np.full(500, 300.0), np.full(500, 28.0)], standard_share=0.5)
    f = flat_on_flow(nat)
    val = validate_projection(f, project_stock(f, {"formal": d})).set_index("figure")
    share = val.loc[f"standard recall % of stock {nat.anchor_stock.label}", "projected"]
    assert share == pytest.approx(100 * 300 / 328)


def test_plot_shows_every_published_stock_at_its_date(nat):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from toolkit.sweep.plots import plot_projection

    proj = project_stock(nat, {"formal": stays([120.0])})
    ax = plot_projection(proj, nat, ax=Figure().subplots())
    stars = [ln for ln in ax.lines if ln.get_marker() == "*" and len(ln.get_xdata())]
    got = sorted((pd.Timestamp(ln.get_xdata()[0]).date(), ln.get_ydata()[0]) for ln in stars)
    assert got == [(s.date, s.count) for s in nat.stocks]


def test_the_validation_table_in_docs_is_what_the_projection_gives():
    """docs/sweeps.md's table: recomputed with the settings it states (seed 20161001, 20,000
    admissions x 2 replications, all recall types, the status quo's stays)."""
    from pathlib import Path

    from toolkit.sweep import scenario
    from toolkit.sweep.report import PROJECTION_KEY

    nat = load_national_flow()
    seed = np.random.SeedSequence(20161001, spawn_key=PROJECTION_KEY)
    st = scenario.custody_days(
        "formal",
        n=20_000,
        replications=2,
        populations=nat.projection.populations,
        seed=seed,
        rules_path=None,
        cohort_seed=DEFAULT_SEED,
    )
    val = validate_projection(nat, project_stock(nat, {"formal": st})).set_index("figure")
    doc = (Path(__file__).parents[1] / "docs" / "sweeps.md").read_text(encoding="utf-8")
    rows = [x for x in doc.splitlines() if x.startswith("| stock ") or x.startswith("| recalls")]
    rows += [x for x in doc.splitlines() if x.startswith("| standard recall %")]
    assert len(rows) == len(val)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        got = val.loc[cells[0]]
        num = [float(c.replace(",", "").replace("+", "")) for c in cells[2:6]]
        # the doc rounds to whole people (one decimal for percentages)
        tol = 0.05 if "%" in cells[0] else 0.5
        assert num[0] == pytest.approx(got["published"], abs=tol)
        assert num[1] == pytest.approx(got["projected"], abs=tol)
        assert num[2] == pytest.approx(got["miss"], abs=tol)
        assert num[3] == pytest.approx(got["miss_pct"], abs=0.05)
        assert cells[6] == got["role"]
    assert "(148 days over all recall types)" in doc
    # the prose: six-month growth of the published stocks and its yearly rate
    a, b = nat.stock_at("2016-03-31").count, nat.stock_at("2016-09-30").count
    assert f"grew {100 * (b / a - 1):.1f}%" in doc
    assert f"about {100 * ((b / a) ** 2 - 1):.1f}% a year" in doc
    miss = val.loc["recalls 2015"]
    assert f"{-miss['miss_pct']:.0f}% fewer than the 21,500 published" in " ".join(doc.split())
    assert round(float(st["custody_days"].mean())) == 148
