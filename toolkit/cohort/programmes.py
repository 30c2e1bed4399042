"""Extend a cohort with the columns the programme rules read, so their published counts hold.

Everything here is driven by the programme file (``papers/<source>/programmes.toml``): which
programmes exist, their default readings, their published suitable counts and attendance shares,
and ``[columns]``, the columns the rules read that the profile does not publish (a score such as
OVP, flags such as a violent history or an OASys link item). Nothing here names a programme, a
column of the rules or a paper's count.

Construction, per population, for the people with OASys data (the rules need OASys items):

1. **Natural values.** Each score gets a band per person by rank of a latent tied to its
   ``rank_by`` column, with the shares its ``at_least`` gives (the score before any published
   count is imposed). Each flag has an assumed ``rate``, forcing (``true_when``, ``requires``,
   ``implies``) and a ranking (``rank_by``).
2. **Patterns and states.** People are grouped by *pattern*: the truth values of every
   condition on published columns that a default reading or a column's forcing uses. A *state*
   is a band per score and a value per flag the rules read. An integer programme
   (:func:`scipy.optimize.milp`) chooses how many people of each pattern take each state so that
   each programme's default reading holds for its published count (scaled to this population's
   OASys size and rounded), staying as close as it can to the natural bands and the assumed
   rates. Counts are soft (slack with a large weight): at the published size they are met
   exactly whenever they can be; at any other size the construction always succeeds and meets
   them as nearly as whole people allow.
3. **People.** Within a pattern, states go to people by rank (score bands by the latent, flags by
   their ``rank_by`` columns), so longer records or heavier needs are likelier to hold a flag.
4. **Attendance.** ``attended_<programme>`` and ``attended_other_programme`` are solved with a
   second integer programme over suitability patterns so every printed attendance cell that can be
   met at this size is met, again with slack so it never fails.

The size of both programmes depends on the number of patterns and states, not on the number of
people, so a million rows cost little more than a few thousand.
"""

from __future__ import annotations

import itertools
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.special import ndtri

from toolkit.cohort import construct as C
from toolkit.exceptions import SpecError
from toolkit.profile.rules import ColumnSpec, Condition, ProgrammeRules, suitability
from toolkit.schema import POPULATIONS, cohort_columns

#: Weight of one person of slack on a published count, per person in the population, against one
#: person moved away from the natural bands or assumed rates (cost 1): so large that counts win
#: whenever they can be met, even within the solver's optimality gap below.
_COUNT_WEIGHT = 10.0
#: Relative optimality gap: how far from the closest-to-natural solution HiGHS may stop. The
#: count slack costs more than the whole gap, so the gap only loosens the closeness to the
#: assumed (not published) natural values.
_GAP = 0.05
#: Branch-and-bound nodes HiGHS may explore (a node limit, not a time limit, so the same seed
#: gives the same cohort on any machine); the problems are small and usually solve at the root.
_NODE_LIMIT = 5000
#: From this many people with OASys data in a population, the state MILP is solved guided by
#: its LP relaxation (:func:`_solve_states`). At 945,552 people HiGHS spent 8.8 s at the root
#: node (cut rounds, its first incumbents paying count slack) on a problem whose LP relaxation
#: takes 0.1 s and has 193 fractional values of 1,710; fixing the integral ones left a MILP of
#: 0.2 s within 0.00002% of the full optimum (issue 23). Below this size the full MILP takes
#: well under a second and is kept as it was, so the shipped cohorts (3,912 people) do not
#: change. *Assumed* threshold: any size where the full MILP costs more than the generator's
#: other stages would do; the guided solution is checked against the same optimality gap.
_GUIDED_MIN_PEOPLE = 100_000


def attended_columns(rules: ProgrammeRules) -> tuple[str, ...]:
    """``attended_<programme>`` for every programme, then ``attended_other_programme``."""
    return (*(f"attended_{p.name}" for p in rules.programmes), "attended_other_programme")


