"""Extend a cohort with what the programme rules need, so Table 2 is reproduced exactly.

Adds ``ovp_2yr``, ``violent_history``, ``acquisitive_history``, ``dv_offence_link``,
``alcohol_violence_link``, ``drug_offending_link``, ``attended_<programme>`` for the six Table 2
programmes and ``attended_other_programme``. None of these is published; each is *assumed* and
constructed so that applying the default readings of ``programmes.toml`` to the standard recalls
with OASys data (N = 3,699 at the published size) gives Table 2's suitable counts exactly and
its attended / attended-something-else / unmet percentages at printed precision (except the
moderate-violence row, whose cells sum to 102.1%: the two cells named in ``hold`` are kept).

Attendance is solved per population with a small integer programme
(:func:`scipy.optimize.milp`) over suitability patterns: at most 64 patterns x 8 outcomes,
whatever the number of people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import LinearConstraint, milp
from scipy.special import ndtri

from toolkit.cohort import construct as C
from toolkit.exceptions import ToolkitError
from toolkit.profile.rules import ProgrammeRules, suitability
from toolkit.schema import INDEX_OFFENCE_GROUPS, INDEX_OFFENCES, OFFENCE_TO_GROUP, POPULATIONS

PROGRAMME_COLUMNS = (
    "ovp_2yr",
    "violent_history",
    "acquisitive_history",
    "dv_offence_link",
    "alcohol_violence_link",
    "drug_offending_link",
)
_GROUP = np.array([INDEX_OFFENCE_GROUPS.index(OFFENCE_TO_GROUP[o]) for o in INDEX_OFFENCES])
_VIOLENT = np.array([o in ("violence", "robbery") for o in INDEX_OFFENCES])
_ACQ = _GROUP == INDEX_OFFENCE_GROUPS.index("acquisitive")


def attended_columns(rules: ProgrammeRules) -> tuple[str, ...]:
    """``attended_<programme>`` for every programme, then ``attended_other_programme``."""
    return (*(f"attended_{p.name}" for p in rules.programmes), "attended_other_programme")


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores (ties broken by position)."""
    k = int(k)
    if k <= 0:
        return np.array([], dtype=np.int64)
    if k >= score.size:
        return np.arange(score.size)
    return np.argpartition(-score, k - 1)[:k]


def _normal_scores(x: np.ndarray, rng) -> np.ndarray:
    """Rank-based normal scores with random tie-breaking."""
    order = np.lexsort((rng.random(x.size), x))
    ranks = np.empty(x.size)
    ranks[order] = np.arange(1, x.size + 1)
    return ndtri(ranks / (x.size + 1))


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


def add_programme_columns(cols: dict, rules: ProgrammeRules, rng: np.random.Generator) -> None:
    """Add the programme columns to the generator's column dict in place (see module doc)."""
    a = rules.assumptions
    shares = a.get("ovp_2yr_band_shares", {"below_30": 25.0, "30_to_59": 35.0, "60_plus": 40.0})
    band_w = [shares["below_30"], shares["30_to_59"], shares["60_plus"]]
    base_n = int(rules.meta.get("base_n", 3699))
    n_all = len(cols["population"])
    ovp = np.zeros(n_all)
    flags = {c: np.full(n_all, -1, dtype=np.int8) for c in PROGRAMME_COLUMNS[1:]}
    att = {c: np.zeros(n_all, dtype=bool) for c in attended_columns(rules)}
    progs = {p.name: p for p in rules.programmes}
    for code, pop in enumerate(POPULATIONS):
        rows = np.flatnonzero(cols["population"] == code)
        if rows.size == 0:
            continue
        # OVP for everyone: bands by rank of a latent tied to OGRS4/v, uniform within a band.
        lat = 0.8 * _normal_scores(cols["ogrs4v_2yr"][rows], rng) + 0.6 * rng.standard_normal(
            rows.size
        )
        band = C.assign_by_rank(lat, C.largest_remainder(band_w, rows.size))
        lo = np.array([1.0, 30.0, 60.0])[band]
        ovp[rows] = np.round(lo + 29.9999 * rng.random(rows.size), 4)
        o = rows[cols["has_oasys"][rows]]
        if o.size == 0:
            continue
        scale = o.size / base_n
        strict = pop == rules.meta.get("base_population", "standard")
        _histories_and_links(cols, o, ovp, flags, progs, scale, strict, a, rng, pop)
        _attendance(cols, o, ovp, flags, rules, scale, strict, att, rng, pop)
    cols["ovp_2yr"] = ovp
    cols.update(flags)
    cols.update(att)


