"""toolkit.args: the shared checks of public functions' arguments (issue 24 item 2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.args import (
    Choice,
    Int,
    Real,
    Rng,
    check_args,
    check_choice,
    check_int,
    check_real,
    check_rng,
)
from toolkit.exceptions import UsageError
from toolkit.national import GROWTH_RANGE, check_growth


@pytest.mark.parametrize(
    "value, message",
    [
        (2.5, "n must be a whole number >= 1; got 2.5"),
        (True, "n must be a whole number >= 1; got True"),
        (np.bool_(True), "n must be a whole number >= 1"),
        (0, "n must be a whole number >= 1; got 0"),
        ("10", "n must be a whole number >= 1; got '10'"),
        (float("nan"), "n must be a whole number >= 1; got nan"),
        (float("inf"), "n must be a whole number >= 1; got inf"),
        (None, "n must be a whole number >= 1; got None"),
    ],
)
def test_check_int_refuses_naming_the_argument(value, message):
    with pytest.raises(UsageError) as err:
        check_int("n", value, lo=1)
    assert str(err.value).startswith(message)


@given(st.integers(-(10**12), 10**12), st.integers(-5, 5), st.integers(0, 10))
def test_check_int_accepts_whole_numbers_in_range(v, lo, span):
    hi = lo + span
    inside = lo <= v <= hi
    for given_as in (v, np.int64(v), float(v)):
        if inside:
            out = check_int("k", given_as, lo, hi)
            assert out == v and type(out) is int
        else:
            with pytest.raises(UsageError, match=f"k must be a whole number between {lo} and {hi}"):
                check_int("k", given_as, lo, hi)


def test_check_int_bounds_text():
    with pytest.raises(UsageError, match=r"^k must be a whole number <= 3; got 4$"):
        check_int("k", 4, hi=3)
    assert check_int("k", 10**20) == 10**20


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_real_open_and_closed_ends(v):
    ok_closed = not math.isnan(v) and 0 <= v <= 1
    ok_open = not math.isnan(v) and 0 < v < 1
    if ok_closed:
        assert check_real("p", v, 0, 1) == v
    else:
        with pytest.raises(UsageError, match=r"^p must be a number between 0 and 1; got"):
            check_real("p", v, 0, 1)
    if ok_open:
        assert check_real("p", v, 0, 1, lo_open=True, hi_open=True) == v
    else:
        with pytest.raises(UsageError, match=r"between 0 and 1 \(exclusive\)"):
            check_real("p", v, 0, 1, lo_open=True, hi_open=True)


def test_check_real_refuses_bools_and_text_and_names_one_open_end():
    for bad in (True, "0.5", None, [0.5]):
        with pytest.raises(UsageError, match="p must be a number"):
            check_real("p", bad, 0, 1)
    with pytest.raises(UsageError, match=r"^r must be a rate > 0; got 0$"):
        check_real("r", 0, lo=0, lo_open=True, what="a rate")
    with pytest.raises(UsageError, match=r"between 0 and 1 \(0 excluded\); got 0"):
        check_real("p", 0, 0, 1, lo_open=True)
    assert check_real("p", np.float32(0.5), 0, 1) == 0.5


def test_check_choice_names_the_nearest_option():
    assert check_choice("by", "region", ("region", "age")) == "region"
    with pytest.raises(
        UsageError,
        match=r"^by must be one of region, age \(did you mean 'region'\?\); got 'regoin'$",
    ):
        check_choice("by", "regoin", ("region", "age"))
    with pytest.raises(UsageError, match=r"^by must be one of region, age; got 3$"):
        check_choice("by", 3, ("region", "age"))


def test_check_rng_same_seed_same_stream_and_a_generator_passes_through():
    a = check_rng("rng", 7).random(5)
    b = check_rng("rng", np.random.SeedSequence(7)).random(5)
    assert np.array_equal(a, b) and np.array_equal(a, np.random.default_rng(7).random(5))
    g = np.random.default_rng(1)
    assert check_rng("rng", g) is g
    assert isinstance(check_rng("rng", None), np.random.Generator)
    assert isinstance(check_rng("rng", np.random.PCG64(3)), np.random.Generator)
    for bad in (True, -1, 1.5, "1", [1]):
        with pytest.raises(UsageError, match=r"^rng must be a non-negative int seed"):
            check_rng("rng", bad)


def test_declared_constraints_are_checked_together():
    constraints = {
        "n": Int(lo=1),
        "n_replications": Int(lo=1),
        "share": Real(0, 1),
        "reading": Choice(("barriers_cleared", "judgement")),
        "rng": Rng(),
    }
    out = check_args(constraints, n=1e3, n_replications=2, share=1, reading="judgement", rng=None)
    assert (out["n"], out["n_replications"], out["share"]) == (1000, 2, 1.0)
    assert list(out) == ["n", "n_replications", "share", "reading", "rng"]
    with pytest.raises(UsageError, match="n_replications must be a whole number >= 1; got True"):
        check_args(constraints, n=10, n_replications=True)
    assert check_args(constraints, optional=("share",), share=None) == {"share": None}
    with pytest.raises(UsageError, match="share must be a number"):
        check_args(constraints, share=None)
    with pytest.raises(TypeError, match="no constraint declared for argument 'x'"):
        check_args(constraints, x=1)


# --- the growth argument (was checked only by `simulate --growth`) ---------------------------


@given(st.floats(-2, 20))
def test_growth_is_refused_outside_its_range_by_the_api(g):
    lo, hi = GROWTH_RANGE
    if lo < g < hi:
        assert check_growth(g) == g
    else:
        with pytest.raises(UsageError) as err:
            check_growth(g)
        msg = str(err.value)
        assert msg.startswith("growth must be a yearly rate between -0.99 and 10 (exclusive)")
        assert "--" not in msg  # the API's message names no command-line flag


def test_growth_none_means_the_published_growth_and_50_is_refused():
    assert check_growth(None) is None
    with pytest.raises(UsageError, match="got 50"):
        check_growth(50)
    with pytest.raises(UsageError, match="got nan"):
        check_growth(float("nan"))