def programme_columns(rules: ProgrammeRules) -> tuple[str, ...]:
    """Every column the construction adds: the ``[columns]`` of the file, then attendance."""
    return (*rules.columns, *attended_columns(rules))


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores (ties broken by position)."""
    k = int(k)
    if k <= 0:
        return np.array([], dtype=np.int64)
    if k >= score.size:
        return np.arange(score.size)
    return np.argpartition(-score, k - 1)[:k]


def _stable_argsort(a: np.ndarray) -> np.ndarray:
    """``np.argsort(a, kind="stable")``, faster when ``a`` has no ties.

    Without ties the sorted order is unique, so numpy's default (introsort, about a third
    faster than its stable merge sort on floats) gives the same permutation; ties, checked on
    the sorted values in one pass, fall back to the stable sort. Floats only.
    """
    order = np.argsort(a)
    s = a[order]
    # NaN (sorted last) never equals itself: treat any NaN as a tie
    if s.size > 1 and (np.any(s[1:] == s[:-1]) or np.isnan(s[-1])):
        return np.argsort(a, kind="stable")
    return order


def _normal_scores(x: np.ndarray, rng) -> np.ndarray:
    """Rank-based normal scores with random tie-breaking.

    The order is ``np.lexsort((r, x))`` for uniform ``r``: by ``r``, then stably by ``x``. The
    first sort is numpy's default (faster than the stable sort lexsort uses) unless ``r`` ties,
    which :func:`_stable_argsort` checks; the order is the same permutation either way.
    """
    n = x.size
    by_r = _stable_argsort(rng.random(n))
    order = by_r[np.argsort(x[by_r], kind="stable")]
    del by_r  # each array is 8 MB a million people: hold as few at once as the steps need
    ranks = np.empty(n)
    ranks[order] = np.arange(1, n + 1)
    del order
    ranks /= n + 1
    return ndtri(ranks, out=ranks)


def exact_triplet(n: int, pcts: tuple[float, float, float], hold: tuple[str, ...]):
    """Integer (attended, other, unmet) summing to ``n``, each printing as published if possible.

    Returns the counts and whether all three cells could be met; otherwise the two ``hold``
    cells are met and the third absorbs the difference.
    """
    if n == 0:
        return (0, 0, 0), True
    q = [n * p / 100 for p in pcts]
    # Printed cells may not sum to exactly 100 (100.1, 99.9): spread the discrepancy evenly,
    # then search a few people either side of the adjusted quotas.
    spread = (n - sum(q)) / 3
    centre = [qq + spread for qq in q]
    best = None
    for a in range(max(0, int(centre[0]) - 3), int(centre[0]) + 4):
        for o in range(max(0, int(centre[1]) - 3), int(centre[1]) + 4):
            u = n - a - o
            if u < 0:
                continue
            vals = (a, o, u)
            ok = all(abs(100 * v / n - p) <= 0.05 + 1e-9 for v, p in zip(vals, pcts))
            if ok:
                dist = sum(abs(v - qq) for v, qq in zip(vals, q))
                if best is None or dist < best[0]:
                    best = (dist, vals)
    if best:
        return best[1], True
    names = ("attended", "attended_other", "unmet")
    if not hold:
        # No declared hold (the cells are consistent, just not at this N): keep the triplet
        # whose worst cell is closest to its printed share.
        cands = [
            (a, o, n - a - o)
            for a in range(max(0, int(centre[0]) - 3), int(centre[0]) + 4)
            for o in range(max(0, int(centre[1]) - 3), int(centre[1]) + 4)
            if n - a - o >= 0
        ]
        return min(cands, key=lambda v: max(abs(100 * x / n - p) for x, p in zip(v, pcts))), False
    counts = {k: int(round(qq)) for k, qq in zip(names, q)}
    free = next(k for k in names if k not in hold)
    counts[free] = n - sum(counts[k] for k in hold)
    return tuple(max(0, counts[k]) for k in names), False


# --------------------------------------------------------------------------------------------
# the plan: which conditions, scores and flags the construction works with
# --------------------------------------------------------------------------------------------


class _Plan:
    """What the rules need, worked out once per cohort from the programme file."""

    def __init__(self, rules: ProgrammeRules, cols: dict, categories=None):
        self.rules = rules
        self.columns = cohort_columns([p.name for p in rules.programmes], categories)
        self.dtypes = {c.name: c.dtype for c in self.columns}
        _check_categories(rules, self.dtypes)
        specs = rules.columns
        criteria = [c for p in rules.programmes for c in p.criteria]
        for p in rules.programmes:
            for c in p.criteria:
                if c.column not in specs and not _available(c.column, cols):
                    raise SpecError(
                        rules.path,
                        f"programmes.{p.name}.criteria",
                        f"refers to column '{c.column}' that neither the cohort nor the file's "
                        "[columns] provides",
                        str(c),
                    )
        for s in specs.values():
            for c in (*s.true_when, *s.requires):
                if c.column in specs or not _available(c.column, cols):
                    raise SpecError(
                        rules.path,
                        f"columns.{s.name}",
                        f"forcing conditions must use published cohort columns; "
                        f"'{c.column}' is not one",
                        str(c),
                    )
            for r in s.rank_by:
                if r in specs or not _available(r, cols):
                    raise SpecError(
                        rules.path,
                        f"columns.{s.name}.rank_by",
                        "must name published cohort columns",
                        r,
                    )
        for c in criteria:
            if c.column in specs:
                kind = specs[c.column].kind
                if kind == "score" and c.op not in (">=", ">", "<", "<="):
                    raise SpecError(rules.path, "programmes", "scores take >= > < <= only", str(c))
                if kind == "flag" and not isinstance(c.value, bool):
                    raise SpecError(rules.path, "programmes", "flags take true/false", str(c))
        used = {c.column for c in criteria if c.column in specs}
        # flags implied by a used flag are in the state too (the implication is a constraint)
        for name in list(used):
            used |= set(specs[name].implies)
        self.scores, self.edges = score_edges(rules)
        self.flags = [s for s in specs.values() if s.kind == "flag" and s.name in used]
        self.free_flags = [s for s in specs.values() if s.kind == "flag" and s.name not in used]
        conds: dict[str, Condition] = {}
        for c in criteria:
            if c.column not in specs:
                conds.setdefault(str(c), c)
        for s in self.flags:
            for c in (*s.true_when, *s.requires):
                conds.setdefault(str(c), c)
        self.fixed = list(conds.values())
        self.fixed_index = {k: i for i, k in enumerate(conds)}
        dims = [range(len(self.edges[s.name]) - 1) for s in self.scores]
        dims += [range(2)] * len(self.flags)
        self.states = (
            np.array(list(itertools.product(*dims)), dtype=np.int64)
            if dims
            else np.zeros((1, 0), dtype=np.int64)  # nothing to build: one empty state
        )
        self.dim = {s.name: i for i, s in enumerate([*self.scores, *self.flags])}

    def state_ok(self, c: Condition) -> np.ndarray:
        """Which states satisfy a condition on a constructed column."""
        col = self.states[:, self.dim[c.column]]
        spec = self.rules.columns[c.column]
        if spec.kind == "flag":
            want = int(c.value) if c.op == "==" else 1 - int(c.value)
            return col == want
        e = np.asarray(self.edges[c.column])
        lo, hi = e[col], e[col + 1]
        v = float(c.value)
        return lo >= v if c.op in (">=", ">") else hi <= v


def _available(name: str, cols: dict) -> bool:
    return name in cols


def _check_categories(rules: ProgrammeRules, dtypes: dict) -> None:
    """Refuse a condition naming a category the cohort's column does not have (the profile's
    categories): it would silently hold for nobody."""
    for where, conds in _all_conditions(rules):
        for c in conds:
            dtype = dtypes.get(c.column)
            if not isinstance(dtype, pd.CategoricalDtype) or isinstance(c.value, (bool, float)):
                continue
            values = c.value if isinstance(c.value, tuple) else (c.value,)
            cats = [str(x) for x in dtype.categories]
            for v in values:
                if v not in cats:
                    raise SpecError(
                        rules.path,
                        where,
                        f"names category '{v}' of {c.column}, which the profile does not have; "
                        f"expected one of {', '.join(cats)}",
                        str(c),
                    )


def _all_conditions(rules: ProgrammeRules):
    for p in rules.programmes:
        yield f"programmes.{p.name}.criteria", p.criteria
        for k, v in p.alternatives.items():
            yield f"programmes.{p.name}.alternatives.{k}", v
    for s in rules.columns.values():
        yield f"columns.{s.name}", (*s.true_when, *s.requires)


def _edges(spec: ColumnSpec, criteria) -> list[float]:
    lo, hi = spec.range
    cuts = {float(c.value) for c in criteria if c.column == spec.name}
    cuts |= set(spec.at_least)
    return [lo, *sorted(x for x in cuts if lo < x < hi), hi]


def score_edges(rules: ProgrammeRules) -> tuple[list[ColumnSpec], dict[str, list[float]]]:
    """The score columns of ``rules`` and each one's band edges (its range cut at the
    thresholds the readings and its ``at_least`` use)."""
    criteria = [c for p in rules.programmes for c in p.criteria]
    scores = [s for s in rules.columns.values() if s.kind == "score"]
    return scores, {s.name: _edges(s, criteria) for s in scores}


def _fixed_column(cols: dict, name: str, rows: np.ndarray, dtypes: dict):
    """A published column for ``rows`` as the rules see it (categories as labels, NA as NaN)."""
    v = cols[name][rows]
    dtype = dtypes.get(name)
    if isinstance(dtype, pd.CategoricalDtype) and np.issubdtype(np.asarray(v).dtype, np.integer):
        return pd.Categorical.from_codes(v, dtype=dtype)
    if dtype == "Int64" or name.startswith("need_"):
        return np.where(v >= 0, v, np.nan)
    return v


def _rank_key(cols: dict, spec: ColumnSpec, rows: np.ndarray, rng) -> np.ndarray:
    key = rng.random(rows.size)
    for r in spec.rank_by:
        key = key + np.maximum(np.asarray(cols[r][rows], dtype=float), 0)
    return key


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------


def add_programme_columns(
    cols: dict, rules: ProgrammeRules, rng, *, categories=None, ahead=None
) -> dict[str, object]:
    """Add the programme columns to the generator's column dict in place (see module doc).

    Parameters
    ----------
    cols : dict of numpy.ndarray
        The generator's columns (categorical columns as codes, missing need items negative).
    rules : ProgrammeRules
        The programme file: readings, published counts and ``[columns]``.
    rng : numpy.random.Generator, int or numpy.random.SeedSequence
    categories : mapping, optional
        The profile's categories of categorical columns (``ProfileSpec.categories``), so the
        rules read the codes of ``cols`` with the profile's labels.
    ahead : tuple, optional
        What :func:`natural_bands_ahead` returned for the same ``rng`` (a Generator) before any
        other draw from it: the first population's natural bands, built while the rest of the
        cohort was (the draws and the bands are the same as building them here).

    Returns
    -------
    dict
        Columns the construction made that the cohort columns do not list (a new flag or score
        of the file's ``[columns]``), as pandas arrays, for the caller to append to the frame.

    Raises
    ------
    SpecError
        If a rule names a column nobody provides, or a category the profile does not have.
    """
    rng = np.random.default_rng(rng)
    plan = _Plan(rules, cols, categories)
    n_all = len(cols["population"])
    scores = {s.name: np.full(n_all, np.nan) for s in plan.scores}
    flags = {s.name: np.full(n_all, -1, dtype=np.int8) for s in (*plan.flags, *plan.free_flags)}
    att = {c: np.zeros(n_all, dtype=bool) for c in attended_columns(rules)}
    base_pop = rules.meta.get("base_population")
    for code, pop in enumerate(POPULATIONS):
        rows = np.flatnonzero(cols["population"] == code)
        if rows.size == 0:
            continue
        if ahead is not None and ahead[0] == code:  # the first population's, built ahead
            latent, bands = ahead[1], ahead[2]
        else:
            latent, bands = _natural_bands(cols, plan.scores, plan.edges, rows, rng)
        ahead = None
        has = np.asarray(cols["has_oasys"][rows], dtype=bool)
        o = rows[has]
        check = pop == base_pop and o.size == rules.base_n
        if o.size:
            got = _construct(
                cols,
                plan,
                o,
                {k: v[has] for k, v in latent.items()},
                {k: v[has] for k, v in bands.items()},
                o.size / rules.base_n,
                rng,
                pop,
                check,
            )
            for name, b in got["bands"].items():
                bands[name][has] = b
            for name, f in got["flags"].items():
                flags[name][o] = f
        _score_values(scores, plan, rows, bands, rng)
        if o.size:
            _attendance(
                cols,
                o,
                scores,
                flags,
                rules,
                o.size / rules.base_n,
                att,
                rng,
                pop,
                check,
                plan.dtypes,
            )
    made = {**scores, **flags, **att}
    cols.update(made)
    _missing_columns(cols, plan, n_all)
    return {  # built columns the cohort columns do not list, as pandas arrays
        name: pd.arrays.BooleanArray(v == 1, v < 0) if v.dtype == np.int8 else v
        for name, v in made.items()
        if name not in plan.dtypes
    }


def natural_bands_ahead(cols: dict, rules: ProgrammeRules, rng) -> tuple | None:
    """Step 1 of :func:`add_programme_columns` for the first population, ahead of the rest.

    The natural bands are the first draws :func:`add_programme_columns` makes from ``rng`` and
    read only each score's ``rank_by`` column, so they can be built while the rest of the cohort
    is (the generator does this on a second thread). ``cols`` must hold only columns no later
    step changes, and ``rng`` (a Generator) must not be drawn from before; pass the result as
    ``ahead`` with the same Generator. Returns None, drawing nothing, when a score's ``rank_by``
    column is not in ``cols`` (the bands are then built in line, where a bad file is refused).
    """
    scores, edges = score_edges(rules)
    if any(s.rank_by[0] not in cols for s in scores) or "population" not in cols:
        return None
    present = np.flatnonzero(np.bincount(cols["population"], minlength=len(POPULATIONS)))
    if present.size == 0:
        return None
    code = int(present[0])
    rows = np.flatnonzero(cols["population"] == code)
    return (code, *_natural_bands(cols, scores, edges, rows, rng))


def _natural_bands(cols, scores, edges, rows, rng) -> tuple[dict, dict]:
    """Step 1: each score's latent and natural band for everyone in the population (the
    score before any published count is imposed), by rank of its ``rank_by`` column."""
    latent, bands = {}, {}
    for s in scores:
        w = s.rank_weight
        # w * normal scores + sqrt(1 - w^2) * e, in place (the same values, fewer temporaries)
        lat = _normal_scores(np.asarray(cols[s.rank_by[0]][rows], float), rng)
        lat *= w
        e = rng.standard_normal(rows.size)
        e *= np.sqrt(1 - w * w)
        lat += e
        del e
        e = edges[s.name]
        shares = [s.share_at_least(a) - s.share_at_least(b) for a, b in zip(e, e[1:])]
        latent[s.name] = lat
        bands[s.name] = C.assign_by_rank(lat, C.largest_remainder(shares, rows.size))
    return latent, bands


def _score_values(scores: dict, plan: _Plan, rows, bands: dict, rng) -> None:
    """Each score's value: uniform strictly inside its band (4 decimals), so a threshold at an
    edge never reads a value wrongly."""
    for s in plan.scores:
        e = np.asarray(plan.edges[s.name])
        b = bands[s.name]
        lo, hi = e[b], e[b + 1]
        u = 0.001 + 0.998 * rng.random(rows.size)
        scores[s.name][rows] = np.round(lo + (hi - lo) * u, 4)


def _missing_columns(cols: dict, plan: _Plan, n_all: int) -> None:
    """Schema columns this file does not build (e.g. a flag it drops): missing, not absent."""
    for name, dtype in plan.dtypes.items():
        if name not in cols and name != "person_id":
            if dtype == "boolean":
                cols[name] = np.full(n_all, -1, dtype=np.int8)
            elif dtype == "bool":
                cols[name] = np.zeros(n_all, dtype=bool)
            elif dtype == "float64":
                cols[name] = np.full(n_all, np.nan)


# --------------------------------------------------------------------------------------------
# step 2-3: scores and flags for the people with OASys data
# --------------------------------------------------------------------------------------------


def _construct(cols, plan: _Plan, o, latent, nat_bands, scale, rng, pop, check) -> dict:
    """Steps 2-3 for the people ``o`` with OASys data: states by pattern, then to people."""
    inverse, sizes, patterns = _patterns(cols, plan, o)
    xp, xs = np.nonzero(_allowed(plan, patterns))
    problem, targets = _state_problem(plan, patterns, xp, xs, sizes, inverse, nat_bands, o, scale)
    res = _solve_states(*problem, guided=o.size >= _GUIDED_MIN_PEOPLE)
    if res.x is None:  # pragma: no cover - always feasible by construction (slack)
        raise SpecError(
            plan.rules.path, "programmes", f"construction for {pop} failed: {res.message}"
        )
    x = np.zeros((patterns.shape[0], plan.states.shape[0]), dtype=np.int64)
    x[xp, xs] = np.round(res.x[: xp.size]).astype(np.int64)
    if check:
        _warn_unmet(plan.rules, plan, patterns, x, targets, pop)
    keys = [latent[s.name] for s in plan.scores]
    keys += [_rank_key(cols, f, o, rng) for f in plan.flags]
    assign = _assign_states(plan.states, x, inverse, sizes, keys)
    out_flags = {f.name: assign[plan.dim[f.name]].astype(np.int8) for f in plan.flags}
    for f in plan.free_flags:
        out_flags[f.name] = _free_flag(cols, plan, f, o, out_flags, rng)
    return {
        "bands": {s.name: assign[plan.dim[s.name]] for s in plan.scores},
        "flags": out_flags,
    }


def _patterns(cols, plan: _Plan, o) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People grouped by the truth values of the fixed conditions: (pattern of each person,
    people per pattern, patterns x conditions truth table)."""
    # one integer per person (bit k: fixed condition k holds), so grouping is a 1-D count
    key = np.zeros(o.size, dtype=np.int64)
    for k, c in enumerate(plan.fixed):
        key |= (
            c.evaluate(
                pd.DataFrame({c.column: _fixed_column(cols, c.column, o, plan.dtypes)})
            ).astype(np.int64)
            << k
        )
    keys, inverse, sizes = C.group_codes(key)
    patterns = (keys[:, None] >> np.arange(len(plan.fixed), dtype=np.int64)) & 1 == 1
    return inverse, sizes, patterns


