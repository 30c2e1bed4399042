"""The profile model: the frozen objects a loaded profile is (:class:`ProfileSpec` and its
:class:`Target`, :class:`Claim` and :class:`Resolution` entries) and the vocabulary a profile
may use (populations, statistics, roles, latents, plausible ranges of published means).

:mod:`toolkit.profile.tables` declares the file's tables against this vocabulary and
:mod:`toolkit.profile.load` builds a :class:`ProfileSpec` from a file; ``toolkit.profile.spec``
re-exports all three for code that imported them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.schema import (
    GROUPS,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    NEED_ITEMS,
    OFFENCE_TO_GROUP,
    RECALL_TYPES,
    SHARE_VARIABLES,
)

DEFAULT_SOURCE = "recall_process_experience"

#: Population labels a target may use. ``national_2016`` and ``case_review`` are context figures
#: about other populations (not the 2014 census) and are never evaluated on a cohort.
TARGET_POPULATIONS = (*GROUPS, "national_2016", "case_review")
STATISTICS = ("mean", "share", "count", "max_share", "median", "sd")
#: Statistics the generator constructs, per kind of variable. Anything else is refused at load.
#: ``max_share`` is the largest share of one offence within a printed offence group.
GENERATED_COUNTS = ("n", "has_oasys")
ROLES = ("target", "context", "superseded", "unmeetable", "approximate")

#: Plausible ranges for a published mean, used to reject typos ("322" for 32.2).
MEAN_RANGES: dict[str, tuple[float, float]] = {
    "age": (10, 100),
    "years_since_first_sanction": (0, 90),
    "previous_breaches": (0, 100),
    "ogrs3_2yr": (0, 100),
    "ogrs4v_2yr": (0, 100),
    "osp_2yr": (0, 100),
    "rsr_2yr": (0, 100),
    "need_domains": (0, 10),
    **{item: (0, 2) for item in NEED_ITEMS},
}

#: What a programme reading is against its footnote (``kinds`` in a programmes file, see
#: :mod:`toolkit.profile.rules`): ``literal`` -- the footnote's rule as printed (a quantity it
#: names without a version, e.g. which violence score, is chosen and labelled in the note);
#: ``reading`` -- one reading of a footnote that leaves a gap (a threshold, horizon or scope not
#: printed); ``fitted`` -- the rule adds a quantity the footnote does not name, whose share the
#: generator sets so that the count meets Table 2; ``no_criteria`` -- no criteria are printed,
#: the whole rule is assumed.
READING_KINDS = ("literal", "reading", "fitted", "no_criteria")

LATENTS = (
    "age",
    "career",
    "breaches",
    "sanction_rate",
    "ogrs4v",
    "osp",
    "rsr",
    "rosh",
    "need",
    "recall_time",
    "sed_time",
)


@dataclass(frozen=True)
class Target:
    """One published figure and its provenance.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``appendix.age.standard``.
    population : str
        Population or group the figure describes (see :data:`toolkit.schema.GROUPS`).
    variable : str
        Cohort column (or derived quantity) the figure is about.
    statistic : str
        ``mean``, ``share`` (percent), ``count`` or ``max_share``.
    value : float
        The printed value as a number.
    printed : str
        The characters printed in the source.
    decimals : int
        Printed precision; the synthetic figure must round to the same value.
    """

    id: str
    population: str
    variable: str
    statistic: str
    value: float
    printed: str
    decimals: int
    document: str
    title: str
    locator: str
    quote: str
    line: int | None = None
    n: int | None = None
    category: str | None = None
    approximate: bool = False
    note: str = ""
    role: str = "target"
    tolerance: float | None = None

    @property
    def half_unit(self) -> float:
        """Half a unit of the printed precision: the rounding interval's half-width."""
        return 0.5 * 10.0 ** (-self.decimals)

    @property
    def source(self) -> str:
        """Short provenance string: document, locator and line."""
        where = f", line {self.line}" if self.line else ""
        return f"{self.document} {self.locator}{where}"


