"""Derive consistent per-population targets from the published figures of any profile.

A profile prints figures at several levels: each recall type, groups of them (All recalled,
everyone but standard recalls) and everyone (All prisoners), each rounded. A cohort must meet
them all at once, at its own population sizes. :func:`derive_targets` turns the figures into
what the generator builds, per population:

* for a **mean**, the exact total (an integer for integer variables such as age), so the mean
  meets its own row and every group row it belongs to;
* for a **share**, the integer count of people in every category, so each printed share is met
  by whole people;
* for the **OASys** items, the number of people with OASys data and scored on each item, and the
  item sums.

Both kinds are one small integer programme per variable (:func:`scipy.optimize.milp`, HiGHS):
the unknowns are the per-population totals (a few dozen at most, whatever the number of
people); each published figure is a range constraint (its rounding interval times its N);
row sums fix each population's size. Phase 1 minimises how far any figure is missed (in printed
units), so a figure no cohort of these sizes can meet is found and reported *unreachable* with
the reason; phase 2 keeps phase 1's optimum and stays closest to the printed values (and, where a
population has no figure, to the profile's assumptions).

Nothing here names a target id: figures are found by their population, variable, statistic and
category.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from toolkit.profile.intervals import (
    EVALUATED,
    bounds,
    capped_band,
    figures,
    grim_reachable,
    interval_half,
    printed_decimals,
)
from toolkit.profile.model import ProfileSpec, Target
from toolkit.profile.spreads import oasys_spreads, person_spreads
from toolkit.schema import (
    GROUPS,
    MEAN_VARIABLES,
    POPULATIONS,
    RECALL_ONLY_VARIABLES,
    RECALL_TYPES,
    SHARE_VARIABLES,
    SIX_MONTHS_DAYS,
    YEAR_DAYS,
)

#: Variables whose means are built per population from person-level draws (not OASys items).
PERSON_MEANS = tuple(v for v, d in MEAN_VARIABLES.items() if not d.oasys)
OASYS_MEANS = tuple(v for v, d in MEAN_VARIABLES.items() if d.oasys)
#: Share variables built by the generator (``population`` shares follow from the sizes).
BUILT_SHARES = tuple(v for v in SHARE_VARIABLES if v != "population")
#: Decimals from which a printed mean of 0-2 scores pins down its denominator (inverse GRIM).
RAW_DECIMALS = 10


@dataclass(frozen=True)
class NeedGroup:
    """People whose OASys items are published together (e.g. standard recalls vs the rest)."""

    name: str
    members: tuple[str, ...]
    n_oasys: int
    scored: Mapping[str, int]  # item -> people scored
    totals: Mapping[str, int]  # item (and need_domains) -> sum of scores


@dataclass(frozen=True)
class DerivedTargets:
    """Everything the generator builds, per population, at given sizes.

    Attributes
    ----------
    sizes : Mapping[str, int]
        People per population.
    means : Mapping[str, Mapping[str, float]]
        Variable -> population -> the exact mean to construct.
    counts : Mapping[str, Mapping[str, numpy.ndarray]]
        Share variable -> population -> people per category (order of
        ``spec.share_categories(variable)``: the schema's, then the profile's new ones).
    oasys : Mapping[str, int]
        People with OASys data per population.
    need_groups : tuple of NeedGroup
    unreachable : Mapping[str, str]
        Target id -> why no cohort of these sizes can meet it.
    """

    sizes: Mapping[str, int]
    means: Mapping[str, Mapping[str, float]]
    counts: Mapping[str, Mapping[str, np.ndarray]]
    oasys: Mapping[str, int]
    need_groups: tuple[NeedGroup, ...]
    unreachable: Mapping[str, str] = field(default_factory=dict)
    #: variable -> population (or OASys group name) -> :class:`toolkit.profile.spreads.Spread`
    spreads: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


def _members(group: str, sizes: Mapping[str, int]) -> tuple[str, ...] | None:
    """Populations of ``group`` in the cohort, or None if the group is not wholly present."""
    pops = GROUPS[group]
    present = tuple(p for p in pops if sizes.get(p, 0) > 0)
    if not present:
        return None
    # A group is judged only if every population the profile has in it is in the cohort.
    return present


_CACHE: dict[tuple, DerivedTargets] = {}


def derive_targets(
    spec: ProfileSpec, sizes: Mapping[str, int], published: Mapping[str, int] | None = None
) -> DerivedTargets:
    """Consistent per-population targets for a cohort of the given sizes (cached).

    See :func:`_derive_targets`; the result is immutable and depends only on the spec's bytes
    and the sizes, so ``generate``, ``fidelity`` and ``audit`` share one computation.
    """
    key = (
        spec.path,
        spec.sha256,
        tuple(sorted((p, int(n)) for p, n in sizes.items())),
        None if published is None else tuple(sorted(published.items())),
    )
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = _derive_targets(spec, sizes, published)
    return _CACHE[key]


def _derive_targets(
    spec: ProfileSpec, sizes: Mapping[str, int], published: Mapping[str, int] | None = None
) -> DerivedTargets:
    """Consistent per-population targets for a cohort of the given sizes.

    Parameters
    ----------
    spec : ProfileSpec
    sizes : Mapping[str, int]
        People per population in the cohort (populations absent or 0 are left out).
    published : Mapping[str, int], optional
        The profile's population sizes (default: ``spec.population_n``), used to scale counts
        such as the number with OASys data when the cohort is of another size.

    Returns
    -------
    DerivedTargets
    """
    sizes = {p: int(sizes[p]) for p in POPULATIONS if int(sizes.get(p, 0)) > 0}
    if published is None:
        published = {p: spec.population_n(p) for p in spec.populations}
    complete = _complete_groups(spec, sizes)
    unreachable: dict[str, str] = {}
    means: dict[str, dict[str, float]] = {}
    for var in PERSON_MEANS:
        means[var] = _means_for(spec, var, sizes, complete, unreachable)
    counts: dict[str, dict[str, np.ndarray]] = {}
    for var in BUILT_SHARES:
        counts[var] = _counts_for(spec, var, sizes, complete, unreachable)
    _check_population_shares(spec, sizes, complete, unreachable)
    _check_max_shares(spec, sizes, counts, unreachable)
    groups, oasys = _need_groups(spec, sizes, published, complete, unreachable)

    spreads = person_spreads(spec, sizes, complete, means, unreachable)
    spreads.update(oasys_spreads(spec, groups, unreachable))
    return DerivedTargets(
        sizes=MappingProxyType(sizes),
        means=MappingProxyType({k: MappingProxyType(v) for k, v in means.items()}),
        counts=MappingProxyType({k: MappingProxyType(v) for k, v in counts.items()}),
        oasys=MappingProxyType(oasys),
        need_groups=tuple(groups),
        unreachable=MappingProxyType(unreachable),
        spreads=MappingProxyType({k: MappingProxyType(v) for k, v in spreads.items()}),
    )


def _complete_groups(spec: ProfileSpec, sizes: Mapping[str, int]) -> dict[str, tuple[str, ...]]:
    """Groups whose every population of the profile is in the cohort: group -> members."""
    out = {}
    prof = set(spec.populations)
    for g, pops in GROUPS.items():
        want = [p for p in pops if p in prof]
        if want and all(sizes.get(p, 0) > 0 for p in want):
            out[g] = tuple(want)
    return out


# --------------------------------------------------------------------------------------------
# the integer programme
# --------------------------------------------------------------------------------------------


@dataclass
class _Problem:
    pops: list[str]
    cats: int
    pref: np.ndarray  # P x C preferred values
    weight: np.ndarray  # P
    lo: np.ndarray  # P x C bounds
    hi: np.ndarray
    row_total: np.ndarray | None  # P, or None (no row sums)
    integer: bool
    cons: list = field(default_factory=list)  # (rows, cat, lo, hi, norm, target)


def _violated(pb: _Problem, sol: np.ndarray) -> list:
    missed = []
    for c in pb.cons:
        rows, j, lo_c, hi_c = c[0], c[1], c[2], c[3]
        got = float(sol[rows, j].sum())
        tol = 1e-6 * max(1.0, abs(hi_c))
        if got < lo_c - tol or got > hi_c + tol:
            missed.append(c)
    return missed


def _rounded_preference(pb: _Problem) -> np.ndarray:
    """The preference itself, rounded row by row to whole people where the problem needs it."""
    sol = np.clip(pb.pref, pb.lo, pb.hi)
    if not pb.integer:
        return sol
    if pb.row_total is None:
        return np.clip(np.round(sol), pb.lo, pb.hi)
    out = np.floor(sol)
    for i in range(sol.shape[0]):  # largest remainder per row (a few populations)
        short = int(round(pb.row_total[i] - out[i].sum()))
        if short > 0:
            order = np.argsort(-(sol[i] - out[i]), kind="stable")
            out[i, order[:short]] += 1
    return out


def _note_missed(unreachable: dict, missed: list, what: str) -> None:
    """Note each figure the programme could not meet (an earlier, more precise reason stays)."""
    for c in missed:
        unreachable.setdefault(
            c[5].id,
            "unreachable at these population sizes: cannot be met together with the other "
            f"{what} as published)",
        )


def _solve(pb: _Problem) -> tuple[np.ndarray, list]:
    """Solve; return the P x C solution and the constraints that could not be met.

    When the preference itself, rounded to whole people, already meets every figure (the
    usual case for a consistent profile at its published sizes) no programme is solved.
    """
    fast = _rounded_preference(pb)
    if (pb.row_total is None or np.allclose(fast.sum(axis=1), pb.row_total)) and not _violated(
        pb, fast
    ):
        if np.all(fast >= pb.lo - 1e-9) and np.all(fast <= pb.hi + 1e-9):
            return fast, []
    P, C = len(pb.pops), pb.cats
    nx = P * C
    x = _two_phase(pb, *_constraint_rows(pb, nx), nx)
    if x is None:  # bounds or row sums alone infeasible: fall back to the clipped preference
        sol = np.clip(pb.pref, pb.lo, pb.hi)
        return (np.round(sol) if pb.integer else sol), [c for c in pb.cons]
    sol = x[:nx].reshape(P, C)
    if pb.integer:
        sol = np.round(sol)
    return sol, _violated(pb, sol)


def _constraint_rows(pb: _Problem, nx: int) -> tuple[np.ndarray, list, list]:
    """Rows of the programme of :func:`_solve`: row sums, each figure's range with its two
    slacks, and ``d >= |x - pref|``. Variables: x (nx), d (nx) deviations, s (2K) slacks."""
    P, C = len(pb.pops), pb.cats
    K = len(pb.cons)
    nv = 2 * nx + 2 * K
    A, lb, ub = [], [], []

    def row():
        return np.zeros(nv)

    if pb.row_total is not None:
        for i in range(P):
            r = row()
            r[i * C : (i + 1) * C] = 1
            A.append(r)
            lb.append(pb.row_total[i])
            ub.append(pb.row_total[i])
    for k, (rows, c, lo, hi, _norm, _t) in enumerate(pb.cons):
        r = row()
        for i in rows:
            r[i * C + c] = 1
        r1 = r.copy()
        r1[2 * nx + 2 * k] = 1  # x + s_lo >= lo
        A.append(r1)
        lb.append(lo)
        ub.append(np.inf)
        r2 = r.copy()
        r2[2 * nx + 2 * k + 1] = -1  # x - s_hi <= hi
        A.append(r2)
        lb.append(-np.inf)
        ub.append(hi)
    for j in range(nx):  # d >= |x - pref|
        r = row()
        r[j], r[nx + j] = 1, -1
        A.append(r)
        lb.append(-np.inf)
        ub.append(pb.pref.ravel()[j])
        r = row()
        r[j], r[nx + j] = 1, 1
        A.append(r)
        lb.append(pb.pref.ravel()[j])
        ub.append(np.inf)
    return (np.array(A) if A else np.zeros((0, nv))), lb, ub


#: Branch-and-bound nodes the closest-to-preference solve may explore (see :func:`_two_phase`).
PHASE2_NODE_LIMIT = 5000


def _two_phase(pb: _Problem, A, lb, ub, nx: int) -> np.ndarray | None:
    """Phase 1: least total miss of the figures (in printed units); phase 2: keeping that
    optimum, closest to the preference. The solution vector, or None if infeasible."""
    C = pb.cats
    K = len(pb.cons)
    lower = np.concatenate([pb.lo.ravel(), np.zeros(nx + 2 * K)])
    upper = np.concatenate([pb.hi.ravel(), np.full(nx + 2 * K, np.inf)])
    integrality = np.concatenate([np.full(nx, 1 if pb.integer else 0), np.zeros(nx + 2 * K)])
    norms = np.repeat([c[4] for c in pb.cons], 2) if K else np.zeros(0)
    cons = [LinearConstraint(A, lb, ub)] if len(A) else []
    x = None
    if K:
        c1 = np.concatenate([np.zeros(2 * nx), norms])
        r1 = milp(c1, integrality=integrality, bounds=Bounds(lower, upper), constraints=cons)
        if r1.x is not None:
            best = float(r1.fun)
            cap = LinearConstraint(c1[None, :], -np.inf, best + 1e-7 * max(1.0, abs(best)) + 1e-9)
            cons = [*cons, cap]
            x = r1.x
    c2 = np.concatenate([np.zeros(nx), np.repeat(pb.weight, C), np.zeros(2 * K)])
    # the closest-to-preference optimum need not be proven to the last unit: 0.1% gap; bounded
    # by nodes, not seconds, so a loaded machine cannot stop it at another solution (the same
    # profile and seed give the same cohort anywhere; the shipped profile's solve at the root)
    r2 = milp(
        c2,
        integrality=integrality,
        bounds=Bounds(lower, upper),
        constraints=cons,
        options={"mip_rel_gap": 1e-3, "node_limit": PHASE2_NODE_LIMIT},
    )
    return r2.x if r2.x is not None else x


# --------------------------------------------------------------------------------------------
# means
# --------------------------------------------------------------------------------------------


def _level_value(
    spec: ProfileSpec, figs: list[Target], pop: str, complete, category: str | None = None
) -> Target | None:
    """The figure at the smallest level containing ``pop`` (its own row first)."""
    best, best_n = None, None
    for t in figs:
        if category is not None and t.category != category:
            continue
        members = GROUPS[t.population]
        if pop not in members:
            continue
        if t.population != pop and t.population not in complete:
            continue
        n = len(members)
        if best is None or n < best_n:
            best, best_n = t, n
    return best


def _implied(spec: ProfileSpec, figs: list[Target], pop: str, category=None) -> float | None:
    """A value for ``pop`` implied by a group figure and the other populations' own rows.

    Used when the cohort does not hold the whole group (``populations=[...]``): the rest of
    the sentenced population keeps what All prisoners and the recall rows imply for it, at
    the published sizes.
    """
    own = {t.population: t for t in figs if t.category == category and t.population in GROUPS}
    best = None
    for g, t in own.items():
        members = [p for p in GROUPS[g] if p in spec.populations]
        if pop not in members or len(members) < 2:
            continue
        others = [p for p in members if p != pop]
        if any(p not in own for p in others):
            continue
        if best is None or len(members) < best[0]:
            n = {p: spec.population_n(p) for p in members}
            rest = (sum(n.values()) * t.value - sum(n[p] * own[p].value for p in others)) / n[pop]
            best = (len(members), rest)
    if best is None:
        t = _level_value(spec, figs, pop, {g: () for g in GROUPS}, category)
        return None if t is None else t.value
    return best[1]


def _fallback_mean(spec: ProfileSpec, var: str, pops: tuple[str, ...] = ()) -> float:
    """The mean to build where the profile prints none for these populations (assumed).

    In order: the profile's ``[assumptions.unpublished] means``; the shipped profile's value for
    the same populations (its derived means, N-weighted, or for an OASys item the mean of its
    need groups that hold them), in the spirit of the inherited ``[assumptions]``; only then
    the middle of the variable's range.
    """
    fb = spec.assumptions.get("unpublished", {}).get("means", {})
    if var in fb:
        return float(fb[var])
    inherited = _inherited_mean(var, pops)
    if inherited is not None:
        lo, hi = bounds(spec, var)
        return min(max(inherited, lo), hi)
    lo, hi = bounds(spec, var)
    return 0.5 * (lo + hi)


@lru_cache(maxsize=1)
def _shipped_targets() -> DerivedTargets:
    """The shipped profile's derived targets at its own sizes (read once per process)."""
    from toolkit.profile.spec import default_profile_path, load_profile

    base = load_profile(default_profile_path())
    return derive_targets(base, {p: base.population_n(p) for p in base.populations})