def _allowed(plan: _Plan, patterns: np.ndarray) -> np.ndarray:
    """``allowed[p, s]``: state ``s`` breaks no flag's forcing in pattern ``p``."""
    states = plan.states
    allowed = np.ones((patterns.shape[0], states.shape[0]), dtype=bool)
    for f in plan.flags:
        v = states[:, plan.dim[f.name]]
        if f.true_when:
            forced = np.all([patterns[:, plan.fixed_index[str(c)]] for c in f.true_when], axis=0)
            allowed &= ~(forced[:, None] & (v == 0)[None, :])
        if f.requires:
            ok = np.all([patterns[:, plan.fixed_index[str(c)]] for c in f.requires], axis=0)
            allowed &= ~((~ok)[:, None] & (v == 1)[None, :])
        for g in f.implies:
            allowed &= ~((v == 1) & (states[:, plan.dim[g]] == 0))[None, :]
    return allowed


class _Rows:
    """A sparse constraint matrix built row by row, with slack variables added as needed."""

    def __init__(self, n_var: int):
        self.i, self.j, self.v, self.lb, self.ub = [], [], [], [], []
        self.n_var = n_var
        self.cost = [np.zeros(n_var)]

    def new_vars(self, k: int, c: float) -> np.ndarray:
        idx = np.arange(self.n_var, self.n_var + k)
        self.n_var += k
        self.cost.append(np.full(k, c))
        return idx

    def add(self, cols_idx, vals, lo, hi) -> None:
        r = len(self.lb)
        self.i.append(np.full(len(cols_idx), r))
        self.j.append(np.asarray(cols_idx))
        self.v.append(np.asarray(vals, dtype=float))
        self.lb.append(lo)
        self.ub.append(hi)

    def matrix(self) -> sparse.csr_array:
        return sparse.csr_array(
            (np.concatenate(self.v), (np.concatenate(self.i), np.concatenate(self.j))),
            shape=(len(self.lb), self.n_var),
        )


