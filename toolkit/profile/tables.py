"""The tables of a profile file, declared once as pydantic models (:mod:`toolkit.tomlmodel`).

Each ``[meta]``, ``[[targets]]``, ``[[claims]]``, ``[[resolutions]]``, ``[variables.<name>]``,
``[assumptions.<block>]`` and ``[derived]`` table is a :class:`~toolkit.tomlmodel.FileModel`:
its keys (anything else is refused with the nearest name), their types and ranges
(``Field(ge=..., le=...)``), and its cross-field rules (``model_validator``). A rule that
needs another table (the offence groups ``[variables]`` declares, the population sizes the
targets give) reads it from the validation context :func:`toolkit.profile.load.load_profile`
passes.

A rule reports the key below its table and the value it found by raising
:func:`toolkit.declared.rule`, so messages name the exact key, e.g.
``assumptions.correlation.matrix[0][1]``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, Field, ValidationInfo, create_model, model_validator

from toolkit.declared import rule
from toolkit.profile.model import LATENTS, MEAN_RANGES, ROLES, STATISTICS, TARGET_POPULATIONS
from toolkit.schema import (
    ETHNICITIES,
    GROUPS,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    MEAN_VARIABLES,
    NEED_ITEMS,
    OFFENCE_TO_GROUP,
    POPULATIONS,
    RECALL_TYPES,
)
from toolkit.tomlmodel import FileModel

CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
DAYS_ON_RECALL_BANDS = ("under_6m", "6_to_12m", "over_12m")


def _one_of(allowed: tuple[str, ...], text: str | None = None):
    def check(v: str) -> str:
        if v not in allowed:
            raise ValueError(text or f"must be one of {', '.join(allowed)}")
        return v

    return AfterValidator(check)


def _why(v: str) -> str:
    if not v.strip():
        raise ValueError("must say why this assumption was made (a non-empty string)")
    return v


Finite = Annotated[float, Field(allow_inf_nan=False)]
#: A block's ``reason``: required, non-empty (a missing reason says why it is needed).
Reason = Annotated[str, Field(default="", validate_default=True), AfterValidator(_why)]
Sigma = Annotated[Finite, Field(ge=0.01, le=5)]
Share01 = Annotated[Finite, Field(ge=0, le=1)]
Loading = Annotated[Finite, Field(ge=0, le=0.99)]
Percent = Annotated[Finite, Field(ge=0, le=100)]


def shares_rule(shares: dict, allowed: tuple[str, ...], total: float, key: str) -> None:
    """Shares over ``allowed`` categories: non-negative numbers that sum to ``total``."""
    if not isinstance(shares, dict) or not shares:
        raise rule(key, f"must be a table of shares over {', '.join(allowed)}", shares)
    for k, v in shares.items():
        if k not in allowed:
            raise rule(f"{key}.{k}", f"is not a known category (expected one of {allowed})", k)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise rule(f"{key}.{k}", "must be a non-negative number", v)
    s = sum(shares.values())
    if abs(s - total) > 1e-6:
        raise rule(key, f"must sum to {total}", round(s, 6))


def _keyed(name: str, keys: tuple[str, ...], value_type: Any) -> type[FileModel]:
    """A table whose keys are a fixed vocabulary (populations, offences ...), each optional."""
    fields = {k: (value_type | None, None) for k in keys}
    return create_model(name, __base__=FileModel, **fields)


# -- the published figures -----------------------------------------------------------------


def _non_empty_targets(v: list) -> list:
    if not v:
        raise ValueError("must be a non-empty array of tables ([[targets]])")
    return v


class ProfileFile(FileModel):
    """The file's top level; each table is then read against its own declaration below."""

    meta: dict[str, Any]
    targets: Annotated[list[Any], AfterValidator(_non_empty_targets)]
    claims: list[Any] = []
    assumptions: dict[str, Any]
    derived: dict[str, Any] = {}
    resolutions: list[Any] = []
    variables: dict[str, Any] = {}


#: ``[meta]``: the source document and title; the other keys are descriptive (any value).
MetaTable = create_model(
    "MetaTable",
    __base__=FileModel,
    document=(str, ...),
    title=(str, ...),
    **dict.fromkeys(
        (
            "spec_version",
            "source_id",
            "authors",
            "publisher",
            "census_date",
            "population_description",
            "population_line",
            "inherited",
            "programme_figures",
        ),
        (Any, None),
    ),
)


