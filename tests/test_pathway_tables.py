"""Pathway rules files (``pathways.toml``) read against their declared tables (issue 24 item 2).

Every file here is written by the test, not copied from the shipped one: a valid file must load
to exactly what it says, and each kind of mistake (unknown key, missing key, wrong type, each
rule across keys) must be refused with the file, the exact key and what was found.
"""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import SpecError
from toolkit.conditions import parse_condition
from toolkit.needs.pathways import Group, Pathway, load_pathway_rules


def toml_value(v) -> str:
    """A TOML value: JSON's strings, numbers, booleans and arrays are TOML's too."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(v, ensure_ascii=False)


def toml_text(tables: dict) -> str:
    """``{"pathways.a": {...}, "complexity": {...}}`` as TOML text, one table a header."""
    out = []
    for name, body in tables.items():
        out.append(f"[{name}]")
        out += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(out) + "\n"


ACC = {"label": "Housing", "need_any": ["need_accommodation >= 1"]}
MINIMAL = {"pathways.housing": ACC, "complexity": {"default": ["recalled"]}}


def load(tmp_path, tables):
    p = tmp_path / "pw.toml"
    p.write_text(toml_text(tables), encoding="utf-8")
    return load_pathway_rules(p), p


def refused(tmp_path, tables) -> SpecError:
    p = tmp_path / "bad.toml"
    text = toml_text(tables)
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_pathway_rules(p)
    assert e.value.path == str(p)
    assert p.read_text(encoding="utf-8") == text  # the input file is never modified
    return e.value


def with_(base: dict, table: str, **changes) -> dict:
    """``base`` with keys of one table changed (a value of ``None`` drops the key)."""
    out = {k: dict(v) for k, v in base.items()}
    body = out.setdefault(table, {})
    for k, v in changes.items():
        if v is None:
            body.pop(k, None)
        else:
            body[k] = v
    return out


FULL = {
    "meta": {"document": "doc.txt", "title": "T", "line": 3, "quote": "q", "date_note": "old"},
    "levels": {"level_1": {"line": 1, "quote": "all"}, "combined": {"line": 2}},
    "pathways.housing": {
        "label": "Housing",
        "line": 10,
        "quote": "housing need",
        "combined_levels": False,
        "need_any": ["need_accommodation >= 1"],
        "significant_any": ["need_accommodation == 2"],
        "missing_items": ["tenancy"],
        "assumed": "item 1 is a need",
    },
    "pathways.money": {
        "label": "Money",
        "combined_levels": True,
        "need_any": [],
        "missing_items": ["debt"],
    },
    "groups.women": {"label": "Women", "line": 4, "any": ["sex == female"]},
    "groups.young": {
        "label": "Young men",
        "all": ["sex == male", "age <= 25"],
        "alternative_all": ["sex == male", "age <= 20"],
        "alternative_label": "Young men 18-20",
        "alternative_line": 9,
        "alternative_quote": "18-20",
        "assumed": "two definitions",
    },
    "complexity": {
        "default": ["recalled", "women"],
        "alternatives": {"person": ["women", "young", "significant_need"]},
        "reason": "why",
        "not_held": {"care_leavers": "care history"},
    },
    "supporting_activity": {
        "label": "Support",
        "level_3_groups": ["women", "young"],
        "not_held": {"ldd": "learning difficulties"},
    },
    "extra_support.victims": {"label": "Victims", "need_any": [], "missing_items": ["abuse"]},
}


def test_a_file_written_by_hand_loads_to_what_it_says(tmp_path):
    rules, p = load(tmp_path, FULL)
    assert rules.path == str(p)
    housing, money = rules.pathways
    assert housing == Pathway(
        name="housing",
        label="Housing",
        line=10,
        quote="housing need",
        assumed="item 1 is a need",
        need=(parse_condition("need_accommodation >= 1"),),
        significant=(parse_condition("need_accommodation == 2"),),
        combined_levels=False,
        missing_items=("tenancy",),
    )
    assert money.combined_levels and not money.estimable and money.missing_items == ("debt",)
    assert rules.groups["young"] == Group(
        name="young",
        label="Young men",
        assumed="two definitions",
        any=(),
        all=(parse_condition("sex == male"), parse_condition("age <= 25")),
        alternative_all=(parse_condition("sex == male"), parse_condition("age <= 20")),
        alternative_label="Young men 18-20",
    )
    assert rules.groups["women"].any == (parse_condition("sex == female"),)
    assert rules.groups["women"].line == 4
    # complexity, supporting activity and meta are kept as the file gives them
    assert rules.complexity == FULL["complexity"]
    assert rules.supporting == FULL["supporting_activity"]
    assert rules.meta == FULL["meta"]
    assert rules.readings == ("default", "person")
    assert rules.flags("person") == ["women", "young", "significant_need"]
    assert [e.name for e in rules.extra_support] == ["victims"]


def test_optional_tables_may_be_left_out_or_empty(tmp_path):
    rules, _ = load(tmp_path, MINIMAL)
    assert (rules.groups, rules.supporting, rules.extra_support, rules.meta) == ({}, {}, (), {})
    # an empty [supporting_activity] is no supporting-activity row, as before
    rules, _ = load(tmp_path, {**MINIMAL, "supporting_activity": {}})
    assert rules.supporting == {}


@pytest.mark.parametrize(
    ("table", "typo", "key", "nearest"),
    [
        ("pathways.housing", "need_anny", "pathways.housing.need_anny", "need_any"),
        ("groups.women", "anny", "groups.women.anny", "any"),
        ("complexity", "alternative", "complexity.alternative", "alternatives"),
        (
            "supporting_activity",
            "level3_groups",
            "supporting_activity.level3_groups",
            "level_3_groups",
        ),
        (
            "extra_support.victims",
            "missing_item",
            "extra_support.victims.missing_item",
            "missing_items",
        ),
        ("meta", "documnet", "meta.documnet", "document"),
    ],
)
def test_unknown_key_names_the_nearest_known_key(tmp_path, table, typo, key, nearest):
    e = refused(tmp_path, with_(FULL, table, **{typo: ["x"]}))
    assert e.key == key
    assert str(e).endswith(f"is not a known key; did you mean `{nearest}`?")


def test_unknown_key_in_a_level_and_at_the_top(tmp_path):
    bad = {k: v for k, v in FULL.items() if k != "levels"}
    bad["levels"] = {"level_1": {"lines": 1}}
    assert refused(tmp_path, bad).key == "levels.level_1.lines"
    e = refused(tmp_path, {**MINIMAL, "group.x": {"label": "X"}})
    assert e.key == "group" and "did you mean `groups`?" in str(e)


@pytest.mark.parametrize(
    ("tables", "key"),
    [
        ({"complexity": {"default": []}}, "pathways"),
        ({"pathways.housing": ACC}, "complexity"),
        (with_(MINIMAL, "pathways.housing", label=None), "pathways.housing.label"),
        (with_(MINIMAL, "pathways.housing", need_any=None), "pathways.housing.need_any"),
        (with_(MINIMAL, "complexity", default=None, reason="r"), "complexity.default"),
        (with_(MINIMAL, "groups.g", any=["sex == female"]), "groups.g.label"),
        (with_(MINIMAL, "supporting_activity", label="S"), "supporting_activity.level_3_groups"),
        (with_(MINIMAL, "extra_support.e", need_any=[]), "extra_support.e.label"),
    ],
)
def test_missing_key_is_named(tmp_path, tables, key):
    e = refused(tmp_path, tables)
    assert (e.key, str(e).split("` ")[1]) == (key, "is required but missing.")


@pytest.mark.parametrize(
    ("table", "change", "key", "got"),
    [
        ("pathways.housing", {"label": 5}, "pathways.housing.label", 5),
        ("pathways.housing", {"line": "7"}, "pathways.housing.line", "7"),
        ("pathways.housing", {"combined_levels": "yes"}, "pathways.housing.combined_levels", "yes"),
        (
            "pathways.housing",
            {"need_any": "need_accommodation >= 1"},
            "pathways.housing.need_any",
            "need_accommodation >= 1",
        ),
        ("pathways.housing", {"missing_items": [1]}, "pathways.housing.missing_items[0]", 1),
        ("groups.women", {"any": "sex == female"}, "groups.women.any", "sex == female"),
        ("complexity", {"default": "recalled"}, "complexity.default", "recalled"),
        ("complexity", {"alternatives": {"p": "women"}}, "complexity.alternatives.p", "women"),
        ("complexity", {"not_held": {"ldd": 3}}, "complexity.not_held.ldd", 3),
        ("supporting_activity", {"line": 1.5}, "supporting_activity.line", 1.5),
        ("meta", {"date_note": True}, "meta.date_note", True),
    ],
)
def test_wrong_type_names_key_and_value(tmp_path, table, change, key, got):
    e = refused(tmp_path, with_(FULL, table, **change))
    assert (e.key, e.value) == (key, got)
    assert "should be a valid" in str(e)


def test_a_group_needs_any_or_all(tmp_path):
    e = refused(tmp_path, with_(FULL, "groups.women", any=[]))
    assert e.key == "groups.women" and "needs conditions in `any` or `all`" in str(e)


@pytest.mark.parametrize("table", ["pathways.money", "extra_support.victims"])
def test_a_need_the_cohort_cannot_read_names_its_missing_item(tmp_path, table):
    e = refused(tmp_path, with_(FULL, table, missing_items=[]))
    assert e.key == f"{table}.missing_items"
    assert "must name the missing item(s) when need_any is empty" in str(e)


def test_complexity_flags_must_be_built_in_or_a_group(tmp_path):
    e = refused(tmp_path, with_(FULL, "complexity", default=["recalled", "astrology"]))
    assert (e.key, e.value) == ("complexity.default", "astrology")
    assert "expected some of recalled, significant_need, women, young" in str(e)
    e = refused(tmp_path, with_(FULL, "complexity", alternatives={"p": ["women", "men"]}))
    assert (e.key, e.value) == ("complexity.alternatives.p", "men")


def test_supporting_groups_must_be_groups(tmp_path):
    e = refused(tmp_path, with_(FULL, "supporting_activity", level_3_groups=["women", "lifers"]))
    assert (e.key, e.value) == ("supporting_activity.level_3_groups", "lifers")
    assert "names a group not in [groups] (women, young)" in str(e)


def test_at_least_one_pathway(tmp_path):
    p = tmp_path / "empty.toml"
    p.write_text('[pathways]\n[complexity]\ndefault = ["recalled"]\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"`pathways` must define at least one pathway"):
        load_pathway_rules(p)


@pytest.mark.parametrize(
    ("table", "key", "value", "where"),
    [
        ("pathways.housing", "need_any", ["need_accommodation >= 7"], "need_any[0]"),
        ("pathways.housing", "significant_any", ["sex ~ male"], "significant_any[0]"),
        ("groups.young", "all", ["sex == male", "age <= old"], "all[1]"),
        ("groups.young", "alternative_all", ["sex >= male"], "alternative_all[0]"),
    ],
)
def test_conditions_are_read_by_the_condition_language(tmp_path, table, key, value, where):
    e = refused(tmp_path, with_(FULL, table, **{key: value}))
    assert e.key == f"{table}.{where}"


# --- any valid file loads to what it says ---------------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
CONDITIONS = st.lists(
    st.sampled_from(["need_accommodation >= 1", "sex == female", "age <= 25", "need_class_a == 2"]),
    max_size=3,
)


@st.composite
def pathway_files(draw):
    groups = draw(st.dictionaries(NAMES, CONDITIONS.filter(bool), max_size=3))
    tables = {}
    pathways = draw(
        st.dictionaries(NAMES, st.tuples(TEXT, CONDITIONS, st.booleans()), min_size=1, max_size=4)
    )
    for name, (label, need, combined) in pathways.items():
        tables[f"pathways.{name}"] = {
            "label": label,
            "need_any": need,
            "combined_levels": combined,
            "missing_items": [] if need else [f"{name} item"],
            "line": draw(st.integers(0, 9999)),
        }
    for name, conds in groups.items():
        tables[f"groups.{name}"] = {"label": name.upper(), "any": conds}
    flags = st.lists(st.sampled_from(["recalled", "significant_need", *groups]), max_size=4)
    tables["complexity"] = {"default": draw(flags), "alternatives": {"other": draw(flags)}}
    return tables


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pathway_files())
def test_any_valid_file_loads_to_what_it_says(tmp_path, tables):
    rules, _ = load(tmp_path, tables)
    for pw in rules.pathways:
        t = tables[f"pathways.{pw.name}"]
        assert (pw.label, pw.combined_levels, pw.line) == (
            t["label"],
            t["combined_levels"],
            t["line"],
        )
        assert [str(c) for c in pw.need] == t["need_any"]
        assert pw.estimable == bool(t["need_any"]) and pw.missing_items == tuple(t["missing_items"])
    assert [f"pathways.{p.name}" for p in rules.pathways] == [
        k for k in tables if k.startswith("pathways.")
    ]
    for name, g in rules.groups.items():
        assert [str(c) for c in g.any] == tables[f"groups.{name}"]["any"] and g.all == ()
    assert rules.complexity == tables["complexity"]


@pytest.mark.parametrize(
    ("text", "key", "got"),
    [
        ('pathways = 5\n[complexity]\ndefault = ["recalled"]\n', "pathways", 5),
        ('[pathways]\nhousing = "x"\n[complexity]\ndefault = []\n', "pathways.housing", "x"),
        (
            'complexity = ["recalled"]\n[pathways.a]\nlabel = "A"\nneed_any = ["age >= 1"]\n',
            "complexity",
            ["recalled"],
        ),
        (
            'groups = { g = 1 }\n[pathways.a]\nlabel = "A"\nneed_any = ["age >= 1"]\n'
            "[complexity]\ndefault = []\n",
            "groups.g",
            1,
        ),
    ],
)
def test_a_value_where_a_table_belongs_is_refused(tmp_path, text, key, got):
    # the hand-written checks raised AttributeError or TypeError here, or read a string's
    # characters as keys
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="should be a valid dictionary") as e:
        load_pathway_rules(p)
    assert (e.value.key, e.value.value) == (key, got)