def _state_problem(plan: _Plan, patterns, xp, xs, sizes, inverse, nat_bands, o, scale):
    """The state MILP: how many people of each pattern take each allowed state ``(xp, xs)``.

    Returns ``(cost, integrality, bounds, constraints)`` and each programme's target count.
    """
    states = plan.states
    nx = xp.size
    rows = _Rows(nx)
    for p in range(patterns.shape[0]):  # each pattern's people are split over states
        sel = np.flatnonzero(xp == p)
        rows.add(sel, np.ones(sel.size), sizes[p], sizes[p])
    targets = []
    for prog in plan.rules.programmes:  # published counts, soft
        ok = np.ones(nx, dtype=bool)
        for c in prog.criteria:
            if c.column in plan.dim:
                ok &= plan.state_ok(c)[xs]
            else:
                ok &= patterns[xp, plan.fixed_index[str(c)]]
        want = int(round(prog.suitable * scale))
        targets.append(want)
        e = rows.new_vars(2, _COUNT_WEIGHT * max(o.size, 100))
        sel = np.flatnonzero(ok)
        rows.add(np.r_[sel, e], np.r_[np.ones(sel.size), 1.0, -1.0], want, want)
    for s in plan.scores:  # stay near the natural bands
        d = plan.dim[s.name]
        # people per (pattern, natural band): one bincount (np.add.at gives the same counts
        # at a tenth of the speed)
        shape = (patterns.shape[0], len(plan.edges[s.name]) - 1)
        cell = inverse * shape[1] + nat_bands[s.name]
        nat = np.bincount(cell, minlength=shape[0] * shape[1]).reshape(shape).astype(float)
        for p in range(patterns.shape[0]):
            for b in range(nat.shape[1]):
                sel = np.flatnonzero((xp == p) & (states[xs, d] == b))
                e = rows.new_vars(2, 1.0)
                rows.add(np.r_[sel, e], np.r_[np.ones(sel.size), -1.0, 1.0], nat[p, b], nat[p, b])
    for f in plan.flags:  # and near the assumed rates
        d = plan.dim[f.name]
        for p in range(patterns.shape[0]):
            sel = np.flatnonzero((xp == p) & (states[xs, d] == 1))
            e = rows.new_vars(2, 1.0)
            t = f.rate * sizes[p]
            rows.add(np.r_[sel, e], np.r_[np.ones(sel.size), -1.0, 1.0], t, t)
    upper = np.full(rows.n_var, np.inf)
    upper[:nx] = sizes[xp]
    integrality = np.zeros(rows.n_var)
    integrality[:nx] = 1
    constraints = LinearConstraint(rows.matrix(), rows.lb, rows.ub)
    return (np.concatenate(rows.cost), integrality, Bounds(0, upper), constraints), targets


