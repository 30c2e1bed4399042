"""``release_rules.toml``, declared: one pydantic model per table (:class:`RulesFile`).

Unknown keys are errors naming the nearest known key, required blocks and keys must be present,
every number is range-checked (probabilities in [0, 1], positive spreads and delays) and every
assumed size's ``ranges`` must hold its value. Errors are :class:`~toolkit.exceptions.SpecError`
naming the file, key, rule and value. :func:`validate_rules` is the one validation of a rules
file; :mod:`toolkit.review.policy` imports this module only when a file must be validated (a
user's file, an edited one, a sweep's scenario), so that ``simulate`` on the shipped rules does
not import pydantic.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field, PlainValidator, create_model, model_validator

from toolkit.categories import RECALL_TYPES
from toolkit.review.rules_model import (
    CASE_REVIEW_FRAMES,
    NATIONAL_ANCHORS,
    NATIONAL_OVERRIDES,
    RELEASABLE_READINGS,
    ROSH_LEVELS,
    SENSITIVITY_FIELDS,
    RecallTypeRule,
    ReleaseRules,
    national_figures,
)
from toolkit.tomlmodel import FileModel, ValueAt, choice, is_number, iso_date, number, parse

__all__ = ["TYPE_KEYS", "RulesFile", "validate_rules"]

# --- The file, declared ---------------------------------------------------------------------
# Each table of release_rules.toml is a FileModel: its keys, their types and ranges, and any
# rule across keys. Provenance keys (kind, reason, line, quote, ...) are allowed in every block.

_PROB = number(0, 1)
_DAYS = number(0, 3650)
_SPREAD = number(0, 5)


class _Block(FileModel):
    """Provenance every block may carry, and the plausible ranges of its assumed sizes."""

    kind: str | None = None
    reason: str | None = None
    line: int | None = None
    quote: str | None = None
    statute: str | None = None
    seed_quote: str | None = None
    source: str | None = None
    #: ``{key = [low, high]}``: the plausible range an assumed size of the block is searched
    #: over (checked against the block's value once every value has passed its own check)
    ranges: dict[str, Any] | None = None

    def check_ranges(self, where: str) -> None:
        """Each range names a number of the block and holds its value: low <= value <= high."""
        for k, r in (self.ranges or {}).items():
            ok = isinstance(r, list) and len(r) == 2 and all(is_number(x) for x in r)
            v = getattr(self, k, None) if k in type(self).model_fields else None
            if not (ok and r[0] <= r[1] and is_number(v) and r[0] <= v <= r[1]):
                raise ValueAt(
                    f"{where}.ranges.{k}",
                    f"must be [low, high] around the block's {k} (= {v!r})",
                    r,
                )


class _Meta(FileModel):
    document: str | None = None
    title: str | None = None
    law: str | None = None
    law_text_retrieved: str | None = None
    #: The date whose law the simulated flow follows.
    modelled_date: iso_date = "2014-03-31"
    modelled_date_reason: str | None = None


class _RecallType(_Block):
    """``[recall_types.NAME]``: ``release = "automatic"`` (a fixed day) or ``"review"``."""

    release: choice(("automatic", "review"))
    automatic_release_day: number(1, 36500) | None = None
    short_sentence_release_day: number(1, 36500) | None = None
    short_sentence_share: _PROB | None = None
    executive: bool | None = None
    board_referral_day: number(1, 3650) | None = None
    board_review_every: number(1, 3650) | None = None
    release_at_sed: bool = True
    sed_median_ratio: number(0.01, 100) = 1.0
    short_sentence_from: iso_date | None = None
    curfew_max_days: number(1, 3650) | None = None

    @model_validator(mode="after")
    def _route(self):
        given = self.model_fields_set
        if self.release == "automatic":
            need = ["automatic_release_day"]
            need += ["short_sentence_share"] if "short_sentence_release_day" in given else []
            for k in ("executive", "board_referral_day", "board_review_every"):
                if k in given:
                    raise ValueAt(k, "applies only to release = 'review'")
        else:
            need = ["executive", "board_referral_day", "board_review_every", "release_at_sed"]
        for k in need:
            if k not in given:
                raise ValueAt(k, f"is required (release = {self.release!r}) but missing")
        return self

    def rule(self, name: str) -> RecallTypeRule:
        auto = self.release == "automatic"
        return RecallTypeRule(
            name,
            self.release,
            self.automatic_release_day if auto else None,
            self.short_sentence_release_day if auto else None,
            (self.short_sentence_share or 0.0) if auto and self.short_sentence_release_day else 0.0,
            bool(self.executive) if not auto else False,
            None if auto else self.board_referral_day,
            None if auto else self.board_review_every,
            self.release_at_sed,
            self.sed_median_ratio,
            self.short_sentence_from,
            self.curfew_max_days,
        )


#: Every key a ``[recall_types.NAME]`` block may hold.
TYPE_KEYS: tuple[str, ...] = tuple(_RecallType.model_fields)

_RecallTypes = create_model(
    "_RecallTypes", __base__=FileModel, **{n: (_RecallType, ...) for n in RECALL_TYPES}
)


class _Executive(_Block):
    notice_probability: _PROB
    excluded_rosh: list[choice(ROSH_LEVELS)] = []


class _ParoleBoard(_Block):
    direction_probability: _PROB


class _Delays(_Block):
    executive_median: _DAYS
    executive_sigma: _SPREAD
    parole_board_median: _DAYS
    parole_board_sigma: _SPREAD


class _Preference(_Block):
    prefer_stay_share: _PROB
    declines_release_share: _PROB


_LOADING = number(-5, 5)
_SIGMA = number(0.01, 5)
_MEDIAN = number(1, 3650)


class _Person(_Block):
    risk_loading: _LOADING
    need_loading: _LOADING
    rosh_loading: _LOADING
    never_risk_loading: _LOADING
    never_rosh_loading: _LOADING
    sigma: _SIGMA
    om_contact_sigma: _SIGMA
    accommodation_sigma: _SIGMA
    programme_sigma: _SIGMA
    om_contact_median: _MEDIAN
    accommodation_median: _MEDIAN
    programme_median: _MEDIAN
    #: share of people with an unmet programme need whose release waits for completion in
    #: custody (absent: every one waits, the former hard gate)
    programme_binding_share: _PROB = 1.0


class _FurtherCharge(_Block):
    """Optional: an empty (or absent) block means no recall waits for a further charge."""

    share: _PROB | None = None
    delay_median: _MEDIAN | None = None
    delay_sigma: _SPREAD | None = None

    @model_validator(mode="after")
    def _all_or_none(self):
        if self.model_fields_set:
            for k in ("share", "delay_median", "delay_sigma"):
                if getattr(self, k) is None:
                    raise ValueAt(k, "is required (the block is given) but missing")
        return self


class _FollowUp(_Block):
    days: number(1, 36500)


class _Hazards(_Block):
    re_recall_multiplier: number(0, 100)
    reoffending_multiplier: number(0, 100)
    sfo_multiplier: number(0, 100)


_COST = number(0, 1e7)


class _Costs(_Block):
    custody_per_day: _COST
    supervision_per_day: _COST
    review_hours: _COST
    staff_cost_per_hour: _COST
    #: absent: the average cost per day
    marginal_custody_per_day: _COST | None = None


class _Horizon(_Block):
    max_days: number(1, 36500)


class _National(_Block):
    """An older rules file's ``[national]`` block: overrides national.toml's figures."""

    stock: number(1, 1e7) | None = None
    stock_date: str | None = None
    stock_line: int | None = None
    stock_quote: str | None = None
    stock_sept_2016: number(1, 1e7) | None = None
    stock_sept_line: int | None = None
    stock_sept_quote: str | None = None
    annual_recalls: number(1, 1e8) | None = None
    annual_recalls_line: int | None = None
    annual_recalls_quote: str | None = None
    growth_per_year: number(-0.99, 10) | None = None
    growth_line: int | None = None
    growth_quote: str | None = None
    anchor: choice(NATIONAL_ANCHORS) | None = None
    anchor_reason: str | None = None


_PCT = number(0, 100)


class _Bands(FileModel):
    under_6m: _PCT
    six_to_12m: _PCT = Field(alias="6_to_12m")
    over_12m: _PCT


def _sensitivity_grid(grid):
    """``sensitivity_grid``: field name -> non-empty list of numbers (probabilities and shares
    within 0-1, delays within 0-3650 days)."""
    if not isinstance(grid, dict) or not grid:
        raise ValueError("must be a table of field = [values]")
    for name, values in grid.items():
        if name not in SENSITIVITY_FIELDS:
            raise ValueAt(name, f"must be one of {', '.join(SENSITIVITY_FIELDS)}", name)
        hi = 3650 if name.startswith("delay_") else 1
        if not (isinstance(values, list) and values and all(is_number(v) for v in values)) or not (
            all(0 <= v <= hi for v in values)
        ):
            raise ValueAt(name, f"must be a non-empty list of numbers within 0-{hi}", values)
    return grid


def _pct_range(r):
    if not (
        isinstance(r, list) and len(r) == 2 and all(is_number(x) and 0 <= x <= 100 for x in r)
    ) or (r[0] > r[1]):
        raise ValueError("must be [low, high] within 0-100")
    return r


def _target_se(lo: float):
    """``target_se_*``: target name -> standard error in points, each within ``lo``-100."""

    def check(table):
        if not isinstance(table, dict) or not table:
            raise ValueError("must be a table of target = standard error")
        for name, v in table.items():
            if not (is_number(v) and lo <= v <= 100):
                raise ValueAt(name, "must be a number of points within 0-100", v)
        return table

    return check


class _Calibration(_Block):
    """The calibration's targets and plausibility checks (read by ``calibrate``)."""

    released_at_sed_pct: _PCT
    releasable_earlier_of_sed_pct: _PCT
    #: Days before SED by which a recall counts as "releasable earlier".
    releasable_margin_days: _DAYS = 28
    census_days_on_recall_pct: _Bands
    census_1yr_plus_to_sed_pct: _PCT
    max_day_share_pct: _PCT
    board_share_range_pct: Annotated[list, PlainValidator(_pct_range)]
    min_latent_median_days: number(0.01, 3650)
    sensitivity_grid: Annotated[dict, PlainValidator(_sensitivity_grid)] | None = None
    sensitivity_grid_reason: str | None = None
    #: standard errors (points) the calibration weighs each target by; the binomial ones > 0
    target_se_binomial: Annotated[dict, PlainValidator(_target_se(1e-9))] | None = None
    target_se_binomial_reason: str | None = None
    target_se_structural: Annotated[dict, PlainValidator(_target_se(0))] | None = None
    target_se_structural_reason: str | None = None
    case_review_frame: choice(CASE_REVIEW_FRAMES) = "admissions"
    case_review_frame_reason: str | None = None
    releasable_reading: choice(RELEASABLE_READINGS) = "barriers_cleared"
    releasable_reading_reason: str | None = None
    om_no_contact_in_custody_pct: _PCT | None = None
    om_no_contact_line: int | None = None
    om_no_contact_quote: str | None = None
    post_ora_share: _PROB | None = None
    post_ora_stay_days: _DAYS | None = None
    post_ora_reason: str | None = None
    snapshot_2016_under_6m_pct: _PCT | None = None
    snapshot_2016_over_12m_pct: _PCT | None = None
    snapshot_2016_line: int | None = None
    snapshot_2016_quote: str | None = None