class TargetTable(FileModel):
    """One ``[[targets]]`` entry: a published figure, its printed form and its provenance."""

    id: str
    population: Annotated[str, _one_of(TARGET_POPULATIONS)]
    variable: str
    statistic: Annotated[str, _one_of(STATISTICS)]
    value: Finite
    printed: str
    decimals: int = Field(ge=0, le=16)
    document: str
    locator: str
    quote: str
    title: str = ""
    line: int | None = Field(default=None, gt=0)
    n: int | None = Field(default=None, gt=0)
    category: str | None = None
    approximate: bool = False
    note: str = ""
    tolerance: Finite | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _value_fits_statistic(self):
        v, stat = self.value, self.statistic
        if stat in ("share", "max_share") and not 0 <= v <= 100:
            raise rule("value", "must be a percentage between 0 and 100", v)
        if stat == "count" and (v < 0 or v != int(v)):
            raise rule("value", "must be a non-negative whole number for a count", v)
        if stat == "mean" and self.variable in MEAN_RANGES:
            lo, hi = MEAN_RANGES[self.variable]
            if not lo <= v <= hi:
                raise rule(
                    "value", f"must be between {lo} and {hi} for a mean of {self.variable}", v
                )
        return self


class ClaimTable(FileModel):
    """One ``[[claims]]`` entry: a printed comparison of two groups, and how to test it."""

    id: str
    text: str
    variable: str
    group: Annotated[str, _one_of(tuple(GROUPS))]
    reference: Annotated[str, _one_of(tuple(GROUPS))]
    direction: Annotated[str, _one_of(("higher", "lower"), "must be 'higher' or 'lower'")]
    test: Annotated[str, _one_of(("welch_t", "chi2"), "must be 'welch_t' or 'chi2'")]
    line: int | None = None
    category: str | None = None
    note: str = ""


class ResolutionTable(FileModel):
    """One ``[[resolutions]]`` entry: how an audit finding is resolved."""

    finding: str
    action: str
    note: str
    targets: list[str] = []
    role: Annotated[str, _one_of(ROLES)] | None = None


class VariableTable(FileModel):
    """``[variables.<name>]``: categories a profile adds (and, for offence groups, members)."""

    categories: list[str] = Field(min_length=1)
    members: dict[str, list[str]] = {}
    reason: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _names(self):
        for c in self.categories:
            if not CATEGORY_NAME.match(c):
                raise rule("categories", "names must be lower_snake_case", c)
        dup = next((c for c in self.categories if self.categories.count(c) > 1), None)
        if dup is not None:
            raise rule("categories", "lists a category twice", dup)
        return self


# -- the assumptions -------------------------------------------------------------------------


def _percent_or_none(v: Any) -> Any:
    if v != "none" and (
        not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100
    ):
        raise ValueError('must be a percentage 0-100, or "none" (no sentence end date)')
    return v


OffenceShift = _keyed("OffenceShift", INDEX_OFFENCES, Finite)
PopulationPercent = _keyed("PopulationPercent", POPULATIONS, Percent)
PopulationShare = _keyed("PopulationShare", POPULATIONS, Annotated[float, Field(ge=0, le=1)])
SedShares = _keyed("SedShares", RECALL_TYPES, Annotated[Any, AfterValidator(_percent_or_none)])
UnpublishedMeans = create_model(
    "UnpublishedMeans",
    __base__=FileModel,
    **{
        k: (Annotated[Finite, Field(gt=d.lower, lt=d.upper)] | None, None)
        for k, d in MEAN_VARIABLES.items()
    },
)


class FidelityBlock(FileModel):
    approximate_tolerance_points: Finite | None = Field(default=None, ge=0)
    reason: Reason


class AgeBlock(FileModel):
    lower: Finite = Field(ge=10, le=100)
    upper: Finite = Field(ge=10, le=120)
    sigma: Sigma
    reason: Reason

    @model_validator(mode="after")
    def _ordered(self):
        if self.upper <= self.lower:
            raise rule("upper", "must exceed assumptions.age.lower", self.upper)
        return self


