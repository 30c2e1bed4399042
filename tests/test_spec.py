"""Profile spec loading and validation: every rejection names the file, key, value and rule."""

import copy
import sys

import pytest

from toolkit import SpecError, load_profile
from toolkit.profile.spec import _build_spec, default_profile_path
from toolkit.schema import RECALL_TYPES

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture(scope="module")
def raw():
    return tomllib.loads(default_profile_path().read_text(encoding="utf-8"))


def build(data):
    return _build_spec("bad.toml", "0" * 64, data)


def target(data, tid):
    return next(t for t in data["targets"] if t["id"] == tid)


def test_default_profile_loads_and_is_frozen(spec):
    assert spec.population_n("standard") == 3912
    assert spec.population_n("other_sentenced") == 64494 - 5125
    with pytest.raises((AttributeError, TypeError)):
        spec.targets = ()
    with pytest.raises(TypeError):
        spec.assumptions["age"]["sigma"] = 3  # read-only mapping


def test_every_target_has_provenance(spec):
    for t in spec.targets:
        assert t.document.endswith(".txt") and t.quote and t.locator, t.id
        assert t.line is not None and t.line > 0, t.id


def test_required_published_figures_present(spec):
    pops = [
        "all_prisoners",
        "all_recalled",
        "standard",
        "extended",
        "fixed_term",
        "ipp_dpp",
        "life",
        "hdc",
    ]
    cols = [
        "n",
        "age",
        "years_since_first_sanction",
        "previous_breaches",
        "ogrs3_2yr",
        "ogrs4v_2yr",
        "osp_2yr",
        "rsr_2yr",
        "rosh",
    ]
    for p in pops:
        for c in cols:
            assert spec.has_target(f"appendix.{c}.{p}"), (c, p)
    figure1 = [t for t in spec.targets if t.id.startswith("figure1.")]
    assert len(figure1) == 24
    # raw printed values are kept, not rounded
    assert spec.target("figure1.need_accommodation.standard").printed.startswith("1.08853883")


def test_missing_file():
    with pytest.raises(SpecError, match=r"nope\.toml: `\(file\)` cannot be read"):
        load_profile("nope.toml")