def _inherited_mean(var: str, pops: tuple[str, ...]) -> float | None:
    """The shipped profile's mean of ``var`` over ``pops`` (or over all its populations when
    none of ``pops`` is in it); ``None`` if it has none."""
    d = _shipped_targets()
    use = [p for p in pops if p in d.sizes] or list(d.sizes)
    if var in d.means:
        w = np.array([d.sizes[p] for p in use], dtype=float)
        return float(np.dot(w, [d.means[var][p] for p in use]) / w.sum())
    # an OASys item: each need group's total and people scored, counted by the share of the
    # group's people that are in `pops`
    num = den = 0.0
    for g in d.need_groups:
        share = sum(d.sizes[p] for p in g.members if p in use) / sum(d.sizes[p] for p in g.members)
        if share and g.scored.get(var):
            num += share * g.totals[var]
            den += share * g.scored[var]
    return num / den if den else None


def _median_as_mean(spec: ProfileSpec, var: str, pop: str, complete) -> float | None:
    """With no mean printed at any level, the mean a printed median (and SD) imply.

    The mean of the assumed logit-normal family on the variable's range with that median and,
    if an SD is printed at the same level, that SD (solved by brentq over the spread, moments
    by Gauss-Hermite quadrature); without an SD, the median itself.
    """
    t = _level_value(spec, figures(spec, var, "median"), pop, complete)
    if t is None:
        return None
    sd = next((x for x in figures(spec, var, "sd") if x.population == t.population), None)
    lo, hi = bounds(spec, var)
    if sd is None or not lo < t.value < hi:
        return t.value
    from numpy.polynomial.hermite_e import hermegauss
    from scipy.optimize import brentq
    from scipy.special import expit, logit

    x, w = hermegauss(64)
    w = w / w.sum()
    mu = float(logit((t.value - lo) / (hi - lo)))

    def moments(sig: float) -> tuple[float, float]:
        v = lo + (hi - lo) * expit(mu + sig * x)
        m = float(w @ v)
        return m, float(np.sqrt(w @ (v - m) ** 2))

    a, b = 1e-3, 20.0
    if moments(b)[1] <= sd.value:
        return moments(b)[0]
    sig = brentq(lambda s: moments(s)[1] - sd.value, a, b, xtol=1e-10)
    return moments(sig)[0]