#: ``[calibration]`` keys that take a default when absent (the default is written into
#: ``ReleaseRules.calibration`` and ``raw``, so every reader sees the value used).
_CALIBRATION_DEFAULTS = ("releasable_margin_days", "case_review_frame", "releasable_reading")


class _Calibrated(_Block):
    mu_d: number(0, 12)
    sigma_d: number(0.001, 5)
    q_never: _PROB
    mu_m: number(-5, 12)


class RulesFile(FileModel):
    """``release_rules.toml``, declared: one model per table (see each table's class)."""

    meta: _Meta
    recall_types: _RecallTypes
    executive: _Executive
    parole_board: _ParoleBoard
    decision_delay_days: _Delays
    preference: _Preference
    person: _Person
    further_charge: _FurtherCharge = _FurtherCharge()
    follow_up: _FollowUp
    hazards: _Hazards
    costs: _Costs
    horizon: _Horizon
    #: optional: national figures live in national.toml (toolkit.national); a rules file that
    #: still carries the block overrides those figures (older files keep working)
    national: _National | None = None
    calibration: _Calibration
    calibrated: _Calibrated

    @model_validator(mode="after")
    def _ranges_hold(self):
        # after every value has passed its own check: a value out of its own bounds is
        # reported as such first
        for block in type(self).model_fields:
            blk = getattr(self, block)
            if isinstance(blk, _Block):
                blk.check_ranges(block)
        for name in RECALL_TYPES:
            getattr(self.recall_types, name).check_ranges(f"recall_types.{name}")
        return self


