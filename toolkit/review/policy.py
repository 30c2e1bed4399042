"""Release rules as data: ``papers/recall_process_experience/release_rules.toml``.

The loader is strict: every table is checked with :func:`toolkit.datafiles.check_keys` (unknown
keys are errors naming the nearest known key), required blocks must be present, and every number
is range-checked (probabilities in [0, 1], positive spreads and delays).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.categories import RECALL_TYPES
from toolkit.datafiles import check_keys, paper_file, read_toml
from toolkit.exceptions import SpecError

_PROVENANCE = (
    "kind",
    "reason",
    "line",
    "quote",
    "statute",
    "seed_quote",
)
_TYPE_KEYS = (
    "release",
    "automatic_release_day",
    "short_sentence_release_day",
    "short_sentence_share",
    "executive",
    "board_referral_day",
    "board_review_every",
    "release_at_sed",
    *_PROVENANCE,
)
_BLOCKS = {
    "meta": ("document", "title", "law", "law_text_retrieved"),
    "executive": ("notice_probability", "excluded_rosh", *_PROVENANCE),
    "parole_board": ("direction_probability", *_PROVENANCE),
    "decision_delay_days": (
        "executive_median",
        "executive_sigma",
        "parole_board_median",
        "parole_board_sigma",
        *_PROVENANCE,
    ),
    "preference": ("prefer_stay_share", "declines_release_share", *_PROVENANCE),
    "person": (
        "risk_loading",
        "need_loading",
        "rosh_loading",
        "sigma",
        "never_risk_loading",
        "never_rosh_loading",
        "om_contact_median",
        "om_contact_sigma",
        "accommodation_median",
        "accommodation_sigma",
        "programme_median",
        "programme_sigma",
        *_PROVENANCE,
    ),
    "follow_up": ("days", *_PROVENANCE),
    "hazards": ("re_recall_multiplier", "reoffending_multiplier", "sfo_multiplier", *_PROVENANCE),
    "costs": (
        "custody_per_day",
        "supervision_per_day",
        "review_hours",
        "staff_cost_per_hour",
        *_PROVENANCE,
    ),
    "horizon": ("max_days", *_PROVENANCE),
    "national": (
        "stock",
        "stock_date",
        "stock_line",
        "stock_quote",
        "stock_sept_2016",
        "stock_sept_line",
        "stock_sept_quote",
        "annual_recalls",
        "annual_recalls_line",
        "annual_recalls_quote",
        "growth_per_year",
        "growth_line",
        "growth_quote",
        "anchor",
        "anchor_reason",
        *_PROVENANCE,
    ),
    "calibration": (
        "released_at_sed_pct",
        "releasable_earlier_of_sed_pct",
        "releasable_margin_days",
        "census_days_on_recall_pct",
        "census_1yr_plus_to_sed_pct",
        "max_day_share_pct",
        "board_share_range_pct",
        "min_latent_median_days",
        "case_review_frame",
        "case_review_frame_reason",
        *_PROVENANCE,
    ),
    "calibrated": ("mu_d", "sigma_d", "q_never", "mu_m", *_PROVENANCE),
}
ROSH_LEVELS = ("low", "medium", "high", "very_high")


def _choice(label: str, key: str, value, options: tuple[str, ...]) -> None:
    """Refuse a value outside ``options``, naming the nearest one."""
    if value not in options:
        near = difflib.get_close_matches(str(value), options, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise SpecError(label, key, f"must be one of {', '.join(options)}{hint}", value)


#: Whose release the case review's shares describe: every admission (a cohort followed from
#: recall) or the people in custody on the day the cases were drawn (a snapshot, which holds
#: each admission in proportion to its stay).
CASE_REVIEW_FRAMES = ("admissions", "in_custody")
#: What national figures are scaled to: the published yearly flow (admissions a year = flow x
#: the population's flow share) or the published stock (admissions a year = stock / the
#: model's mean stay, so the national stock is the published one by construction).
NATIONAL_ANCHORS = ("flow", "stock")
RT = "recall_types."
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


def _num(label, data, block, key, lo, hi, *, integer=False, prefix="") -> float:
    v = data.get(block, {}).get(key)
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
    if integer and ok:
        ok = float(v).is_integer()
    if not ok:
        what = "a whole number" if integer else "a number"
        raise SpecError(label, f"{prefix}{block}.{key}", f"must be {what} between {lo} and {hi}", v)
    return float(v)


def _national(label: str, data: dict) -> dict:
    """The national figures the model reads: the national model (``national.toml``, one loader
    for every national figure), overridden by a ``[national]`` block in an older rules file."""
    from toolkit.national import load_national

    national = load_national().rules_view()
    if "national" in data:
        old = data["national"]
        for key, hi in (("stock", 1e7), ("stock_sept_2016", 1e7), ("annual_recalls", 1e8)):
            if key in old:
                national[key] = _num(label, data, "national", key, 1, hi)
        if "growth_per_year" in old:
            national["growth_per_year"] = _num(
                label, data, "national", "growth_per_year", -0.99, 10
            )
        national["anchor"] = old.get("anchor", national["anchor"])
        national["source"] = label
    return national


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
    # [national] is optional: national figures live in national.toml (toolkit.national); a
    # rules file that still carries the block overrides those figures (older files keep working)
    required = [b for b in _BLOCKS if b != "national"]
    check_keys(data, ["recall_types", *_BLOCKS], label, required=["recall_types", *required])
    for block, keys in _BLOCKS.items():
        if block not in data:
            continue
        if not isinstance(data[block], dict):
            raise SpecError(label, block, "must be a table")
        check_keys(data[block], keys, label, block)
    check_keys(data["recall_types"], RECALL_TYPES, label, "recall_types", required=RECALL_TYPES)
    types = {name: _recall_type(label, data["recall_types"], name) for name in RECALL_TYPES}
    costs = {
        k: _num(label, data, "costs", k, 0, 1e7)
        for k in ("custody_per_day", "supervision_per_day", "review_hours", "staff_cost_per_hour")
    }
    person = {}
    for k in ("risk_loading", "need_loading", "rosh_loading", "never_risk_loading"):
        person[k] = _num(label, data, "person", k, -5, 5)
    person["never_rosh_loading"] = _num(label, data, "person", "never_rosh_loading", -5, 5)
    for k in ("sigma", "om_contact_sigma", "accommodation_sigma", "programme_sigma"):
        person[k] = _num(label, data, "person", k, 0.01, 5)
    for k in ("om_contact_median", "accommodation_median", "programme_median"):
        person[k] = _num(label, data, "person", k, 1, 3650)
    excluded = data["executive"].get("excluded_rosh", [])
    if not isinstance(excluded, list) or any(x not in ROSH_LEVELS for x in excluded):
        raise SpecError(
            label,
            "executive.excluded_rosh",
            f"must be a list of {', '.join(ROSH_LEVELS)}",
            excluded,
        )
    cal = data["calibration"]
    for k in ("released_at_sed_pct", "releasable_earlier_of_sed_pct", "census_1yr_plus_to_sed_pct"):
        _num(label, data, "calibration", k, 0, 100)
    _num(label, data, "calibration", "max_day_share_pct", 0, 100)
    _num(label, data, "calibration", "min_latent_median_days", 0.01, 3650)
    bands = cal.get("census_days_on_recall_pct")
    if not isinstance(bands, dict):
        raise SpecError(label, "calibration.census_days_on_recall_pct", "must be a table", bands)
    check_keys(
        bands,
        ("under_6m", "6_to_12m", "over_12m"),
        label,
        "calibration.census_days_on_recall_pct",
        required=("under_6m", "6_to_12m", "over_12m"),
    )
    for k in bands:
        _num(label, cal, "census_days_on_recall_pct", k, 0, 100, prefix="calibration.")
    frame = cal.setdefault("case_review_frame", "admissions")
    _choice(label, "calibration.case_review_frame", frame, CASE_REVIEW_FRAMES)
    rng_ = cal.get("board_share_range_pct")
    if (
        not isinstance(rng_, list)
        or len(rng_) != 2
        or not all(isinstance(x, (int, float)) and 0 <= x <= 100 for x in rng_)
        or rng_[0] > rng_[1]
    ):
        raise SpecError(
            label, "calibration.board_share_range_pct", "must be [low, high] within 0-100", rng_
        )
    calibrated = {
        "mu_d": _num(label, data, "calibrated", "mu_d", 0, 12),
        "sigma_d": _num(label, data, "calibrated", "sigma_d", 0.001, 5),
        "q_never": _num(label, data, "calibrated", "q_never", 0, 1),
        "mu_m": _num(label, data, "calibrated", "mu_m", -5, 12),
    }
    national = _national(label, data)
    _choice(label, "national.anchor", national["anchor"], NATIONAL_ANCHORS)
    return ReleaseRules(
        path=label,
        types=MappingProxyType(types),
        notice_probability=_num(label, data, "executive", "notice_probability", 0, 1),
        excluded_rosh=tuple(excluded),
        board_direction_probability=_num(
            label, data, "parole_board", "direction_probability", 0, 1
        ),
        delay_executive=_num(label, data, "decision_delay_days", "executive_median", 0, 3650),
        delay_executive_sigma=_num(label, data, "decision_delay_days", "executive_sigma", 0, 5),
        delay_parole_board=_num(label, data, "decision_delay_days", "parole_board_median", 0, 3650),
        delay_parole_board_sigma=_num(
            label, data, "decision_delay_days", "parole_board_sigma", 0, 5
        ),
        prefer_stay_share=_num(label, data, "preference", "prefer_stay_share", 0, 1),
        declines_release_share=_num(label, data, "preference", "declines_release_share", 0, 1),
        re_recall_multiplier=_num(label, data, "hazards", "re_recall_multiplier", 0, 100),
        reoffending_multiplier=_num(label, data, "hazards", "reoffending_multiplier", 0, 100),
        sfo_multiplier=_num(label, data, "hazards", "sfo_multiplier", 0, 100),
        costs=MappingProxyType(costs),
        horizon_days=_num(label, data, "horizon", "max_days", 1, 36500),
        follow_up_days=_num(label, data, "follow_up", "days", 1, 36500),
        person=MappingProxyType(person),
        national=MappingProxyType(national),
        calibration=MappingProxyType(dict(cal)),
        calibrated=MappingProxyType(calibrated),
        raw=MappingProxyType(_freeze(data)),
    )


def _recall_type(label: str, blocks: dict, name: str) -> RecallTypeRule:
    w = f"recall_types.{name}"
    blk = blocks[name]
    if not isinstance(blk, dict):
        raise SpecError(label, w, "must be a table")
    check_keys(blk, _TYPE_KEYS, label, w, required=("release",))
    release = blk.get("release")
    if release not in ("automatic", "review"):
        raise SpecError(label, f"{w}.release", "must be 'automatic' or 'review'", release)
    auto = short = None
    share = 0.0
    executive = False
    referral = every = None
    if release == "automatic":
        auto = _num(label, blocks, name, "automatic_release_day", 1, 36500, prefix=RT)
        if "short_sentence_release_day" in blk:
            short = _num(label, blocks, name, "short_sentence_release_day", 1, 36500, prefix=RT)
            share = _num(label, blocks, name, "short_sentence_share", 0, 1, prefix=RT)
        for k in ("executive", "board_referral_day", "board_review_every"):
            if k in blk:
                raise SpecError(label, f"{w}.{k}", "applies only to release = 'review'")
    else:
        check_keys(
            blk,
            _TYPE_KEYS,
            label,
            w,
            required=("executive", "board_referral_day", "board_review_every", "release_at_sed"),
        )
        executive = blk["executive"]
        if not isinstance(executive, bool):
            raise SpecError(label, f"{w}.executive", "must be true or false", executive)
        referral = _num(label, blocks, name, "board_referral_day", 1, 3650, prefix=RT)
        every = _num(label, blocks, name, "board_review_every", 1, 3650, prefix=RT)
    at_sed = blk.get("release_at_sed", True)
    if not isinstance(at_sed, bool):
        raise SpecError(label, f"{w}.release_at_sed", "must be true or false", at_sed)
    return RecallTypeRule(name, release, auto, short, share, executive, referral, every, at_sed)


def _freeze(d: Any):
    if isinstance(d, dict):
        return {k: _freeze(v) for k, v in d.items()}
    return d
