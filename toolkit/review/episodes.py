"""Admissions episodes: who is recalled, and each person's draws (when they become releasable,
their sentence, decision delays, outcome uniforms), in array form.

A census over-represents long stays, so admissions are drawn from the census rows with weights
``1 / E[stay | person]`` (:func:`stay_weights`), the expected stay coming from the model itself
under the status-quo (formal) reviews. ``E[stay | person]`` does not depend on the flow's
composition (no shared capacity in the status quo), so one pass is the fixed point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.categories import RECALL_TYPES
from toolkit.exceptions import CohortError, UsageError
from toolkit.mathfn import expit, logit
from toolkit.review.census import (  # noqa: F401 - re-exported (they lived here before)
    REQUIRED,
    RISK_CENTRE,
    RISK_SCALE,
    Census,
    prepare_census,
)
from toolkit.review.policy import ROSH_LEVELS, ReleaseRules

DEFAULT_PARAMS = {"mu_d": 5.6, "sigma_d": 0.9, "q_never": 0.3, "mu_m": 3.0}
#: Seed of the probe episodes that estimate E[stay | person] (fixed: weights are a property of
#: the model and the census, not of a replication).
_PROBE_SEED, _PROBE_DRAWS = 20160331, 8


@dataclass(frozen=True)
class Episodes:
    """An admissions cohort: one recall episode per row (arrays of equal length).

    Days are days since recall; ``inf`` means never (within the sentence or horizon).
    """

    n: int
    cohort_row: np.ndarray
    recall_type: np.ndarray
    sed: np.ndarray
    releasable_day: np.ndarray  # day the person became releasable; inf if never or declines
    latent_day: np.ndarray  # the risk part of it (inf if never)
    declines: np.ndarray
    exec_ok: np.ndarray  # the executive route is open to this person
    exec_open_day: np.ndarray  # first day an executive review can release (inf: never)
    charge_day: np.ndarray  # day a pending further charge stops blocking executive release (0)
    om_contact_day: np.ndarray
    accommodation_day: np.ndarray  # inf if no need or never secured
    programme_day: np.ndarray  # inf if no unmet need
    event_day: np.ndarray  # (n, 2): accommodation secured, programme completed (views)
    auto_day: np.ndarray  # nan unless automatic release
    reviewable: np.ndarray
    board_day: np.ndarray  # day the Board directs release (inf if it never does)
    first_board_day: np.ndarray  # first determination day (inf for automatic types)
    exec_delay: np.ndarray
    key: np.ndarray
    u_rerecall: np.ndarray
    u_reoffend: np.ndarray
    u_sfo: np.ndarray
    u_order: np.ndarray  # per-person draw for random orderings (common random numbers)
    h_rerecall: np.ndarray
    h_reoffend: np.ndarray
    h_sfo: np.ndarray
    admit_day: np.ndarray


def params_from(rules: ReleaseRules, params: dict | None) -> dict:
    """The person-model parameters: given, else the calibrated values in the rules."""
    if params is not None:
        return {k: float(params[k]) for k in DEFAULT_PARAMS}
    return {k: float(rules.calibrated[k]) for k in DEFAULT_PARAMS}


def _types(populations: Sequence[str]) -> list[str]:
    pops = list(populations)
    if not pops or any(p not in RECALL_TYPES for p in pops):
        raise UsageError(
            f"populations must be recall types ({', '.join(RECALL_TYPES)}); got {pops}"
        )
    return pops


def law_applies(since: str | None, date: str) -> bool:
    """Whether a rule in force from ``since`` (ISO date; None: always) applies at ``date``."""
    return since is None or str(date) >= str(since)


@dataclass(frozen=True)
class Draws:
    """The random numbers of one draw of episodes, one row per episode, in the order they are
    drawn from the generator (so a draw is reproducible from its generator alone)."""

    z: np.ndarray  # (n, 7) standard normals
    u: np.ndarray  # (n, 11) uniforms
    key: np.ndarray  # uint64 hash keys of the review and Board draws
    e: np.ndarray  # standard normals of the executive decision delay

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Draws:
        """``n`` episodes' random numbers from ``rng``."""
        z = rng.standard_normal((n, 7))
        u = rng.random((n, 11))
        key = rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64)
        return cls(z, u, key, rng.standard_normal(n))

    def take(self, idx: np.ndarray) -> Draws:
        """The random numbers of the episodes ``idx``."""
        return Draws(self.z[idx], self.u[idx], self.key[idx], self.e[idx])


