"""The ONE adapter between sweeps and the review model (``toolkit.review``).

Everything the sweep stage knows about the review model goes through this module and its
cache (:mod:`toolkit.sweep.cache`): which parameters of ``release_rules.toml`` an assumption may
vary and within what range (:func:`assumable`, derived from the rules file: its numbers and
their ``ranges``), how varied values are put into a :class:`~toolkit.review.ReleaseRules`
(:func:`with_assumptions`, through the rules loader's own checks), how one scenario is simulated
and reduced to headline outcomes (:func:`run_scenario`) and how a stay distribution is drawn for
the national projection (:func:`custody_days`). When the review model changes, only these two
modules should need to change.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import pandas as pd

from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import SpecError, UsageError
from toolkit.sweep import cache
from toolkit.sweep.cache import default_cohort

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


#: Blocks of the rules file that no simulated scenario reads: ``[calibration]`` holds the
#: calibration's targets and checks (read by ``calibrate``), ``[meta]`` and ``[national]`` the
#: document and the national figures (national scaling). A number there is refused as an
#: assumption, with this reason, rather than swept without effect.
NOT_SIMULATED = {
    "calibration": "a calibration target or check, read by `calibrate` only",
    "meta": "document metadata",
    "national": "a national figure (national.toml), read by national scaling only",
}
#: Keys of a block that are provenance, not parameters (``line = 5066`` is a number).
_PROVENANCE = frozenset({"line", "stock_line", "sept_line", "ranges"})


@dataclass(frozen=True)
class Assumable:
    """A parameter of the release rules a sweep may vary.

    ``low``/``high``: the plausible range the rules file declares for it (``ranges`` in its
    block), or None where it declares none (then only the loader's own check applies: a
    probability in 0-1, a positive median ...).
    """

    name: str
    value: float
    low: float | None = None
    high: float | None = None


def _path(name: str) -> tuple[str, ...]:
    """``"person.sigma"`` -> ("person", "sigma"); ``"recall_types.fixed_term.x"`` -> 3 parts."""
    if name.startswith("recall_types."):
        parts = tuple(name.split(".", 2))
        return parts if len(parts) == 3 else (name,)
    return tuple(name.split(".", 1))


def assumable(rules) -> dict[str, Assumable]:
    """The parameters of ``rules`` a sweep may vary, derived from the rules file itself.

    Every number of a block the simulation reads (not :data:`NOT_SIMULATED`, not provenance
    such as ``line``), and every size with a declared range (``ranges``, including those of a
    recall type, e.g. ``recall_types.fixed_term.short_sentence_share``); the range comes from
    the file (:func:`toolkit.review.policy.assumed_ranges`), nothing is copied here.
    """
    from toolkit.review.policy import assumed_ranges

    out: dict[str, Assumable] = {}
    for block, blk in rules.raw.items():
        if block in NOT_SIMULATED or block == "recall_types" or not isinstance(blk, Mapping):
            continue
        for key, v in blk.items():
            if key in _PROVENANCE or key.endswith("_line"):
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[f"{block}.{key}"] = Assumable(f"{block}.{key}", float(v))
    for name, (v, lo, hi) in assumed_ranges(rules).items():
        if _path(name)[0] not in NOT_SIMULATED:
            out[name] = Assumable(name, v, lo, hi)
    return dict(sorted(out.items()))


def check_assumable(rules, name: str) -> Assumable:
    """The :class:`Assumable` called ``name``.

    Raises
    ------
    UsageError
        Naming why: not a number of the rules, or one no simulated scenario reads.
    """
    table = assumable(rules)
    if name in table:
        return table[name]
    block = _path(name)[0]
    if block in NOT_SIMULATED and _lookup(rules.raw, name) is not None:
        raise UsageError(
            f"{name!r} is {NOT_SIMULATED[block]}: no simulated scenario reads it, so no sweep "
            "outcome can depend on it"
        )
    near = difflib.get_close_matches(name, list(table), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise UsageError(f"{name!r} is not a number of the release rules a sweep can vary{hint}")


def _lookup(raw, name: str):
    v = raw
    for part in _path(name):
        if not isinstance(v, Mapping) or part not in v:
            return None
        v = v[part]
    return v


def __getattr__(attr: str):
    # ASSUMABLE: the assumable parameters of the shipped rules (the spec checks names against
    # the rules file it names, through assumable()); built on first use
    if attr == "ASSUMABLE":
        return MappingProxyType(assumable(load_rules()))
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")


def baseline_value(rules, name: str) -> float:
    """The value of assumption ``name`` in a loaded rules object."""
    return check_assumable(rules, name).value


def with_assumptions(rules, values: Mapping[str, float]):
    """A copy of ``rules`` with the assumed values put in, built and checked by the rules
    loader itself (:func:`toolkit.review.policy.rules_from_data` on ``rules.raw`` with the
    values replaced), so every derived value follows and a value the loader would refuse is
    refused.

    Raises
    ------
    UsageError
        If a name is not assumable, or a value is outside its declared range or refused by the
        loader (naming the value).
    """
    from toolkit.review.policy import rules_from_data

    if not values:
        return rules
    raw = _copy(rules.raw)
    table = assumable(rules)
    for name, value in values.items():
        a = table.get(name) or check_assumable(rules, name)
        v = float(value)
        if not math.isfinite(v) or (a.low is not None and not a.low <= v <= a.high):
            where = f" {a.low} to {a.high} (`ranges` in {rules.path})" if a.low is not None else ""
            raise UsageError(f"{name} = {v!r} is outside the allowed range{where}")
        *blocks, key = _path(name)
        d = raw
        for b in blocks:
            d = d[b]
        d[key] = v
    try:
        return rules_from_data(raw, rules.path)
    except SpecError as exc:
        got = ", ".join(f"{k} = {float(v)!r}" for k, v in values.items())
        raise UsageError(f"{got}: refused by the release rules' checks: {exc}") from None


def _copy(d):
    """A copy of the parsed rules deep enough to replace numbers in (strings and lists of
    ``ranges`` are shared: they are never modified)."""
    return {k: _copy(v) for k, v in d.items()} if isinstance(d, Mapping) else d


@lru_cache(maxsize=4)
@lru_cache(maxsize=4)
def _rules(path: str | None):
    from toolkit.review import load_release_rules

    return load_release_rules(path)


@lru_cache(maxsize=64)
def _parsed(strategies: tuple[str, ...]) -> dict:
    from toolkit.review import parse_strategy

    return {s: parse_strategy(s) for s in strategies}


def run_scenario(
    values: Mapping[str, float],
    strategies: Sequence[str],
    *,
    n: int,
    replications: int,
    populations: Sequence[str],
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    seed: int | np.random.SeedSequence | None = None,
    rules_path: str | None = None,
    cohort_seed: int = DEFAULT_SEED,
) -> list[dict]:
    """Simulate every strategy under one set of assumed values; headline outcomes per strategy.

    The strategies share the episodes of each replication (common random numbers), so their
    differences within a scenario are not blurred by sampling noise. The census and the flow
    weights come from :mod:`toolkit.sweep.cache` (computed once per process for what they
    depend on); inside :func:`toolkit.sweep.cache.disabled` everything is computed afresh by
    ``simulate_reviews``, with the same result.

    ``rng`` (an int, numpy Generator or SeedSequence; ``seed`` is its older name) gives every
    draw; one of them is required.

    Returns
    -------
    list of dict
        One dict per strategy, in order, with the keys of :data:`OUTCOMES`.
    """
    from toolkit.review import RecordStream

    rules = with_assumptions(_rules(rules_path), values)
    named = _parsed(tuple(strategies))
    rng = random_stream(rng, seed)
    stream = _simulation(rules, named, populations, n, replications, rng, cohort_seed)
    if not isinstance(stream, RecordStream):  # the cache disabled: the reference path
        return _headline(stream.records, strategies)
    # only the columns the headline reads, in record order (replication, then strategy)
    parts = [{c: cols[c] for c in _HEADLINE_COLUMNS} for _, _, cols in stream]
    rec = {c: np.concatenate([p[c] for p in parts]) for c in _HEADLINE_COLUMNS}
    return _reduce(rec["strategy"], len(stream.names), rec, stream.names, strategies)


#: Record columns the headline outcomes are computed from.
_HEADLINE_COLUMNS = (
    "strategy",
    "route",
    "bed_days_saved",
    "re_recalled",
    "sfo",
    "custody_days",
    "reviews",
    "review_hours",
    "cost",
)


def _headline(rec: pd.DataFrame, strategies: Sequence[str]) -> list[dict]:
    """Headline outcomes from a records DataFrame (``SimulationResult.records``)."""
    from toolkit.review.mechanism import ROUTES

    strat = rec["strategy"].cat
    if tuple(rec["route"].cat.categories) != ROUTES:
        raise UsageError(f"records' routes are {list(rec['route'].cat.categories)}")
    cols = {c: rec[c].to_numpy() for c in _HEADLINE_COLUMNS[2:]}
    cols["route"] = rec["route"].cat.codes.to_numpy()
    return _reduce(
        strat.codes.to_numpy(), len(strat.categories), cols, list(strat.categories), strategies
    )


def _reduce(
    code: np.ndarray, k: int, rec: Mapping[str, np.ndarray], names, strategies: Sequence[str]
) -> list[dict]:
    """Means per strategy over all records (every replication has the same n, so the mean of
    the records is the mean of the replication means). Sums over the strategy codes with
    ``np.bincount`` (sequential sums in record order: the same bytes whichever path built the
    records); a pandas groupby here cost more than some strategies' simulation."""
    from toolkit.review.mechanism import ROUTES

    count = np.bincount(code, minlength=k).astype(float)

    def mean(values) -> np.ndarray:
        return np.bincount(code, weights=np.asarray(values, float), minlength=k) / count

    sed = np.asarray(rec["route"]) == ROUTES.index("sed")
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
    pos = {c: i for i, c in enumerate(names)}
    return [{o: float(cols[o][pos[s]]) for o in OUTCOMES} for s in strategies]