def _means_for(spec, var, sizes, complete, unreachable) -> dict[str, float]:
    figs = figures(spec, var, "mean")
    d = MEAN_VARIABLES[var]
    pops = list(sizes)
    lo_v, hi_v = bounds(spec, var)
    # keep strictly inside the variable's range: the constructions need room on both sides
    margin = 1e-3 * (hi_v - lo_v)
    n = np.array([sizes[p] for p in pops], dtype=float)
    pref = np.empty((len(pops), 1))
    for i, p in enumerate(pops):
        t = _level_value(spec, figs, p, complete)
        v = t.value if t is not None else _implied(spec, figs, p)
        v = v if v is not None else _median_as_mean(spec, var, p, complete)
        v = v if v is not None else _fallback_mean(spec, var, (p,))
        pref[i, 0] = n[i] * min(max(v, lo_v + margin), hi_v - margin)
    lo = (n * (lo_v + margin))[:, None]
    hi = (n * (hi_v - margin))[:, None]
    if d.integer:
        lo, hi = np.ceil(lo), np.floor(hi)
    # Continuous means are aimed well inside their intervals first (columns are stored
    # rounded, and OGRS3 is met by whole sanctions to 0.001), then, if the figures cannot all
    # be met that way, at the intervals' edges.
    for inside in (0.4, 0.2, 0.1, 0.03, 1e-6) if not d.integer else (0.0,):
        pb = _Problem(pops, 1, pref, 1.0 / n, lo, hi, None, d.integer)
        notes: dict[str, str] = {}
        for t in figs:
            members = (t.population,) if t.population in sizes else complete.get(t.population)
            if not members or any(m not in sizes for m in members):
                continue
            n_t = sum(sizes[m] for m in members)
            h = interval_half(spec, t)
            lo_s, hi_s = n_t * (t.value - h), n_t * (t.value + h)
            if d.integer:
                lo_s, hi_s = math.ceil(lo_s - 1e-9), math.floor(hi_s + 1e-9)
                if hi_s < lo_s:
                    notes[t.id] = (
                        f"unreachable at N = {n_t:,}: no total of whole numbers over {n_t:,} "
                        f"people gives a mean that prints {t.value:.{t.decimals}f}"
                    )
                    lo_s = hi_s = round(n_t * t.value)
            else:
                lo_s, hi_s = lo_s + inside * n_t * h, hi_s - inside * n_t * h
            rows = [pops.index(m) for m in members]
            pb.cons.append((rows, 0, lo_s, hi_s, 1.0 / (n_t * max(h, 1e-12)), t))
        sol, missed = _solve(pb)
        if not missed:
            break
    unreachable.update(notes)
    _note_missed(unreachable, missed, f"{var} figures (the N-weighted rows cannot all print")
    return {p: float(sol[i, 0] / n[i]) for i, p in enumerate(pops)}


