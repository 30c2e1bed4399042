"""Write profiles the way a researcher would: only published figures, rounded as printed.

The figures are computed from a made-up "true" census (whole people, whole-number totals), so a
profile made here is internally consistent by construction: some cohort meets every figure at
once, whatever the sizes, the recall types kept, the categories dropped or the sex mix. That is
what the property tests need ("perturb the default profile within consistency") and what the
example profiles under ``tests/profiles/`` are made from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from toolkit.schema import ETHNICITIES, INDEX_OFFENCE_GROUPS, NEED_ITEMS, RECALL_REASONS

#: The default profile's recall-type means (Appendix), the centre the made-up truths vary around.
CENTRE = {
    "age": 34.0,
    "years_since_first_sanction": 14.5,
    "previous_breaches": 2.6,
    "ogrs3_2yr": 58.0,
    "ogrs4v_2yr": 38.0,
    "osp_2yr": 1.3,
    "rsr_2yr": 3.0,
}
INTEGER = ("age", "previous_breaches")
#: Population sizes of the 2014 census the default profile describes (the recall types'
#: Ns and the rest of the sentenced population): the proportions made-up censuses follow.
CENSUS_2014_SIZES = {
    "standard": 3912,
    "extended": 459,
    "fixed_term": 306,
    "ipp_dpp": 215,
    "life": 159,
    "hdc": 74,
    "other_sentenced": 59369,
}
DOC = "synthetic test profile"


@dataclass
class Truth:
    """A made-up census: sizes and whole-person totals per population."""

    sizes: dict[str, int]
    totals: dict[str, dict[str, float]] = field(default_factory=dict)  # var -> pop -> sum
    counts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # var -> pop -> k
    oasys: dict[str, int] = field(default_factory=dict)  # need group -> people with OASys
    items: dict[str, dict[str, int]] = field(default_factory=dict)  # group -> item -> sum


def make_truth(
    sizes: dict[str, int],
    rng: np.random.Generator,
    *,
    female_share: float = 4.0,
    drop_reason: str | None = None,
    jitter: float = 1.0,
) -> Truth:
    """A random consistent census with these population sizes."""
    t = Truth(sizes=dict(sizes))
    for var, centre in CENTRE.items():
        t.totals[var] = {}
        for p, n in sizes.items():
            mean = centre * (1 + 0.12 * jitter * rng.uniform(-1, 1))
            total = n * mean
            t.totals[var][p] = float(round(total)) if var in INTEGER else total
    recall = [p for p in sizes if p != "other_sentenced"]

    def split(n, weights):
        w = np.asarray(weights, float)
        k = np.floor(w / w.sum() * n).astype(np.int64)
        k[np.argmax(w)] += n - k.sum()
        return k

    t.counts["sex"] = {p: split(n, [100 - female_share, female_share]) for p, n in sizes.items()}
    t.counts["ethnicity"] = {
        p: split(n, [78 + 4 * rng.uniform(-1, 1), 10, 5, 5, 2]) for p, n in sizes.items()
    }
    reasons = np.array([43, 23, 12, 9, 13], float) * rng.uniform(0.8, 1.2, 5)
    if drop_reason:
        reasons[RECALL_REASONS.index(drop_reason)] = 0
    t.counts["recall_reason"] = {p: split(sizes[p], reasons) for p in recall}
    t.counts["rosh"] = {
        p: split(n, [c := 30 + 40 * rng.uniform(), 100 - c]) for p, n in sizes.items()
    }
    if "standard" in sizes:
        t.counts["index_offence_group"] = {
            "standard": split(sizes["standard"], [29, 15, 22, 34] * rng.uniform(0.8, 1.2, 4))
        }
        n = sizes["standard"]
        bands = split(n, [57, 21, 18, 4])
        t.counts["days_on_recall"] = {"standard": bands}
    groups = {"standard": ["standard"], "not_standard": [p for p in sizes if p != "standard"]}
    groups = {g: m for g, m in groups.items() if any(p in sizes for p in m)}
    for g, members in groups.items():
        n_g = sum(sizes[p] for p in members if p in sizes)
        if n_g == 0:
            continue
        n_o = int(round(0.95 * n_g))
        t.oasys[g] = n_o
        t.items[g] = {
            item: int(round(n_o * rng.uniform(0.3, 1.5))) for item in (*NEED_ITEMS, "need_domains")
        }
        t.items[g]["need_domains"] = int(round(n_o * rng.uniform(4.5, 6.0)))
        # Class A misuse is a use of drugs: fewer people can misuse Class A than used drugs.
        t.items[g]["need_class_a"] = int(round(0.5 * t.items[g]["need_drugs_ever"]))
    return t


def _target(tid, pop, var, stat, value, decimals, category=None, printed=None):
    out = {
        "id": tid,
        "population": pop,
        "variable": var,
        "statistic": stat,
        "value": value,
        "printed": printed if printed is not None else f"{value:.{decimals}f}",
        "decimals": decimals,
        "document": DOC,
        "locator": "made-up table",
        "quote": "an invented figure for a test profile",
    }
    if category is not None:
        out["category"] = category
    return out


def figures(t: Truth, *, black_share: bool = False, include_male: bool = True) -> list[dict]:
    """The published figures of a truth, at the precision a research summary prints."""
    out = []
    recall = [p for p in t.sizes if p != "other_sentenced"]
    levels = {p: [p] for p in t.sizes}
    levels["all_recalled"] = recall
    if "other_sentenced" in t.sizes:
        levels["all_prisoners"] = list(t.sizes)
    for lvl, pops in levels.items():
        n = sum(t.sizes[p] for p in pops)
        if lvl != "other_sentenced":
            out.append(_target(f"n.{lvl}", lvl, "n", "count", n, 0, printed=f"{n:,}"))
        for var in CENTRE:
            mean = sum(t.totals[var][p] for p in pops) / n
            v = round(mean, 1)
            out.append(_target(f"{var}.{lvl}", lvl, var, "mean", v, 1))
        hv = sum(int(t.counts["rosh"][p][0]) for p in pops)
        v = round(100 * hv / n, 1)
        out.append(_target(f"rosh.{lvl}", lvl, "rosh", "share", v, 1, "high_or_very_high"))
    rec_n = sum(t.sizes[p] for p in recall)

    def share(var, cats, only=None):
        k = sum(t.counts[var][p] for p in recall)
        for j, c in enumerate(cats):
            if only is not None and c not in only:
                continue
            v = float(round(100 * k[j] / rec_n))
            if var == "recall_reason" and k[j] == 0:
                continue  # a category nobody is in is simply not printed
            out.append(_target(f"{var}.{c}.all_recalled", "all_recalled", var, "share", v, 0, c))

    share("sex", ("male", "female"), only=("male",) if include_male else ("female",))
    share("ethnicity", ETHNICITIES, only=("white", "black") if black_share else ("white",))
    share("recall_reason", RECALL_REASONS)
    if "index_offence_group" in t.counts:
        n = t.sizes["standard"]
        for j, c in enumerate(INDEX_OFFENCE_GROUPS):
            v = float(round(100 * t.counts["index_offence_group"]["standard"][j] / n))
            tid = f"index_offence_group.{c}.standard"
            out.append(_target(tid, "standard", "index_offence_group", "share", v, 0, c))
        for j, c in enumerate(("under_6m", "6_to_12m", "over_12m")):
            v = float(round(100 * t.counts["days_on_recall"]["standard"][j] / n))
            tid = f"days_on_recall.{c}.standard"
            out.append(_target(tid, "standard", "days_on_recall", "share", v, 0, c))
    for g, n_o in t.oasys.items():
        if g == "standard":
            out.append(_target("has_oasys.standard", g, "has_oasys", "count", n_o, 0))
        for item, total in t.items[g].items():
            d = 1 if item == "need_domains" else 2
            out.append(_target(f"{item}.{g}", g, item, "mean", round(total / n_o, d), d))
    return out


def to_toml(title: str, targets: list[dict], extra_meta: dict | None = None) -> str:
    """A profile file holding only ``[meta]`` and the published figures."""
    lines = [
        "# A profile written as a user would: published figures only (no [assumptions],",
        "# no [derived]); the toolkit inherits its assumptions and derives the rest.",
        "[meta]",
        f'document = "{DOC}"',
        f"title = {json.dumps(title)}",
    ]
    for k, v in (extra_meta or {}).items():
        lines.append(f"{k} = {json.dumps(v)}")
    lines.append("")
    for t in targets:
        lines.append("[[targets]]")
        for k, v in t.items():
            lines.append(f"{k} = {json.dumps(v)}")
        lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# medians and standard deviations: a truth made of whole people's values
# --------------------------------------------------------------------------------------------

#: Person-level variables whose medians and SDs a profile may print, with their bounds (the
#: default profile's assumptions for age) and whether they are whole numbers.
SPREAD_PERSON = {
    "age": (18, 85, True),
    "previous_breaches": (0, 1000, True),
    "ogrs4v_2yr": (0, 100, False),
    "osp_2yr": (0, 100, False),
    "rsr_2yr": (0, 100, False),
}


def _to_sum(x: np.ndarray, total: int, lo: int, hi: int, rng) -> np.ndarray:
    """Whole numbers in [lo, hi] near ``x`` whose sum is exactly ``total``."""
    x = np.clip(np.round(x), lo, hi).astype(np.int64)
    for _ in range(10_000):
        diff = int(total - x.sum())
        if diff == 0:
            break
        room = np.flatnonzero(x < hi) if diff > 0 else np.flatnonzero(x > lo)
        pick = rng.choice(room, size=min(abs(diff), room.size), replace=False)
        x[pick] += 1 if diff > 0 else -1
    return x


def person_values(t: Truth, rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """Values of every person for the spread variables, summing to the truth's totals.

    Ages are roughly normal (SD 6-12 years), breaches Poisson-like, scores lognormal; each
    population's values sum exactly to its total in ``t`` (so its mean figure holds too).
    """
    out: dict[str, dict[str, np.ndarray]] = {}
    for var, (lo, hi, _integer) in SPREAD_PERSON.items():
        out[var] = {}
        for p, n in t.sizes.items():
            total = t.totals[var][p]
            mean = total / n
            if var == "age":
                x = _to_sum(mean + rng.uniform(6, 12) * rng.standard_normal(n), total, lo, hi, rng)
            elif var == "previous_breaches":
                x = _to_sum(rng.poisson(mean, n).astype(float), total, lo, hi, rng)
            else:
                sig = rng.uniform(0.3, 1.0)
                x = np.exp(sig * rng.standard_normal(n))
                x = np.minimum(x * mean / x.mean(), 99.0)
                x = x * (total / x.sum())
            out[var][p] = x
    return out


def item_counts(t: Truth, rng: np.random.Generator) -> dict[str, dict[str, np.ndarray]]:
    """Each OASys group's scores of 0/1/2 per item (sums as in ``t.items``) and domain counts."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for g, n_o in t.oasys.items():
        out[g] = {}
        for item, total in t.items[g].items():
            if item == "need_domains":
                x = _to_sum(rng.normal(total / n_o, 1.8, n_o), total, 0, 10, rng)
            else:
                total = min(total, 2 * n_o)
                lo2, hi2 = max(0, total - n_o), total // 2
                n2 = int(rng.integers(lo2, hi2 + 1))
                n1 = total - 2 * n2
                x = np.repeat([0, 1, 2], [n_o - n1 - n2, n1, n2])
            out[g][item] = x
    return out