def custody_days(
    strategy: str,
    *,
    n: int,
    replications: int,
    populations: Sequence[str],
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    seed: int | np.random.SeedSequence | None = None,
    rules_path: str | None = None,
    cohort_seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """Days in custody and recall type of every admitted episode under ``strategy``, at the
    rules file's values (for the stock projection); ``rng`` (or its older name ``seed``) as
    :func:`run_scenario`."""
    from toolkit.categories import RECALL_TYPES
    from toolkit.review import RecordStream

    if not populations:
        raise UsageError("give at least one recall type to project")
    rules = _rules(rules_path)
    named = _parsed((strategy,))
    rng = random_stream(rng, seed)
    stream = _simulation(rules, named, populations, n, replications, rng, cohort_seed)
    if not isinstance(stream, RecordStream):  # the cache disabled: the reference path
        return stream.records[["custody_days", "recall_type"]].reset_index(drop=True)
    parts = [(cols["custody_days"], cols["recall_type"]) for _, _, cols in stream]
    codes = np.concatenate([t for _, t in parts])
    return pd.DataFrame(
        {
            "custody_days": np.concatenate([d for d, _ in parts]),
            "recall_type": pd.Categorical.from_codes(codes, categories=list(RECALL_TYPES)),
        }
    )


def random_stream(rng, seed):
    """``rng``, or ``seed`` (its older name, kept for existing callers): exactly one of them.

    Raises
    ------
    UsageError
        If both or neither are given.
    """
    if rng is not None and seed is not None:
        raise UsageError("give rng or its older name seed, not both")
    if rng is None and seed is None:
        raise UsageError("give rng: an int, a numpy Generator or a SeedSequence")
    return seed if rng is None else rng


def _simulation(rules, named, populations, n, replications, rng, cohort_seed):
    """What a scenario runs: a ``RecordStream`` over this worker's cached census and flow
    weights, or, with the cache disabled (the reference path the tests compare with), a
    whole ``simulate_reviews`` result. Both draw from ``default_rng(rng)`` the same way."""
    from toolkit.review import RecordStream, simulate_reviews
    from toolkit.review.episodes import params_from

    pops = tuple(populations)
    run = dict(
        n=n, n_replications=replications, populations=list(pops), rng=np.random.default_rng(rng)
    )
    if not cache.enabled():
        return simulate_reviews(default_cohort(pops, cohort_seed), named, rules, **run)
    census, _ = cache.census(pops, cohort_seed)
    weights = cache.stay_weights(pops, cohort_seed, rules, params_from(rules, None))
    return RecordStream(census, named, rules, **run, weights=weights)


def load_rules(path: str | None = None):
    """The release rules a sweep starts from (cached per process; SpecError if bad)."""
    return _rules(None if path is None else str(path))