# --------------------------------------------------------------------------------------------
# shares
# --------------------------------------------------------------------------------------------


def applies(var: str, pop: str) -> bool:
    """Whether a share variable is recorded for a population (recall reasons: recalls only)."""
    return pop in RECALL_TYPES or var not in RECALL_ONLY_VARIABLES


def assumed_shares(spec: ProfileSpec, var: str, pop: str) -> np.ndarray:
    """Percentages over the categories of ``var`` for ``pop`` from the spec's assumptions.

    Used where a population has no published figure, and to split the remainder of a
    population's published categories over the unpublished ones.
    """
    cats = spec.share_categories(var)
    a = spec.assumptions
    k = len(cats)
    v = np.full(k, 100.0 / k)
    if var == "sex":
        ms = a.get("sex", {}).get("male_share", {})
        if pop in ms:
            v = np.array([ms[pop], 100.0 - ms[pop]])
    elif var == "ethnicity":
        e = a.get("ethnicity", {})
        split = e.get("non_white_split", {})
        white = e.get("white_share", {}).get(pop, 100.0 / k)
        if split:
            # by name: a category the profile adds has no assumed share (0) unless the split
            # gives it one, so it holds people only where a published figure says so
            v = np.array(
                [white if c == "white" else (100.0 - white) * split.get(c, 0.0) for c in cats]
            )
    elif var == "index_offence_group":
        gs = a.get("index_offence", {}).get("group_shares", {}).get(pop)
        if gs:
            v = np.array([gs.get(c, 0.0) for c in cats], dtype=float)
    elif var == "rosh":
        pass
    elif var == "days_on_recall":
        blk = a.get("days_on_recall", {}).get(pop, {})
        if "bands" in blk:
            v = np.array([blk["bands"].get(c, 0.0) for c in cats[:-1]] + [0.0])
        elif "max_days" in blk:
            edges = (SIX_MONTHS_DAYS, YEAR_DAYS, np.inf)
            band = next(i for i, e in enumerate(edges) if blk["max_days"] <= e)
            v = np.zeros(k)
            v[band] = 100.0
        else:
            v = np.array([100.0 / 3] * 3 + [0.0])
    elif var == "days_to_sed":
        share = a.get("days_to_sed", {}).get("share_1yr_plus", {}).get(pop)
        if share == "none" or pop not in RECALL_TYPES:
            v = np.array([0.0, 0.0, 100.0])
        elif share is not None:
            v = np.array([float(share), 100.0 - float(share), 0.0])
        else:
            v = np.array([50.0, 50.0, 0.0])
    return v