def draw_episodes(
    census: Census,
    rows: np.ndarray,
    rules: ReleaseRules,
    p: dict,
    rng: np.random.Generator,
    *,
    sed: np.ndarray | None = None,
) -> Episodes:
    """Episodes for the census ``rows`` given (one per entry), every draw from ``rng``.

    ``sed``: days to SED given (a re-recall's remaining sentence) instead of drawn; the draws
    from ``rng`` are the same either way (common random numbers).

    Each recall type has its own clock: time to SED is log-normal with the fitted spread and
    the fitted median times the type's ``sed_median_ratio`` (the cohort's median days to SED
    of that type over the standard recalls'); an HDC recall ends at the conditional release
    date (uniform within the longest curfew), a fixed-term recall after 14 or 28 days by the
    law in force at ``rules.modelled_date``.
    """
    return episodes_from(census, rows, rules, p, Draws.draw(rng, rows.size), sed=sed)


def _per_type(types, rtype: np.ndarray, value) -> np.ndarray:
    """``value(rule)`` of each recall type, looked up for each episode's type."""
    return np.array([value(t) for t in types])[rtype]


def _sentence_clock(types, rtype, p: dict, z, u, sed):
    """Days to SED (and, for HDC, to the conditional release date) of each episode."""
    has_sed = _per_type(types, rtype, lambda t: t.release_at_sed)
    log_ratio = np.log(np.array([t.sed_median_ratio for t in types]))[rtype]
    drawn = np.maximum(np.exp(p["mu_d"] + log_ratio + p["sigma_d"] * z[:, 0]), 29.0)
    curfew = _per_type(types, rtype, lambda t: t.curfew_max_days or np.nan)
    # HDC: days to the conditional release date, uniform over the curfew (at least a day); the
    # SED lies after it (the drawn licence period beyond CRD)
    crd = np.where(np.isfinite(curfew), np.maximum(np.ceil(u[:, 8] * curfew), 1.0), np.nan)
    if sed is None:
        sed = np.where(has_sed, np.where(np.isfinite(crd), crd + drawn, drawn), np.inf)
    else:
        sed = np.asarray(sed, dtype=float)
    return sed, crd


def _readiness(census: Census, rows, rules: ReleaseRules, p: dict, z, u) -> dict:
    """When each person is releasable: risk manageable, accommodation and programme barriers,
    OM contact, and whether they decline release."""
    per = rules.person
    risk, rosh = census.risk[rows], census.rosh[rows]
    high_rosh = rosh >= 2
    never = u[:, 0] < expit(
        logit(np.clip(p["q_never"], 1e-9, 1 - 1e-9))
        + per["never_risk_loading"] * risk
        + per["never_rosh_loading"] * high_rosh
    )
    latent = np.exp(
        p["mu_m"]
        + per["risk_loading"] * risk
        + per["need_loading"] * census.need[rows]
        + per["rosh_loading"] * np.maximum(rosh, 0)
        + per["sigma"] * z[:, 1]
    )
    latent = np.where(never, np.inf, latent)
    contact = np.exp(np.log(per["om_contact_median"]) + per["om_contact_sigma"] * z[:, 2])
    accom_need = census.accommodation_need[rows]
    accom = np.where(
        accom_need,
        np.exp(np.log(per["accommodation_median"]) + per["accommodation_sigma"] * z[:, 3]),
        np.inf,
    )
    unmet = census.unmet_programme[rows]
    prog = np.where(
        unmet, np.exp(np.log(per["programme_median"]) + per["programme_sigma"] * z[:, 4]), np.inf
    )
    # completing a programme is no release condition in law (s.255C(3) is a public-protection
    # test); a share of decisions is assumed to wait for it (the rest look for the
    # intervention in the community, as Better Outcomes asks)
    prog_binds = unmet & (u[:, 9] < per["programme_binding_share"])
    declines = u[:, 1] < rules.prefer_stay_share * rules.declines_release_share
    # Releasable on the latest of: risk manageable, accommodation (if needed), programme
    # completed (where the decision waits for it); never for people who decline. OM contact
    # (and a pending charge, below) holds the executive route only: the OM starts an executive
    # re-release, while the Board's referral at day 28 is statutory (s.255C(4)).
    ready = np.maximum.reduce(
        [latent, np.where(accom_need, accom, 0.0), np.where(prog_binds, prog, 0.0)]
    )
    return dict(
        latent=latent,
        contact=contact,
        accom=accom,
        prog=prog,
        declines=declines,
        releasable=np.where(declines, np.inf, ready),
    )