def _count(published: int, scale: float) -> int:
    return int(round(published * scale))


def _need(strict: bool, what: str, pop: str, needed: int, available: int) -> int:
    if needed < 0 or needed > available:
        if strict:
            raise ToolkitError(
                f"cannot reproduce Table 2 for {pop}: {what} needs {needed} people but {available} "
                "are eligible; the assumed OVP bands or the profile's offence mix leave too few"
            )
        return int(min(max(needed, 0), available))
    return needed


def _histories_and_links(cols, o, ovp, flags, progs, scale, strict, a, rng, pop) -> None:
    off = cols["index_offence"][o]
    violent, acq = _VIOLENT[off], _ACQ[off]
    v_o = ovp[o]
    band = np.digitize(v_o, [30.0, 60.0])
    # Violent history: forced for violent/robbery index offences; filled per OVP band.
    vh = violent.copy()
    breach_score = cols["previous_breaches"][o] + rng.random(o.size)
    targets = {
        1: _count(progs["moderate_violence"].suitable, scale),
        2: _count(progs["high_intensity_violence"].suitable, scale),
    }
    for b in (0, 1, 2):
        in_b = np.flatnonzero((band == b) & ~violent)
        if b == 0:
            k = int(round(a.get("violent_history_rate_below_30", 0.5) * in_b.size))
        else:
            k = _need(
                strict,
                f"violent history at OVP band {b}",
                pop,
                targets[b] - int((violent & (band == b)).sum()),
                in_b.size,
            )
        vh[in_b[_top(breach_score[in_b], k)]] = True
    flags["violent_history"][o] = vh
    # Acquisitive history: forced for acquisitive index; set for enough OGRS3 >= 25 people that
    # exactly the published number are non-acquisitive with OGRS3 >= 25.
    ah = acq.copy()
    high = cols["ogrs3_2yr"][o] >= 25
    sanc = cols["previous_sanctions"][o] + rng.random(o.size)
    cand = np.flatnonzero(~acq & high)
    k = _need(
        strict,
        "acquisitive history (cognitive skills)",
        pop,
        cand.size - _count(progs["cognitive_skills"].suitable, scale),
        cand.size,
    )
    ah[cand[_top(sanc[cand], k)]] = True
    low = np.flatnonzero(~acq & ~high)
    ah[low[_top(sanc[low], round(a.get("acquisitive_history_rate_low_ogrs", 0.5) * low.size))]] = (
        True
    )
    flags["acquisitive_history"][o] = ah

    def link(name, eligible, score, programme):
        idx = np.flatnonzero(eligible)
        k = _need(
            strict, f"{name} ({programme})", pop, _count(progs[programme].suitable, scale), idx.size
        )
        out = np.zeros(o.size, dtype=bool)
        out[idx[_top(score[idx], k)]] = True
        flags[name][o] = out

    def item(name):
        return np.maximum(cols[name][o], 0) + rng.random(o.size)

    index_violence = off == INDEX_OFFENCES.index("violence")
    link(
        "dv_offence_link",
        index_violence & (v_o >= 30),
        item("need_dv_perpetrator"),
        "domestic_violence",
    )
    drink = cols["need_problem_drinking"][o]
    link(
        "alcohol_violence_link",
        vh & (drink >= 1),
        item("need_problem_drinking") + item("need_binge_drinking"),
        "alcohol_related_violence",
    )
    link(
        "drug_offending_link",
        cols["need_drugs_ever"][o] >= 1,
        item("need_drugs_ever") + item("need_class_a"),
        "substance_misuse",
    )


