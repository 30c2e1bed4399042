"""National stock-flow projection: Little's law, growth, the data file and its provenance."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.exceptions import SpecError
from toolkit.sweep.projection import (
    MONTH_DAYS,
    load_national_flow,
    project_stock,
    stay_weights,
    validate_projection,
)

ROOT = Path(__file__).parents[1]
NATIONAL = ROOT / "papers/recall_process_experience/national_flow.toml"
SEEDS = Path("/work/shared/seeds")


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
def flow():
    return load_national_flow(NATIONAL)


def test_figures_and_quotes_in_the_file(flow):
    assert flow.annual_recalls == 21500 and flow.year == 2015
    assert [(d, v) for d, v, _ in flow.stock] == [("2016-03-31", 6564), ("2016-09-30", 6710)]
    assert flow.growth[:3] == ("2015-03-31", "2016-03-31", 15.0)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents not on this machine")
def test_every_quote_is_in_the_seed_at_its_line():
    import tomllib

    data = tomllib.loads(NATIONAL.read_text())
    lines = (SEEDS / data["meta"]["document"]).read_text(encoding="utf-8").splitlines()
    blocks = [data["flow"], data["growth"], data["standard_share"], *data["stock"]]
    for b in blocks:
        # the quote may wrap over the next lines of the text file
        near = " ".join(lines[b["line"] - 2 : b["line"] + 3])
        assert re.sub(r"\s+", " ", b["quote"]) in re.sub(r"\s+", " ", near), b["quote"]


def test_unknown_key_refused(tmp_path):
    p = tmp_path / "n.toml"
    p.write_text(NATIONAL.read_text().replace("annual_recalls = 21500", "anual_recalls = 21500"))
    with pytest.raises(SpecError, match="flow.anual_recalls.*did you mean `annual_recalls`"):
        load_national_flow(p)


@pytest.mark.parametrize("days", [5.0, 28.0, 100.0, 365.0, 1000.0])
def test_steady_stock_is_flow_times_stay(flow, days):
    """Little's law, exactly: with every stay ``d`` days and a constant flow, the month-end
    stock is annual flow x d / 365.25 (the evenly spread admissions make the monthly grid
    exact)."""
    proj = project_stock(flow, {"formal": stays([days])})
    last = proj["stock"].iloc[-1]
    assert last == pytest.approx(21500 * days / 365.25, rel=1e-12)
    assert stay_weights(np.array([days]), 60).sum() == pytest.approx(days / MONTH_DAYS)


def test_growing_flow_grows_the_stock_at_the_same_rate(flow):
    f = replace(flow, flow_growth_pct_per_year=15.0)
    proj = project_stock(f, {"formal": stays(np.linspace(10, 400, 50))})
    val = validate_projection(f, proj).set_index("figure")
    # in steady growth the stock grows exactly as the flow does
    assert val.loc["growth % 2015-03-31 to 2016-03-31", "projected"] == pytest.approx(15.0)
    const = validate_projection(flow, project_stock(flow, {"formal": stays([100.0])}))
    assert const.set_index("figure").iloc[2]["projected"] == pytest.approx(0.0, abs=1e-9)


def test_strategy_applies_to_admissions_from_the_switch(flow):
    proj = project_stock(flow, {"formal": stays([200.0]), "faster": stays([100.0])})
    f = proj[proj.strategy == "formal"].set_index("month")["stock"]
    g = proj[proj.strategy == "faster"].set_index("month")["stock"]
    before = f.index < flow.switch
    assert (f[before] == g[before]).all()  # identical history up to the switch
    assert g.iloc[-1] == pytest.approx(21500 * 100 / 365.25)  # then the new stays' level
    assert (g[~before] <= f[~before] + 1e-9).all()


def test_standard_share_of_stock(flow):
    # half the admissions standard with 300-day stays, half fixed term with 28 days
    d = stays(np.r_[np.full(500, 300.0), np.full(500, 28.0)], standard_share=0.5)
    val = validate_projection(flow, project_stock(flow, {"formal": d})).set_index("figure")
    share = val.loc["standard recall % of stock 2016-03", "projected"]
    assert share == pytest.approx(100 * 300 / 328)
