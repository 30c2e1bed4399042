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
    "ranges",
    "source",
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
    "sed_median_ratio",
    "short_sentence_from",
    "curfew_max_days",
    *_PROVENANCE,
)
_BLOCKS = {
    "meta": (
        "document",
        "title",
        "law",
        "law_text_retrieved",
        "modelled_date",
        "modelled_date_reason",
    ),
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
        "programme_binding_share",
        *_PROVENANCE,
    ),
    "further_charge": ("share", "delay_median", "delay_sigma", *_PROVENANCE),
    "follow_up": ("days", *_PROVENANCE),
    "hazards": ("re_recall_multiplier", "reoffending_multiplier", "sfo_multiplier", *_PROVENANCE),
    "costs": (
        "custody_per_day",
        "supervision_per_day",
        "review_hours",
        "staff_cost_per_hour",
        "marginal_custody_per_day",
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
        "sensitivity_grid",
        "sensitivity_grid_reason",
        "target_se_binomial",
        "target_se_binomial_reason",
        "target_se_structural",
        "target_se_structural_reason",
        "case_review_frame",
        "case_review_frame_reason",
        "releasable_reading",
        "releasable_reading_reason",
        "om_no_contact_in_custody_pct",
        "om_no_contact_line",
        "om_no_contact_quote",
        "post_ora_share",
        "post_ora_stay_days",
        "post_ora_reason",
        "snapshot_2016_under_6m_pct",
        "snapshot_2016_over_12m_pct",
        "snapshot_2016_line",
        "snapshot_2016_quote",
        *_PROVENANCE,
    ),
    "calibrated": ("mu_d", "sigma_d", "q_never", "mu_m", *_PROVENANCE),
}
#: Blocks a rules file may leave out (older files): their defaults change nothing.
_OPTIONAL_BLOCKS = ("further_charge",)
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
#: What "could have been released earlier" is read as: every barrier cleared (risk manageable,
#: OM contact, accommodation, programme where waited for, wants release) or the offender
#: manager's judgement alone (risk manageable and the person wants release).
RELEASABLE_READINGS = ("barriers_cleared", "judgement")
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


def _sensitivity_grid(label: str, grid) -> None:
    """``[calibration] sensitivity_grid`` (optional): field name -> non-empty list of numbers
    (probabilities and shares within 0-1, delays within 0-3650 days)."""
    if grid is None:
        return
    where = "calibration.sensitivity_grid"
    if not isinstance(grid, dict) or not grid:
        raise SpecError(label, where, "must be a table of field = [values]", grid)
    for name, values in grid.items():
        if name not in SENSITIVITY_FIELDS:
            raise SpecError(
                label, f"{where}.{name}", f"must be one of {', '.join(SENSITIVITY_FIELDS)}", name
            )
        hi = 3650 if name.startswith("delay_") else 1
        if (
            not isinstance(values, list)
            or not values
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= hi
                for v in values
            )
        ):
            what = f"must be a non-empty list of numbers within 0-{hi}"
            raise SpecError(label, f"{where}.{name}", what, values)


def _target_se(label: str, key: str, table) -> None:
    """``[calibration] target_se_*`` (optional; the calibration needs them): target name ->
    standard error in points, each a number within 0-100 (the binomial one above 0)."""
    if table is None:
        return
    where = f"calibration.{key}"
    if not isinstance(table, dict) or not table:
        raise SpecError(label, where, "must be a table of target = standard error", table)
    lo = 0 if key == "target_se_structural" else 1e-9
    for name, v in table.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= 100:
            raise SpecError(label, f"{where}.{name}", "must be a number of points within 0-100", v)


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
    return rules_from_data(data, label)


