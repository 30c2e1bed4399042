# %% [markdown]
# # Needs gaps against accredited programmes (Table 2)
#
# Applies the programme rules (`papers/recall_process_experience/programmes.toml`) to the default
# cohort, reproduces Table 2, shows how the suitable counts move under other readings of the
# footnotes, scales to the national recalled stock and runs the illustrative capacity scenario.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from toolkit.cohort.generate import generate_cohort
from toolkit.needs.gap import estimate_needs_gap, load_capacity
from toolkit.needs.pathways import pathway_levels
from toolkit.profile.rules import default_rules_path, load_programme_rules, sensitivity_table
from toolkit.report.plots import plot_needs_gap

rules = load_programme_rules()
cohort = generate_cohort(rng=20140331)
capacity = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
gap = estimate_needs_gap(cohort, rules, capacity=capacity, rng=1)
print(gap.render())

# %% [markdown]
# ## How much the readings matter

# %%
sensitivity_table(cohort, rules)

# %% [markdown]
# ## Who has unmet cognitive-skills need, by time left to serve

# %%
by_sed = estimate_needs_gap(cohort, rules, by=["sed_band"], n_boot=0)
by_sed.table.query("programme == 'cognitive_skills'")[
    ["sed_band", "suitable", "unmet", "unmet_pct", "unmet_pct_lo", "unmet_pct_hi"]
]

# %%
fig, ax = plt.subplots(figsize=(8, 5))
plot_needs_gap(gap, rules, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## Resettlement pathways (Through the Gate levels), all recalled

# %%
pathway_levels(cohort[cohort["recall_type"].notna()])
