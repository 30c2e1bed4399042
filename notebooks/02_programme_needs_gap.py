# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 Needs gaps against accredited programmes (Table 2)
#
# **For researchers and policy teams.** Table 2 of *Understanding the process and experience of
# recall to prison* counts, among the 3,699 standard recalls with an OASys assessment on
# 31 March 2014, how many were suitable for each accredited programme and what share attended
# it, attended something else, or had an unmet need. The footnotes leave gaps; each gap is an
# *assumed* reading in `papers/recall_process_experience/programmes.toml`, with alternatives.
#
# This notebook reproduces Table 2 on the synthetic cohort (synthetic people built from published
# aggregates; not real people), shows how far the counts move under each alternative reading,
# breaks the gap down by subgroup, scales it to the national recalled stock with each source of
# uncertainty shown apart, runs the illustrative capacity scenario month by month, and reports
# Through the Gate service levels. The last cells assert Table 2 as published and invariants
# (subgroups add up, national figures never exceed the stock, capacity conserves people).

# %%
import matplotlib.pyplot as plt
import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.needs.gap import estimate_needs_gap, load_capacity
from toolkit.needs.pathways import ttg_report
from toolkit.profile.rules import (
    default_rules_path,
    load_programme_rules,
    reading_summary,
    score_bands,
    sensitivity_table,
    suitability,
)
from toolkit.report.plots import plot_capacity_over_time, plot_needs_gap
from toolkit.review.national import capacity_admissions

SEED = 20140331
rules = load_programme_rules()
cohort = generate_cohort(rng=SEED)
capacity = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
# the capacity scenario admits the recalls a year simulate scales by (one national footing)
gap = estimate_needs_gap(
    cohort, rules, capacity=capacity, annual_recalls=capacity_admissions(), rng=1
)

# %% [markdown]
# ## Table 2, published beside synthetic
# Percentages are of those suitable; the interval is a 95% Wilson interval for a study of the
# paper's size (it says how precisely 3,699 people pin a share down, not uncertainty about real
# prisoners).

# %%
tab = gap.table.set_index("programme")
side = pd.DataFrame(
    {
        "suitable (published)": [p.suitable for p in rules.programmes],
        "suitable (synthetic)": [int(tab.loc[p.name, "suitable"]) for p in rules.programmes],
        "attended % (published)": [p.attended_pct for p in rules.programmes],
        "attended % (synthetic)": [tab.loc[p.name, "attended_pct"] for p in rules.programmes],
        "other % (published)": [p.attended_other_pct for p in rules.programmes],
        "other % (synthetic)": [tab.loc[p.name, "attended_other_pct"] for p in rules.programmes],
        "unmet % (published)": [p.unmet_pct for p in rules.programmes],
        "unmet % (synthetic)": [tab.loc[p.name, "unmet_pct"] for p in rules.programmes],
        "unmet % 95% interval": [
            f"{tab.loc[p.name, 'unmet_pct_lo']:.1f}-{tab.loc[p.name, 'unmet_pct_hi']:.1f}"
            for p in rules.programmes
        ],
    },
    index=[p.label for p in rules.programmes],
)
side.round(2)

