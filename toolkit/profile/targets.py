"""Turn a profile spec into per-population generator targets that are mutually consistent.

The Appendix prints each recall type's mean, the all-recalled mean and the all-prisoners mean,
each rounded. A cohort must meet all three levels at once, so each type's target is chosen
*inside its own rounding interval* such that the N-weighted mixture also rounds to the printed
all-recalled value (a uniform shift: the least-squares solution when all types share one
precision). The rest of the sentenced population is then whatever makes the all-prisoners row
hold: ``(N_all * all - N_recalled * recalled_mix) / N_other``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from toolkit.profile.spec import ProfileSpec
from toolkit.schema import RECALL_TYPES

MEAN_VARIABLES = (
    "age",
    "years_since_first_sanction",
    "previous_breaches",
    "ogrs3_2yr",
    "ogrs4v_2yr",
    "osp_2yr",
    "rsr_2yr",
)
#: How far inside the all-recalled rounding interval the adjusted mixture is aimed (fraction of
#: the half-width), so that later integer rounding cannot push it out.
AIM_INSIDE = 0.6
#: Largest uniform shift allowed, as a fraction of a type's half-width.
MAX_SHIFT = 0.8


@dataclass(frozen=True)
class MixtureResolution:
    """How one Appendix column was made consistent across rows."""

    variable: str
    point_mixture: float
    published_all_recalled: float
    shift: float
    feasible: bool
    other_sentenced: float


@dataclass(frozen=True)
class ResolvedTargets:
    """Per-population means and High/Very High RoSH shares used by the generator."""

    means: Mapping[str, Mapping[str, float]]
    rosh_share: Mapping[str, float]
    rosh_counts_default: Mapping[str, int]
    mixtures: Mapping[str, MixtureResolution]


def resolve_targets(spec: ProfileSpec) -> ResolvedTargets:
    """Compute the generator's per-population targets from a spec.

    Parameters
    ----------
    spec : ProfileSpec

    Returns
    -------
    ResolvedTargets
    """
    n = {t: spec.population_n(t) for t in RECALL_TYPES}
    n_rec = spec.population_n("all_recalled")
    n_all = spec.population_n("all_prisoners")
    n_other = spec.population_n("other_sentenced")
    means: dict[str, dict[str, float]] = {p: {} for p in (*RECALL_TYPES, "other_sentenced")}
    mixtures = {}
    for var in (*MEAN_VARIABLES, "rosh"):
        rows = {t: spec.target(f"appendix.{var}.{t}") for t in RECALL_TYPES}
        rec = spec.target(f"appendix.{var}.all_recalled")
        allp = spec.target(f"appendix.{var}.all_prisoners")
        h = min(r.half_unit for r in rows.values())
        mix0 = sum(n[t] * rows[t].value for t in RECALL_TYPES) / n_rec
        shift = 0.0
        if abs(mix0 - rec.value) > AIM_INSIDE * rec.half_unit:
            aim = rec.value - np.sign(rec.value - mix0) * AIM_INSIDE * rec.half_unit
            shift = aim - mix0
        feasible = bool(abs(shift) <= MAX_SHIFT * h)
        shift = float(np.clip(shift, -MAX_SHIFT * h, MAX_SHIFT * h))
        for t in RECALL_TYPES:
            means[t][var] = rows[t].value + shift
        mix = mix0 + shift
        other = (n_all * allp.value - n_rec * mix) / n_other
        means["other_sentenced"][var] = other
        mixtures[var] = MixtureResolution(var, mix0, rec.value, shift, feasible, other)

    rosh_counts = _rosh_counts(spec, n, n_rec, n_all, means)
    # Shares used at other N: the (shifted) printed share for each recall type; for the rest of
    # the sentenced population, the share its default count implies.
    rosh_share = {p: means[p].pop("rosh") for p in means}
    rosh_share["other_sentenced"] = 100.0 * rosh_counts["other_sentenced"] / n_other
    return ResolvedTargets(
        means=MappingProxyType({p: MappingProxyType(v) for p, v in means.items()}),
        rosh_share=MappingProxyType(rosh_share),
        rosh_counts_default=MappingProxyType(rosh_counts),
        mixtures=MappingProxyType(mixtures),
    )


def _rosh_counts(spec, n, n_rec, n_all, means) -> dict[str, int]:
    """Integer High/Very High counts per type that also give the printed all-recalled share.

    Each type's count starts at the nearest integer to its target and may move within the range
    of counts that still print as published; the all-recalled total is steered to the count
    nearest its printed share. Six types, so a short loop over types (not people).
    """
    counts = {}
    lo, hi = {}, {}
    for t in RECALL_TYPES:
        tgt = spec.target(f"appendix.rosh.{t}")
        h = tgt.half_unit
        counts[t] = int(round(n[t] * means[t]["rosh"] / 100))
        lo[t] = int(np.ceil(n[t] * (tgt.value - h) / 100 + 1e-9))
        hi[t] = int(np.floor(n[t] * (tgt.value + h) / 100 - 1e-9))
    rec = spec.target("appendix.rosh.all_recalled")
    want = int(round(n_rec * rec.value / 100))
    diff = want - sum(counts.values())
    for t in sorted(RECALL_TYPES, key=lambda t: -n[t]):
        while diff > 0 and counts[t] < hi[t]:
            counts[t] += 1
            diff -= 1
        while diff < 0 and counts[t] > lo[t]:
            counts[t] -= 1
            diff += 1
    allp = spec.target("appendix.rosh.all_prisoners")
    counts["other_sentenced"] = int(round(n_all * allp.value / 100)) - sum(counts.values())
    return counts
