"""Needs gaps at scale (issue 23): the count bootstrap and vectorised cohort validation."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.exceptions import UsageError
from toolkit.needs.gap import (
    N_BOOT,
    bootstrap_endpoint_mc_error,
    bootstrap_mean_interval,
    estimate_needs_gap,
)


@pytest.mark.slow
def test_count_bootstrap_matches_scipy_index_bootstrap():
    """Resampled counts give the same interval as scipy's resampled indices.

    Both are percentile bootstraps of the same resampling distribution; with B = 20,000 each
    end of each interval has a Monte Carlo standard error of 1.2% of the half-width
    (bootstrap_endpoint_mc_error), so two independent runs differ by at most 4 x sqrt(2) x 1.2%
    = 7% of the half-width except with probability about 1e-4. We allow 8%.
    """
    rng = np.random.default_rng(5)
    values = rng.poisson(1.1, size=4000).clip(0, 6)
    b = 20_000
    lo, hi = bootstrap_mean_interval(values, b, 0.95, rng=1)
    ref = stats.bootstrap(
        (values.astype(float),),
        np.mean,
        n_resamples=b,
        confidence_level=0.95,
        method="percentile",
        vectorized=True,
        rng=2,
    ).confidence_interval
    half = (ref.high - ref.low) / 2
    assert abs(lo - ref.low) < 0.08 * half
    assert abs(hi - ref.high) < 0.08 * half
    # and both agree with the normal theory interval of a mean at this n (CLT holds well at
    # n = 4,000 for a variable bounded by 6): within the same tolerance plus 5% for skew
    se = values.std(ddof=1) / np.sqrt(values.size)
    z = stats.norm.isf(0.025)
    assert abs(lo - (values.mean() - z * se)) < 0.13 * half
    assert abs(hi - (values.mean() + z * se)) < 0.13 * half


def test_mc_error_formula_matches_repeated_bootstraps():
    """The stated Monte Carlo error (what justifies N_BOOT) is what repeated runs show.

    200 repetitions at B = 1,000: the sample SD of the lower end estimates the true one with a
    relative standard error of 1/sqrt(2 x 199) = 5%; we allow 20% (four of those).
    """
    values = np.random.default_rng(8).integers(0, 4, size=3000)
    ends = np.array([bootstrap_mean_interval(values, 1000, 0.95, rng=s) for s in range(200)])
    half = np.mean(ends[:, 1] - ends[:, 0]) / 2
    observed = ends[:, 0].std(ddof=1) / half
    assert observed == pytest.approx(bootstrap_endpoint_mc_error(1000), rel=0.20)
    # the default's error: under 1.5% of the half-width
    assert bootstrap_endpoint_mc_error(N_BOOT) < 0.015


def test_default_resamples_wobble_below_the_printed_digits(default_cohort):
    """At N_BOOT the ends wobble (one Monte Carlo SE) by less than the last printed decimal."""
    res = estimate_needs_gap(default_cohort, stock=None, rng=1).unmet_needs_per_person
    half = (res["hi"] - res["lo"]) / 2
    assert res["n_resamples"] == N_BOOT
    assert half * bootstrap_endpoint_mc_error(N_BOOT) < 0.001
    assert half * bootstrap_endpoint_mc_error(1000) > 0.001  # the old default moved it
    assert 0.01 < half < 0.1  # "a few hundredths of a need per person" (docs)


def test_count_bootstrap_is_reproducible_and_small():
    values = np.random.default_rng(0).integers(0, 7, size=2_000_000).astype(np.int64)
    a = bootstrap_mean_interval(values, 1000, 0.95, rng=3)
    assert a == bootstrap_mean_interval(values, 1000, 0.95, rng=3)
    assert a != bootstrap_mean_interval(values, 1000, 0.95, rng=4)
    tracemalloc.start()
    bootstrap_mean_interval(values, 10_000, 0.95, rng=3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # resampling indices would hold 10,000 x 2,000,000 of them (160 GB); counting needs the
    # tally (a few values), the (B x 7) draws and an intp view of the input at most (16 MB)
    assert peak < 20e6, peak


def test_count_bootstrap_refuses_what_it_cannot_count():
    with pytest.raises(UsageError, match="non-negative whole numbers"):
        bootstrap_mean_interval(np.array([0.5, 1.0]), 10, 0.95)
    with pytest.raises(UsageError, match="non-negative whole numbers"):
        bootstrap_mean_interval(np.array([-1, 1]), 10, 0.95)


# --- validation: one vectorised pass per column, the same problems as pandera -----------------


@pytest.fixture(scope="module")
def small_cohort(default_cohort):
    return default_cohort.iloc[:300].reset_index(drop=True)


@pytest.mark.slow
def test_screen_finds_the_same_problems_as_pandera(small_cohort):
    """Typed (Parquet-like) and text (CSV-like) tables with a few bad cells: the screened run
    reports exactly the problems of a whole-table pandera run."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from toolkit.schema import COLUMNS
    from toolkit.validation import cohort_schema, find_problems

    schema = cohort_schema(tuple(COLUMNS))
    text = small_cohort.astype(object).where(small_cohort.notna(), None).astype(str)
    text = text.mask(small_cohort.isna().to_numpy(), None)
    assert find_problems(small_cohort, schema) == []
    assert find_problems(text, schema) == []
    names = [c.name for c in COLUMNS]
    bad_values = st.sampled_from(["abc", "-5", "2.5", "1e9", "", None, "TRUE", "0", "inf"])

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        cells=st.lists(
            st.tuples(st.integers(0, len(text) - 1), st.sampled_from(names), bad_values),
            min_size=1,
            max_size=4,
        ),
        drop=st.booleans(),
    )
    def check(cells, drop):
        bad = text.copy()
        for row, col, value in cells:
            bad.loc[row, col] = value
        if drop:
            bad = bad.drop(columns=cells[0][1])
        assert find_problems(bad, schema) == find_problems(bad, schema, screen=False)

    check()


