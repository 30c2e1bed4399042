"""The generator: exact at the published N, reproducible, coherent, and fails clearly."""

import numpy as np
import pandas as pd
import pytest

from toolkit import UsageError
from toolkit.cohort.generate import generate_cohort
from toolkit.cohort.io import cohort_csv_bytes
from toolkit.cohort.ogrs3 import ogrs3_probability
from toolkit.fidelity.report import fidelity_report
from toolkit.schema import COLUMN_NAMES, DTYPES, NEED_ITEMS, POPULATIONS


def test_schema_columns_and_dtypes(default_cohort):
    assert list(default_cohort.columns) == list(COLUMN_NAMES)
    for name, dtype in DTYPES.items():
        assert str(default_cohort[name].dtype) == str(dtype), name
    assert default_cohort["person_id"].is_unique
    assert len(default_cohort) == 64_494


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_every_published_target_met_at_published_n(spec, seed):
    """Exactness is by construction, so it must hold for any seed, not just a lucky one."""
    rep = fidelity_report(generate_cohort(spec, rng=seed), spec)
    failures = rep.failures
    assert failures.empty, failures[["target_id", "published", "synthetic", "tolerance"]]
    assert len(rep.evaluated) > 100


def test_figure1_raw_values_reproduced_exactly(default_cohort, spec):
    # The chart's raw values are k/N fractions; the cohort scores exactly N people with sum k,
    # so the means agree to floating-point rounding (1e-12), far beyond the 3 printed decimals.
    has = default_cohort["has_oasys"]
    for group, mask in (
        ("standard", default_cohort["population"] == "standard"),
        ("not_standard", default_cohort["population"] != "standard"),
    ):
        for item in NEED_ITEMS:
            vals = default_cohort.loc[mask & has, item].astype("float64")
            pub = spec.target(f"figure1.{item}.{group}").value
            assert abs(vals.mean() - pub) < 1e-12, (item, group)
    # items are missing exactly where OASys data are missing, plus unscored items
    assert default_cohort.loc[~has, NEED_ITEMS].isna().all().all()


def test_ogrs3_columns_follow_the_published_formula(default_cohort):
    df = default_cohort.sample(2000, random_state=0)
    for years, col in ((1, "ogrs3_1yr"), (2, "ogrs3_2yr")):
        p = ogrs3_probability(
            df["age"].to_numpy(),
            df["sex"].astype(str).to_numpy(),
            df["index_offence"].astype(str).to_numpy(),
            df["previous_sanctions"].to_numpy(),
            df["age_at_first_sanction"].to_numpy(),
            years=years,
        )
        # columns are stored to 4 decimals of a percent; age_at_first_sanction to 2 decimals
        assert np.max(np.abs(100 * p - df[col].to_numpy())) < 0.01


def test_internal_coherence(default_cohort):
    df = default_cohort
    assert (df["age"] >= 18).all()
    assert np.allclose(
        df["age"] - df["years_since_first_sanction"], df["age_at_first_sanction"], atol=0.011
    )
    assert (df["age_at_first_sanction"] >= 10 - 1e-9).all()
    assert (df["previous_sanctions"] >= df["previous_breaches"]).all()
    for c in ("ogrs3_1yr", "ogrs3_2yr", "ogrs4v_2yr", "osp_2yr", "rsr_2yr"):
        assert df[c].between(0, 100).all(), c
    assert (df["ogrs3_2yr"] >= df["ogrs3_1yr"]).all()
    other = df["population"] == "other_sentenced"
    assert df.loc[other, "recall_type"].isna().all()
    assert df.loc[~other, "recall_type"].notna().all()
    assert df.loc[other, "recall_reason"].isna().all()
    ft = df["population"] == "fixed_term"
    assert (df.loc[ft, "days_on_recall"] < 28).all(), "fixed-term recall lasts 28 days"
    indeterminate = df["population"].isin(["life", "ipp_dpp"])
    assert df.loc[indeterminate, "days_to_sed"].isna().all()
    assert df["need_domains"].dropna().between(0, 10).all()
    for item in NEED_ITEMS:
        assert df[item].dropna().isin([0, 1, 2]).all()


@pytest.mark.slow
def test_same_seed_same_bytes_and_different_seed_differs(spec):
    a = cohort_csv_bytes(generate_cohort(spec, populations=["standard", "hdc"], rng=11))
    b = cohort_csv_bytes(generate_cohort(spec, populations=["standard", "hdc"], rng=11))
    c = cohort_csv_bytes(generate_cohort(spec, populations=["standard", "hdc"], rng=12))
    assert a == b
    assert a != c


def test_generator_object_and_seed_agree(spec):
    a = generate_cohort(spec, populations="life", rng=np.random.default_rng(3))
    b = generate_cohort(spec, populations="life", rng=3)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.slow
def test_restricting_populations_keeps_their_people(spec, default_cohort):
    # One random stream per population: restricting does not change anyone's draws, so the
    # standard recalls' ages are the same with or without the other populations.
    full = generate_cohort(spec, rng=5)
    only = generate_cohort(spec, populations=["standard"], rng=5)
    assert len(only) == 3912
    assert (only["population"] == "standard").all()
    np.testing.assert_array_equal(
        full.loc[full["population"] == "standard", "age"].to_numpy(), only["age"].to_numpy()
    )


def test_scaled_n_keeps_population_means(spec):
    n = 20_000
    df = generate_cohort(spec, n=n, rng=9)
    assert len(df) == n
    sizes = df["population"].value_counts()
    published = np.array([spec.population_n(p) for p in POPULATIONS], float)
    expected = published / published.sum() * n
    assert np.all(np.abs(sizes.reindex(POPULATIONS).to_numpy() - expected) < 1)
    # means are constructed, so they hold at any N within printed precision
    for pop in ("standard", "life", "hdc"):
        sub = df[df["population"] == pop]
        for var in ("age", "ogrs3_2yr", "rsr_2yr"):
            pub = spec.target(f"appendix.{var}.{pop}").value
            assert abs(sub[var].mean() - pub) <= 0.05 + 1e-9, (pop, var)


def test_one_million_standard_recalls_meet_means(spec):
    df = generate_cohort(spec, n=200_000, populations=["standard"], rng=1)
    for var in (
        "age",
        "years_since_first_sanction",
        "previous_breaches",
        "ogrs3_2yr",
        "ogrs4v_2yr",
        "osp_2yr",
        "rsr_2yr",
    ):
        assert abs(df[var].mean() - spec.target(f"appendix.{var}.standard").value) <= 0.05, var


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"n": 0}, "n must be a positive whole number of people; got 0"),
        ({"n": -5}, "got -5"),
        ({"n": 2.5}, "got 2.5"),
        ({"populations": ["martians"]}, "unknown population 'martians' for profile"),
        ({"populations": []}, "unknown population"),
    ],
)
def test_bad_arguments(spec, kwargs, pattern):
    with pytest.raises(UsageError, match=pattern):
        generate_cohort(spec, rng=1, **kwargs)
