"""The summary's table and JSON written without pandas equal pandas' own (generated input)."""

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.review.formatting import pandas_json_float, pandas_table

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
# summary-like values: shares, days, costs, small and negative bounds, exact integers and
# halves, plus the whole double range (where the formatter may decline and pandas is used)
values = st.one_of(
    st.floats(-1e7, 1e7),
    st.floats(-1, 1),
    st.integers(-(10**6), 10**6).map(float),
    st.integers(-4000, 4000).map(lambda i: i / 200),
    finite,
    st.sampled_from([0.0, -0.0, 1e-11, 1.5e-10, 0.005, 0.015, 2.675, 1e6, 1e6 + 0.5, 1e15]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(values, min_size=1, max_size=40))
def test_json_floats_match_pandas(xs):
    want = json.loads(pd.Series(xs, dtype="float64").to_json(orient="values"))
    for x, w in zip(xs, want):
        got = pandas_json_float(x)
        if got is NotImplemented:  # outside the fixed-point range: the caller asks pandas
            assert x != 0 and (abs(x) > 1e16 - 1 or abs(x) < 1e-15)
        else:
            assert json.dumps(got) == json.dumps(w)  # equal, sign of zero included


def test_json_nan_and_inf_are_null():
    assert pandas_json_float(float("nan")) is None
    assert json.loads(pd.Series([float("nan")]).to_json(orient="values")) == [None]


names = st.text("abcdefghij_:=0123456789", min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.lists(names, min_size=n, max_size=n, unique=True),
            st.lists(st.lists(values, min_size=n, max_size=n), min_size=1, max_size=5),
        )
    )
)
def test_table_matches_pandas(data):
    strategies, columns = data
    cols = ["strategy"] + [f"col_{i}_{'x' * i}" for i in range(len(columns))]
    rows = [
        {"strategy": s} | {c: float(v[j]) for c, v in zip(cols[1:], columns)}
        for j, s in enumerate(strategies)
    ]
    got = pandas_table(rows, cols, decimals=2)
    with np.errstate(over="ignore"):
        want = pd.DataFrame(rows)[cols].round(2).to_string(index=False)
    if got is None:  # declined: pandas would use scientific notation (or NaN)
        with np.errstate(over="ignore"):
            vals = np.round(np.array([[r[c] for c in cols[1:]] for r in rows]), 2)
        assert (np.abs(vals) > 1e6).any() or ((np.abs(vals) < 1e-6) & (vals != 0)).any()
    else:
        assert got == want


def test_table_on_a_typical_summary():
    rows = [
        {"strategy": "sed", "a_pct": 81.63, "days": 189.884, "cost": 19810.1312, "n": 0.0},
        {"strategy": "proactive:every=28", "a_pct": 68.7, "days": 152.9, "cost": 17159.9, "n": 5.0},
    ]
    cols = ["strategy", "a_pct", "days", "cost", "n"]
    assert pandas_table(rows, cols, 2) == pd.DataFrame(rows)[cols].round(2).to_string(index=False)
