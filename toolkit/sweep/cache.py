"""What the scenarios of a sweep share, computed once per worker process and reused.

A scenario simulates a few thousand admissions; before this cache it also rebuilt, every time,
the census it draws from (:func:`~toolkit.review.census.prepare_census`), the flow weights
``1 / E[stay | person]`` (:func:`~toolkit.review.episodes.stay_weights`, a probe simulation of
every census row) and the national flow figures, which a sweep never reads. Here:

* the census of a ``(populations, cohort_seed)`` is prepared once per process
  (:func:`census`; every recall type at the default seed is the stored default census);
* the flow weights are kept per *exactly the values they depend on* (:func:`weights_key`):
  every field of :class:`~toolkit.review.ReleaseRules` except those listed in
  :data:`NOT_READ_BY_STAYS`, plus the person-model parameters. A sweep that varies only the
  outcome hazards or costs computes the weights once per process; one that varies a parameter
  of the release mechanism (the notice probability, a barrier's median, a calibrated
  parameter) recomputes them for every point, as it must.

Cached values are the same arrays the uncached computation gives (same functions, same
inputs, a fixed probe seed), so results do not depend on which worker ran which scenario or in
what order: ``tests/test_sweep_cache.py`` checks that a cached sweep equals an uncached one
and that the key holds every parameter the weights read.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

from toolkit.categories import RECALL_TYPES

#: Fields of ``ReleaseRules`` that the flow weights do not read. The weights come from release
#: days under formal reviews (``stay_weights``: ``draw_episodes`` + ``release_outcomes``); the
#: outcome hazards only scale the re-recall/reoffending/SFO hazards after release, costs and the
#: follow-up window only count outcomes, ``national`` and ``calibration`` are read by national
#: scaling and calibration, ``path``/``raw`` are the file. Every other field, and any field added
#: later, is part of the key: a new parameter can make the cache miss, never share wrongly.
NOT_READ_BY_STAYS = frozenset(
    {
        "path",
        "raw",
        "re_recall_multiplier",
        "reoffending_multiplier",
        "sfo_multiplier",
        "costs",
        "follow_up_days",
        "national",
        "calibration",
    }
)
#: Weights kept per process (each is one float per census row: ~30 KB for a standard census).
MAX_WEIGHTS = 64

_state = threading.local()
_lock = threading.Lock()
_weights: OrderedDict = OrderedDict()
#: Counters of the weights cache in this process (for tests and profiling).
stats = {"weights_hits": 0, "weights_computed": 0}


def enabled() -> bool:
    """Whether scenarios in this thread use the cache (see :func:`disabled`)."""
    return getattr(_state, "enabled", True)


@contextmanager
def disabled() -> Iterator[None]:
    """Compute everything afresh for every scenario in this thread (the reference the cached
    path is tested against)."""
    before = enabled()
    _state.enabled = False
    try:
        yield
    finally:
        _state.enabled = before


def clear() -> None:
    """Forget every cached census and weight array of this process."""
    census.cache_clear()
    with _lock:
        _weights.clear()
        stats.update(weights_hits=0, weights_computed=0)


def default_cohort(populations: tuple[str, ...], seed: int):
    """The census cohort a sweep draws admissions from (:func:`census` keeps what is derived
    from it, once per process)."""
    from toolkit.cohort.generate import generate_cohort

    return generate_cohort(populations=list(populations), rng=seed)


@lru_cache(maxsize=4)
def census(populations: tuple[str, ...], cohort_seed: int):
    """The prepared census a sweep draws admissions from, and its rows of ``populations``.

    Returns
    -------
    (Census, numpy.ndarray)
    """
    from toolkit.review.census import CENSUS_SEED, default_census, prepare_census

    if tuple(populations) == tuple(RECALL_TYPES) and cohort_seed == CENSUS_SEED:
        # every recall type at the default seed is the stored default census (the same arrays,
        # read in milliseconds instead of a cohort generated in seconds); a copy, as it is
        # made read-only below
        cen = copy.deepcopy(default_census())
    else:
        cen = prepare_census(default_cohort(populations, cohort_seed))
    codes = [RECALL_TYPES.index(t) for t in populations if t in RECALL_TYPES]
    rows = np.flatnonzero(np.isin(cen.recall_type, codes))
    for a in (rows, *(v for v in vars(cen).values() if isinstance(v, np.ndarray))):
        a.flags.writeable = False  # shared by every scenario of the process: never modified
    return cen, rows


def _hashable(v):
    if isinstance(v, Mapping):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return (type(v).__name__, _hashable(dataclasses.asdict(v)))
    return v


def weights_key(rules, params: Mapping[str, float]) -> tuple:
    """Everything the flow weights depend on besides the census: the rules' fields not in
    :data:`NOT_READ_BY_STAYS` and the person-model parameters."""
    fields = tuple(
        (f.name, _hashable(getattr(rules, f.name)))
        for f in dataclasses.fields(rules)
        if f.name not in NOT_READ_BY_STAYS
    )
    return fields, tuple(sorted((k, float(v)) for k, v in params.items()))


def stay_weights(
    populations: Sequence[str], cohort_seed: int, rules, params: Mapping[str, float]
) -> np.ndarray:
    """``stay_weights(census, rows, rules, params)`` of the sweep's census, computed once per
    process for each distinct :func:`weights_key` (least recently used dropped beyond
    :data:`MAX_WEIGHTS`)."""
    from toolkit.review.episodes import stay_weights as compute

    pops = tuple(populations)
    key = (pops, int(cohort_seed), weights_key(rules, params))
    with _lock:
        w = _weights.get(key)
        if w is not None:
            _weights.move_to_end(key)
            stats["weights_hits"] += 1
            return w
    cen, rows = census(pops, int(cohort_seed))
    w = compute(cen, rows, rules, dict(params))
    w.flags.writeable = False
    with _lock:
        _weights[key] = w
        stats["weights_computed"] += 1
        while len(_weights) > MAX_WEIGHTS:
            _weights.popitem(last=False)
    return w