def test_bad_toml(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[meta\n")
    with pytest.raises(SpecError, match="is not valid TOML"):
        load_profile(p)


@pytest.mark.parametrize(
    "tid, field, value, pattern",
    [
        (
            "appendix.age.standard",
            "value",
            "32,2",
            # pydantic's wording (declared type, toolkit.profile.tables): key, rule and value
            r"appendix\.age\.standard\]\.value` input should be a valid number.*; got '32,2'",
        ),
        (
            "appendix.age.standard",
            "value",
            322.0,
            r"must be between 10 and 100 for a mean of age; got 322\.0",
        ),
        (
            "appendix.age.standard",
            "population",
            "martians",
            r"\.population` must be one of .*; got 'martians'",
        ),
        (
            "appendix.rosh.standard",
            "value",
            164.2,
            r"must be a percentage between 0 and 100; got 164\.2",
        ),
        ("appendix.n.standard", "value", 39.5, r"must be a non-negative whole number for a count"),
        (
            "appendix.age.standard",
            "decimals",
            -1,
            # the declared range Field(ge=0, le=16), in pydantic's words
            r"decimals` input should be greater than or equal to 0; got -1",
        ),
        (
            "appendix.ogrs3_2yr.standard",
            "statistic",
            "median",
            r"is a median of 'ogrs3_2yr', which the generator cannot produce: medians of "
            r"ogrs3_2yr are not generated",
        ),
        ("appendix.age.standard", "statistic", "mode", r"statistic` must be one of mean, share"),
    ],
)
def test_bad_target_fields(raw, tid, field, value, pattern):
    data = copy.deepcopy(raw)
    target(data, tid)[field] = value
    with pytest.raises(SpecError, match=r"^bad\.toml: .*" + pattern):
        build(data)


def test_missing_field(raw):
    data = copy.deepcopy(raw)
    del target(data, "appendix.age.standard")["quote"]
    with pytest.raises(
        SpecError, match=r"targets\[id=appendix\.age\.standard\]\.quote` is required"
    ):
        build(data)


def test_duplicate_id(raw):
    data = copy.deepcopy(raw)
    data["targets"].append(copy.deepcopy(target(data, "appendix.age.standard")))
    with pytest.raises(SpecError, match="must be unique; got 'appendix.age.standard'"):
        build(data)


def test_missing_population_size(raw):
    data = copy.deepcopy(raw)
    data["targets"] = [
        t for t in data["targets"] if not (t["variable"] == "n" and t["population"] in RECALL_TYPES)
    ]
    with pytest.raises(SpecError, match="must give the N of each recall type it describes"):
        build(data)


def test_dropping_a_recall_size_drops_the_population(raw):
    """A profile without a recall type's N describes the others (no id is required)."""
    data = copy.deepcopy(raw)
    data["targets"] = [t for t in data["targets"] if not t["id"].endswith(".hdc")]
    spec = build(data)
    assert "hdc" not in spec.populations
    assert spec.population_n("all_recalled") == 5125 - 74


def test_assumption_without_reason(raw):
    data = copy.deepcopy(raw)
    del data["assumptions"]["age"]["reason"]
    with pytest.raises(SpecError, match=r"assumptions\.age\.reason` must say why"):
        build(data)


def test_correlation_not_positive_definite(raw):
    data = copy.deepcopy(raw)
    m = data["assumptions"]["correlation"]["matrix"]
    m[0][1] = m[1][0] = 0.99
    m[0][2] = m[2][0] = -0.99
    m[1][2] = m[2][1] = 0.99
    with pytest.raises(SpecError, match="must be positive definite"):
        build(data)


def test_correlation_not_symmetric(raw):
    data = copy.deepcopy(raw)
    data["assumptions"]["correlation"]["matrix"][0][1] = 0.5
    with pytest.raises(SpecError, match=r"matrix\[0\]\[1\]` must equal matrix\[1\]\[0\]"):
        build(data)


def test_shares_must_sum(raw):
    data = copy.deepcopy(raw)
    data["assumptions"]["index_offence"]["group_shares"]["life"]["violence"] = 99.0
    with pytest.raises(SpecError, match=r"group_shares\.life` must sum to 100\.0"):
        build(data)


def test_resolution_names_unknown_target(raw):
    data = copy.deepcopy(raw)
    data["resolutions"][0]["targets"] = ["no.such.target"]
    with pytest.raises(SpecError, match="names an unknown target; got 'no.such.target'"):
        build(data)


def test_bad_figure1_denominator(raw):
    data = copy.deepcopy(raw)
    data["derived"]["figure1_denominators"]["standard"]["need_temper"] = -5
    with pytest.raises(SpecError, match=r"need_temper` must be a positive integer; got -5"):
        build(data)


def test_targets_only_profile_inherits_assumptions(tmp_path, raw):
    """A user's transcription of the published figures alone is enough to generate from."""
    import json

    from toolkit.cohort.generate import generate_cohort

    lines = ["[meta]", 'document = "x.txt"', 'title = "My transcription"', ""]
    for t in raw["targets"]:
        lines.append("[[targets]]")
        for k, v in t.items():
            lines.append(f"{k} = {json.dumps(v)}")
        lines.append("")
    p = tmp_path / "mine.toml"
    p.write_text("\n".join(lines))
    spec = load_profile(p)
    assert list(spec.meta["inherited"]) == [
        "assumptions (from the default profile)",
        "resolutions (from the default profile)",
    ]
    # nothing derived is inherited: the toolkit derives the item denominators itself, and
    # they equal the ones derived by hand in the default profile's [derived] block
    assert dict(spec.derived) == {}
    from toolkit.profile.targets import derive_targets

    sizes = {p: spec.population_n(p) for p in spec.populations}
    groups = {g.name: g for g in derive_targets(spec, sizes).need_groups}
    by_hand = raw["derived"]
    for name in ("standard", "not_standard"):
        assert groups[name].n_oasys == by_hand["oasys_counts"][name]
        for item, n_j in by_hand["figure1_denominators"][name].items():
            assert groups[name].scored[item] == n_j, (name, item)
    df = generate_cohort(spec, populations=["hdc"], rng=1)
    assert round(float(df["age"].mean()), 1) == 31.9