@dataclass(frozen=True)
class Claim:
    """A qualitative comparison printed in a source (e.g. standard recalls are younger)."""

    id: str
    text: str
    variable: str
    group: str
    reference: str
    direction: str
    test: str
    line: int | None = None
    category: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Resolution:
    """How one audit finding is resolved in this spec."""

    finding: str
    action: str
    note: str
    targets: tuple[str, ...] = ()
    role: str | None = None


@dataclass(frozen=True)
class ProfileSpec:
    """A validated, immutable profile spec.

    Use :func:`load_profile` to build one. Mappings are read-only views.
    """

    path: str
    sha256: str
    meta: Mapping[str, Any]
    targets: tuple[Target, ...]
    claims: tuple[Claim, ...]
    assumptions: Mapping[str, Any]
    derived: Mapping[str, Any]
    resolutions: tuple[Resolution, ...]
    _by_id: Mapping[str, Target] = field(repr=False, default_factory=dict, compare=False)
    _sizes: Mapping[str, int] = field(repr=False, default_factory=dict, compare=False)
    #: Variable -> its full category list where ``[variables.<name>]`` declares new categories
    #: (the defaults first, then the new ones in declaration order).
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: OGRS3 offence -> ``index_offence_group`` (the schema's mapping, with the offences that
    #: ``[variables.index_offence_group] members`` moves to a new group).
    offence_groups: Mapping[str, str] = field(default_factory=lambda: OFFENCE_TO_GROUP)

    def share_categories(self, variable: str) -> tuple[str, ...] | None:
        """Categories a share of ``variable`` may name (None: shares of it are not generated)."""
        return self.variables.get(variable) or SHARE_VARIABLES.get(variable)

    def group_members(self, group: str) -> tuple[str, ...]:
        """OGRS3 offences (``index_offence`` categories) in an ``index_offence_group``."""
        return tuple(o for o in INDEX_OFFENCES if self.offence_groups[o] == group)

    @property
    def categories(self) -> Mapping[str, tuple[str, ...]]:
        """Categories of each categorical cohort column this profile can describe.

        The schema's lists (sex, ethnicity, recall reason, index offence group) with any
        categories the profile declares in ``[variables.<name>]`` appended, in declaration
        order, so codes of the default categories never move.
        """
        out = {v: SHARE_VARIABLES[v] for v in ("sex", "ethnicity", "recall_reason")}
        out["index_offence_group"] = INDEX_OFFENCE_GROUPS
        out.update(self.variables)
        return MappingProxyType(out)

    def target(self, target_id: str) -> Target:
        """Return the target with this id (``KeyError`` naming the id if absent)."""
        try:
            return self._by_id[target_id]
        except KeyError:
            raise KeyError(f"{self.path}: no target with id {target_id!r}") from None

    def has_target(self, target_id: str) -> bool:
        """Whether a target with this id exists."""
        return target_id in self._by_id

    @property
    def populations(self) -> tuple[str, ...]:
        """Populations the profile describes, in schema order.

        A recall type is in the profile when the profile prints its N (a ``count`` of ``n``);
        the rest of the sentenced population when All prisoners is printed and exceeds All
        recalled.
        """
        pops = [p for p in RECALL_TYPES if p in self._sizes]
        if "other_sentenced" in self._sizes:
            pops.append("other_sentenced")
        return tuple(pops)

    def population_n(self, population: str) -> int:
        """Published N of a population or group (a group sums the populations it holds)."""
        if population in self._sizes:
            return int(self._sizes[population])
        members = [p for p in GROUPS.get(population, ()) if p in self._sizes]
        if not members:
            raise KeyError(f"{self.path}: no published N for population {population!r}")
        return int(sum(self._sizes[p] for p in members))

    def resolution_for(self, finding: str) -> Resolution | None:
        """The spec's resolution of an audit finding, or ``None`` if unresolved."""
        for r in self.resolutions:
            if r.finding == finding:
                return r
        return None


def default_profile_path() -> Path:
    """Path of the default profile shipped with the package (works from a wheel too)."""
    res = resources.files("toolkit.papers") / DEFAULT_SOURCE / "profile.toml"
    return Path(str(res))