def _frame_for_rules(cols, o, ovp, flags, rules: ProgrammeRules) -> pd.DataFrame:
    """The columns the default readings use, for the rows ``o`` (no other columns: memory)."""
    needed = {c.column for p in rules.programmes for c in p.criteria}
    data = {}
    for name in needed:
        if name in flags:
            v = flags[name][o]
            data[name] = pd.arrays.BooleanArray(v == 1, v < 0)
        elif name == "ovp_2yr":
            data[name] = ovp[o]
        elif name == "index_offence_group":
            data[name] = np.array(INDEX_OFFENCE_GROUPS)[_GROUP[cols["index_offence"][o]]]
        elif name in cols:
            v = cols[name][o]
            if name.startswith("need_"):
                v = np.where(v >= 0, v, np.nan)
            data[name] = v
    return pd.DataFrame(data, copy=False)


def _attendance(cols, o, ovp, flags, rules, scale, strict, att, rng, pop) -> None:
    df = _frame_for_rules(cols, o, ovp, flags, rules)
    suit = suitability(df, rules).to_numpy()
    names = [p.name for p in rules.programmes]
    n_prog = len(names)
    if strict:
        for j, p in enumerate(rules.programmes):
            want = _count(p.suitable, scale)
            if int(suit[:, j].sum()) != want:
                raise ToolkitError(
                    f"Table 2 construction for {pop}: {p.name} has "
                    f"{int(suit[:, j].sum())} suitable, expected {want}"
                )
    key = suit @ (1 << np.arange(n_prog))
    patterns, inverse, sizes = np.unique(key, return_inverse=True, return_counts=True)
    n_out = n_prog + 2  # 0 none, 1..n programmes, last: another programme
    k = patterns.size
    nv = k * n_out
    suits = (patterns[:, None] >> np.arange(n_prog)) & 1
    upper = np.repeat(sizes[:, None], n_out, axis=1).astype(float)
    upper[:, 1 : n_prog + 1] *= suits  # cannot attend a programme one is not suitable for
    rows_a, lb, ub = [], [], []
    for i in range(k):  # each pattern's people are split over outcomes
        r = np.zeros(nv)
        r[i * n_out : (i + 1) * n_out] = 1
        rows_a.append(r)
        lb.append(sizes[i])
        ub.append(sizes[i])
    for j, p in enumerate(rules.programmes):
        s_j = int(suit[:, j].sum())
        (a_j, o_j, _), _ok = exact_triplet(
            s_j, (p.attended_pct, p.attended_other_pct, p.unmet_pct), p.hold
        )
        in_j = suits[:, j] == 1
        r = np.zeros((k, n_out))
        r[in_j, j + 1] = 1
        rows_a.append(r.ravel())
        lb.append(a_j)
        ub.append(a_j)
        r = np.zeros((k, n_out))
        r[in_j, 1:] = 1
        r[in_j, j + 1] = 0
        rows_a.append(r.ravel())
        lb.append(o_j)
        ub.append(o_j)
    c = np.zeros((k, n_out))
    c[:, -1] = 1.0  # prefer listed programmes over "another programme"
    res = milp(
        c.ravel(),
        integrality=np.ones(nv),
        bounds=(0, upper.ravel()),
        constraints=LinearConstraint(np.array(rows_a), lb, ub),
    )
    if res.x is None:
        if strict:
            raise ToolkitError(f"Table 2 attendance for {pop} has no solution: {res.message}")
        return
    x = np.round(res.x).astype(np.int64).reshape(k, n_out)
    order = np.argsort(inverse * 2.0 + rng.random(o.size), kind="stable")  # shuffled by pattern
    start = 0
    cols_out = [None, *(f"attended_{n}" for n in names), "attended_other_programme"]
    for i in range(k):
        members = o[order[start : start + sizes[i]]]
        start += sizes[i]
        pos = 0
        for a_idx in range(1, n_out):
            cnt = x[i, a_idx]
            att[cols_out[a_idx]][members[pos : pos + cnt]] = True
            pos += cnt