def _routes(types, rtype, rosh, rules: ReleaseRules, draws: Draws, sed, crd, ready: dict) -> dict:
    """Each episode's release routes: automatic day, the Board's reviews and release day, and
    when the executive route opens."""
    z, u, key = draws.z, draws.u, draws.key
    releasable = ready["releasable"]
    reviewable = _per_type(types, rtype, lambda t: t.release == "review")
    auto = _per_type(types, rtype, lambda t: t.automatic_release_day or np.nan)
    short_day = _per_type(types, rtype, lambda t: t.short_sentence_release_day or np.nan)
    # 14-day fixed-term recalls exist only under the law in force at the modelled date
    share14 = _per_type(
        types,
        rtype,
        lambda t: (
            t.short_sentence_share
            if law_applies(t.short_sentence_from, rules.modelled_date)
            else 0.0
        ),
    )
    short = u[:, 2] < share14
    auto = np.where(short & np.isfinite(short_day), short_day, auto)
    auto = np.where(np.isfinite(crd), crd, auto)
    exec_ok = _per_type(types, rtype, lambda t: t.executive) & ~np.isin(
        rosh, [ROSH_LEVELS.index(x) for x in rules.excluded_rosh]
    )
    referral = _per_type(types, rtype, lambda t: t.board_referral_day or np.inf)
    every = _per_type(types, rtype, lambda t: t.board_review_every or np.inf)
    d_board = np.exp(
        np.log(max(rules.delay_parole_board, 1e-9)) + rules.delay_parole_board_sigma * z[:, 5]
    )
    first_board = np.where(reviewable, referral + d_board, np.inf)
    limit = np.minimum(sed, rules.horizon_days)
    from toolkit.review.mechanism import board_release_day

    board = board_release_day(
        first_board, every, releasable, limit, key, rules.board_direction_probability
    )
    exec_delay = np.exp(
        np.log(max(rules.delay_executive, 1e-9)) + rules.delay_executive_sigma * draws.e
    )
    # a pending further charge holds executive release until it is dealt with (assumed)
    charged = u[:, 10] < rules.charge_share
    charge_day = np.where(
        charged,
        np.exp(np.log(rules.charge_delay_median) + rules.charge_delay_sigma * z[:, 6]),
        0.0,
    )
    exec_open = np.where(
        exec_ok, np.maximum.reduce([releasable, ready["contact"], charge_day]), np.inf
    )
    return dict(
        reviewable=reviewable,
        auto=auto,
        exec_ok=exec_ok,
        first_board=first_board,
        board=board,
        exec_delay=exec_delay,
        charge_day=charge_day,
        exec_open=exec_open,
    )