def spread_figures(
    t: Truth,
    values: dict[str, dict[str, np.ndarray]],
    picks: list[tuple[str, str, str]],
    items: dict[str, dict[str, np.ndarray]] | None = None,
) -> list[dict]:
    """Printed medians and SDs, ``picks`` = (variable, population or group, statistic).

    A level is a population or a group of the populations the truth holds; OASys variables
    use the truth's OASys groups (``standard``, ``not_standard``). Medians of whole numbers
    print with one decimal (30.5 is a possible median of an even number of ages), the rest too.
    """
    out = []
    recall = [p for p in t.sizes if p != "other_sentenced"]
    levels = {p: [p] for p in t.sizes}
    levels["all_recalled"] = recall
    levels["all_prisoners"] = list(t.sizes)
    levels["not_standard"] = [p for p in t.sizes if p != "standard"]
    for var, lvl, stat in picks:
        if var in SPREAD_PERSON:
            pops = [p for p in levels.get(lvl, []) if p in t.sizes]
            if not pops:
                continue
            x = np.concatenate([values[var][p] for p in pops]).astype(float)
        else:
            if items is None or lvl not in items:
                continue
            x = items[lvl][var].astype(float)
        if stat == "sd" and x.size < 2:
            continue
        v = float(np.median(x)) if stat == "median" else float(np.std(x, ddof=1))
        d = 2 if var in ("osp_2yr", "rsr_2yr") or var.startswith("need_") else 1
        out.append(_target(f"{stat}.{var}.{lvl}", lvl, var, stat, round(v, d), d))
    return out


def set_totals_from_values(t: Truth, values: dict[str, dict[str, np.ndarray]]) -> None:
    """Make the truth's totals the sums of the values (continuous values after clipping)."""
    for var, per in values.items():
        for p, x in per.items():
            t.totals[var][p] = float(x.sum())
