"""The tables of a Through the Gate pathway rules file (``pathways.toml``), declared as pydantic
models.

Keys, types and the rules across keys are declared here: a group needs conditions in ``any`` or
``all``; a pathway whose need the cohort cannot read (``need_any = []``) names its missing
item; the complexity readings name only known flags (built in or a group of ``[groups]``) and
the supporting activity's Level 3 groups are groups of ``[groups]``.
:func:`toolkit.needs.pathways.load_pathway_rules` reads the file against them (each pathway,
extra-support cohort and group on its own, so a message names it and the nearest known key) and
parses the conditions in the toolkit's one condition language (:mod:`toolkit.conditions`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, model_validator

from toolkit.declared import rule
from toolkit.tomlmodel import FileModel

#: Complexity flags computed from the cohort rather than from ``[groups]``.
BUILTIN_FLAGS = ("recalled", "significant_need")


class PathwayMeta(FileModel):
    """``[meta]``: the document and the date note the report states."""

    document: str = ""
    title: str = ""
    line: int = 0
    quote: str = ""
    date_note: str = ""


class LevelNote(FileModel):
    """One entry of ``[levels]``: where the document defines the level."""

    line: int = 0
    quote: str = ""


class Levels(FileModel):
    """``[levels]``: the service levels as the document states them (for the reader)."""

    level_1: LevelNote | None = None
    level_2: LevelNote | None = None
    level_3: LevelNote | None = None
    combined: LevelNote | None = None


class PathwayTable(FileModel):
    """``[pathways.<name>]`` and ``[extra_support.<name>]``: how a need is read."""

    label: str
    need_any: list[str]
    significant_any: list[str] = []
    missing_items: list[str] = []
    combined_levels: bool = False
    line: int = 0
    quote: str = ""
    assumed: str = ""

    @model_validator(mode="after")
    def _names_what_is_missing(self):
        # an empty need_any is a need the cohort cannot read: the report must say which item
        if not self.need_any and not self.missing_items:
            raise rule(
                "missing_items",
                "must name the missing item(s) when need_any is empty (the need is not estimable)",
            )
        return self


class GroupTable(FileModel):
    """``[groups.<name>]``: a group that can raise Level 3 (any of ``any``, or all of ``all``)."""

    label: str
    any: list[str] = []
    all: list[str] = []
    alternative_all: list[str] = []
    alternative_label: str = ""
    alternative_line: int = 0
    alternative_quote: str = ""
    line: int = 0
    quote: str = ""
    assumed: str = ""

    @model_validator(mode="after")
    def _has_conditions(self):
        if not self.any and not self.all:
            raise rule("", "needs conditions in `any` or `all`")
        return self


class Complexity(FileModel):
    """``[complexity]``: the complexity flags of the default reading and of each alternative."""

    default: list[str]
    alternatives: dict[str, list[str]] = {}
    reason: str = ""
    not_held: dict[str, str] = {}


class SupportingActivity(FileModel):
    """``[supporting_activity]``: TTG Supporting Activity and its Level 3 groups."""

    label: str
    level_3_groups: list[str]
    line: int = 0
    quote: str = ""
    not_held: dict[str, str] = {}
    assumed: str = ""


def _empty_is_none(v: Any) -> Any:
    # an empty [supporting_activity] table means no supporting-activity row, as no table does
    return None if v == {} else v


class PathwaysFile(FileModel):
    """The file's top level, with the rules across tables (flags and groups that must exist).

    ``pathways``, ``groups`` and ``extra_support`` hold one table per name, each read against
    :class:`PathwayTable` or :class:`GroupTable` on its own, so messages name the entry.
    """

    meta: PathwayMeta | None = None
    levels: Levels | None = None
    pathways: dict[str, dict[str, Any]]
    groups: dict[str, dict[str, Any]] = {}
    complexity: Complexity
    supporting_activity: Annotated[SupportingActivity | None, BeforeValidator(_empty_is_none)] = (
        None
    )
    extra_support: dict[str, dict[str, Any]] = {}

    @model_validator(mode="after")
    def _flags_and_groups_exist(self):
        if not self.pathways:
            raise rule("pathways", "must define at least one pathway")
        known = (*BUILTIN_FLAGS, *self.groups)
        readings = {"default": self.complexity.default}
        readings.update({f"alternatives.{k}": v for k, v in self.complexity.alternatives.items()})
        for key, flags in readings.items():
            bad = [f for f in flags if f not in known]
            if bad:
                raise rule(
                    f"complexity.{key}",
                    f"names an unknown complexity flag (expected some of {', '.join(known)})",
                    bad[0],
                )
        sup = self.supporting_activity
        bad = [g for g in sup.level_3_groups if g not in self.groups] if sup else []
        if bad:
            raise rule(
                "supporting_activity.level_3_groups",
                f"names a group not in [groups] ({', '.join(self.groups)})",
                bad[0],
            )
        return self