# %%
fig, ax = plt.subplots(figsize=(9, 5.5))
plot_needs_gap(gap, rules, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## How much the readings matter
# The suitable count and the unmet share under each reading of the footnotes. Only the default
# reading reproduces Table 2; the alternatives show how much the answer rests on the assumption.
# `reading_kind` says what each reading is against its footnote: **literal** (the footnote's
# rule as printed; `literal` marks it), **reading** (one reading of what the footnote leaves
# open), **fitted** (the rule adds a quantity the footnote does not name, whose share the
# generator sets so the count meets Table 2) or **no_criteria** (nothing printed).
# `fitted_to_count` names the unpublished columns a reading reads: the generator builds them so
# that the *default* readings meet Table 2, so a default that rests on one meets the published
# count by construction. The cognitive-skills default is fitted; its literal reading is far off.

# %%
sens = sensitivity_table(cohort, rules)
for line in reading_summary(sens, rules):
    print("-", line)
sens[["programme", "reading", "reading_kind", "literal", "suitable", "published", "difference",
      "unmet_pct", "fitted_to_count"]].round(1)

# %% [markdown]
# The violence readings rest on OVP, which is not published: the generator builds it from an
# *assumed* distribution (`[columns.ovp_2yr]` in `programmes.toml`), then moves people between
# bands so the defaults give Table 2. "The banded high-intensity reading (`index60`, OVP 60+)
# cannot meet Table 2" holds only under this distribution; and with the default (OVP 30+) every
# person suitable for moderate violence is suitable for high intensity too.

# %%
ovp_bands = score_bands(cohort, rules)
ovp_bands.round(1)

# %% [markdown]
# ## Subgroups: who has unmet need
# By sex and by time left to the sentence expiry date (SED). Table 2 is published for the whole
# base only, and the profile prints no figure for either grouping, so these splits are the
# generator's *assumption* (`split`): their Wilson intervals measure sampling error at the
# cohort's size, not the uncertainty of the split, and are not shown. `offered` marks the
# programmes that were not offered to a group (`offered_to` in `programmes.toml`, labelled).

# %%
by_sex = estimate_needs_gap(cohort, rules, by=["sex"], n_boot=0)
for line in [c["caveat"] for c in by_sex.subgroup_caveats] + list(by_sex.offered_notes):
    print("-", line)
by_sex.table[["sex", "programme", "suitable", "unmet", "unmet_pct", "split", "offered"]].round(1)

# %%
by_sed = estimate_needs_gap(cohort, rules, by=["sed_band"], n_boot=0)
by_sed.table.query("programme == 'cognitive_skills'")[
    ["sed_band", "suitable", "unmet", "unmet_pct", "split"]
].round(1)

# %% [markdown]
# ## National scale, each uncertainty apart
# Better Outcomes gives 6,564 people in custody on recall on 31 March 2016, about 75% of them
# standard recalls; `national.toml` holds both with their quotes. Each national figure is the
# synthetic share times the stock in the base, with four sources of uncertainty reported apart
# rather than folded into one number:
#
# * **sampling**: the 95% Wilson interval of the share at the paper's N (3,699);
# * **reading**: the range over every reading of the footnotes (the largest by far: the
#   footnotes decide who counts as suitable);
# * **time**: the published stocks within six months of the target date (6,564 and 6,710),
#   assuming the 2014 census rates still hold;
# * **share**: a standard-recall share anywhere from 72.5% to 77.5% (*assumed*, conservative);
# * **combined**: all four at their extremes.

# %%
print(gap.national["coverage"])
print(f"target date {gap.national['target_date']}, stock {gap.stock:,.0f}; "
      f"time window {gap.national['stock_low']:,.0f}-{gap.national['stock_high']:,.0f}; "
      f"standard share {gap.national['share']} ({gap.national['share_low']}-"
      f"{gap.national['share_high']})")
comp = gap.table[["programme", "unmet_pct", "national_unmet"]].copy()
comp["sampling"] = [f"{a:,.0f}-{b:,.0f}" for a, b in zip(gap.table["national_unmet_lo"],
                                                          gap.table["national_unmet_hi"])]
for c in ("reading", "time", "share", "combined"):
    comp[c] = [f"{a:,.0f}-{b:,.0f}" for a, b in zip(gap.table[f"national_unmet_{c}_lo"],
                                                    gap.table[f"national_unmet_{c}_hi"])]
comp.round(1)

# %% [markdown]
# ## A capacity scenario over time (ILLUSTRATIVE numbers)
# `capacity_example.toml` sets places a year, waits and lengths that are *not* published. The
# scenario is a monthly stock-flow: the people with unmet need in custody at the start (the
# national figures above), arrivals every month from the recalls a year `simulate` scales by
# (the national model's anchor: the flow that holds the published stock at the review model's
# stays; the census reweighted by 1 / stay, Little's law), programme starts limited by the
# places, and release after a stay shortened by one factor so that stock = flow x stay. A
# person counts as met before SED once, when they finish a programme before release.

# %%
for note in gap.capacity_notes:
    print("-", note)
gap.capacity[["programme", "national_unmet", "national_arrivals", "places_in_horizon",
              "national_met_before_sed", "national_released_unmet", "national_waiting_at_end",
              "national_in_programme_at_end"]].round(0)

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 6))
plot_capacity_over_time(gap, rules, ax=axes[0], column="waiting", caption=False)
plot_capacity_over_time(gap, rules, ax=axes[1], column="released_unmet", caption=False)
axes[1].set_title("Released with the need unmet, each month")
fig.tight_layout()

