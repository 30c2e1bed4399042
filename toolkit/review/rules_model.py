"""The release rules as the simulation reads them: :class:`ReleaseRules`, :class:`RecallTypeRule`
and the names the rules' values are chosen from.

Plain frozen dataclasses, no validation and no pydantic: :mod:`toolkit.review.rules_tables`
declares ``release_rules.toml`` and builds these from a validated file, and
:mod:`toolkit.review.policy` loads them (from a stored copy when the file is the shipped one,
unchanged). Import them from :mod:`toolkit.review.policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from toolkit.national_model import ANCHORS

__all__ = [
    "CASE_REVIEW_FRAMES",
    "NATIONAL_ANCHORS",
    "NATIONAL_OVERRIDES",
    "RELEASABLE_READINGS",
    "ROSH_LEVELS",
    "SENSITIVITY_FIELDS",
    "RecallTypeRule",
    "ReleaseRules",
    "national_figures",
]

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
#: model's mean stay, so the national stock is the published one by construction); the national
#: model's names (an older rules file's ``[national] anchor`` chooses among the same).
NATIONAL_ANCHORS = ANCHORS


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


#: The figures an older rules file's ``[national]`` block may give, overriding national.toml's.
NATIONAL_OVERRIDES = ("stock", "stock_sept_2016", "annual_recalls", "growth_per_year", "anchor")


def national_figures(label: str, block: Mapping | None) -> dict:
    """The national figures the model reads (``ReleaseRules.national``): the national model's
    (``national.toml``, one loader for every national figure), overridden by the validated
    figures of an older rules file's ``[national]`` block (``block``: None if the file has no
    such block), which then names the rules file ``label`` as their source."""
    from toolkit.national import load_national

    national = load_national().rules_view()
    if block is not None:
        national.update({k: block[k] for k in NATIONAL_OVERRIDES if block.get(k) is not None})
        national["source"] = label
    return national
