"""Release rules as data: ``papers/recall_process_experience/release_rules.toml``.

The file is declared once, as pydantic models (:class:`RulesFile`, one
:class:`~toolkit.tomlmodel.FileModel` per table): unknown keys are errors naming the nearest known
key, required blocks and keys must be present, every number is range-checked (probabilities in
[0, 1], positive spreads and delays) and every assumed size's ``ranges`` must hold its value.
Errors are :class:`~toolkit.exceptions.SpecError` naming the file, key, rule and value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field, PlainValidator, create_model, model_validator

from toolkit.categories import RECALL_TYPES
from toolkit.datafiles import paper_file, read_toml
from toolkit.tomlmodel import FileModel, ValueAt, choice, is_number, iso_date, number, parse

#: RoSH levels, lowest first (the same as :data:`toolkit.schema.ROSH_LEVELS`, kept here so the
#: simulation can name them without importing pandas).
ROSH_LEVELS = ("low", "medium", "high", "very_high")

#: Whose release the case review's shares describe: every admission (a cohort followed from
#: recall) or the people in custody on the day the cases were drawn (a snapshot, which holds
#: each admission in proportion to its stay).
CASE_REVIEW_FRAMES = ("admissions", "in_custody")
#: What "could have been released earlier" is read as: every barrier cleared (risk manageable,
#: OM contact, accommodation, programme where waited for, wants release) or the offender
#: manager's judgement alone (risk manageable and the person wants release).
RELEASABLE_READINGS = ("barriers_cleared", "judgement")
#: What national figures are scaled to: the published yearly flow (admissions a year = flow x
#: the population's flow share) or the published stock (admissions a year = stock / the
#: model's mean stay, so the national stock is the published one by construction).
NATIONAL_ANCHORS = ("flow", "stock")
_DEFAULT = ("recall_process_experience", "release_rules.toml")


def default_rules_path() -> Path:
    """The shipped release_rules.toml: the source checkout's ``papers/`` when this package is
    run from a checkout (an editable install elsewhere can map ``toolkit.papers`` to another
    tree), else the copy shipped in the wheel."""
    here = Path(__file__).resolve().parents[2] / "papers" / _DEFAULT[0] / _DEFAULT[1]
    return here if here.is_file() else paper_file(*_DEFAULT)


@dataclass(frozen=True)
class RecallTypeRule:
    """How one recall type is re-released (see release_rules.toml for the statute)."""

    name: str
    release: str  # "automatic" or "review"
    automatic_release_day: float | None
    short_sentence_release_day: float | None
    short_sentence_share: float
    executive: bool
    board_referral_day: float | None
    board_review_every: float | None
    release_at_sed: bool
    sed_median_ratio: float = 1.0  # median time to SED over the standard recalls' (cohort)
    short_sentence_from: str | None = None  # ISO date the short-sentence release day applies from
    curfew_max_days: float | None = None  # HDC: longest curfew (release at CRD, uniform within)


@dataclass(frozen=True)
class ReleaseRules:
    """Validated release rules and simulation parameters (frozen; use dataclasses.replace)."""

    path: str
    types: MappingProxyType
    notice_probability: float
    excluded_rosh: tuple[str, ...]
    board_direction_probability: float
    delay_executive: float  # median days
    delay_executive_sigma: float
    delay_parole_board: float  # median days from referral to first determination
    delay_parole_board_sigma: float
    prefer_stay_share: float
    declines_release_share: float
    re_recall_multiplier: float
    reoffending_multiplier: float
    sfo_multiplier: float
    costs: MappingProxyType
    horizon_days: float
    follow_up_days: float
    person: MappingProxyType
    national: MappingProxyType
    calibration: MappingProxyType
    calibrated: MappingProxyType
    raw: MappingProxyType
    #: The date whose law the simulated flow follows (ISO; [meta] modelled_date).
    modelled_date: str = "2014-03-31"
    #: Recalls with a further charge pending, and the days until it no longer stands in the way
    #: of executive release (log-normal median and sigma); [further_charge].
    charge_share: float = 0.0
    charge_delay_median: float = 1.0
    charge_delay_sigma: float = 0.0
    #: Days before SED by which a recall counts as "releasable earlier" ([calibration]
    #: releasable_margin_days): read by the records and the calibration alike.
    releasable_margin_days: float = 28.0


#: Release-rules fields the sensitivity grid may vary (numbers the simulation reads directly).
SENSITIVITY_FIELDS = (
    "notice_probability",
    "board_direction_probability",
    "delay_executive",
    "delay_parole_board",
    "prefer_stay_share",
    "declines_release_share",
)

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


def load_release_rules(path: str | Path | None = None) -> ReleaseRules:
    """Load and validate the release rules.

    Raises
    ------
    SpecError
        Naming the file, key and value: unknown keys (with the nearest known key), missing
        blocks, unknown recall types, probabilities outside [0, 1], non-positive spreads,
        negative costs or delays.

    Examples
    --------
    >>> rules = load_release_rules()
    >>> rules.types["standard"].board_referral_day, rules.types["fixed_term"].automatic_release_day
    (28.0, 28.0)
    """
    if path is None and default_rules_path() != paper_file(*_DEFAULT):
        path, label = default_rules_path(), f"<default>/{'/'.join(_DEFAULT)}"
        data, _ = read_toml(path, *_DEFAULT)
    else:
        data, label = read_toml(path, *_DEFAULT)
    return rules_from_data(data, label)


def rules_from_data(data: dict, label: str) -> ReleaseRules:
    """Validate parsed release rules (the TOML's tables) and build :class:`ReleaseRules`.

    The one validation of a rules file (:class:`RulesFile`): :func:`load_release_rules` reads
    the file and calls this; a sweep builds the rules of each scenario by changing values of
    ``rules.raw`` and calling this, so a swept value the loader would refuse is refused, by the
    same check and message. ``data`` is modified (defaults filled in); pass a copy to keep it.

    Raises
    ------
    SpecError
        As :func:`load_release_rules`, with ``label`` as the file name.
    """
    m = parse(RulesFile, data, label)
    data.setdefault("further_charge", {})
    cal = data["calibration"]
    for k in _CALIBRATION_DEFAULTS:
        cal.setdefault(k, getattr(m.calibration, k))
    fc, costs = m.further_charge, m.costs
    return ReleaseRules(
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
        national=MappingProxyType(_national(label, m.national)),
        calibration=MappingProxyType(dict(cal)),
        calibrated=MappingProxyType(m.calibrated.model_dump(exclude=set(_Block.model_fields))),
        raw=MappingProxyType(_freeze(data)),
        modelled_date=m.meta.modelled_date,
        releasable_margin_days=m.calibration.releasable_margin_days,
        charge_share=0.0 if fc.share is None else fc.share,
        charge_delay_median=1.0 if fc.delay_median is None else fc.delay_median,
        charge_delay_sigma=0.0 if fc.delay_sigma is None else fc.delay_sigma,
    )


_COST_KEYS = ("custody_per_day", "supervision_per_day", "review_hours", "staff_cost_per_hour")


def _national(label: str, old: _National | None) -> dict:
    """The national figures the model reads: the national model (``national.toml``, one loader
    for every national figure), overridden by a ``[national]`` block in an older rules file."""
    from toolkit.national import load_national

    national = load_national().rules_view()
    if old is not None:
        for key in ("stock", "stock_sept_2016", "annual_recalls", "growth_per_year", "anchor"):
            if getattr(old, key) is not None:
                national[key] = getattr(old, key)
        national["source"] = label
    return national


def assumed_ranges(rules: ReleaseRules) -> dict[str, tuple[float, float, float]]:
    """Every assumed size with a range: ``"block.key" -> (value, low, high)``."""
    out = {}
    for block, blk in rules.raw.items():
        if isinstance(blk, dict) and isinstance(blk.get("ranges"), dict):
            for k, (lo, hi) in blk["ranges"].items():
                out[f"{block}.{k}"] = (float(blk[k]), float(lo), float(hi))
    for name, blk in rules.raw["recall_types"].items():
        if isinstance(blk, dict) and isinstance(blk.get("ranges"), dict):
            for k, (lo, hi) in blk["ranges"].items():
                out[f"recall_types.{name}.{k}"] = (float(blk[k]), float(lo), float(hi))
    return out


def _freeze(d: Any):
    if isinstance(d, dict):
        return {k: _freeze(v) for k, v in d.items()}
    return d
