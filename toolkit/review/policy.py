"""Release rules as data: ``papers/recall_process_experience/release_rules.toml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.datafiles import read_toml
from toolkit.exceptions import SpecError
from toolkit.schema import RECALL_TYPES


@dataclass(frozen=True)
class RecallTypeRule:
    """How one recall type is re-released."""

    name: str
    release: str  # "automatic" or "review"
    automatic_release_day: float | None
    routes: tuple[str, ...]
    review_days: tuple[float, ...]
    annual_review_every: float | None
    release_at_sed: bool


@dataclass(frozen=True)
class ReleaseRules:
    """Validated release rules and simulation parameters (frozen)."""

    path: str
    types: MappingProxyType
    delay_executive: float
    delay_parole_board: float
    notice_probability: float
    prefer_stay_share: float
    declines_release_share: float
    re_recall_multiplier: float
    sfo_multiplier: float
    costs: MappingProxyType
    horizon_days: float
    person: MappingProxyType
    calibration: MappingProxyType
    raw: MappingProxyType


def _num(label, data, block, key, lo, hi) -> float:
    v = data.get(block, {}).get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise SpecError(label, f"{block}.{key}", f"must be a number between {lo} and {hi}", v)
    return float(v)


def load_release_rules(path: str | Path | None = None) -> ReleaseRules:
    """Load and validate the release rules.

    Raises
    ------
    SpecError
        Naming the file, key and value: unknown recall types or routes, negative or
        non-increasing review schedules, probabilities outside 0-1, negative costs or delays.

    Examples
    --------
    >>> rules = load_release_rules()
    >>> rules.types["standard"].review_days, rules.types["fixed_term"].automatic_release_day
    ((28.0,), 28.0)
    """
    data, label = read_toml(path, "recall_process_experience", "release_rules.toml")
    types = {}
    for name in RECALL_TYPES:
        blk = data.get("recall_types", {}).get(name)
        w = f"recall_types.{name}"
        if not isinstance(blk, dict):
            raise SpecError(label, w, "is required (one block per recall type)")
        release = blk.get("release")
        if release not in ("automatic", "review"):
            raise SpecError(label, f"{w}.release", "must be 'automatic' or 'review'", release)
        auto = None
        if release == "automatic":
            auto = _num(label, data["recall_types"], name, "automatic_release_day", 0, 36500)
        days = blk.get("review_days", [])
        if not isinstance(days, list) or not all(
            isinstance(d, (int, float)) and not isinstance(d, bool) for d in days
        ):
            raise SpecError(label, f"{w}.review_days", "must be a list of days", days)
        if any(d <= 0 for d in days):
            raise SpecError(label, f"{w}.review_days", "must be positive days after recall", days)
        if any(b <= a for a, b in zip(days, days[1:])):
            raise SpecError(label, f"{w}.review_days", "must be strictly increasing", days)
        every = blk.get("annual_review_every")
        if every is not None and (not isinstance(every, (int, float)) or every <= 0):
            raise SpecError(
                label, f"{w}.annual_review_every", "must be a positive number of days", every
            )
        routes = tuple(blk.get("routes", ()))
        bad = [r for r in routes if r not in ("executive", "parole_board")]
        if bad:
            raise SpecError(
                label, f"{w}.routes", "must be 'executive' and/or 'parole_board'", bad[0]
            )
        if release == "review" and not routes:
            raise SpecError(label, f"{w}.routes", "must name at least one release route")
        types[name] = RecallTypeRule(
            name,
            release,
            auto,
            routes,
            tuple(float(d) for d in days),
            None if every is None else float(every),
            bool(blk.get("release_at_sed", True)),
        )
    costs = {
        k: _num(label, data, "costs", k, 0, 1e7)
        for k in ("custody_per_day", "supervision_per_day", "review_hours", "staff_cost_per_hour")
    }
    person = data.get("person", {})
    for k in ("risk_loading", "need_loading", "accommodation_loading", "never_risk_loading"):
        _num(label, data, "person", k, -5, 5)
    _num(label, data, "person", "sigma", 0.01, 5)
    _num(label, data, "person", "event_day_median", 1, 3650)
    return ReleaseRules(
        path=label,
        types=MappingProxyType(types),
        delay_executive=_num(label, data, "decision_delay_days", "executive", 0, 3650),
        delay_parole_board=_num(label, data, "decision_delay_days", "parole_board", 0, 3650),
        notice_probability=_num(label, data, "notice", "probability", 0, 1),
        prefer_stay_share=_num(label, data, "preference", "prefer_stay_share", 0, 1),
        declines_release_share=_num(label, data, "preference", "declines_release_share", 0, 1),
        re_recall_multiplier=_num(label, data, "hazards", "re_recall_multiplier", 0, 100),
        sfo_multiplier=_num(label, data, "hazards", "sfo_multiplier", 0, 100),
        costs=MappingProxyType(costs),
        horizon_days=_num(label, data, "horizon", "max_days", 1, 36500),
        person=MappingProxyType(dict(person)),
        calibration=MappingProxyType(dict(data.get("calibration", {}))),
        raw=MappingProxyType(_freeze(data)),
    )


def _freeze(d: Any):
    if isinstance(d, dict):
        return {k: _freeze(v) for k, v in d.items()}
    return d