def _share_pref(spec, var, figs, pop, complete) -> np.ndarray:
    """Percent over categories: the smallest published level's categories, the rest assumed."""
    cats = spec.share_categories(var)
    assumed = assumed_shares(spec, var, pop)
    if var == "days_to_sed" and assumed[2] == 100.0:
        return assumed  # no sentence end date for this population
    pref = np.full(len(cats), np.nan)
    for j, c in enumerate(cats):
        t = _level_value(spec, figs, pop, complete, c)
        if t is not None:
            pref[j] = t.value
        elif any(f.category == c for f in figs):
            v = _implied(spec, figs, pop, c)
            if v is not None:
                pref[j] = min(max(v, 0.0), 100.0)
    known = ~np.isnan(pref)
    if var == "days_on_recall" and known[:3].any():
        # bands printed, the rest of the population falls in no printed band (unknown)
        if not known[3]:
            pref[3] = max(0.0, 100.0 - np.nansum(pref[:3]))
            known[3] = True
    rest = max(0.0, 100.0 - float(np.nansum(pref)))
    w = np.where(known, 0.0, assumed)
    if w.sum() > 0:
        pref[~known] = rest * w[~known] / w.sum()
    elif (~known).any():
        pref[~known] = rest / int((~known).sum())
    return pref