def _assign_states(states, x, inverse, sizes, keys) -> np.ndarray:
    """Step 3: within each pattern, states go to people by rank, dimension by dimension.

    ``x[p, s]`` people of pattern ``p`` take state ``s``; in dimension ``d`` the people of a
    group are ranked by ``keys[d]`` and the lowest values of the dimension go to the lowest
    ranked. Returns ``assign[d]``: each person's value in dimension ``d``.

    A group whose states all hold one value in dimension ``d`` (most groups: a flag forced by
    the pattern) takes it without being ranked; the ranking it skipped is remembered and
    replayed only if a later ranking has ties (then the order it left decides), so the result
    is the one ranking every group in every dimension would give.
    """
    # one contiguous array per dimension: scattered writes into a column of an (n, d) array
    # touch d times the memory
    assign = np.zeros((states.shape[1], inverse.size), dtype=np.int64)
    # a stable order is unique, so any stable sort gives it: numpy radix-sorts 16-bit keys
    # (6 ms a million people against 50 ms for the merge sort of 64-bit ones)
    small = sizes.size <= np.iinfo(np.uint16).max
    order = np.argsort(inverse.astype(np.uint16) if small else inverse, kind="stable")
    starts = np.r_[0, np.cumsum(sizes)]

    def patterns(ps) -> None:
        for p in ps:
            _assign_pattern(assign, states, x[p], order[starts[p] : starts[p + 1]], keys)

    # Each pattern ranks and writes only its own people, so patterns are independent: from
    # C.PARALLEL_MIN_PEOPLE people, every other pattern is assigned on a second thread (numpy
    # sorts and scatters without the GIL); the result is the same array either way.
    if not C.second_thread(inverse.size) or x.shape[0] < 2:
        patterns(range(x.shape[0]))
        return assign
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="states") as pool:
        odd = pool.submit(patterns, range(1, x.shape[0], 2))
        patterns(range(0, x.shape[0], 2))
        odd.result()
    return assign