def test_large_valid_cohort_skips_pandera(small_cohort, monkeypatch):
    """A table that passes never reaches pandera's validate (its copies were the cost)."""
    import pandera.pandas as pa

    from toolkit.validation import validate_cohort

    def refuse(*a, **k):  # pragma: no cover - reaching it is the failure
        raise AssertionError("pandera ran on a valid table")

    monkeypatch.setattr(pa.DataFrameSchema, "validate", refuse)
    big = pd.concat([small_cohort] * 20, ignore_index=True)
    big["person_id"] = np.arange(1, len(big) + 1)  # unique, as the schema requires
    assert len(validate_cohort(big, "big")) == len(big)


# --- memory checked before the work ------------------------------------------------------------


def test_row_estimate(small_cohort, tmp_path):
    from toolkit.cohort.io import write_cohort
    from toolkit.cohort.rows import estimate_rows

    big = pd.concat([small_cohort] * 40, ignore_index=True)  # 12,000 rows, > 1 MB of CSV
    for suffix in (".parquet", ".csv", ".csv.gz"):
        p = tmp_path / f"c{suffix}"
        write_cohort(big, p)
        got = estimate_rows(p)
        if suffix == ".parquet":
            assert got == len(big)
        else:  # from the mean line length of the first megabyte: rows repeat, so within 2%
            assert abs(got - len(big)) < 0.02 * len(big), (suffix, got)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    assert estimate_rows(tmp_path / "junk.parquet") is None
    assert estimate_rows(tmp_path / "missing.csv") is None


def test_gaps_refuses_a_cohort_too_large_before_reading_it(small_cohort, tmp_path, monkeypatch):
    import toolkit.cli._common as common
    from toolkit.cli import main
    from toolkit.cohort.io import write_cohort
    from toolkit.needs.summary import MEMORY_BASE_BYTES, MEMORY_BYTES_PER_ROW

    path = tmp_path / "c.parquet"
    write_cohort(small_cohort, path)
    need = MEMORY_BASE_BYTES + MEMORY_BYTES_PER_ROW["parquet"] * len(small_cohort)
    monkeypatch.setattr(common, "machine_memory", lambda: (int(need - 1), int(4 * need)))
    read = []
    # where gaps reads the cohort (toolkit.needs.summary.needs_summary_file)
    monkeypatch.setattr("toolkit.needs.summary.read_cohort", lambda *a, **k: read.append(1))
    out = tmp_path / "g.json"
    assert main(["gaps", str(path), "--json", str(out)]) == 2
    assert read == [] and not out.exists() and list(tmp_path.iterdir()) == [path]


def test_figures_quoted_in_the_docs():
    """docs/needs_gap_intervals.md quotes these shares of the half-width."""
    assert round(100 * bootstrap_endpoint_mc_error(1000), 1) == 4.3
    assert round(100 * bootstrap_endpoint_mc_error(10_000), 1) == 1.4
