"""Generate a synthetic census cohort that reproduces the published profile.

The cohort is a *census* (stock): everyone in custody on 31 March 2014 in the populations asked
for, as in the published profile. It is not an admissions (flow) cohort; long stays are
over-represented exactly as in the source.

How exactness is achieved
-------------------------
1. Each population's size is allocated by largest remainder.
2. A Gaussian copula (the spec's assumed latent correlation matrix) gives every person a vector of
   correlated latent scores.
3. Each marginal is *constructed* to meet its published figure at the requested N: category
   counts by largest remainder; continuous means by solving a location parameter with
   :func:`scipy.optimize.brentq`; integer means by rounding to an exact sum. Who gets which value
   is decided by the ranks of the latent scores, so the assumed dependence survives the repairs.
4. OGRS3 is computed from each person's age, sex, index offence and sanction history with the
   published formula; the number of previous sanctions (which the sources do not give) is solved
   so the published OGRS3 mean holds, then repaired person by person in vectorised rounds.
5. Figure 1 items are scored for exactly as many people as the chart's raw values imply, with
   exact item sums, so the raw chart values are reproduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from toolkit.cohort import construct as C
from toolkit.cohort.ogrs3 import coefficients as ogrs3_coefficients
from toolkit.cohort.programmes import add_programme_columns
from toolkit.exceptions import UsageError
from toolkit.profile.rules import ProgrammeRules, load_programme_rules
from toolkit.profile.spec import LATENTS, ProfileSpec, load_profile
from toolkit.profile.targets import ResolvedTargets, resolve_targets
from toolkit.schema import (
    COLUMNS,
    DAYS_ON_RECALL_BANDS,
    ETHNICITIES,
    INDEX_OFFENCE_GROUPS,
    INDEX_OFFENCES,
    NEED_ITEMS,
    OFFENCE_TO_GROUP,
    POPULATIONS,
    RECALL_REASONS,
    RECALL_TYPES,
    ROSH_LEVELS,
    SIX_MONTHS_DAYS,
    YEAR_DAYS,
)

_LAT = {name: i for i, name in enumerate(LATENTS)}
_OFF = {o: i for i, o in enumerate(INDEX_OFFENCES)}
#: Decimals kept for continuous columns, so files are byte-stable across platforms' last-ulp
#: differences in exp/log while means stay exact far below the printed precision.
FLOAT_DECIMALS = 4


@dataclass(frozen=True)
class _Plan:
    sizes: Mapping[str, int]
    oasys: Mapping[str, int]
    default: bool


def _generate_cohort_iv(spec, n, populations, rng):
    if spec is None:
        spec = load_profile()
    elif not isinstance(spec, ProfileSpec):
        raise UsageError(
            f"spec must be a ProfileSpec from load_profile(); got {type(spec).__name__}"
        )
    if populations is None:
        pops = list(POPULATIONS)
    else:
        if isinstance(populations, str):
            populations = [populations]
        pops = list(dict.fromkeys(populations))
        unknown = [p for p in pops if p not in POPULATIONS]
        if unknown or not pops:
            bad = unknown[0] if unknown else "(none given)"
            raise UsageError(
                f"unknown population {bad!r}; expected one or more of: {', '.join(POPULATIONS)}"
            )
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise UsageError(f"n must be a positive whole number of people; got {n!r}")
    return spec, [p for p in POPULATIONS if p in pops], n, np.random.default_rng(rng)


def _plan(spec: ProfileSpec, pops: list[str], n: int | None) -> _Plan:
    published = np.array([spec.population_n(p) for p in pops], dtype=float)
    total = int(published.sum()) if n is None else int(n)
    sizes_arr = C.largest_remainder(published, total)
    sizes = dict(zip(pops, (int(s) for s in sizes_arr)))
    default = n is None or total == int(published.sum())
    # OASys coverage per group, allocated jointly so group totals match the derived counts.
    counts = spec.derived["oasys_counts"]
    oasys: dict[str, int] = {}
    for group, members in (
        ("standard", ["standard"]),
        ("not_standard", [p for p in pops if p != "standard"]),
    ):
        members = [p for p in members if p in sizes]
        if not members:
            continue
        group_pub = sum(
            spec.population_n(p) for p in POPULATIONS if (p == "standard") == (group == "standard")
        )
        group_n = sum(sizes[p] for p in members)
        frac = counts[group] / group_pub
        total_o = int(round(frac * group_n))
        alloc = C.largest_remainder([sizes[p] for p in members], total_o)
        oasys.update(zip(members, (int(a) for a in alloc)))
    return _Plan(sizes=sizes, oasys=oasys, default=default)


def generate_cohort(
    spec: ProfileSpec | None = None,
    n: int | None = None,
    populations: Iterable[str] | str | None = None,
    *,
    rng: np.random.Generator | int | None = None,
    programmes: ProgrammeRules | None = None,
) -> pd.DataFrame:
    """Generate a synthetic census cohort calibrated to a published profile.

    Parameters
    ----------
    spec : ProfileSpec, optional
        From :func:`toolkit.load_profile`; defaults to the shipped profile.
    n : int, optional
        Total number of people. Defaults to the published N of the chosen populations
        (64,494 for all of them: Table 1's "All prisoners"). Populations are scaled in proportion
        by largest remainder.
    populations : str or iterable of str, optional
        Restrict to these populations (``standard``, ``extended``, ``fixed_term``, ``ipp_dpp``,
        ``life``, ``hdc``, ``other_sentenced``).
    rng : numpy.random.Generator or int, optional
        Source of randomness; an int is a seed. Same seed, same cohort.
    programmes : ProgrammeRules, optional
        Programme rules whose default readings the programme columns are built to satisfy
        (Table 2); defaults to the shipped ``programmes.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per person with the columns of :data:`toolkit.schema.COLUMNS`.

    Raises
    ------
    UsageError
        For an unknown population or a non-positive ``n``.

    Notes
    -----
    At the published N every published mean and share is met at its printed precision (see
    ``recall-toolkit fidelity``), except where the audit shows the paper cannot be met. At other
    N the same per-population means are met; shares are met to within one person.

    Examples
    --------
    >>> df = generate_cohort(populations=["hdc"], rng=1)
    >>> len(df), round(float(df["age"].mean()), 1)
    (74, 31.9)
    """
    spec, pops, n, rng = _generate_cohort_iv(spec, n, populations, rng)
    targets = resolve_targets(spec)
    plan = _plan(spec, pops, n)
    chol = np.linalg.cholesky(np.asarray(spec.assumptions["correlation"]["matrix"], dtype=float))
    # One stream per population (by its fixed position) and one per need group, so restricting
    # populations leaves the others' draws unchanged.
    streams = rng.spawn(len(POPULATIONS) + 3)
    blocks = []
    for i, pop in enumerate(POPULATIONS):
        if plan.sizes.get(pop, 0) > 0:
            blocks.append(_population_block(pop, plan, spec, targets, chol, streams[i]))
    if len(blocks) == 1:  # no copy for a single population (e.g. 1,000,000 standard recalls)
        cols = blocks[0]
    else:
        cols = {k: np.concatenate([b.pop(k) for b in blocks]) for k in list(blocks[0])}
    del blocks
    _need_items(cols, spec, plan, streams[-3:-1])
    rules = load_programme_rules() if programmes is None else programmes
    extra = add_programme_columns(cols, rules, streams[-1])  # columns the schema lacks
    df = _to_frame(cols)
    return pd.concat([df, pd.DataFrame(extra, index=df.index)], axis=1) if extra else df


# --------------------------------------------------------------------------------------------
# one population
# --------------------------------------------------------------------------------------------


def _share(spec: ProfileSpec, tid: str) -> float:
    return spec.target(tid).value


def _population_block(pop, plan, spec, targets: ResolvedTargets, chol, g) -> dict[str, np.ndarray]:
    m = plan.sizes[pop]
    a = spec.assumptions
    is_recall = pop in RECALL_TYPES
    mt = targets.means[pop]
    z = g.standard_normal((m, len(LATENTS))) @ chol.T

    out: dict[str, np.ndarray] = {}
    out["population"] = np.full(m, POPULATIONS.index(pop), dtype=np.int16)
    out["recall_type"] = np.full(m, RECALL_TYPES.index(pop) if is_recall else -1, dtype=np.int16)

    # Sex and ethnicity: exact counts, random order.
    male = _share(spec, "text.sex.male.all_recalled") if is_recall else a["sex"]["male_share"][pop]
    male = a["sex"]["male_share"].get(pop, male)
    sex = C.exact_shuffle(C.largest_remainder([male, 100 - male], m), g)
    white = (
        _share(spec, "text.ethnicity.white.all_recalled")
        if is_recall
        else a["ethnicity"]["white_share"][pop]
    )
    white = a["ethnicity"]["white_share"].get(pop, white)
    split = a["ethnicity"]["non_white_split"]
    eth_w = [white] + [(100 - white) * split[e] for e in ETHNICITIES[1:]]
    out["sex"] = sex
    out["ethnicity"] = C.exact_shuffle(C.largest_remainder(eth_w, m), g)

    # Age: logit-normal on [lower, upper], exact integer sum.
    ag = a["age"]
    age_c = C.bounded_logit_normal(
        z[:, _LAT["age"]], ag["lower"], ag["upper"], ag["sigma"], mt["age"]
    )
    age = C.integerise_to_sum(age_c, int(round(m * mt["age"])))
    out["age"] = age

    # Career length: a fraction of (age - minimum age at first sanction), mean exact.
    cr = a["career"]
    room = age - cr["min_age_first_sanction"]
    eta = cr["sigma"] * z[:, _LAT["career"]]
    mu = C.solve_location(
        lambda u: float(np.mean(room * expit(u + eta))), mt["years_since_first_sanction"]
    )
    years = np.round(room * expit(mu + eta), 2)
    out["years_since_first_sanction"] = years
    out["age_at_first_sanction"] = np.round(age - years, 2)

    # Previous breaches: lognormal latent scaled to the mean, exact integer sum.
    xb = np.exp(a["previous_breaches"]["sigma"] * z[:, _LAT["breaches"]])
    xb *= mt["previous_breaches"] / xb.mean()
    breaches = C.integerise_to_sum(xb, int(round(m * mt["previous_breaches"])))
    out["previous_breaches"] = breaches

    # Index offence: published groups for standard recalls, assumed elsewhere.
    off_codes = C.exact_shuffle(_offence_counts(spec, pop, m), g)
    out["index_offence"] = off_codes

    # Previous sanctions solved so OGRS3 (published formula) meets the published mean.
    sanctions, p1, p2 = _sanctions_for_ogrs3(
        spec,
        z[:, _LAT["sanction_rate"]],
        years,
        breaches,
        age,
        sex == 1,
        off_codes,
        mt["ogrs3_2yr"],
        g,
    )
    out["previous_sanctions"] = sanctions
    out["ogrs3_1yr"] = np.round(100 * p1, FLOAT_DECIMALS)
    out["ogrs3_2yr"] = np.round(100 * p2, FLOAT_DECIMALS)

    # Other scores: logit-normal with offence shifts, means exact.
    for col, lat in (("ogrs4v_2yr", "ogrs4v"), ("osp_2yr", "osp"), ("rsr_2yr", "rsr")):
        blk = a["scores"][col]
        shift = _offence_shift(blk.get("offence_shift", {}))[off_codes]
        x = C.bounded_logit_normal(z[:, _LAT[lat]], 0.0, 100.0, blk["sigma"], mt[col], shift)
        out[col] = np.round(x, FLOAT_DECIMALS)

    # RoSH: exact High/Very High count, levels by rank of a latent.
    rs = a["rosh"]
    n_hv = (
        targets.rosh_counts_default[pop]
        if plan.default
        else int(round(m * targets.rosh_share[pop] / 100))
    )
    n_vh = int(round(n_hv * rs["very_high_share_of_high_or_very_high"]))
    n_med = int(round((m - n_hv) * rs["medium_share_of_low_or_medium"]))
    latent = z[:, _LAT["rosh"]] + _offence_shift(rs.get("offence_shift", {}))[off_codes]
    out["rosh"] = C.assign_by_rank(latent, [m - n_hv - n_med, n_med, n_hv - n_vh, n_vh])

    # Recall reason: same published mix in every recall type.
    if is_recall:
        w = [_share(spec, f"text.recall_reason.{r}.all_recalled") for r in RECALL_REASONS]
        out["recall_reason"] = C.exact_shuffle(C.largest_remainder(w, m), g)
    else:
        out["recall_reason"] = np.full(m, -1, dtype=np.int16)

    out["days_on_recall"] = _days_on_recall(spec, pop, m, z[:, _LAT["recall_time"]], g)
    out["days_to_sed"] = _days_to_sed(spec, pop, m, z[:, _LAT["sed_time"]], g)

    has = np.zeros(m, dtype=bool)
    k = plan.oasys.get(pop, 0)
    if k:
        has[g.choice(m, size=k, replace=False)] = True
    out["has_oasys"] = has
    out["_z_need"] = z[:, _LAT["need"]].copy()  # a copy, so the full latent matrix can be freed
    return out


def _offence_shift(shifts: Mapping[str, float]) -> np.ndarray:
    v = np.zeros(len(INDEX_OFFENCES))
    for off, s in shifts.items():
        v[_OFF[off]] = s
    return v


def _offence_counts(spec: ProfileSpec, pop: str, m: int) -> np.ndarray:
    oa = spec.assumptions["index_offence"]
    if pop == "standard":
        shares = [
            _share(spec, f"text.index_offence_group.{g}.standard") for g in INDEX_OFFENCE_GROUPS
        ]
    else:
        shares = [oa["group_shares"][pop][g] for g in INDEX_OFFENCE_GROUPS]
    group_counts = C.largest_remainder(shares, m)
    counts = np.zeros(len(INDEX_OFFENCES), dtype=np.int64)
    for g_name, g_count in zip(INDEX_OFFENCE_GROUPS, group_counts):
        members = [o for o in INDEX_OFFENCES if OFFENCE_TO_GROUP[o] == g_name]
        if len(members) == 1:
            counts[_OFF[members[0]]] = g_count
            continue
        within = oa["within_group"][g_name]
        split = C.largest_remainder([within.get(o, 0.0) for o in members], int(g_count))
        for o, c in zip(members, split):
            counts[_OFF[o]] = c
    return counts


def _sanctions_for_ogrs3(spec, z_rate, years, breaches, age, female, off_codes, target, g):
    """Previous sanctions such that mean OGRS3 2-year (percent) equals ``target``.

    A continuous scale is solved with brentq, sanctions are rounded, then vectorised repair
    rounds move single sanctions where they bring the mean closest to the target.
    """
    c = ogrs3_coefficients()
    band = np.clip(np.searchsorted(c.age_lower, age, side="right") - 1, 0, len(c.age_lower) - 1)
    fixed = np.where(female, c.female[band], c.male[band]) + c.offence[off_codes] + c.intercept_2yr
    log_den = np.log(10.0 + years)
    base = np.exp(spec.assumptions["previous_sanctions"]["sigma"] * z_rate) * (years + 1.0)

    def prob2(s, idx=slice(None)):
        s = np.asarray(s, dtype=float)
        term = np.where(s > 0, c.repeat_sanction, c.first_sanction)
        return expit(fixed[idx] + c.copas * (np.log1p(s) - log_den[idx]) + term)

    def cont_mean(logc):
        return 100.0 * float(np.mean(prob2(np.maximum(np.exp(logc) * base, breaches))))

    logc = C.solve_location(cont_mean, target, lo=-20.0, hi=20.0)
    s = np.maximum(np.floor(np.exp(logc) * base + 0.5), breaches).astype(np.int64)
    m = len(s)
    tol = 1e-3  # percent points; far inside the printed half-unit (0.05)
    for _ in range(60):
        p = prob2(s)
        gap = target - 100.0 * p.mean()
        if abs(gap) <= tol:
            break
        need = gap * m  # total percent-points to move
        step = 1 if need > 0 else -1
        cand = np.flatnonzero(s + step >= breaches) if step < 0 else np.arange(m)
        if cand.size == 0:
            break
        delta = 100.0 * (prob2(s[cand] + step, cand) - p[cand])
        order = g.permutation(cand.size)
        cs = np.cumsum(delta[order])
        k = int(np.argmin(np.abs(cs - need)))
        if abs(cs[k] - need) < abs(need) and k > 0:
            s[cand[order[: k + 1]]] += step
        else:
            j = int(np.argmin(np.abs(delta - need)))
            if abs(delta[j] - need) >= abs(need):
                break
            s[cand[j]] += step
    p2 = prob2(s)
    term = np.where(s > 0, c.repeat_sanction, c.first_sanction)
    lin1 = fixed - c.intercept_2yr + c.intercept_1yr + c.copas * (np.log1p(s) - log_den) + term
    return s, expit(lin1), p2


def _band_days(band: np.ndarray, u: np.ndarray, excess_mean: float) -> np.ndarray:
    lo = np.array([0, SIX_MONTHS_DAYS, YEAR_DAYS])[band]
    width = np.array([SIX_MONTHS_DAYS, YEAR_DAYS - SIX_MONTHS_DAYS, 0])[band]
    days = lo + np.floor(u * width)
    over = band == 2
    days[over] = YEAR_DAYS + np.floor(-excess_mean * np.log1p(-u[over]))
    return days


def _days_on_recall(spec, pop, m, z, g) -> np.ndarray:
    """Days back in custody on census day; -1 means not recorded (NA)."""
    if pop not in RECALL_TYPES:
        return np.full(m, -1, dtype=np.int64)
    a = spec.assumptions["days_on_recall"]
    blk = a[pop]
    u = g.random(m)
    if pop == "standard":
        shares = [_share(spec, f"text.days_on_recall.{b}.standard") for b in DAYS_ON_RECALL_BANDS]
    elif "bands" in blk:
        shares = [blk["bands"][b] for b in DAYS_ON_RECALL_BANDS]
    else:
        return np.floor(u * blk["max_days"]).astype(np.int64)
    unknown = max(0.0, 100.0 - sum(shares))
    counts = C.largest_remainder([*shares, unknown], m)
    days = np.full(m, -1, dtype=np.int64)
    known = np.ones(m, dtype=bool)
    if counts[-1]:
        known[g.choice(m, size=int(counts[-1]), replace=False)] = False
    idx = np.flatnonzero(known)
    band = C.assign_by_rank(z[idx], counts[:-1])
    days[idx] = _band_days(band, u[idx], a["over_12m_mean_excess_days"]).astype(np.int64)
    return days


def _days_to_sed(spec, pop, m, z, g) -> np.ndarray:
    """Days from census to Sentence End Date; -1 means none (indeterminate) or not recalled."""
    a = spec.assumptions["days_to_sed"]
    if pop == "standard":
        share = _share(spec, "text.days_to_sed.1yr_plus.standard")
    elif pop in RECALL_TYPES:
        share = a["share_1yr_plus"][pop]
    else:
        share = "none"
    if share == "none":
        return np.full(m, -1, dtype=np.int64)
    n_long = int(round(m * share / 100))
    long_ = C.assign_by_rank(z, [m - n_long, n_long]) == 1
    u = g.random(m)
    days = 1 + np.floor(u * (YEAR_DAYS - 1))
    days[long_] = YEAR_DAYS + np.floor(-a["over_1yr_mean_excess_days"] * np.log1p(-u[long_]))
    return days.astype(np.int64)


# --------------------------------------------------------------------------------------------
# need items (group level: standard recalls vs everyone else, as in Figure 1)
# --------------------------------------------------------------------------------------------


def _need_items(cols, spec, plan, group_streams) -> None:
    a = spec.assumptions
    pop = cols["population"]
    std = POPULATIONS.index("standard")
    n_all = len(pop)
    items = {it: np.full(n_all, -1, dtype=np.int64) for it in NEED_ITEMS}
    domains = np.full(n_all, -1, dtype=np.int64)
    lam, gap = a["need_items"]["loading"], a["need_items"]["threshold_gap"]
    nd = a["need_domains"]
    dens = spec.derived["figure1_denominators"]
    counts = spec.derived["oasys_counts"]
    for (group, in_group), g in zip(
        (("standard", pop == std), ("not_standard", pop != std)), group_streams
    ):
        idx = np.flatnonzero(in_group & cols["has_oasys"])
        n_o = idx.size
        if n_o == 0:
            continue
        z_need = cols["_z_need"][idx]
        default = plan.default and n_o == counts[group]
        for item in NEED_ITEMS:
            n_j = (
                dens[group][item]
                if default
                else int(round(dens[group][item] * n_o / counts[group]))
            )
            n_j = min(n_j, n_o)
            raw = spec.target(f"figure1.{item}.{group}").value
            total = int(round(raw * n_j))
            n1, n2 = C.ordinal_counts(n_j, total, gap)
            scored = np.ones(n_o, dtype=bool)
            if n_o > n_j:
                scored[g.choice(n_o, size=n_o - n_j, replace=False)] = False
            sel = np.flatnonzero(scored)
            zi = lam * z_need[sel] + np.sqrt(1 - lam**2) * g.standard_normal(sel.size)
            items[item][idx[sel]] = C.assign_by_rank(zi, [n_j - n1 - n2, n1, n2])
        t = spec.target(f"text.need_domains.{group}").value
        zd = nd["loading"] * z_need + np.sqrt(1 - nd["loading"] ** 2) * g.standard_normal(n_o)
        x = C.bounded_logit_normal(zd, 0.0, float(nd["max_domains"]), nd["sigma"], t)
        domains[idx] = C.integerise_to_sum(x, int(round(n_o * t)))
    for item in NEED_ITEMS:
        cols[item] = items[item]
    cols["need_domains"] = domains
    del cols["_z_need"]


# --------------------------------------------------------------------------------------------
# assemble
# --------------------------------------------------------------------------------------------


def _nullable_int(values: np.ndarray) -> pd.arrays.IntegerArray:
    v = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(np.where(v < 0, 0, v), v < 0)


def _to_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(cols["population"])
    data: dict[str, object] = {"person_id": np.arange(1, n + 1, dtype=np.int64)}
    cats = {
        "population": POPULATIONS,
        "recall_type": RECALL_TYPES,
        "sex": ("male", "female"),
        "ethnicity": ETHNICITIES,
        "index_offence": INDEX_OFFENCES,
        "rosh": ROSH_LEVELS,
        "recall_reason": RECALL_REASONS,
    }
    group_of = np.array([INDEX_OFFENCE_GROUPS.index(OFFENCE_TO_GROUP[o]) for o in INDEX_OFFENCES])
    cols["index_offence_group"] = group_of[cols["index_offence"]]
    cats["index_offence_group"] = INDEX_OFFENCE_GROUPS
    for col in COLUMNS:
        if col.name == "person_id":
            continue
        v = cols[col.name]
        if col.name in ("days_on_recall", "days_to_sed"):
            v = np.where(v < 0, np.nan, v.astype(np.float64))
        if col.dtype == "boolean":
            data[col.name] = pd.arrays.BooleanArray(v == 1, v < 0)
            continue
        if col.name in cats:
            data[col.name] = pd.Categorical.from_codes(v, dtype=col.dtype)
        elif col.dtype == "Int64":
            data[col.name] = _nullable_int(v)
        else:
            data[col.name] = np.asarray(v).astype(col.dtype, copy=False)
    # copy=False: the arrays are ours and fresh; skipping pandas' block consolidation saves a
    # full copy of the table (about 0.6 s and 300 MB at 1,000,000 rows).
    return pd.DataFrame(data, copy=False)