class CareerBlock(FileModel):
    min_age_first_sanction: Finite = Field(ge=0, le=18)
    sigma: Sigma
    reason: Reason


class SigmaBlock(FileModel):
    sigma: Sigma
    reason: Reason


class ScoreBlock(FileModel):
    sigma: Sigma
    offence_shift: OffenceShift = OffenceShift()


class ScoresBlock(FileModel):
    ogrs4v_2yr: ScoreBlock
    osp_2yr: ScoreBlock
    rsr_2yr: ScoreBlock
    reason: Reason


class RoshBlock(FileModel):
    very_high_share_of_high_or_very_high: Share01
    medium_share_of_low_or_medium: Share01
    offence_shift: OffenceShift = OffenceShift()
    reason: Reason


class SexBlock(FileModel):
    male_share: PopulationPercent = PopulationPercent()
    reason: Reason


class EthnicityBlock(FileModel):
    white_share: PopulationPercent = PopulationPercent()
    non_white_split: dict[str, Any] | None = None
    reason: Reason

    @model_validator(mode="after")
    def _split(self, info: ValidationInfo):
        ethnicities = (info.context or {}).get("ethnicities", ETHNICITIES)
        if self.non_white_split is not None:
            non_white = tuple(c for c in ethnicities if c != "white")
            shares_rule(self.non_white_split, non_white, 1.0, "non_white_split")
        return self


class RecallReasonBlock(FileModel):
    same_mix_in_every_recall_type: Any = None
    reason: Reason

    @model_validator(mode="after")
    def _same_mix(self):
        if self.same_mix_in_every_recall_type is not True:
            raise rule(
                "same_mix_in_every_recall_type",
                "must be true (the only reading published all-recalled shares support)",
            )
        return self


GroupShares = _keyed("GroupShares", POPULATIONS, dict[str, Any])


class IndexOffenceBlock(FileModel):
    group_shares: GroupShares = GroupShares()
    within_group: dict[str, Any] = {}
    reason: Reason

    @model_validator(mode="after")
    def _mixes(self, info: ValidationInfo):
        offence_groups = (info.context or {}).get("offence_groups", OFFENCE_TO_GROUP)
        groups = tuple(dict.fromkeys((*INDEX_OFFENCE_GROUPS, *offence_groups.values())))
        for pop, shares in self.group_shares.model_dump(exclude_none=True).items():
            shares_rule(shares, groups, 100.0, f"group_shares.{pop}")
        for g in self.within_group:
            if g not in groups:
                raise rule(
                    f"within_group.{g}", f"is not a known key; known keys: {', '.join(groups)}"
                )
        for g in groups:
            # the mix within a default group is written over its default members; a group that
            # [variables.index_offence_group] changes may list its own (else it is renormalised)
            members = tuple(o for o, gg in OFFENCE_TO_GROUP.items() if gg == g)
            if g not in INDEX_OFFENCE_GROUPS:
                members = tuple(o for o, gg in offence_groups.items() if gg == g)
                if g not in self.within_group:
                    continue
            if len(members) > 1:
                shares_rule(self.within_group.get(g), members, 1.0, f"within_group.{g}")
        return self


class RecallDays(FileModel):
    max_days: Finite | None = Field(default=None, ge=1, le=36500)
    bands: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _bands(self):
        if self.bands is not None:
            shares_rule(self.bands, DAYS_ON_RECALL_BANDS, 100.0, "bands")
        return self


DaysOnRecallBlock = create_model(
    "DaysOnRecallBlock",
    __base__=FileModel,
    over_12m_mean_excess_days=(Finite, Field(ge=1, le=10000)),
    reason=(Reason, ...),
    **{p: (RecallDays | None, None) for p in RECALL_TYPES},
)


class DaysToSedBlock(FileModel):
    over_1yr_mean_excess_days: Finite = Field(ge=1, le=20000)
    share_1yr_plus: SedShares = SedShares()
    reason: Reason


class OasysBlock(FileModel):
    coverage: PopulationShare = PopulationShare()
    coverage_default: Share01 | None = None
    reason: Reason


class NeedItemsBlock(FileModel):
    threshold_gap: Sigma
    loading: Loading
    reason: Reason


class NeedDomainsBlock(FileModel):
    max_domains: Finite = Field(ge=1, le=20)
    sigma: Sigma
    loading: Loading
    reason: Reason