def _assign_pattern(assign, states, xp, members, keys) -> None:
    """:func:`_assign_states` for one pattern: ``xp[s]`` of its ``members`` take state ``s``."""
    groups = [(members, np.flatnonzero(xp > 0), ())]
    for d in range(states.shape[1]):
        nxt = []
        for members, st, skipped in groups:
            vals = states[st, d]
            values = np.unique(vals)
            if values.size == 1 and int(xp[st].sum()) == members.size:
                assign[d][members] = values[0]
                nxt.append((members, st, (*skipped, d)))
                continue
            ranked = _ranked(members, keys, skipped, d)
            pos = 0
            for v in values:
                sub = st[vals == v]
                k = int(xp[sub].sum())
                chosen = ranked[pos : pos + k]
                assign[d][chosen] = v
                nxt.append((chosen, sub, ()))
                pos += k
        groups = nxt


def _ranked(members: np.ndarray, keys, skipped: tuple[int, ...], d: int) -> np.ndarray:
    """``members`` ranked by ``keys[d]``, ties kept in the order the rankings in ``skipped``
    (earlier dimensions, in turn) would have left them."""
    key = keys[d][members]
    order = np.argsort(key)
    s = key[order]
    ties = s.size > 1 and (np.any(s[1:] == s[:-1]) or np.isnan(s[-1]))
    if not ties:  # a unique order: the same whatever order the members came in
        return members[order]
    for dd in (*skipped, d):
        members = members[_stable_argsort(keys[dd][members])]
    return members


