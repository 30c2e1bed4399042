# %% [markdown]
# # Reproducing the recall profile (Study 1) from a synthetic cohort
#
# This notebook generates the default synthetic census cohort (everyone in custody on
# 31 March 2014 in Table 1's "All prisoners" column, N = 64,494), puts every published figure
# beside the synthetic one, re-runs the paper's comparisons and redraws Figure 1.
# It is kept as a `# %%` script so it runs in CI (`tests/test_notebooks.py`) and opens in
# Jupyter via jupytext.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.profile.audit import audit_profile
from toolkit.report.plots import plot_figure1

spec = load_profile()
cohort = generate_cohort(spec, rng=20140331)
cohort.head()

# %% [markdown]
# ## Published vs synthetic

# %%
report = fidelity_report(cohort, spec)
print(f"{(report.evaluated['pass'] == True).sum()} of {len(report.evaluated)} targets met")
report.evaluated[["target_id", "published", "synthetic", "tolerance", "pass"]].head(20)

# %% [markdown]
# ## What the sources say about themselves (the audit)

# %%
audit = audit_profile(spec)
audit.to_frame().query("status != 'consistent'")[["id", "status", "message"]]

# %% [markdown]
# ## The paper's comparisons, standard recalls vs everyone else

# %%
report.tests[["claim_id", "group_value", "reference_value", "claimed", "observed", "p_value"]]

# %% [markdown]
# ## Figure 1

# %%
fig, ax = plt.subplots(figsize=(8, 7))
plot_figure1(cohort, spec, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## Assumed parameters (not published)

# %%
report.assumed.head(30)
