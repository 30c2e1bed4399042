"""Sweeps reuse what scenarios share (toolkit.sweep.cache) without changing a result, and vary
every assumed parameter of the release rules, with the ranges the rules file declares."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import SpecError, UsageError
from toolkit.review.episodes import params_from, stay_weights
from toolkit.sweep import cache, load_sweep_spec, run_sweep
from toolkit.sweep import scenario as sc

ROOT = Path(__file__).parents[1]

SPEC = """
[sweep]
seed = 5
replications = 2
admissions = 400
partition_size = 3
{rules}

[strategies]
names = ["sed", "formal", "capacity:per_week=10,priority=fifo"]

[design]
method = "{method}"
base_samples = 2

[assumptions]
{assumptions}
"""


def write(tmp_path, assumptions: str, name="s.toml", method="sobol", rules="") -> Path:
    p = tmp_path / name
    p.write_text(SPEC.format(assumptions=assumptions, method=method, rules=rules))
    return p


MIXED = """
"executive.notice_probability" = { dist = "uniform", low = 0.6, high = 0.95 }
"hazards.sfo_multiplier" = { dist = "uniform", low = 0.5, high = 2.0 }
"""
OUTCOME_ONLY = """
"hazards.sfo_multiplier" = { dist = "uniform", low = 0.5, high = 2.0 }
"costs.review_hours" = { dist = "uniform", low = 1.0, high = 6.0 }
"""


def _parts(out: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted((out / "results").glob("part-*.parquet"))}


def test_cached_sweep_equals_uncached_byte_for_byte(tmp_path):
    """The same sweep computed with every census and weight array reused, and with everything
    recomputed by ``simulate_reviews`` for every scenario: the same Parquet bytes."""
    spec = load_sweep_spec(write(tmp_path, MIXED))
    cache.clear()
    cached = run_sweep(spec, tmp_path / "cached")
    assert cache.stats["weights_hits"] > 0  # the sfo-only points reuse their base point's
    with cache.disabled():
        fresh = run_sweep(spec, tmp_path / "fresh")
    assert (cached.results["status"] == "ok").all() and len(cached.results) == 8 * 3
    pd.testing.assert_frame_equal(cached.results, fresh.results, check_exact=True)
    assert _parts(tmp_path / "cached") == _parts(tmp_path / "fresh")
    run_sweep(spec, tmp_path / "again")  # warm cache, same seed: same bytes
    assert _parts(tmp_path / "again") == _parts(tmp_path / "cached")


def test_weights_computed_once_per_distinct_mechanism_values(tmp_path):
    """Outcome-only assumptions (hazards, costs) share one weight array for the whole sweep;
    a mechanism assumption (the notice probability) gets one per distinct value, no more."""
    spec = load_sweep_spec(write(tmp_path, OUTCOME_ONLY, "a.toml"))
    cache.clear()
    run_sweep(spec, tmp_path / "a")
    assert cache.stats["weights_computed"] == 1
    assert cache.stats["weights_hits"] == len(spec.design()) - 1
    spec = load_sweep_spec(write(tmp_path, MIXED, "b.toml"))
    cache.clear()
    run_sweep(spec, tmp_path / "b")
    distinct = spec.design()["executive.notice_probability"].nunique()
    assert distinct < len(spec.design())  # Saltelli's AB_sfo rows repeat A's notice value
    assert cache.stats["weights_computed"] == distinct


def _moved(a: sc.Assumable) -> float:
    """Another allowed value of the parameter: the far end of its declared range, else a
    quarter more (a probability moved halfway to 1)."""
    if a.low is not None:
        return a.high if a.high - a.value >= a.value - a.low else a.low
    if 0 <= a.value < 1:
        return (a.value + 1) / 2
    return a.value * 1.25 + 0.01


#: Parameters that the flow weights read but that cannot move them on the default census of
#: standard recalls: the 14-day fixed-term share applies to fixed-term recalls only, and only
#: under the law from 1 February 2015 (the modelled date is 31 March 2014).
NO_EFFECT_HERE = {"recall_types.fixed_term.short_sentence_share"}


def test_weights_key_changes_exactly_when_the_weights_do():
    """For every assumable parameter: if the cache key does not change, the weights computed
    afresh are the same array (sharing them is sound); if it does, they differ (recomputing
    is needed), apart from :data:`NO_EFFECT_HERE`. A parameter the engine starts reading in the
    release mechanism without the key following fails here."""
    rules = sc.load_rules()
    cen, rows = cache.census(("standard",), DEFAULT_SEED)
    base = stay_weights(cen, rows, rules, params_from(rules, None))
    base_key = cache.weights_key(rules, params_from(rules, None))
    shared, recomputed = [], []
    for name, a in sc.assumable(rules).items():
        r = sc.with_assumptions(rules, {name: _moved(a)})
        p = params_from(r, None)
        w = stay_weights(cen, rows, r, p)
        same_key = cache.weights_key(r, p) == base_key
        if same_key:
            assert np.array_equal(w, base), f"{name}: weights change but the key does not"
            shared.append(name)
        else:
            assert not np.array_equal(w, base) or name in NO_EFFECT_HERE, name
            recomputed.append(name)
    assert {n.split(".")[0] for n in shared} == {"hazards", "costs", "follow_up"}
    assert {"executive.notice_probability", "calibrated.mu_m"} <= set(recomputed)
    assert "person.programme_binding_share" in recomputed


def test_projection_stays_cached_equal_uncached():
    kw = dict(n=600, replications=2, populations=["standard", "fixed_term"], rules_path=None)
    a = sc.custody_days("formal", seed=np.random.SeedSequence(3), **kw)
    with cache.disabled():
        b = sc.custody_days("formal", seed=np.random.SeedSequence(3), **kw)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_every_recall_type_reads_the_stored_census_with_the_same_result():
    """A projection over every recall type at the default seed draws from the stored default
    census (no cohort generated): the same stays as the reference path, which generates it."""
    from toolkit.categories import RECALL_TYPES

    kw = dict(n=500, replications=1, populations=list(RECALL_TYPES), rules_path=None)
    a = sc.custody_days("capacity:per_week=5,priority=fifo", seed=np.random.SeedSequence(4), **kw)
    with cache.disabled():
        b = sc.custody_days(
            "capacity:per_week=5,priority=fifo", seed=np.random.SeedSequence(4), **kw
        )
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert set(a["recall_type"]) - {"standard"}  # other recall types were drawn


# --- what may be varied ------------------------------------------------------------------------


def test_review_model_assumptions_can_be_swept():
    """The review model's assumed sizes (the programme wait share, the further-charge delay,
    the 14-day fixed-term share) are assumable with the ranges the rules file declares, and
    with_assumptions puts them where the engine reads them."""
    rules = sc.load_rules()
    table = sc.assumable(rules)
    from toolkit.review.policy import assumed_ranges

    for name, (value, lo, hi) in assumed_ranges(rules).items():
        if name.startswith("calibration."):
            continue
        assert (table[name].value, table[name].low, table[name].high) == (value, lo, hi)
    new = sc.with_assumptions(
        rules,
        {
            "person.programme_binding_share": 0.25,
            "further_charge.delay_median": 100.0,
            "recall_types.fixed_term.short_sentence_share": 0.45,
        },
    )
    assert new.person["programme_binding_share"] == 0.25
    assert new.charge_delay_median == 100.0
    assert new.types["fixed_term"].short_sentence_share == 0.45
    assert rules.person["programme_binding_share"] == 0.1 and rules.charge_delay_median == 56
    with pytest.raises(
        UsageError, match=r"programme_binding_share = 0\.5 is outside .* 0\.0 to 0\.3"
    ):
        sc.with_assumptions(rules, {"person.programme_binding_share": 0.5})
    # a value in a block the simulation never reads is refused, saying why
    with pytest.raises(UsageError, match="post_ora_share.*calibration target.*no sweep outcome"):
        sc.with_assumptions(rules, {"calibration.post_ora_share": 0.2})


def test_new_parameters_move_the_outcomes(tmp_path):
    """A sweep over the programme wait share and the further-charge delay runs, and longer
    waits keep people in custody longer under formal reviews (same seed per point)."""
    spec = load_sweep_spec(
        write(
            tmp_path,
            '"person.programme_binding_share" = { dist = "uniform", low = 0.0, high = 0.3 }\n'
            '"further_charge.delay_median" = { dist = "uniform", low = 21, high = 120 }\n',
        )
    )
    res = run_sweep(spec, tmp_path / "o").results
    assert (res["status"] == "ok").all()
    seed = np.random.SeedSequence(9)
    lo, hi = (
        sc.run_scenario(
            {"person.programme_binding_share": 0.0, "further_charge.delay_median": d},
            ["formal"],
            n=4000,
            replications=2,
            populations=["standard"],
            seed=np.random.SeedSequence(seed.entropy),
        )[0]["mean_custody_days"]
        for d in (21.0, 120.0)
    )
    assert hi > lo


def test_ranges_come_from_the_rules_file(tmp_path):
    """Narrow a declared range in a copy of the rules: the spec is checked against the copy."""
    text = (ROOT / "papers/recall_process_experience/release_rules.toml").read_text()
    narrowed = re.sub(
        r"ranges = \{ delay_median = \[21, 120\] \}", "ranges = { delay_median = [30, 60] }", text
    )
    assert narrowed != text
    (tmp_path / "rules.toml").write_text(narrowed)
    p = write(
        tmp_path,
        '"further_charge.delay_median" = { dist = "uniform", low = 21, high = 120 }\n'
        '"hazards.sfo_multiplier" = { dist = "uniform", low = 0.5, high = 2.0 }\n',
        rules='rules = "rules.toml"',
    )
    with pytest.raises(SpecError, match=r"delay_median` must lie within its range 30\.0 to 60\.0"):
        load_sweep_spec(p)
    with pytest.raises(SpecError, match=r"post_ora_share` cannot be varied.*calibration target"):
        load_sweep_spec(
            write(
                tmp_path,
                '"calibration.post_ora_share" = { dist = "uniform", low = 0.1, high = 0.3 }\n'
                '"hazards.sfo_multiplier" = { dist = "uniform", low = 0.5, high = 2.0 }\n',
                name="b.toml",
            )
        )


@pytest.mark.slow
def test_baseline_method_with_assumptions_runs_at_the_rules_values(tmp_path):
    """``method = "baseline"`` with an [assumptions] block (a KeyError traceback before): one
    point, each assumption's column holding the rules file's value, outcomes equal to the
    same baseline without assumptions."""
    spec_path = write(tmp_path, MIXED, method="baseline")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "sweep",
            str(spec_path),
            "--out",
            str(tmp_path / "o"),
            "--scheduler",
            "serial",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "3 of 3 scenarios ok" in out.stdout
    res = pd.read_parquet(tmp_path / "o/results")
    rules = sc.load_rules()
    assert (res["executive.notice_probability"] == rules.notice_probability).all()
    assert (res["hazards.sfo_multiplier"] == rules.sfo_multiplier).all()
    bare = write(tmp_path, "", name="bare.toml", method="baseline")
    plain = run_sweep(load_sweep_spec(bare), tmp_path / "bare").results
    cols = list(sc.OUTCOMES)
    pd.testing.assert_frame_equal(res[cols], plain[cols], check_exact=True)


def test_rng_and_its_older_name_seed_draw_the_same():
    """``rng=`` (int, Generator or SeedSequence) and ``seed=`` (kept as an alias) give the
    same scenario; giving both, or neither, is refused."""
    kw = dict(n=300, replications=2, populations=["standard"])
    a = sc.run_scenario({}, ["formal"], rng=np.random.SeedSequence(5), **kw)
    assert a == sc.run_scenario({}, ["formal"], seed=np.random.SeedSequence(5), **kw)
    assert a == sc.run_scenario({}, ["formal"], rng=np.random.default_rng(5), **kw)
    assert a != sc.run_scenario({}, ["formal"], rng=6, **kw)
    with pytest.raises(UsageError, match="not both"):
        sc.run_scenario({}, ["formal"], rng=1, seed=1, **kw)
    with pytest.raises(UsageError, match="give rng"):
        sc.custody_days("formal", **kw)