def _solve_states(cost, integrality, bounds: Bounds, constraints: LinearConstraint, *, guided):
    """The state MILP of :func:`_construct`; with ``guided``, through its LP relaxation.

    Guided: solve the LP relaxation, fix every integer variable the LP already puts on a whole
    number, and solve the MILP over the rest (a few hundred variables). Its objective is then
    compared with the LP bound, a lower bound of the full MILP's: if it is within the same
    relative gap the full MILP is asked for (:data:`_GAP`), it is as good an answer by the
    full MILP's own criterion and is returned; otherwise (or if the reduced MILP fails) the full
    MILP runs. Deterministic: no time limits, the same inputs give the same solution.
    """
    options = {"node_limit": _NODE_LIMIT, "mip_rel_gap": _GAP}
    if guided:
        lp = milp(
            cost, integrality=np.zeros_like(integrality), bounds=bounds, constraints=constraints
        )
        if lp.x is not None:
            whole = integrality == 1
            xi = lp.x[whole]
            fixed = np.abs(xi - np.round(xi)) < 1e-9
            lo = np.broadcast_to(np.asarray(bounds.lb, float), cost.shape).copy()
            hi = np.broadcast_to(np.asarray(bounds.ub, float), cost.shape).copy()
            idx = np.flatnonzero(whole)[fixed]
            lo[idx] = hi[idx] = np.round(lp.x[idx])
            res = milp(
                cost,
                integrality=integrality,
                bounds=Bounds(lo, hi),
                constraints=constraints,
                options=options,
            )
            if res.x is not None and res.fun - lp.fun <= _GAP * max(abs(res.fun), 1e-9):
                return res
    return milp(
        cost, integrality=integrality, bounds=bounds, constraints=constraints, options=options
    )


def _free_flag(cols, plan: _Plan, f: ColumnSpec, o, made: dict, rng) -> np.ndarray:
    """A flag no default reading uses: its forcing, then its assumed rate by rank."""
    conds = (*f.true_when, *f.requires)
    frame = pd.DataFrame({c.column: _fixed_column(cols, c.column, o, plan.dtypes) for c in conds})
    forced = np.ones(o.size, bool) if f.true_when else np.zeros(o.size, bool)
    for c in f.true_when:
        forced &= c.evaluate(frame)
    ok = np.ones(o.size, bool)
    for c in f.requires:
        ok &= c.evaluate(frame)
    out = (forced & ok).astype(np.int8)
    for s in plan.flags:  # a flag that implies this one forces it
        if f.name in s.implies:
            out[made[s.name] == 1] = 1
    for g in f.implies:  # this flag may only be true where the flags it implies are
        if g in made:
            ok &= made[g] == 1
    free = np.flatnonzero(ok & (out == 0))
    key = _rank_key(cols, f, o, rng)
    out[free[_top(key[free], round(f.rate * free.size))]] = 1
    return out


def _warn_unmet(rules, plan, patterns, x, targets, pop) -> None:
    """At the published size, say which published counts the rules could not reach."""
    ok_all = []
    for prog, want in zip(rules.programmes, targets):
        ok = np.ones(x.shape, dtype=bool)
        for c in prog.criteria:
            if c.column in plan.dim:
                ok &= plan.state_ok(c)[None, :]
            else:
                ok &= patterns[:, plan.fixed_index[str(c)]][:, None]
        got = int(x[ok].sum())
        if got != want:
            ok_all.append(f"{prog.name}: {got} suitable, published {want}")
    if ok_all:
        warnings.warn(
            f"{rules.path}: the default readings cannot give the published counts for {pop} "
            f"under the cohort's published columns ({'; '.join(ok_all)}); fidelity shows the "
            "difference",
            stacklevel=4,
        )


# --------------------------------------------------------------------------------------------
# step 4: attendance
# --------------------------------------------------------------------------------------------


