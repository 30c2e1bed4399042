"""The ONE adapter between sweeps and the review model (``toolkit.review``).

Everything the sweep stage knows about the review model goes through this module: which
parameters of ``release_rules.toml`` an assumption may vary (:data:`ASSUMABLE`), how a varied
value is put into a :class:`~toolkit.review.ReleaseRules` (:func:`with_assumptions`), how one
scenario is simulated and reduced to headline outcomes (:func:`run_scenario`) and how a stay
distribution is drawn for the national projection (:func:`custody_days`). When the review model
changes, only this module should need to change.

The review API has no public way to override one value of a loaded rules object (it documents
``dataclasses.replace``), so :func:`with_assumptions` replaces fields of the frozen
``ReleaseRules`` and gives it fresh ``person``/``costs``/``calibrated`` mappings (the engine
reads the calibrated person-model parameters from ``rules.calibrated``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.exceptions import UsageError

#: Dotted release-rules key -> (where it lives, allowed low, allowed high). "field:NAME" is a
#: ReleaseRules field; "person"/"costs"/"calibrated" a key of that mapping (the calibrated
#: person-model parameters are read from ``rules.calibrated`` by the engine). Ranges are the
#: loader's (toolkit/review/policy.py), so a sampled value the loader would refuse is refused
#: here too, per scenario, naming the value.
ASSUMABLE: dict[str, tuple[str, float, float]] = {
    "executive.notice_probability": ("field:notice_probability", 0, 1),
    "parole_board.direction_probability": ("field:board_direction_probability", 0, 1),
    "decision_delay_days.executive_median": ("field:delay_executive", 0, 3650),
    "decision_delay_days.executive_sigma": ("field:delay_executive_sigma", 0, 5),
    "decision_delay_days.parole_board_median": ("field:delay_parole_board", 0, 3650),
    "decision_delay_days.parole_board_sigma": ("field:delay_parole_board_sigma", 0, 5),
    "preference.prefer_stay_share": ("field:prefer_stay_share", 0, 1),
    "preference.declines_release_share": ("field:declines_release_share", 0, 1),
    "hazards.re_recall_multiplier": ("field:re_recall_multiplier", 0, 100),
    "hazards.reoffending_multiplier": ("field:reoffending_multiplier", 0, 100),
    "hazards.sfo_multiplier": ("field:sfo_multiplier", 0, 100),
    "person.risk_loading": ("person", -5, 5),
    "person.need_loading": ("person", -5, 5),
    "person.rosh_loading": ("person", -5, 5),
    "person.never_risk_loading": ("person", -5, 5),
    "person.never_rosh_loading": ("person", -5, 5),
    "person.sigma": ("person", 0.01, 5),
    "person.om_contact_sigma": ("person", 0.01, 5),
    "person.accommodation_sigma": ("person", 0.01, 5),
    "person.programme_sigma": ("person", 0.01, 5),
    "person.om_contact_median": ("person", 1, 3650),
    "person.accommodation_median": ("person", 1, 3650),
    "person.programme_median": ("person", 1, 3650),
    "costs.custody_per_day": ("costs", 0, 1e7),
    "costs.supervision_per_day": ("costs", 0, 1e7),
    "costs.review_hours": ("costs", 0, 1e7),
    "costs.staff_cost_per_hour": ("costs", 0, 1e7),
    "calibrated.mu_d": ("calibrated", 0, 12),
    "calibrated.sigma_d": ("calibrated", 0.001, 5),
    "calibrated.q_never": ("calibrated", 0, 1),
    "calibrated.mu_m": ("calibrated", -5, 12),
}

#: Headline outcomes of one scenario (per person admitted, averaged over replications).
OUTCOMES = (
    "released_at_sed_pct",
    "bed_days_saved_per_person",
    "re_recall_pct",
    "sfo_per_1000",
    "mean_custody_days",
    "reviews_per_person",
    "review_hours_per_person",
    "cost_per_person",
)


def check_strategy(text: str) -> str:
    """Validate a strategy name with the review model's parser; return it unchanged."""
    from toolkit.review import parse_strategy

    parse_strategy(text)
    return text


def baseline_value(rules, name: str) -> float:
    """The value of assumption ``name`` in a loaded rules object."""
    where, _, _ = ASSUMABLE[name]
    key = name.split(".", 1)[1]
    if where.startswith("field:"):
        return float(getattr(rules, where[6:]))
    return float(getattr(rules, where)[key])


