"""Medians and standard deviations: granularity checks, the reshaping construction, the audit,
and the example profiles that print them (tests/profiles/median_only.toml,
group_mean_median_sd.toml, group_sd.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomllib

from toolkit.cohort.construct import meet_spread, spread_integers
from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.profile.audit import audit_profile
from toolkit.profile.spec import load_profile
from toolkit.profile.spreads import max_sd, median_possible, sd_possible

HERE = Path(__file__).parent / "profiles"


# ---- granularity (hand-worked examples, not outputs of the code under test) ----------------


def test_median_of_whole_numbers_is_whole_or_half():
    assert median_possible(31.0, 0.05, 7, True)
    assert not median_possible(30.5, 0.05, 7, True)  # odd N: the middle value is whole
    assert median_possible(30.5, 0.05, 8, True)  # even N: mean of two whole numbers
    assert not median_possible(30.3, 0.05, 8, True)
    assert median_possible(30.3, 0.05, 7, False)  # continuous values: anything


def test_sd_of_whole_numbers_grimmer():
    # 5 whole numbers summing to 10: Q = sum of squares is even and at least 20 (all 2s), so
    # the SD is sqrt((Q - 20) / 4) in {0, 0.707, 1, 1.225, ...}
    assert sd_possible(0.71, 0.005, 5, 10)
    assert sd_possible(1.0, 0.05, 5, 10)
    assert not sd_possible(0.5, 0.05, 5, 10)
    assert not sd_possible(0.9, 0.05, 5, 10)
    assert not sd_possible(3.0, 0.05, 1, 3)  # one person has no SD


def test_max_sd_puts_values_at_the_bounds():
    # two values in [0, 100] with mean 2: at most (0, 4), SD 2*sqrt(2)
    assert max_sd(2, 4.0, 0.0, 100.0) == pytest.approx(2 * np.sqrt(2))
    assert max_sd(5, 50.0, 0.0, 20.0) == pytest.approx(np.std([20, 20, 10, 0, 0], ddof=1))


# ---- the construction ------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 9, 40, 1001])
def test_meet_spread_pins_mean_and_ranks(n):
    rng = np.random.default_rng(n)
    x = 18 + 67 / (1 + np.exp(-(rng.standard_normal(n) * 0.9 - 1.0)))
    total = int(round(x.sum())) if n > 2 else 61  # two people: both pinned, so 30 + 31
    k = (n - 1) // 2
    pins = ((k, 31.0),) if n % 2 else ((k, 30.0), (k + 1, 31.0))
    y = meet_spread(x, 18, 85, total / n, pins, None, integer_total=total)
    assert y.sum() == total and y.dtype.kind == "i"
    assert np.median(y) == (31.0 if n % 2 else 30.5)
    assert y.min() >= 18 and y.max() <= 85
    # the same people hold the high values (weakly: whole numbers tie)
    order = np.argsort(x)
    assert np.all(np.diff(y[order]) >= 0)


def test_meet_spread_sd_continuous_exact():
    rng = np.random.default_rng(3)
    x = 100 / (1 + np.exp(-(rng.standard_normal(500) - 3)))
    y = meet_spread(x, 0, 100, 4.0, ((249, 2.5), (250, 2.5)), 3.3)
    assert np.mean(y) == pytest.approx(4.0, abs=1e-9)
    assert np.median(y) == pytest.approx(2.5, abs=1e-12)
    assert np.std(y, ddof=1) == pytest.approx(3.3, abs=1e-6)
    assert np.all(np.diff(y[np.argsort(x)]) >= 0)


def test_spread_integers_keeps_sum_pins_and_order():
    w = np.array([1, 2, 2, 3, 3, 3, 4, 5, 9])
    fixed = np.zeros(w.size, dtype=bool)
    fixed[4] = True  # the median, 3
    target = float(np.dot(w, w)) + 20  # wider
    out = spread_integers(w, fixed, target, 0, 20)
    assert out.sum() == w.sum() and out[4] == 3 and np.all(np.diff(out) >= 0)
    assert abs(np.dot(out, out) - target) <= 1


# ---- profiles --------------------------------------------------------------------------------


def _judged(path, seed=1):
    spec = load_profile(path)
    df = generate_cohort(spec, rng=seed)
    return spec, df, fidelity_report(df, spec)


def _rows(rep, stat):
    t = rep.targets
    return t[t["statistic"] == stat].set_index("target_id")


def test_median_only_example():
    spec, df, rep = _judged(HERE / "median_only.toml")
    assert not any(t.variable == "age" and t.statistic == "mean" for t in spec.targets)
    med = _rows(rep, "median")
    assert len(med) == 8 and med["pass"].all() and (med["role"] == "target").all()
    for pop in ("standard", "life", "hdc"):
        ages = df.loc[df["population"] == pop, "age"]
        assert float(ages.median()) == med.loc[f"median.age.{pop}", "published_value"]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_group_mean_median_sd_example(seed):
    spec, df, rep = _judged(HERE / "group_mean_median_sd.toml", seed)
    assert rep.passed, rep.failures[["target_id", "published", "synthetic"]]
    rec = df["population"] != "other_sentenced"
    ages = df.loc[rec, "age"].astype(float)
    want = {t.id: t for t in spec.targets}
    # mean, median and SD of the same group, each at its printed precision
    assert abs(ages.mean() - want["age.all_recalled"].value) <= 0.05 + 1e-9
    assert abs(ages.median() - want["median.age.all_recalled"].value) <= 0.05 + 1e-9
    assert abs(ages.std(ddof=1) - want["sd.age.all_recalled"].value) <= 0.05 + 1e-9
    rsr = df.loc[rec, "rsr_2yr"].astype(float)
    assert abs(rsr.median() - want["median.rsr_2yr.all_recalled"].value) <= 0.005 + 1e-9


@pytest.mark.slow
def test_group_sd_example():
    spec, df, rep = _judged(HERE / "group_sd.toml")
    assert rep.passed, rep.failures[["target_id", "published", "synthetic"]]
    sd = _rows(rep, "sd")
    assert set(sd.index) == {
        "sd.previous_breaches.all_recalled",
        "sd.ogrs4v_2yr.all_recalled",
        "sd.age.all_prisoners",
        "sd.need_accommodation.standard",
    }
    assert (sd["role"] == "target").all()
    # no population prints its own SD: the group's is met by the populations' shared SD
    own = [t for t in spec.targets if t.statistic == "sd" and t.variable == "age"]
    assert [t.population for t in own] == ["all_prisoners"]


# ---- unreachable and audit -------------------------------------------------------------------


def _with(tmp_path, extra):
    data = tomllib.loads((HERE / "small_census.toml").read_text())
    base = next(t for t in data["targets"] if t["id"] == "age.fixed_term")
    data["targets"] += [{**base, **e} for e in extra]
    lines = ["[meta]"] + [f"{k} = {json.dumps(v)}" for k, v in data["meta"].items()] + [""]
    for t in data["targets"]:
        lines += ["[[targets]]", *[f"{k} = {json.dumps(v)}" for k, v in t.items()], ""]
    p = tmp_path / "mine.toml"
    p.write_text("\n".join(lines))
    return p


def test_half_median_of_odd_n_reported_unreachable(tmp_path):
    """Five fixed-term recalls: their median age is one person's whole age, never 30.5."""
    p = _with(
        tmp_path,
        [{"id": "med.ft", "statistic": "median", "value": 30.5, "printed": "30.5"}],
    )
    spec, df, rep = _judged(p)
    row = rep.targets.set_index("target_id").loc["med.ft"]
    assert row["role"] == "unreachable" and row["pass"] is None
    assert "N = 5" in row["note"] and "whole number" in row["note"]
    assert rep.passed
    audit = {f.id: f for f in audit_profile(spec).findings}
    assert audit["grim.med.ft"].status == "unmeetable"