def _counts_for(spec, var, sizes, complete, unreachable) -> dict[str, np.ndarray]:
    cats = spec.share_categories(var)
    figs = figures(spec, var, "share")
    pops = [p for p in sizes if applies(var, p)]
    if not pops:
        return {}
    n = np.array([sizes[p] for p in pops], dtype=float)
    C = len(cats)
    pref = np.vstack(
        [n[i] * _share_pref(spec, var, figs, p, complete) / 100 for i, p in enumerate(pops)]
    )
    lo = np.zeros((len(pops), C))
    hi = np.repeat(n[:, None], C, axis=1)
    if var == "days_to_sed":  # "none" is fixed by the population (no sentence end date)
        for i, p in enumerate(pops):
            none = assumed_shares(spec, var, p)[2] == 100.0
            lo[i, 2] = hi[i, 2] = n[i] if none else 0
            if none:
                hi[i, :2] = 0
    if var == "days_on_recall":  # recalls capped below six months cannot be in a longer band
        for i, p in enumerate(pops):
            a = assumed_shares(spec, var, p)
            blk = spec.assumptions.get("days_on_recall", {}).get(p, {})
            if "max_days" in blk:
                hi[i, :3] = np.where(a[:3] > 0, n[i], 0)
    pb = _Problem(pops, C, pref, 1.0 / n, lo, hi, n.copy(), True)
    forced_rows: set[int] = set()
    for t in figs:
        if t.category not in cats:
            continue
        members = (t.population,) if t.population in sizes else complete.get(t.population)
        if not members or any(m not in pops for m in members):
            continue
        n_t = sum(sizes[m] for m in members)
        h = interval_half(spec, t)
        lo_s = math.ceil(n_t * (t.value - h) / 100 - 1e-9)
        hi_s = math.floor(n_t * (t.value + h) / 100 + 1e-9)
        if hi_s < max(lo_s, 0):
            unreachable[t.id] = (
                f"unreachable at N = {n_t:,}: no whole number of people k gives k/{n_t:,} that "
                f"prints {t.value:g}%"
            )
            lo_s = hi_s = round(n_t * t.value / 100)
        rows = [pops.index(m) for m in members]
        j = cats.index(t.category)
        pb.cons.append((rows, j, max(lo_s, 0), hi_s, 100.0 / (n_t * max(h, 1e-12)), t))
        if var == "days_on_recall" and len(rows) > 1:
            forced_rows.update(i for i in rows if capped_band(spec, pops[i]) == j)
    for i in forced_rows:
        # a group figure counts the band a capped recall (fixed-term: 28 days) is always in:
        # its counts are what the generator makes (everyone in that band), so the group
        # figure is met by the other populations
        lo[i] = hi[i] = n[i] * assumed_shares(spec, var, pops[i]) / 100.0
    sol, missed = _solve(pb)
    _note_missed(unreachable, missed, f"{var} shares (rows and their groups cannot all print")
    return {p: sol[i].astype(np.int64) for i, p in enumerate(pops)}