def episodes_from(
    census: Census,
    rows: np.ndarray,
    rules: ReleaseRules,
    p: dict,
    draws: Draws,
    *,
    sed: np.ndarray | None = None,
) -> Episodes:
    """Episodes for the census ``rows`` from their random numbers (:class:`Draws`, one row per
    entry of ``rows``); see :func:`draw_episodes`. Every episode depends on its own row only,
    so the episodes of a subset are the subset of the episodes."""
    rtype = census.recall_type[rows]
    types = [rules.types[t] for t in RECALL_TYPES]
    u = draws.u
    sed, crd = _sentence_clock(types, rtype, p, draws.z, u, sed)
    ready = _readiness(census, rows, rules, p, draws.z, u)
    route = _routes(types, rtype, census.rosh[rows], rules, draws, sed, crd, ready)
    reviewable = route["reviewable"]
    ogrs, rsr = census.ogrs[rows], census.rsr[rows]
    h_reoff = -np.log1p(-ogrs) / 730
    return Episodes(
        n=rows.size,
        cohort_row=rows,
        recall_type=rtype,
        sed=sed,
        releasable_day=ready["releasable"],
        latent_day=ready["latent"],
        declines=ready["declines"],
        exec_ok=route["exec_ok"],
        exec_open_day=route["exec_open"],
        charge_day=route["charge_day"],
        om_contact_day=ready["contact"],
        accommodation_day=ready["accom"],
        programme_day=ready["prog"],
        event_day=np.column_stack([ready["accom"], ready["prog"]]),
        auto_day=np.where(reviewable, np.nan, route["auto"]),
        reviewable=reviewable,
        board_day=np.where(reviewable, route["board"], np.inf),
        first_board_day=route["first_board"],
        exec_delay=route["exec_delay"],
        key=draws.key,
        u_rerecall=u[:, 3],
        u_reoffend=u[:, 4],
        u_sfo=u[:, 5],
        u_order=u[:, 6],
        h_rerecall=h_reoff * rules.re_recall_multiplier,
        h_reoffend=h_reoff * rules.reoffending_multiplier,
        h_sfo=-np.log1p(-rsr) / 730 * rules.sfo_multiplier,
        admit_day=u[:, 7] * 365.0,
    )


def stay_cells(census: Census, rows: np.ndarray) -> np.ndarray:
    """Cell of each census row for smoothing E[stay | person]: recall type x accommodation need x
    unmet programme need x RoSH x OGRS3 quintile (the attributes the model's stay depends on)."""
    risk = census.risk[rows]
    q = np.searchsorted(np.quantile(risk, [0.2, 0.4, 0.6, 0.8]), risk)
    cell = census.recall_type[rows] * 2 + census.accommodation_need[rows]
    cell = cell * 2 + census.unmet_programme[rows]
    cell = cell * 5 + (census.rosh[rows] + 1)
    return cell * 5 + q


def stay_weights(census: Census, rows: np.ndarray, rules: ReleaseRules, p: dict) -> np.ndarray:
    """Flow weight ``1 / E[stay | person]`` of each census row, E[stay] from the model.

    Each row gets ``_PROBE_DRAWS`` probe episodes under formal reviews (fixed seed); stays are
    averaged within cells of the attributes the stay depends on (:func:`stay_cells`), which keeps
    the estimate smooth (a per-row mean of 8 draws would bias ``1/mean`` upward).
    """
    from toolkit.review.mechanism import formal_plan, release_outcomes

    rep = np.repeat(rows, _PROBE_DRAWS)
    ep = draw_episodes(census, rep, rules, p, np.random.default_rng(_PROBE_SEED))
    stay = release_outcomes(ep, formal_plan(ep, rules), rules)["release_day"]
    cell = np.repeat(stay_cells(census, rows), _PROBE_DRAWS)
    _, inv = np.unique(cell, return_inverse=True)
    mean = np.bincount(inv, weights=stay) / np.bincount(inv)
    return 1.0 / np.maximum(mean[inv[::_PROBE_DRAWS]], 1.0)


def build_episodes(
    cohort,
    rules: ReleaseRules,
    n: int,
    *,
    populations: Sequence[str] = ("standard",),
    params: dict | None = None,
    weights: np.ndarray | None = None,
    rng: np.random.Generator | int | None = None,
) -> Episodes:
    """Draw an admissions cohort of ``n`` recall episodes from a census cohort.

    Census rows of the given recall types are drawn with probability proportional to
    ``1 / E[stay | person]`` (:func:`stay_weights`), so the steady-state stock of the simulated
    flow reproduces the census it came from. ``weights`` (from :func:`stay_weights` on the same
    rows) may be passed to avoid recomputing them for every replication.
    """
    census = prepare_census(cohort)
    rng = np.random.default_rng(rng)
    p = params_from(rules, params)
    codes = [RECALL_TYPES.index(t) for t in _types(populations)]
    rows = np.flatnonzero(np.isin(census.recall_type, codes))
    if rows.size == 0:
        raise CohortError(f"cohort has no people in {list(populations)}")
    w = stay_weights(census, rows, rules, p) if weights is None else weights
    idx = rows[rng.choice(rows.size, size=n, p=w / w.sum())]
    return draw_episodes(census, idx, rules, p, rng)