def with_assumptions(rules, values: Mapping[str, float]):
    """A copy of ``rules`` with the assumed values put in.

    Raises
    ------
    UsageError
        If a name is not assumable or a value is outside the loader's range (names the value).
    """
    fields: dict = {}
    maps = {m: dict(getattr(rules, m)) for m in ("person", "costs", "calibrated")}
    raw = {k: dict(v) if isinstance(v, Mapping) else v for k, v in rules.raw.items()}
    for name, value in values.items():
        if name not in ASSUMABLE:
            raise UsageError(f"{name!r} is not an assumption the sweep can vary")
        where, lo, hi = ASSUMABLE[name]
        v = float(value)
        if not (math.isfinite(v) and lo <= v <= hi):
            raise UsageError(f"{name} = {v!r} is outside the allowed range {lo} to {hi}")
        block, key = name.split(".", 1)
        raw.setdefault(block, {})[key] = v
        if where.startswith("field:"):
            fields[where[6:]] = v
        else:
            maps[where][key] = v
    return dataclasses.replace(
        rules,
        **{m: MappingProxyType(d) for m, d in maps.items()},
        raw=MappingProxyType(raw),
        **fields,
    )


@lru_cache(maxsize=4)
def default_cohort(populations: tuple[str, ...], seed: int) -> pd.DataFrame:
    """The census cohort a sweep draws admissions from (generated once per process)."""
    from toolkit.cohort.generate import generate_cohort

    return generate_cohort(populations=list(populations), rng=seed)


@lru_cache(maxsize=4)
def _rules(path: str | None):
    from toolkit.review import load_release_rules

    return load_release_rules(path)


def run_scenario(
    values: Mapping[str, float],
    strategies: Sequence[str],
    *,
    n: int,
    replications: int,
    populations: Sequence[str],
    seed: np.random.SeedSequence,
    rules_path: str | None = None,
    cohort_seed: int = 20140331,
) -> list[dict]:
    """Simulate every strategy under one set of assumed values; headline outcomes per strategy.

    The strategies share the episodes of each replication (common random numbers), so their
    differences within a scenario are not blurred by sampling noise.

    Returns
    -------
    list of dict
        One dict per strategy, in order, with the keys of :data:`OUTCOMES`.
    """
    from toolkit.review import parse_strategy, simulate_reviews

    rules = with_assumptions(_rules(rules_path), values)
    cohort = default_cohort(tuple(populations), cohort_seed)
    res = simulate_reviews(
        cohort,
        {s: parse_strategy(s) for s in strategies},
        rules,
        n=n,
        n_replications=replications,
        populations=list(populations),
        rng=np.random.default_rng(seed),
    )
    return _headline(res.records, strategies)


def _headline(rec: pd.DataFrame, strategies: Sequence[str]) -> list[dict]:
    """Means per strategy over all records (every replication has the same n, so the mean of
    the records is the mean of the replication means). Sums over the strategy codes with
    ``np.bincount``: a pandas groupby here cost more than some strategies' simulation."""
    strat = rec["strategy"].cat
    code = strat.codes.to_numpy()
    k = len(strat.categories)
    count = np.bincount(code, minlength=k).astype(float)

    def mean(values) -> np.ndarray:
        return np.bincount(code, weights=np.asarray(values, float), minlength=k) / count

    sed = rec["route"].cat.codes.to_numpy() == list(rec["route"].cat.categories).index("sed")
    cols = {
        "released_at_sed_pct": 100 * mean(sed),
        "bed_days_saved_per_person": mean(rec["bed_days_saved"]),
        "re_recall_pct": 100 * mean(rec["re_recalled"]),
        "sfo_per_1000": 1000 * mean(rec["sfo"]),
        "mean_custody_days": mean(rec["custody_days"]),
        "reviews_per_person": mean(rec["reviews"]),
        "review_hours_per_person": mean(rec["review_hours"]),
        "cost_per_person": mean(rec["cost"]),
    }
    pos = {c: i for i, c in enumerate(strat.categories)}
    return [{o: float(cols[o][pos[s]]) for o in OUTCOMES} for s in strategies]


def custody_days(
    strategy: str,
    *,
    n: int,
    replications: int,
    populations: Sequence[str],
    seed: int | np.random.SeedSequence,
    rules_path: str | None = None,
    cohort_seed: int = 20140331,
) -> pd.DataFrame:
    """Days in custody and recall type of every admitted episode under ``strategy``, at the
    rules file's values (for the stock projection)."""
    from toolkit.review import parse_strategy, simulate_reviews

    if not populations:
        raise UsageError("give at least one recall type to project")
    cohort = default_cohort(tuple(populations), cohort_seed)
    res = simulate_reviews(
        cohort,
        {strategy: parse_strategy(strategy)},
        _rules(rules_path),
        n=n,
        n_replications=replications,
        populations=list(populations),
        rng=np.random.default_rng(seed),
    )
    return res.records[["custody_days", "recall_type"]].reset_index(drop=True)


def load_rules(path: str | None = None):
    """The release rules a sweep starts from (cached per process; SpecError if bad)."""
    return _rules(None if path is None else str(path))