def _check_population_shares(spec, sizes, complete, unreachable) -> None:
    """Shares of ``population`` follow from the sizes: note the ones the sizes cannot meet."""
    for t in figures(spec, "population", "share"):
        members = complete.get(t.population)
        if not members or t.category not in sizes:
            continue
        n_t = sum(sizes[m] for m in members)
        if not grim_reachable(t.value, interval_half(spec, t), n_t, 100.0):
            unreachable[t.id] = (
                f"unreachable at N = {n_t:,}: no whole number of people k gives k/{n_t:,} that "
                f"prints {t.value:g}%"
            )


def _check_max_shares(spec, sizes, counts, unreachable) -> None:
    """A cap on the largest offence within a group: unreachable if even an even split breaks it."""
    groups = spec.share_categories("index_offence_group")
    for t in figures(spec, "index_offence_group", "max_share"):
        if t.population not in sizes or t.category not in groups:
            continue
        n = sizes[t.population]
        k = int(counts["index_offence_group"][t.population][groups.index(t.category)])
        members = len(spec.group_members(t.category))
        least = 100.0 * math.ceil(k / members) / n
        if least > t.value + interval_half(spec, t) + 1e-9:
            unreachable[t.id] = (
                f"unreachable at N = {n:,}: {k} people in {t.category} over {members} offences "
                f"give at least one offence {least:.1f}% of the population"
            )


# --------------------------------------------------------------------------------------------
# OASys groups
# --------------------------------------------------------------------------------------------


def need_group_names(spec: ProfileSpec) -> list[str]:
    """Populations or groups that the OASys figures (items, domains, has_oasys) describe."""
    names = []
    for t in spec.targets:
        if t.role not in EVALUATED or t.population not in GROUPS:
            continue
        if t.variable in OASYS_MEANS or (t.variable == "has_oasys" and t.statistic == "count"):
            if t.statistic in ("median", "sd") and any(
                x.statistic in ("mean", "count")
                and x.role in EVALUATED
                and (x.variable in OASYS_MEANS or x.variable == "has_oasys")
                for x in spec.targets
            ):
                continue  # a median or SD describes a group the means already define
            if t.population not in names:
                names.append(t.population)
    return names


def infer_denominators(value: float, n_lo: int, n_hi: int, rel_tol: float = 5e-14) -> list[int]:
    """All N in ``[n_lo, n_hi]`` for which some integer k gives k/N equal to ``value``.

    A raw chart value printed to 16-17 significant digits pins down N (inverse GRIM).

    Examples
    --------
    >>> infer_denominators(0.54220779220779258, 3000, 3699)
    [3080, 3388, 3696]
    """
    ns = np.arange(max(1, n_lo), n_hi + 1)
    k = np.round(value * ns)
    ok = np.abs(k / ns - value) <= rel_tol * max(abs(value), 1e-300)
    return [int(x) for x in ns[ok]]


def _need_groups(spec, sizes, published, complete, unreachable):
    """The OASys groups at these sizes (who has OASys data, who is scored on each item, the
    item sums) and the people with OASys data per population."""
    out, oasys = [], {}
    for g, members in _need_group_members(spec, sizes):
        n_g = sum(sizes[p] for p in members)
        pub_g = sum(published.get(p, 0) for p in GROUPS.get(g, members) if p in published)
        at_pub = pub_g == n_g and all(sizes[p] == published.get(p) for p in members)
        ratio = n_g / pub_g if pub_g else 1.0
        item_figs = {
            v: next((t for t in figures(spec, v, "mean") if t.population == g), None)
            for v in OASYS_MEANS
        }
        n_o_pub, inferred = _oasys_published(spec, g, members, item_figs, pub_g or n_g)
        n_o = n_o_pub if at_pub else int(round(n_o_pub * ratio))
        n_o = min(n_o, n_g)
        scored, totals = {}, {}
        for v in OASYS_MEANS:
            n_j = _scored(spec, g, v, n_o, n_o_pub, inferred, at_pub, ratio)
            scored[v] = n_j
            totals[v] = _item_total(spec, g, v, item_figs[v], n_j, members, unreachable)
        alloc = _split(n_o, [sizes[p] for p in members])
        oasys.update(zip(members, alloc))
        out.append(NeedGroup(g, members, n_o, MappingProxyType(scored), MappingProxyType(totals)))
    return out, oasys