def validate_rules(data: dict, label: str) -> tuple[ReleaseRules, dict | None]:
    """Validate parsed release rules (the TOML's tables) and build :class:`ReleaseRules`.

    The one validation of a rules file (:class:`RulesFile`), behind
    :func:`toolkit.review.policy.rules_from_data`. ``data`` is modified (defaults filled in).

    Returns
    -------
    (ReleaseRules, dict or None)
        The rules, and the validated figures of an older file's ``[national]`` block (None: no
        such block) that override national.toml's (what the stored copy of the shipped rules
        keeps to rebuild ``national`` without validating).

    Raises
    ------
    SpecError
        Naming ``label``, the key, the rule and the value.
    """
    m = parse(RulesFile, data, label)
    data.setdefault("further_charge", {})
    cal = data["calibration"]
    for k in _CALIBRATION_DEFAULTS:
        cal.setdefault(k, getattr(m.calibration, k))
    fc, costs = m.further_charge, m.costs
    block = _national_block(m.national)
    rules = ReleaseRules(
        path=label,
        types=MappingProxyType({n: getattr(m.recall_types, n).rule(n) for n in RECALL_TYPES}),
        notice_probability=m.executive.notice_probability,
        excluded_rosh=tuple(m.executive.excluded_rosh),
        board_direction_probability=m.parole_board.direction_probability,
        delay_executive=m.decision_delay_days.executive_median,
        delay_executive_sigma=m.decision_delay_days.executive_sigma,
        delay_parole_board=m.decision_delay_days.parole_board_median,
        delay_parole_board_sigma=m.decision_delay_days.parole_board_sigma,
        prefer_stay_share=m.preference.prefer_stay_share,
        declines_release_share=m.preference.declines_release_share,
        re_recall_multiplier=m.hazards.re_recall_multiplier,
        reoffending_multiplier=m.hazards.reoffending_multiplier,
        sfo_multiplier=m.hazards.sfo_multiplier,
        costs=MappingProxyType(
            {
                **costs.model_dump(include=set(_COST_KEYS)),
                "marginal_custody_per_day": costs.custody_per_day
                if costs.marginal_custody_per_day is None
                else costs.marginal_custody_per_day,
            }
        ),
        horizon_days=m.horizon.max_days,
        follow_up_days=m.follow_up.days,
        person=MappingProxyType(m.person.model_dump(exclude=set(_Block.model_fields))),
        national=MappingProxyType(national_figures(label, block)),
        calibration=MappingProxyType(dict(cal)),
        calibrated=MappingProxyType(m.calibrated.model_dump(exclude=set(_Block.model_fields))),
        raw=MappingProxyType(_freeze(data)),
        modelled_date=m.meta.modelled_date,
        releasable_margin_days=m.calibration.releasable_margin_days,
        charge_share=0.0 if fc.share is None else fc.share,
        charge_delay_median=1.0 if fc.delay_median is None else fc.delay_median,
        charge_delay_sigma=0.0 if fc.delay_sigma is None else fc.delay_sigma,
    )
    return rules, block


_COST_KEYS = ("custody_per_day", "supervision_per_day", "review_hours", "staff_cost_per_hour")


def _national_block(old: _National | None) -> dict | None:
    """An older rules file's ``[national]`` figures, validated (None: the file has no block)."""
    return None if old is None else {k: getattr(old, k) for k in NATIONAL_OVERRIDES}


def _freeze(d: Any):
    """A copy of the parsed tables (``ReleaseRules.raw``): the rules keep their own."""
    if isinstance(d, dict):
        return {k: _freeze(v) for k, v in d.items()}
    return d