# %%
gap.capacity_monthly.query("programme == 'cognitive_skills'").head(12)

# %% [markdown]
# ## Through the Gate (resettlement service levels), all recalled
# The Through the Gate minimum specification (`papers/ttg_minimum_specification/`) defines
# Level 2 and Level 3 service by pathway and complexity. Both readings of who is complex are
# shown side by side; items the cohort cannot hold are named (their need is a lower bound or not
# estimable), and nothing here can be compared with a published count (none exists).

# %%
recalled = cohort[cohort["recall_type"].notna()]
ttg = ttg_report(recalled)
print(ttg.render())

# %% [markdown]
# ## Checks (these cells fail the test suite if the reproduction drifts)
# Compared with Table 2 as published (`programmes.toml`), or with invariants.

# %%
from toolkit import load_profile
from toolkit.profile.audit import audit_profile

unmeetable = {
    f.id.split(".", 1)[1]
    for f in audit_profile(load_profile(), rules).findings
    if f.id.startswith("table2_sum") and f.status == "unmeetable"
}
for p in rules.programmes:
    row = tab.loc[p.name]
    # Suitable counts are published exactly.
    assert int(row["suitable"]) == p.suitable, (p.name, row["suitable"], p.suitable)
    # Attended and unmet print as published (one decimal) for every programme.
    assert round(row["attended_pct"], 1) == p.attended_pct, (p.name, row["attended_pct"])
    assert round(row["unmet_pct"], 1) == p.unmet_pct, (p.name, row["unmet_pct"])
    # "Attended something else" too, except where the audit shows the printed row cannot sum
    # to 100% (then it absorbs the difference, as programmes.toml `hold` says).
    if p.name not in unmeetable:
        assert round(row["attended_other_pct"], 1) == p.attended_other_pct, p.name
    # The published unmet share lies inside the interval, which is asymmetric (Wilson).
    assert row["unmet_pct_lo"] <= p.unmet_pct <= row["unmet_pct_hi"], p.name
    assert row["unmet_pct"] - row["unmet_pct_lo"] != row["unmet_pct_hi"] - row["unmet_pct"]
assert unmeetable == {"moderate_violence"}, unmeetable

# %%
# The default reading reproduces every published suitable count; each alternative differs.
default = sens[sens["reading"] == "default"]
assert (default["difference"] == 0).all()
assert (sens.loc[sens["reading"] != "default", "difference"] != 0).all()

# The literal readings, recounted here from the footnotes' words in pandas: footnote b
# (non-acquisitive index offence, OGRS >= 25) and footnote c (violent index offence -- robbery
# included -- and violence risk 30-59%).
b2 = cohort[(cohort["population"] == "standard") & cohort["has_oasys"]]
violent = b2["index_offence_group"].isin(["violence", "robbery"])
literal = {
    ("cognitive_skills", "index_offence"): (b2["index_offence_group"] != "acquisitive")
    & (b2["ogrs3_2yr"] >= 25),
    ("moderate_violence", "default"): violent & (b2["ovp_2yr"] >= 30) & (b2["ovp_2yr"] < 60),
}
lit_rows = sens[sens["literal"]].set_index(["programme", "reading"])
assert set(lit_rows.index) == set(literal), lit_rows.index
for key, m in literal.items():
    assert lit_rows.loc[key, "suitable"] == int(m.sum()), key
kinds = sens.set_index(["programme", "reading"])["reading_kind"]
assert kinds[("cognitive_skills", "default")] == "fitted"
# With the default readings every person suitable for moderate violence is suitable for high
# intensity too (OVP 30+ contains the 30-59 band), as the default's note says.
suit = suitability(b2, rules)
assert suit["moderate_violence"].any()
assert not (suit["moderate_violence"] & ~suit["high_intensity_violence"]).any()
# The OVP bands add up to the base.
assert ovp_bands["people"].sum() == len(b2)

# No figure by sex or SED band is published: every subgroup row says its split is assumed, and
# the programmes offered to men only are marked for women.
for sub in (by_sex, by_sed):
    assert (sub.table["split"] == "assumed").all()
women = by_sex.table[by_sex.table["sex"] == "female"].set_index("programme")["offered"]
assert not women["domestic_violence"] and not women["high_intensity_violence"]
assert women["cognitive_skills"]

