"""toolkit.conditions: the one condition language of programme rules, pathways and relations.

Every expected array below is worked by hand from the five-row table (no value is taken from the
code under test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.conditions import ColumnRef, Condition, parse_condition, parse_conditions
from toolkit.exceptions import SpecError
from toolkit.schema import Relation, relation_violations


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "ogrs3_2yr": [10.0, 25.0, np.nan, 80.0, 30.0],
            "group": pd.Categorical(
                ["violence", "robbery", None, "other", "violence"],
                categories=["violence", "robbery", "acquisitive", "other"],
            ),
            "text": pd.array(["a", "b", None, "a", "c"], dtype="string"),
            "flag": pd.array([True, False, None, True, False], dtype="boolean"),
            "need_x": pd.array([0, 1, 2, None, 2], dtype="Int64"),
            "sanctions": [3, 1, 0, 5, 2],
            "breaches": [1, 2, 0, np.nan, 2],
        }
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ogrs3_2yr >= 25", [0, 1, 0, 1, 1]),
        ("ogrs3_2yr < 25", [1, 0, 0, 0, 0]),
        # a missing value satisfies no condition, != included
        ("ogrs3_2yr != 25", [1, 0, 0, 1, 1]),
        ("group == violence", [1, 0, 0, 0, 1]),
        ("group != violence", [0, 1, 0, 1, 0]),
        ("group in violence,robbery", [1, 1, 0, 0, 1]),
        ("text == a", [1, 0, 0, 1, 0]),
        ("text != a", [0, 1, 0, 0, 1]),
        ("text in a,c", [1, 0, 0, 1, 1]),
        ("flag == true", [1, 0, 0, 1, 0]),
        ("flag != true", [0, 1, 0, 0, 1]),
        ("need_x >= 1", [0, 1, 1, 0, 1]),
        ("need_x >= 2 or ogrs3_2yr < 20", [1, 0, 1, 0, 1]),
    ],
)
def test_evaluate_by_hand(df, text, expected):
    (cond,) = parse_conditions("f.toml", "k", [text], or_ok=True)
    assert cond.evaluate(df).tolist() == [bool(x) for x in expected]
    assert str(cond) == text


def test_column_reference_only_where_allowed(df):
    cond = parse_condition("sanctions >= breaches", column_values=True)
    assert cond.value == ColumnRef("breaches") and cond.reads == ("sanctions", "breaches")
    assert cond.evaluate(df).tolist() == [True, False, True, False, True]
    assert cond.known(df).tolist() == [True, True, True, False, True]
    # in a data file's rules a name is a category, which only == and != may compare
    with pytest.raises(SpecError, match=r"f\.toml: `c\[0\]` can only use == or !="):
        parse_conditions("f.toml", "c", ["sanctions >= breaches"])


@pytest.mark.parametrize(
    "items, kwargs, pattern",
    [
        ([], {}, "must be a non-empty list of conditions"),
        ("ogrs3_2yr >= 25", {}, "must be a non-empty list of conditions"),
        (["ogrs3_2yr >= 125"], {}, r"threshold for ogrs3_2yr must lie in \[0, 100\]; got 125\.0"),
        (["need_x >= 3"], {}, r"threshold for need_x must lie in \[0, 2\]"),
        (["ogrs3_2yr => 25"], {}, "must look like '<column> <op> <value>'"),
        (["flag > true"], {}, "can only use == or !="),
        (["a >= 1 or b >= 1"], {}, "may not use 'or'"),
    ],
)
def test_malformed_conditions_are_refused_with_file_and_key(items, kwargs, pattern):
    with pytest.raises(SpecError, match=r"^f\.toml: `k.*" + pattern):
        parse_conditions("f.toml", "k", items, **kwargs)


def test_or_parts_and_columns():
    (c,) = parse_conditions("f", "k", ["a >= 1 or b == true"], or_ok=True)
    assert c.columns == ("a", "b") and c.or_else == (Condition("b", "==", True),)


def test_relation_counts_only_known_breaches(df):
    rel = Relation("x", ("flag == true",), "need_x >= 1", "test")
    # rows 0 and 3 have the flag; row 0 scores 0 (a breach), row 3 is unscored (not counted)
    assert relation_violations(df, rel).tolist() == [True, False, False, False, False]
    always = Relation("y", (), "sanctions >= breaches", "test")
    assert relation_violations(df, always).tolist() == [False, True, False, False, False]
    assert relation_violations(df.drop(columns="breaches"), always) is None


# -- any condition, any values: the vectorised evaluation is the plain reading, person by person

_PY_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.integers(0, 100)), min_size=1, max_size=30),
    op=st.sampled_from(list(_PY_OPS)),
    threshold=st.integers(0, 100),
)
def test_numeric_condition_is_the_plain_reading(values, op, threshold):
    df = pd.DataFrame({"ogrs3_2yr": pd.array(values, dtype="Int64")})
    cond = parse_condition(f"ogrs3_2yr {op} {threshold}")
    expected = [v is not None and _PY_OPS[op](v, threshold) for v in values]
    assert cond.evaluate(df).tolist() == expected
    assert parse_condition(str(cond)) == cond


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=30),
    op=st.sampled_from(["==", "!=", "in"]),
    picked=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True),
    categorical=st.booleans(),
)
def test_category_condition_is_the_plain_reading(values, op, picked, categorical):
    col = pd.Series(values, dtype=pd.CategoricalDtype(["a", "b", "c"]) if categorical else object)
    df = pd.DataFrame({"group": col})
    text = f"group in {','.join(picked)}" if op == "in" else f"group {op} {picked[0]}"
    cond = parse_condition(text)
    if op == "in":
        expected = [v is not None and v in picked for v in values]
    else:
        expected = [v is not None and _PY_OPS[op](v, picked[0]) for v in values]
    assert cond.evaluate(df).tolist() == expected