def rules_from_data(data: dict, label: str) -> ReleaseRules:
    """Validate parsed release rules (the TOML's tables) and build :class:`ReleaseRules`.

    The one validation of a rules file: :func:`load_release_rules` reads the file and calls this;
    a sweep builds the rules of each scenario by changing values of ``rules.raw`` and calling
    this, so a swept value the loader would refuse is refused, by the same check and message.
    ``data`` is modified (defaults filled in); pass a copy to keep it.

    Raises
    ------
    SpecError
        As :func:`load_release_rules`, with ``label`` as the file name.
    """
    # [national] is optional: national figures live in national.toml (toolkit.national); a
    # rules file that still carries the block overrides those figures (older files keep working)
    required = [b for b in _BLOCKS if b not in _OPTIONAL_BLOCKS and b != "national"]
    check_keys(data, ["recall_types", *_BLOCKS], label, required=["recall_types", *required])
    for block in _OPTIONAL_BLOCKS:
        data.setdefault(block, {})
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
    costs["marginal_custody_per_day"] = (
        _num(label, data, "costs", "marginal_custody_per_day", 0, 1e7)
        if "marginal_custody_per_day" in data["costs"]
        else costs["custody_per_day"]
    )
    person = {}
    for k in ("risk_loading", "need_loading", "rosh_loading", "never_risk_loading"):
        person[k] = _num(label, data, "person", k, -5, 5)
    person["never_rosh_loading"] = _num(label, data, "person", "never_rosh_loading", -5, 5)
    for k in ("sigma", "om_contact_sigma", "accommodation_sigma", "programme_sigma"):
        person[k] = _num(label, data, "person", k, 0.01, 5)
    for k in ("om_contact_median", "accommodation_median", "programme_median"):
        person[k] = _num(label, data, "person", k, 1, 3650)
    # share of people with an unmet programme need whose release waits for completion in
    # custody (absent: every one waits, the former hard gate)
    person["programme_binding_share"] = (
        _num(label, data, "person", "programme_binding_share", 0, 1)
        if "programme_binding_share" in data["person"]
        else 1.0
    )
    modelled = data["meta"].get("modelled_date", "2014-03-31")
    _iso_date(label, "meta.modelled_date", modelled)
    fc = data["further_charge"]
    charge = (
        (
            _num(label, data, "further_charge", "share", 0, 1),
            _num(label, data, "further_charge", "delay_median", 1, 3650),
            _num(label, data, "further_charge", "delay_sigma", 0, 5),
        )
        if fc
        else (0.0, 1.0, 0.0)
    )
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
    cal.setdefault("releasable_margin_days", 28)
    _sensitivity_grid(label, cal.get("sensitivity_grid"))
    for key in ("target_se_binomial", "target_se_structural"):
        _target_se(label, key, cal.get(key))
    margin = _num(label, data, "calibration", "releasable_margin_days", 0, 3650)
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
    reading = cal.setdefault("releasable_reading", "barriers_cleared")
    _choice(label, "calibration.releasable_reading", reading, RELEASABLE_READINGS)
    for k, hi in (("post_ora_share", 1), ("post_ora_stay_days", 3650)):
        if k in cal:
            _num(label, data, "calibration", k, 0, hi)
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
    notice = _num(label, data, "executive", "notice_probability", 0, 1)
    direction = _num(label, data, "parole_board", "direction_probability", 0, 1)
    # ranges last: a value out of its own bounds is reported as such first
    for block, blk in data.items():
        if isinstance(blk, dict) and "ranges" in blk:
            _check_ranges(label, block, blk)
    for name, blk in data["recall_types"].items():
        if isinstance(blk, dict) and "ranges" in blk:
            _check_ranges(label, f"recall_types.{name}", blk)
    return ReleaseRules(
        path=label,
        types=MappingProxyType(types),
        notice_probability=notice,
        excluded_rosh=tuple(excluded),
        board_direction_probability=direction,
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
        modelled_date=str(modelled),
        releasable_margin_days=margin,
        charge_share=charge[0],
        charge_delay_median=charge[1],
        charge_delay_sigma=charge[2],
    )


def _iso_date(label: str, key: str, value) -> None:
    """Refuse a value that is not an ISO date (YYYY-MM-DD)."""
    import datetime as _dt

    try:
        _dt.date.fromisoformat(str(value))
    except ValueError:
        raise SpecError(label, key, "must be an ISO date YYYY-MM-DD", value) from None


def _check_ranges(label: str, where: str, blk: dict) -> None:
    """``ranges = { key = [low, high] }``: each names a number of the block, low <= value <=
    high (the plausible range an assumed size is searched over)."""
    ranges = blk["ranges"]
    if not isinstance(ranges, dict):
        raise SpecError(label, f"{where}.ranges", "must be a table of key = [low, high]", ranges)
    for k, r in ranges.items():
        ok = (
            isinstance(r, list)
            and len(r) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in r)
            and r[0] <= r[1]
        )
        v = blk.get(k)
        if not ok or not isinstance(v, (int, float)) or not r[0] <= v <= r[1]:
            raise SpecError(
                label,
                f"{where}.ranges.{k}",
                f"must be [low, high] around the block's {k} (= {v!r})",
                r,
            )


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
    ratio = (
        _num(label, blocks, name, "sed_median_ratio", 0.01, 100, prefix=RT)
        if "sed_median_ratio" in blk
        else 1.0
    )
    since = blk.get("short_sentence_from")
    if since is not None:
        _iso_date(label, f"{w}.short_sentence_from", since)
    curfew = (
        _num(label, blocks, name, "curfew_max_days", 1, 3650, prefix=RT)
        if "curfew_max_days" in blk
        else None
    )
    return RecallTypeRule(
        name, release, auto, short, share, executive, referral, every, at_sed, ratio, since, curfew
    )


def _freeze(d: Any):
    if isinstance(d, dict):
        return {k: _freeze(v) for k, v in d.items()}
    return d