class CorrelationBlock(FileModel):
    """The latents' correlation matrix: in :data:`LATENTS` order, a valid correlation matrix."""

    latents: Any = None
    matrix: Any = None
    reason: Reason

    @model_validator(mode="after")
    def _valid_matrix(self):
        names, m, k = self.latents, self.matrix, len(LATENTS)
        if list(names or []) != list(LATENTS):
            raise rule("latents", f"must list the latents in this order: {list(LATENTS)}", names)
        if (
            not isinstance(m, list)
            or len(m) != k
            or not all(isinstance(r, list) and len(r) == k for r in m)
            or not all(isinstance(x, (int, float)) for r in m for x in r)
        ):
            raise rule("matrix", f"must be a {k}x{k} array of numbers", m)
        arr = np.asarray(m, dtype=float)
        bad = np.argwhere(np.abs(arr - arr.T) > 1e-12)
        if bad.size:
            i, j = bad[0]
            raise rule(f"matrix[{i}][{j}]", f"must equal matrix[{j}][{i}] (symmetric)", arr[i, j])
        if not np.allclose(np.diag(arr), 1.0):
            raise rule("matrix", "must have 1 on the diagonal", np.diag(arr).tolist())
        if np.any(np.abs(arr) > 1):
            raise rule("matrix", "entries must lie in [-1, 1]")
        try:
            np.linalg.cholesky(arr)
        except np.linalg.LinAlgError:
            raise rule(
                "matrix", "must be positive definite (it is not a valid correlation matrix)"
            ) from None
        return self


class UnpublishedBlock(FileModel):
    means: UnpublishedMeans = UnpublishedMeans()
    reason: Reason


class Assumptions(FileModel):
    """``[assumptions]``: every block the generator reads, each with its ``reason``."""

    fidelity: FidelityBlock
    age: AgeBlock
    career: CareerBlock
    previous_breaches: SigmaBlock
    previous_sanctions: SigmaBlock
    scores: ScoresBlock
    rosh: RoshBlock
    sex: SexBlock
    ethnicity: EthnicityBlock
    recall_reason: RecallReasonBlock
    index_offence: IndexOffenceBlock
    days_on_recall: DaysOnRecallBlock
    days_to_sed: DaysToSedBlock
    oasys: OasysBlock
    need_items: NeedItemsBlock
    need_domains: NeedDomainsBlock
    correlation: CorrelationBlock
    unpublished: UnpublishedBlock | None = None


# -- derived figures -------------------------------------------------------------------------


def _group_counts(v: Any, key: str, n_group: int) -> None:
    values = v.items() if isinstance(v, dict) else [(None, v)]
    for item, x in values:
        where = f"{key}.{item}" if item else key
        if item is not None and item not in NEED_ITEMS:
            raise rule(where, f"is not a known key; known keys: {', '.join(NEED_ITEMS)}")
        if not isinstance(x, int) or isinstance(x, bool) or x <= 0:
            raise rule(where, "must be a positive integer", x)
        if x > n_group:
            raise rule(where, f"exceeds the group's published N ({n_group:,})", x)


def _derived_groups(name: str, value_type: Any) -> type[FileModel]:
    fields = {g: (value_type | None, None) for g in GROUPS}
    return create_model(name, __base__=FileModel, method=(str, ...), **fields)


OasysCounts = _derived_groups("OasysCounts", int | dict[str, Any])
Figure1Denominators = _derived_groups("Figure1Denominators", dict[str, Any])


class Derived(FileModel):
    """``[derived]``: figures computed from published ones, each block with its ``method``;
    no count may exceed its group's published N (the sizes come from the targets)."""

    oasys_counts: OasysCounts | None = None
    figure1_denominators: Figure1Denominators | None = None

    @model_validator(mode="after")
    def _within_sizes(self, info: ValidationInfo):
        sizes = (info.context or {}).get("sizes")
        if sizes is None:
            return self
        for block in ("oasys_counts", "figure1_denominators"):
            tab = getattr(self, block)
            if tab is None:
                continue
            for group, v in tab.model_dump(exclude_none=True, exclude={"method"}).items():
                n_group = sum(sizes.get(p, 0) for p in GROUPS[group])
                _group_counts(v, f"{block}.{group}", n_group)
        return self