def _need_group_members(spec, sizes) -> list[tuple[str, tuple[str, ...]]]:
    """The profile's need groups present in the cohort, then ``rest`` for everyone else."""
    groups = []
    covered: set[str] = set()
    for g in need_group_names(spec):
        members = tuple(p for p in GROUPS[g] if p in sizes)
        if not members:
            continue
        groups.append((g, members))
        covered |= set(members)
    rest = tuple(p for p in sizes if p not in covered)
    if rest:
        groups.append(("rest", rest))
    return groups


def _oasys_published(spec, g, members, item_figs, upper_n) -> tuple[int, dict]:
    """People with OASys data in group ``g`` at the published size, and item denominators
    inferred from raw chart values: published > ``[derived]`` override > inferred > assumed
    coverage."""
    count_fig = next((t for t in figures(spec, "has_oasys", "count") if t.population == g), None)
    inferred = {}
    upper = int(count_fig.value) if count_fig is not None else upper_n
    for v, t in item_figs.items():
        if t is not None and printed_decimals(t) >= RAW_DECIMALS and v != "need_domains":
            found = infer_denominators(t.value, upper // 2, upper)
            if found:
                inferred[v] = found[-1]
    derived_counts = spec.derived.get("oasys_counts", {})
    if count_fig is not None:
        return int(count_fig.value), inferred
    if g in derived_counts:
        return int(derived_counts[g]), inferred
    if inferred:
        return max(inferred.values()), inferred
    oas = spec.assumptions.get("oasys", {})
    cov_default = float(oas.get("coverage_default", 1.0))
    share = np.mean([oas.get("coverage", {}).get(p, cov_default) for p in members])
    return _grim_oasys(spec, item_figs, upper_n, share), inferred


def _scored(spec, g, v, n_o, n_o_pub, inferred, at_pub, ratio) -> int:
    """People of group ``g`` scored on item ``v`` (all with OASys data for need_domains)."""
    if v == "need_domains":
        return n_o
    derived_dens = spec.derived.get("figure1_denominators", {})
    if g in derived_dens and v in derived_dens[g]:
        n_j = int(derived_dens[g][v])
    elif v in inferred:
        n_j = inferred[v]
    else:
        n_j = n_o_pub
    n_j = n_j if at_pub else int(round(n_j * ratio))
    return min(n_j, n_o)


def _item_total(spec, g, v, t, n_j, members, unreachable) -> int:
    """The sum of item ``v``'s scores over its ``n_j`` scored people (mean ``t`` if printed,
    else a printed median, else assumed), kept strictly inside the scale; a mean no whole sum
    can print is noted unreachable."""
    hi_v = MEAN_VARIABLES[v].upper
    if v == "need_domains":
        hi_v = float(spec.assumptions["need_domains"]["max_domains"])
    if t is None:  # no mean printed: a printed median of the group, else assumed
        med = next((x for x in figures(spec, v, "median") if x.population == g), None)
        mean = med.value if med is not None else _fallback_mean(spec, v, members)
    else:
        mean = t.value
    total = int(round(mean * n_j))
    if t is not None and n_j > 0:
        h = interval_half(spec, t)
        if not grim_reachable(t.value, h, n_j, 1.0):
            unreachable[t.id] = (
                f"unreachable at N = {n_j:,}: no sum of whole scores over {n_j:,} people "
                f"gives a mean that prints {t.value:.{t.decimals}f}"
            )
    # the construction needs a mean strictly inside the scale
    return int(min(max(total, 0), n_j * hi_v))


def _grim_oasys(spec: ProfileSpec, item_figs, n_group: int, coverage: float) -> int:
    """People with OASys data when not published: the N at which the printed item means are
    possible (inverse GRIM over every item), nearest the assumed coverage.

    Every N from half the group to all of it is tried at once; the N that lets the most item
    figures print as published wins, ties going to the N nearest ``coverage * n_group``.
    """
    guess = int(round(coverage * n_group))
    ts = [t for t in item_figs.values() if t is not None]
    if not ts or n_group < 2:
        return guess
    ns = np.arange(max(1, n_group // 2), n_group + 1)
    score = np.zeros(ns.size, dtype=np.int64)
    for t in ts:
        h = interval_half(spec, t)
        lo = np.ceil((t.value - h) * ns - 1e-9)
        hi = np.floor((t.value + h) * ns + 1e-9)
        score += (hi >= np.maximum(lo, 0)).astype(np.int64)
    best = ns[score == score.max()]
    return int(best[np.argmin(np.abs(best - guess))])


def _split(total: int, weights: list[int]) -> list[int]:
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    quota = w / w.sum() * total
    base = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - base), kind="stable")
    base[order[: int(total - base.sum())]] += 1
    return [int(b) for b in base]
