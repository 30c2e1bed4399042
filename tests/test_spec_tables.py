"""The profile's declared tables (toolkit.profile.tables): each assumption rule refuses a bad value
naming the file, the exact key and the value, and the default profile passes every one."""

from __future__ import annotations

import copy
import sys

import pytest

from toolkit import SpecError
from toolkit.profile.spec import build_spec, default_profile_path, load_profile

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@pytest.fixture(scope="module")
def raw():
    return tomllib.loads(default_profile_path().read_text(encoding="utf-8"))


def _set(data: dict, dotted: str, value) -> None:
    *path, last = dotted.split(".")
    node = data
    for p in path:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


_DELETE = object()

CASES = [
    # (where in [assumptions], new value, key in the message, what the message says)
    ("age.lower", 5, "assumptions.age.lower", "greater than or equal to 10"),
    ("age.upper", 12, "assumptions.age.upper", "must exceed assumptions.age.lower"),
    ("age.sigma", 0, "assumptions.age.sigma", "greater than or equal to 0.01"),
    ("age.sigma", True, "assumptions.age.sigma", "valid number"),
    ("age.reason", "  ", "assumptions.age.reason", "must say why"),
    ("career.min_age_first_sanction", 19, "assumptions.career.min_age_first_sanction", "less"),
    ("need_items.loading", 1.0, "assumptions.need_items.loading", "less than or equal to 0.99"),
    ("need_domains.max_domains", 0, "assumptions.need_domains.max_domains", "greater"),
    ("scores.osp_2yr.sigma", 9, "assumptions.scores.osp_2yr.sigma", "less than or equal to 5"),
    (
        "scores.osp_2yr.offence_shift",
        {"violance": 0.1},
        "assumptions.scores.osp_2yr.offence_shift.violance",
        "did you mean `violence`",
    ),
    ("rosh.offence_shift", {"robbery": "x"}, "assumptions.rosh.offence_shift.robbery", "number"),
    ("sex.male_share", {"standard": 101}, "assumptions.sex.male_share.standard", "100"),
    ("sex.male_share", {"standrd": 90}, "assumptions.sex.male_share.standrd", "did you mean"),
    (
        "ethnicity.non_white_split",
        {"black": 0.5, "asian": 0.4},
        "assumptions.ethnicity.non_white_split",
        "must sum to 1.0",
    ),
    (
        "ethnicity.non_white_split",
        {"black": 0.5, "white": 0.5},
        "assumptions.ethnicity.non_white_split.white",
        "is not a known category",
    ),
    (
        "recall_reason.same_mix_in_every_recall_type",
        False,
        "assumptions.recall_reason.same_mix_in_every_recall_type",
        "must be true",
    ),
    (
        "index_offence.within_group.acquisitive",
        {"theft": 2.0},
        "assumptions.index_offence.within_group.acquisitive",
        "must sum to 1.0",
    ),
    (
        "days_on_recall.standard",
        {"max_days": 0},
        "assumptions.days_on_recall.standard.max_days",
        ">= 1",
    ),
    (
        "days_on_recall.standard",
        {"bands": {"under_6m": 50, "6_to_12m": 20, "over_12m": 20}},
        "assumptions.days_on_recall.standard.bands",
        "must sum to 100.0",
    ),
    (
        "days_to_sed.share_1yr_plus",
        {"life": "never"},
        "assumptions.days_to_sed.share_1yr_plus.life",
        'or "none"',
    ),
    ("oasys.coverage_default", 1.5, "assumptions.oasys.coverage_default", "less"),
    ("correlation.latents", ["age"], "assumptions.correlation.latents", "in this order"),
    ("correlation.matrix.0.0", 0.5, "assumptions.correlation.matrix", "1 on the diagonal"),
    (
        "unpublished",
        {"means": {"age": 200}, "reason": "x"},
        "assumptions.unpublished.means.age",
        "less than 120",
    ),
    ("fidelity", _DELETE, "assumptions.fidelity", "is required but missing"),
]


@pytest.mark.parametrize("where, value, key, says", CASES, ids=[c[0] for c in CASES])
def test_each_assumption_rule_names_its_key(raw, where, value, key, says):
    data = copy.deepcopy(raw)
    _set(data["assumptions"], where, value)
    with pytest.raises(SpecError) as e:
        build_spec("bad.toml", "0" * 64, data)
    assert e.value.path == "bad.toml" and e.value.key == key, str(e.value)
    assert says.replace(">= ", "greater than or equal to ") in str(e.value)


def test_unknown_block_and_key_are_refused(raw):
    data = copy.deepcopy(raw)
    data["assumptions"]["agee"] = {"reason": "typo"}
    with pytest.raises(SpecError, match=r"`assumptions\.agee` is not a known key"):
        build_spec("bad.toml", "0" * 64, data)
    data = copy.deepcopy(raw)
    data["assumptions"]["age"]["sigm"] = 1
    with pytest.raises(SpecError, match=r"`assumptions\.age\.sigm` .*did you mean `sigma`"):
        build_spec("bad.toml", "0" * 64, data)


def test_new_offence_group_needs_its_own_within_group_keys_only(raw):
    """A within-group mix for a group the profile does not have is refused."""
    data = copy.deepcopy(raw)
    data["assumptions"]["index_offence"]["within_group"]["drugs"] = {"other": 1.0}
    with pytest.raises(SpecError, match=r"within_group\.drugs` is not a known key"):
        build_spec("bad.toml", "0" * 64, data)


def test_default_profile_passes_and_keeps_the_raw_assumptions(raw):
    spec = load_profile()
    assert spec.assumptions["age"]["sigma"] == raw["assumptions"]["age"]["sigma"]
    assert set(spec.assumptions) == set(raw["assumptions"])


def test_empty_targets_say_what_a_profile_needs(raw):
    data = copy.deepcopy(raw)
    data["targets"] = []
    with pytest.raises(SpecError, match=r"`targets` must be a non-empty array of tables"):
        build_spec("bad.toml", "0" * 64, data)
