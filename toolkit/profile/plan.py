"""The generation plan: everything the cohort stage needs from a profile, derived once.

:func:`generation_plan` is the profile stage's one answer to the generator: the derived targets
at the cohort's sizes (exact means, category counts, OASys groups, median pins and SDs), the
range each mean variable is built in, the OGRS3 rows of groups of populations with the
intervals they must be met in, and whether the programme file's published figures describe
this census. :func:`toolkit.cohort.generate.generate_cohort` receives the plan and reads it;
it does not go back to :mod:`toolkit.profile.targets`, :mod:`toolkit.profile.spreads` or
:mod:`toolkit.profile.intervals` variable by variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from toolkit.profile.intervals import bounds, figures, interval_half
from toolkit.profile.model import ProfileSpec
from toolkit.profile.rules import ProgrammeRules, programme_figures_describe
from toolkit.profile.targets import DerivedTargets, derive_targets
from toolkit.schema import GROUPS, INDEX_OFFENCES, MEAN_VARIABLES


@dataclass(frozen=True)
class FigureInterval:
    """A published figure reduced to what a construction checks: who, value, half-width."""

    population: str
    value: float
    half: float


@dataclass(frozen=True)
class OffenceGroup:
    """An ``index_offence_group`` category: its OGRS3 offences and their assumed mix."""

    name: str
    members: tuple[str, ...]
    mix: tuple[float, ...]


def within_group_mix(spec: ProfileSpec, group: str) -> list[float]:
    """Assumed mix of OGRS3 offences inside an offence group, over ``spec.group_members``.

    The profile's ``assumptions.index_offence.within_group`` for the group, renormalised over
    the offences the group still holds when ``[variables.index_offence_group] members`` moved
    some to a new group; a new group without its own mix splits evenly (*assumed*: nothing
    published says otherwise).
    """
    members = spec.group_members(group)
    within = spec.assumptions["index_offence"].get("within_group", {}).get(group, {})
    mix = [float(within.get(o, 0.0)) for o in members]
    if sum(mix) <= 0:
        return [1.0] * len(members)
    return mix


@dataclass(frozen=True)
class GenerationPlan:
    """What the generator builds, at the cohort's sizes (see the module docstring).

    Attributes
    ----------
    sizes : Mapping[str, int]
        People per population (populations with nobody left out).
    targets : DerivedTargets
        From :func:`toolkit.profile.targets.derive_targets`: means, counts, OASys coverage,
        need groups, spreads (median pins, SDs) and what is unreachable.
    bounds : Mapping[str, tuple[float, float]]
        Range of each mean variable (:func:`toolkit.profile.intervals.bounds`).
    ogrs3_groups : tuple of FigureInterval
        OGRS3 2-year mean rows of groups of two or more populations whose members are all in
        the cohort, smallest group first (the order they are met in).
    ogrs3_rows : Mapping[str, FigureInterval]
        The OGRS3 2-year mean row of each population or group, by its name.
    programme_figures_apply : bool
        Whether the programme file's published counts (Table 2) describe this census
        (:func:`toolkit.profile.rules.programme_figures_describe`).
    categories : Mapping[str, tuple[str, ...]]
        The profile's categories of each categorical column (``ProfileSpec.categories``).
    offence_groups : tuple of OffenceGroup
        The ``index_offence_group`` categories in order, each with its offences and mix.
    offence_group_codes : tuple of int
        Each OGRS3 offence's group code (order of :data:`toolkit.schema.INDEX_OFFENCES`).
    """

    sizes: Mapping[str, int]
    targets: DerivedTargets
    bounds: Mapping[str, tuple[float, float]]
    ogrs3_groups: tuple[FigureInterval, ...]
    ogrs3_rows: Mapping[str, FigureInterval]
    programme_figures_apply: bool
    categories: Mapping[str, tuple[str, ...]]
    offence_groups: tuple[OffenceGroup, ...]
    offence_group_codes: tuple[int, ...]

    @property
    def oasys(self) -> Mapping[str, int]:
        """People with OASys data per population."""
        return self.targets.oasys


def generation_plan(
    spec: ProfileSpec, sizes: Mapping[str, int], rules: ProgrammeRules
) -> GenerationPlan:
    """The plan for a cohort of ``sizes`` people per population from ``spec`` and ``rules``.

    Parameters
    ----------
    spec : ProfileSpec
    sizes : Mapping[str, int]
        People per population (0 or absent: not in the cohort).
    rules : ProgrammeRules
        The programme file the programme columns are built to.
    """
    sizes = {p: int(s) for p, s in sizes.items() if int(s) > 0}
    targets = derive_targets(spec, sizes, {p: spec.population_n(p) for p in spec.populations})
    ogrs3 = [
        FigureInterval(t.population, t.value, interval_half(spec, t))
        for t in figures(spec, "ogrs3_2yr", "mean")
    ]
    groups = [
        r
        for r in ogrs3
        if len(GROUPS[r.population]) > 1
        and all(p in sizes for p in GROUPS[r.population] if p in spec.populations)
    ]
    groups.sort(key=lambda r: len(GROUPS[r.population]))  # stable: file order within a size
    groups_by_code = list(spec.categories["index_offence_group"])
    return GenerationPlan(
        sizes=MappingProxyType(sizes),
        targets=targets,
        bounds=MappingProxyType({v: bounds(spec, v) for v in MEAN_VARIABLES}),
        ogrs3_groups=tuple(groups),
        ogrs3_rows=MappingProxyType({r.population: r for r in ogrs3}),
        programme_figures_apply=programme_figures_describe(spec, rules)[0],
        categories=spec.categories,
        offence_groups=tuple(
            OffenceGroup(g, tuple(spec.group_members(g)), tuple(within_group_mix(spec, g)))
            for g in spec.categories["index_offence_group"]
        ),
        offence_group_codes=tuple(
            groups_by_code.index(spec.offence_groups[o]) for o in INDEX_OFFENCES
        ),
    )
