"""The tables of a programme rules file (``programmes.toml``), declared as pydantic models.

Keys, types and ranges are declared here, with the rules within a table (a note that must say
where it comes from, a reading that must exist, score thresholds inside the score's range);
:func:`toolkit.profile.rules.load_programme_rules` reads the file against them and parses the
conditions in the toolkit's one condition language (:mod:`toolkit.conditions`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, create_model, model_validator

from toolkit.declared import rule
from toolkit.profile.model import READING_KINDS
from toolkit.tomlmodel import FileModel

LABELS = ("cited", "assumed")
_CELLS = {"attended", "attended_other", "unmet"}

Percent = Annotated[float, Field(ge=0, le=100)]
Share = Annotated[float, Field(ge=0, le=1)]
Categories = Annotated[list[str], Field(min_length=1)]


def _labelled(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(tuple(f"{x}:" for x in LABELS))


#: ``[meta]``: the published base of Table 2 (``base_n``) and where it is printed.
RulesMeta = create_model(
    "RulesMeta",
    __base__=FileModel,
    base_n=(int, Field(gt=0)),
    **dict.fromkeys(
        (
            "document",
            "title",
            "locator",
            "line",
            "base_population",
            "base_requires",
            "base_quote",
            "base_line",
            "note",
        ),
        (Any, None),
    ),
)


class ProgrammeTable(FileModel):
    """``[programmes.<name>]``: a programme's readings and its published Table 2 row."""

    label: str
    criteria: Any
    suitable: int = Field(ge=0)
    attended_pct: Percent
    attended_other_pct: Percent
    unmet_pct: Percent
    assumed: str
    reason: str
    hold: list[str] = []
    line: int = 0
    quote: str = ""
    footnote: str = ""
    alternatives: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    kinds: dict[str, Any] = {}
    offered_to: dict[str, Categories] = {}
    offered_note: str = ""

    @model_validator(mode="after")
    def _readings(self, info: ValidationInfo):
        base_n = (info.context or {}).get("base_n")
        if base_n is not None and self.suitable > base_n:
            raise rule("suitable", f"exceeds meta.base_n ({base_n})", self.suitable)
        if self.hold and (len(self.hold) != 2 or not set(self.hold) <= _CELLS):
            raise rule("hold", "must name two of attended, attended_other, unmet", self.hold)
        for k, v in self.notes.items():
            if k != "default" and k not in self.alternatives:
                raise rule(f"notes.{k}", "names no reading of this programme", k)
            if not _labelled(v):
                raise rule(f"notes.{k}", "must start with 'cited:' or 'assumed:'", v)
        for k, v in self.kinds.items():
            if k != "default" and k not in self.alternatives:
                raise rule(f"kinds.{k}", "names no reading of this programme", k)
            if v not in READING_KINDS:
                raise rule(f"kinds.{k}", f"must be one of {', '.join(READING_KINDS)}", v)
        if list(self.kinds.values()).count("literal") > 1:
            raise rule("kinds", "names more than one literal reading (the footnote has one)")
        if self.offered_to and not _labelled(self.offered_note):
            raise rule(
                "offered_note",
                "must say where offered_to comes from, starting 'cited:' or 'assumed:'",
                self.offered_note,
            )
        return self


class ScoreColumn(FileModel):
    """``[columns.<name>]`` of ``kind = "score"``: a 0-100 score the generator builds."""

    kind: Literal["score"]
    rank_by: str | list[str] = []
    rank_weight: Annotated[float, Field(ge=0, le=1)] = 0.8
    at_least: dict[str, Any] = {}
    range: list[float] = [0.0, 100.0]
    reason: str = ""

    @model_validator(mode="after")
    def _knots(self):
        r = self.range
        if len(r) != 2 or not 0 <= r[0] < r[1] <= 100:
            raise rule("range", "must be [low, high] with 0 <= low < high <= 100", r)
        at = {}
        for k, v in self.at_least.items():
            try:
                t = float(k)
            except ValueError:
                raise rule(f"at_least.{k}", "keys must be thresholds") from None
            if not r[0] < t < r[1]:
                raise rule(f"at_least.{k}", f"threshold must lie inside {r}", t)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 100:
                raise rule(f"at_least.{k}", "must be a percentage 0-100", v)
            at[t] = float(v)
        ys = [at[t] for t in sorted(at)]
        if any(b > a for a, b in zip(ys, ys[1:])):
            raise rule("at_least", "percent at or above must fall as thresholds rise", ys)
        return self


class FlagColumn(FileModel):
    """``[columns.<name>]`` of ``kind = "flag"``: a true/false column the generator builds."""

    kind: Literal["flag"]
    rank_by: str | list[str] = []
    true_when: Any = []
    requires: Any = []
    implies: list[str] = []
    rate: Share = 0.0
    reason: str = ""


class RulesClaim(FileModel):
    """``[[claims]]``: a statement about the rules, cited (with its source) or assumed."""

    text: str
    label: str
    source: str = ""
    reason: str = ""

    @model_validator(mode="after")
    def _sourced(self):
        if self.label not in LABELS:
            raise rule("label", "must be 'cited' or 'assumed'", self.label)
        if self.label == "cited" and not self.source:
            raise rule("source", "a cited claim needs its source")
        return self


_REASONS = (
    "link_reason",
    "ovp_reason",
    "attendance_reason",
    "other_populations_reason",
    "history_reason",
)
#: ``[assumptions]`` of a file with ``[columns]``: the reasons for the assumed parts.
RulesAssumptions = create_model(
    "RulesAssumptions", __base__=FileModel, **dict.fromkeys(_REASONS, (Any, None))
)
#: ``[assumptions]`` of the first format (no ``[columns]``), kept so its files load.
LegacyAssumptions = create_model(
    "LegacyAssumptions",
    __base__=FileModel,
    **dict.fromkeys(
        (
            *_REASONS,
            "ovp_2yr_band_shares",
            "violent_history_rate_below_30",
            "acquisitive_history_rate_low_ogrs",
        ),
        (Any, None),
    ),
)


class RulesFile(FileModel):
    """The file's top level: the programmes with their base, and how the columns are built."""

    meta: RulesMeta
    #: each read against :class:`ProgrammeTable` on its own, so messages name the programme
    programmes: Annotated[dict[str, dict[str, Any]], Field(min_length=1)]
    band_groups: dict[str, list[str]] = {}
    assumptions: dict[str, Any] = {}
    columns: dict[str, Any] | None = None
    claims: list[RulesClaim] = []
