"""The generation plan: the profile stage's one answer to the cohort stage (issue 24 item 4)."""

from __future__ import annotations

import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort
from toolkit.profile.intervals import bounds, figures, interval_half
from toolkit.profile.plan import generation_plan, within_group_mix
from toolkit.profile.rules import load_programme_rules, programme_figures_describe
from toolkit.profile.targets import derive_targets
from toolkit.schema import GROUPS, INDEX_OFFENCES, MEAN_VARIABLES


def test_plan_holds_what_generation_reads():
    spec, rules = load_profile(), load_programme_rules()
    sizes = {"standard": 3000, "extended": 0, "hdc": 74, "life": 159}
    plan = generation_plan(spec, sizes, rules)
    assert dict(plan.sizes) == {"standard": 3000, "hdc": 74, "life": 159}
    published = {p: spec.population_n(p) for p in spec.populations}
    assert plan.targets is derive_targets(spec, dict(plan.sizes), published)  # cached, shared
    assert plan.oasys == plan.targets.oasys
    assert dict(plan.bounds) == {v: bounds(spec, v) for v in MEAN_VARIABLES}
    assert plan.programme_figures_apply == programme_figures_describe(spec, rules)[0]
    rows = figures(spec, "ogrs3_2yr", "mean")
    assert {r.population for r in plan.ogrs3_rows.values()} == {t.population for t in rows}
    for t in rows:
        r = plan.ogrs3_rows[t.population]
        assert (r.value, r.half) == (t.value, interval_half(spec, t))
    # group rows: only groups of several populations whose every member is in the cohort
    # (all recalled needs extended, fixed_term, ipp_dpp too: absent here), smallest first
    for r in plan.ogrs3_groups:
        assert len(GROUPS[r.population]) > 1
        assert all(p in plan.sizes for p in GROUPS[r.population] if p in spec.populations)
    sizes_in_order = [len(GROUPS[r.population]) for r in plan.ogrs3_groups]
    assert sizes_in_order == sorted(sizes_in_order)
    # offence groups in category order, each with its offences and their assumed mix
    groups = spec.categories["index_offence_group"]
    assert [g.name for g in plan.offence_groups] == list(groups)
    for g in plan.offence_groups:
        assert g.members == tuple(spec.group_members(g.name)) and len(g.mix) == len(g.members)
    for o, code in zip(INDEX_OFFENCES, plan.offence_group_codes):
        assert groups[code] == spec.offence_groups[o]


@pytest.mark.parametrize(
    "group, expected",
    [
        # the assumed shares, in the order of the group's members (an offence the profile
        # gives no share gets 0)
        ("violent", [0.6, 0.4, 0.0]),
        # a group the profile gives no mix (a new group): an even split
        ("new_group", [1.0, 1.0]),
        # a mix whose members all moved elsewhere sums to 0: an even split too
        ("emptied", [1.0]),
    ],
)
def test_within_group_mix(group, expected):
    members = {
        "violent": ["violence", "robbery", "public_order"],
        "new_group": ["fraud", "drugs"],
        "emptied": ["theft"],
    }
    spec = SimpleNamespace(
        group_members=members.__getitem__,
        assumptions={
            "index_offence": {
                "within_group": {
                    "violent": {"violence": 0.6, "robbery": 0.4},
                    "emptied": {"burglary": 1.0},
                }
            }
        },
    )
    assert within_group_mix(spec, group) == expected


def test_generation_visits_the_profile_stage_once():
    """While a cohort is built, the cohort stage calls the derivation modules (targets,
    spreads, intervals) never and the plan once; what it still reads from the profile is the
    spec's data (assumptions, categories) and the programme rules' conditions."""
    spec, rules = load_profile(), load_programme_rules()
    generate_cohort(spec, populations=["hdc", "life"], rng=1, programmes=rules)  # warm caches
    calls: Counter = Counter()

    def watch(frame, event, arg):
        if event != "call" or frame.f_back is None:
            return
        caller = frame.f_back.f_globals.get("__name__", "")
        callee = frame.f_globals.get("__name__", "")
        if caller.startswith("toolkit.cohort") and callee.startswith("toolkit.profile"):
            calls[(callee, frame.f_code.co_name)] += 1

    sys.setprofile(watch)
    try:
        generate_cohort(spec, populations=["hdc", "life"], rng=1, programmes=rules)
    finally:
        sys.setprofile(None)
    derivation = {
        k: v
        for k, v in calls.items()
        if k[0]
        in ("toolkit.profile.targets", "toolkit.profile.spreads", "toolkit.profile.intervals")
    }
    assert derivation == {}
    assert calls[("toolkit.profile.plan", "generation_plan")] == 1
    assert calls[("toolkit.profile.rules", "programme_figures_describe")] == 0
    # offence groups and categories come with the plan too
    assert calls[("toolkit.profile.spec", "group_members")] == 0
    assert calls[("toolkit.profile.spec", "categories")] == 0
