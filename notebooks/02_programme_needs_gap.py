# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
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
# breaks the gap down by subgroup, scales it to the national recalled stock and runs the
# illustrative capacity scenario. The last cells assert the headline numbers against Table 2.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.needs.gap import estimate_needs_gap, load_capacity
from toolkit.needs.pathways import pathway_levels
from toolkit.profile.rules import default_rules_path, load_programme_rules, sensitivity_table
from toolkit.report.plots import plot_needs_gap

SEED = 20140331
rules = load_programme_rules()
cohort = generate_cohort(rng=SEED)
capacity = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
gap = estimate_needs_gap(cohort, rules, capacity=capacity, rng=1)

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
# The suitable count under each reading of the footnotes. Only the default reading reproduces
# Table 2; the alternatives show how much the answer rests on the assumption.

# %%
sens = sensitivity_table(cohort, rules)
sens

# %% [markdown]
# ## Subgroups: who has unmet need
# By sex and by time left to the sentence expiry date (SED). Subgroup intervals are wide: the
# cohort's subgroups are as small as the paper's would have been.

# %%
by_sex = estimate_needs_gap(cohort, rules, by=["sex"], n_boot=0)
by_sex.table[["sex", "programme", "suitable", "unmet", "unmet_pct", "unmet_pct_lo",
              "unmet_pct_hi"]].round(1)

# %%
by_sed = estimate_needs_gap(cohort, rules, by=["sed_band"], n_boot=0)
by_sed.table.query("programme == 'cognitive_skills'")[
    ["sed_band", "suitable", "unmet", "unmet_pct", "unmet_pct_lo", "unmet_pct_hi"]
].round(1)

# %% [markdown]
# ## National scale
# The Better Outcomes guide gives 6,564 people in custody on recall on 31 March 2016, about 75%
# of them standard recalls. The national interval combines the share's interval with a standard
# share anywhere from 72.5% to 77.5% (conservative).

# %%
gap.table[["programme", "unmet_pct", "national_unmet", "national_unmet_lo",
           "national_unmet_hi"]].round(0)

# %% [markdown]
# ## A capacity scenario (ILLUSTRATIVE numbers)
# `capacity_example.toml` sets places a year, waits and lengths that are *not* published. The
# scenario asks how many of the unmet needs could be met before each person's SED.

# %%
gap.capacity.round(1)

# %% [markdown]
# ## Resettlement pathways (Through the Gate service levels), all recalled

# %%
pathway_levels(cohort[cohort["recall_type"].notna()])

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

# Subgroups add up to the whole, whatever the grouping.
for sub in (by_sex, by_sed):
    sums = sub.table.groupby("programme")[["suitable", "unmet"]].sum()
    assert (sums["suitable"] == tab.loc[sums.index, "suitable"]).all()
    assert (sums["unmet"] == tab.loc[sums.index, "unmet"]).all()

# National estimates: inside their intervals and never above the published 2016 stock (6,564).
stock = gap.stock
assert stock == 6564
assert (gap.table["national_unmet_lo"] <= gap.table["national_unmet"]).all()
assert (gap.table["national_unmet"] <= gap.table["national_unmet_hi"]).all()
assert (gap.table["national_unmet_hi"] < stock).all()

# Capacity: what the places meet is never more than what is unmet and reachable.
cap = gap.capacity
assert (cap["national_met_before_sed"] <= cap["national_reachable"] + 1e-9).all()
assert (cap["national_reachable"] <= cap["national_unmet"] + 1e-9).all()
print("all checks passed")
