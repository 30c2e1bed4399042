"""What ``simulate`` prints: groups that fit 100 columns, each quantity once, paired differences
from formal computed replication by replication, which inputs are published and which assumed,
and ``board_only`` for the strategy also accepted as ``sed``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.review import (
    FormalReviews,
    ProactiveReview,
    ReleaseAtSED,
    load_release_rules,
    simulate_reviews,
)
from toolkit.review.census import default_census
from toolkit.review.engine import RecordStream, summary_rows, t_quantile
from toolkit.review.output import (
    DIFFERENCES,
    GROUPS,
    WIDTH,
    inputs_line,
    paired_differences,
    render_differences,
    render_groups,
    write_records,
)

STRATEGIES = {
    "board_only": ReleaseAtSED(),
    "formal": FormalReviews(),
    "proactive:every=14": ProactiveReview(every=14),
}
KW = dict(n=600, n_replications=4, populations=("standard",), rng=7)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("p") / "r.parquet"
    stream = RecordStream(default_census(), STRATEGIES, load_release_rules(), **KW)
    means = write_records(stream, path, "parquet")
    return means, summary_rows(means, list(STRATEGIES), 1000.0)


def test_each_quantity_is_printed_once(run):
    keys = [k for _, cols in GROUPS for k, _, _ in cols]
    assert len(keys) == len(set(keys))
    # the two names of one quantity: equal in the summary, only one of them printed
    _, rows = run
    for r in rows:
        assert r["mean_supervised_days"] == pytest.approx(r["bed_days_saved_per_person"])
    assert "bed_days_saved_per_person" not in keys and "mean_supervised_days" in keys
    headers = [h for _, cols in GROUPS for _, h, _ in cols]
    assert len(headers) == len(set(headers))


def test_paired_differences_are_per_replication_differences(run):
    """Against a hand computation from the records: per replication, the strategy's mean minus
    formal's on the same episodes, then a t interval over the replications."""
    means, _ = run
    res = simulate_reviews(default_census(), STRATEGIES, load_release_rules(), **KW)
    rec = res.records
    per = rec.groupby(["strategy", "replication"], observed=True)["custody_days"].mean()
    d = (per["proactive:every=14"] - per["formal"]).to_numpy()
    k = len(d)
    half = t_quantile(0.975, k - 1) * d.std(ddof=1) / np.sqrt(k)
    got = {
        (x["strategy"], x["measure"]): x
        for x in paired_differences(means, list(STRATEGIES), 1000.0, "formal")
    }
    x = got[("proactive:every=14", "mean_custody_days")]
    assert x["difference"] == pytest.approx(d.mean(), rel=1e-12)
    assert (x["lo"], x["hi"]) == pytest.approx((d.mean() - half, d.mean() + half), rel=1e-12)
    assert x["replications"] == KW["n_replications"]
    # common random numbers: the paired interval is narrower than the unpaired one
    a, b = per["proactive:every=14"].to_numpy(), per["formal"].to_numpy()
    unpaired = t_quantile(0.975, k - 1) * np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / k)
    assert half < unpaired
    # formal itself is not listed; every other strategy has every measure
    assert {s for s, _ in got} == {"board_only", "proactive:every=14"}
    assert len(got) == 2 * len(DIFFERENCES)


@settings(max_examples=40, deadline=None)
@given(
    names=st.lists(
        st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=60),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    scale=st.sampled_from([1e-3, 1.0, 1e3, 1e5]),
    reps=st.integers(1, 6),
)
def test_every_table_fits_100_columns(run, names, scale, reps):
    _, rows = run
    base = rows[1]
    fake = [
        {**base, **{k: v * scale for k, v in base.items() if k != "strategy"}, "strategy": n}
        for n in names
    ]
    text = render_groups(fake, n_replications=reps)
    diffs = [
        {
            "strategy": n,
            "measure": m,
            "difference": -scale,
            "lo": -2 * scale,
            "hi": scale,
            "replications": reps,
        }
        for n in names
        for m, _, _ in DIFFERENCES
    ]
    text += "\n" + render_differences(diffs, "formal")
    text += "\n" + inputs_line(load_release_rules(), load_release_rules().national)
    assert max(len(line) for line in text.splitlines()) <= WIDTH


def test_inputs_line_names_what_is_published_and_assumed():
    rules = load_release_rules()
    text = " ".join(inputs_line(rules, rules.national).split())
    assert "Published:" in text and "national.toml" in text
    assert "assumed: " in text and "calibrated: calibrated" in text
    assert "<default>" not in text  # paths a user can copy


def test_cli_prints_board_only_for_sed_and_the_groups(tmp_path):
    out, summ = tmp_path / "r.parquet", tmp_path / "s.json"
    args = [sys.executable, "-m", "toolkit.cli", "simulate", "--strategy", "sed"]
    args += ["--strategy", "formal", "--n", "400", "--replications", "3", "--seed", "2"]
    r = subprocess.run(
        [*args, "--out", str(out), "--summary", str(summ)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(x) for x in lines) <= WIDTH
    for title, _ in GROUPS:
        assert title in r.stdout
    assert "board_only minus formal:" in r.stdout
    assert not any(x.split()[:1] == ["sed"] for x in lines)  # never the old strategy name
    assert list(json.loads(summ.read_text())) == ["board_only", "formal"]
    assert set(pd.read_parquet(out)["strategy"].astype(str)) == {"board_only", "formal"}
    both = subprocess.run(
        [*args, "--strategy", "board_only", "--out", str(out)], capture_output=True, text=True
    )
    assert both.returncode == 2 and "given twice" in both.stderr


def test_help_lists_every_capacity_ordering():
    """`simulate --help` names every ordering the engine accepts (the list is typed in the
    help so that --help does not import numpy; this keeps the two in step)."""
    import os
    import re

    from toolkit.review.ordering import ORDERINGS

    out = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "simulate", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "400"},
    ).stdout
    listed = re.search(r"priority=([\w|]+)", out).group(1).split("|")
    assert sorted(listed) == sorted(ORDERINGS)