def test_sd_of_five_whole_numbers_met_or_unreachable(tmp_path):
    p = _with(
        tmp_path,
        [
            {
                "id": "sd.ft",
                "statistic": "sd",
                "variable": "age",
                "value": 0.3,
                "printed": "0.3",
            }
        ],
    )
    spec, df, rep = _judged(p)
    row = rep.targets.set_index("target_id").loc["sd.ft"]
    ages = df.loc[df["population"] == "fixed_term", "age"]
    # 5 whole ages with a fixed sum: an SD of 0.3 needs a sum of squares no parity allows
    # unless it is reachable; either it is met or reported unreachable with the reason
    if row["role"] == "unreachable":
        assert row["note"].startswith("unreachable at N = 5")
    else:
        assert row["pass"] and round(float(ages.std(ddof=1)), 1) == 0.3


def test_median_and_sd_not_generated_are_refused(tmp_path):
    from toolkit.exceptions import SpecError

    p = _with(tmp_path, [{"id": "x", "statistic": "sd", "variable": "ogrs3_2yr"}])
    with pytest.raises(SpecError, match="only its mean is constructed"):
        load_profile(p)
    p = _with(
        tmp_path,
        [{"id": "x", "statistic": "median", "variable": "need_temper", "population": "life"}],
    )
    with pytest.raises(SpecError, match="OASys items are built for the groups"):
        load_profile(p)


def test_unpinned_profile_is_unchanged():
    """A profile printing no median or SD builds the same cohort as before (no reshaping)."""
    spec = load_profile()
    assert not any(t.statistic in ("median", "sd") for t in spec.targets)
    from toolkit.profile.targets import derive_targets

    sizes = {p: spec.population_n(p) for p in spec.populations}
    assert dict(derive_targets(spec, sizes).spreads) == {}