def _frame_for_rules(cols, o, scores, flags, rules: ProgrammeRules, dtypes) -> pd.DataFrame:
    """The columns the default readings use, for the rows ``o`` (no other columns: memory)."""
    data = {}
    for name in {c.column for p in rules.programmes for c in p.criteria}:
        if name in flags:
            v = flags[name][o]
            data[name] = pd.arrays.BooleanArray(v == 1, v < 0)
        elif name in scores:
            data[name] = scores[name][o]
        else:
            data[name] = _fixed_column(cols, name, o, dtypes)
    return pd.DataFrame(data, copy=False)


def _attendance(cols, o, scores, flags, rules, scale, att, rng, pop, check, dtypes) -> None:
    frame = _frame_for_rules(cols, o, scores, flags, rules, dtypes)
    suit = suitability(frame, rules).to_numpy()
    names = [p.name for p in rules.programmes]
    n_prog = len(names)
    key = np.zeros(suit.shape[0], dtype=np.int64)
    for j in range(n_prog):  # bit j: suitable for programme j (an integer matmul is slower)
        key |= suit[:, j].astype(np.int64) << j
    patterns, inverse, sizes = C.group_codes(key)
    n_out = n_prog + 2  # 0 none, 1..n programmes, last: another programme
    k = patterns.size
    nx = k * n_out
    suits = (patterns[:, None] >> np.arange(n_prog)) & 1
    upper = np.repeat(sizes[:, None], n_out, axis=1).astype(float)
    upper[:, 1 : n_prog + 1] *= suits  # cannot attend a programme one is not suitable for
    n_var = nx + 4 * n_prog  # + slack (two per attendance cell)
    rows_a, lb, ub = [], [], []
    for i in range(k):  # each pattern's people are split over outcomes
        r = np.zeros(n_var)
        r[i * n_out : (i + 1) * n_out] = 1
        rows_a.append(r)
        lb.append(sizes[i])
        ub.append(sizes[i])
    misses = []
    for j, p in enumerate(rules.programmes):
        s_j = int(suit[:, j].sum())
        (a_j, o_j, _), _ok = exact_triplet(
            s_j, (p.attended_pct, p.attended_other_pct, p.unmet_pct), p.hold
        )
        in_j = suits[:, j] == 1
        for t, (cells, want) in enumerate(((slice(j + 1, j + 2), a_j), (None, o_j))):
            r = np.zeros((k, n_out))
            if cells is None:  # attended something else: another listed one or "other"
                r[in_j, 1:] = 1
                r[in_j, j + 1] = 0
            else:
                r[in_j, cells] = 1
            row = np.zeros(n_var)
            row[:nx] = r.ravel()
            row[nx + 4 * j + 2 * t] = 1.0
            row[nx + 4 * j + 2 * t + 1] = -1.0
            rows_a.append(row)
            lb.append(want)
            ub.append(want)
        misses.append((p.name, a_j, o_j))
    c = np.zeros(n_var)
    c[:nx].reshape(k, n_out)[:, -1] = 1.0  # prefer listed programmes over "another programme"
    c[nx:] = o.size + 1.0  # a person of slack costs more than any preference
    bounds_hi = np.r_[upper.ravel(), np.full(4 * n_prog, np.inf)]
    integrality = np.r_[np.ones(nx), np.zeros(4 * n_prog)]
    res = milp(
        c,
        integrality=integrality,
        bounds=Bounds(0, bounds_hi),
        constraints=LinearConstraint(np.array(rows_a), lb, ub),
        options={"node_limit": _NODE_LIMIT},
    )
    if res.x is None:  # pragma: no cover - always feasible by construction (slack)
        raise SpecError(rules.path, "programmes", f"attendance for {pop} failed: {res.message}")
    slack = res.x[nx:]
    if check and np.any(slack > 0.5):
        bad = [misses[j][0] for j in range(n_prog) if slack[4 * j : 4 * j + 4].sum() > 0.5]
        warnings.warn(
            f"{rules.path}: attendance cells for {', '.join(bad)} cannot all be met for {pop} "
            "(people suitable for several programmes attend at most one)",
            stacklevel=4,
        )
    x = np.round(res.x[:nx]).astype(np.int64).reshape(k, n_out)
    cols_out = [None, *(f"attended_{n}" for n in names), "attended_other_programme"]
    _attend(att, cols_out, x, o, inverse, sizes, rng)


def _attend(att: dict, cols_out: list, x: np.ndarray, o, inverse, sizes, rng) -> None:
    """``x[i, a]`` people of suitability pattern ``i``, in random order, attend outcome ``a``
    (0: none, then each programme, last: another programme)."""
    order = _stable_argsort(inverse * 2.0 + rng.random(o.size))  # shuffled by pattern
    start = 0
    for i in range(x.shape[0]):
        members = o[order[start : start + sizes[i]]]
        start += sizes[i]
        pos = 0
        for a_idx in range(1, x.shape[1]):
            cnt = x[i, a_idx]
            att[cols_out[a_idx]][members[pos : pos + cnt]] = True
            pos += cnt