# Subgroups add up to the whole, whatever the grouping.
for sub in (by_sex, by_sed):
    sums = sub.table.groupby("programme")[["suitable", "unmet"]].sum()
    assert (sums["suitable"] == tab.loc[sums.index, "suitable"]).all()
    assert (sums["unmet"] == tab.loc[sums.index, "unmet"]).all()

# National figures: the point lies inside every component's interval, the combined interval
# holds every other one, and nothing exceeds the stock (unmet <= suitable <= base <= stock).
t = gap.table
nat = gap.national
for c in ("", "_reading", "_time", "_share", "_combined"):
    assert (t[f"national_unmet{c}_lo"] <= t["national_unmet"] + 1e-9).all(), c
    assert (t["national_unmet"] <= t[f"national_unmet{c}_hi"] + 1e-9).all(), c
    assert (t[f"national_unmet{c}_lo"] >= t["national_unmet_combined_lo"] - 1e-9).all(), c
    assert (t[f"national_unmet{c}_hi"] <= t["national_unmet_combined_hi"] + 1e-9).all(), c
assert (t["national_unmet"] <= t["national_suitable"] + 1e-9).all()
assert (t["national_suitable"] <= t["national_n_base"] + 1e-9).all()
assert (t["national_n_base"] <= gap.stock).all()
assert (t["national_unmet_combined_hi"] <= nat["stock_high"]).all()
# The stock is the published one; the time and share components scale by published ratios.
assert gap.stock == 6564 and nat["stock_high"] == 6710  # Better Outcomes, lines 4680 and 5041
time_ratio = t["national_unmet_time_hi"] / t["national_unmet_time_lo"]
assert ((time_ratio - nat["stock_high"] / nat["stock_low"]).abs() < 1e-9).all()
share_ratio = t["national_unmet_share_hi"] / t["national_unmet_share_lo"]
assert ((share_ratio - nat["share_high"] / nat["share_low"]).abs() < 1e-9).all()
# National subgroup figures add up to the national whole.
nat_sex = by_sex.table.groupby("programme")["national_unmet"].sum()
assert ((nat_sex - t.set_index("programme").loc[nat_sex.index, "national_unmet"]).abs()
        < 1e-6).all()

# %%
# Capacity: people are conserved month by month. For each programme, those with unmet need in
# custody at a month's end (waiting + in a programme) = the previous month's + arrivals
# - completed - released unmet, starting from the national unmet figure.
cap = gap.capacity.set_index("programme")
for name, d in gap.capacity_monthly.groupby("programme", sort=False):
    state = (d["waiting"] + d["in_programme"]).to_numpy()
    before = [cap.loc[name, "national_unmet"], *state[:-1]]
    flow = d["arrivals"] - d["completed"] - d["released_unmet"]
    assert (abs(before + flow.to_numpy() - state) < 1e-6).all(), name
    assert list(d["month"]) == list(range(1, len(d) + 1))
    # Monthly events add to the summary; starts never exceed the places in the horizon and
    # nobody completes before starting.
    assert d["completed"].sum() == cap.loc[name, "national_met_before_sed"], name
    assert d["arrivals"].sum() == cap.loc[name, "national_arrivals"], name
    assert d["released_unmet"].sum() == cap.loc[name, "national_released_unmet"], name
    assert d["starts"].sum() <= cap.loc[name, "places_in_horizon"] + 1e-9, name
    assert (d["completed"].cumsum() <= d["starts"].cumsum()).all(), name
    assert (d[["arrivals", "starts", "completed", "released_unmet", "waiting",
               "in_programme"]] >= 0).all().all(), name
# Over the horizon: everyone at the start or arriving is met, released unmet, waiting or in a
# programme at the end.
lhs = cap["national_unmet"] + cap["national_arrivals"]
rhs = cap[["national_met_before_sed", "national_released_unmet", "national_waiting_at_end",
           "national_in_programme_at_end"]].sum(axis=1)
assert ((lhs - rhs).abs() < 1e-6).all()
assert cap["illustrative"].all()  # the example's places are not published

# Through the Gate: levels never exceed the need, and the need never the people counted.
tt = ttg.table
assert (tt["need"].fillna(0) <= tt["n"]).all()
for r in ("default", "person_only"):
    both = tt[f"level_2_only_{r}"].fillna(0) + tt[f"level_3_{r}"].fillna(0)
    assert (both <= tt["need"].fillna(0) + 1e-9).all(), r
print("all checks passed")
