# %% [markdown]
# # Review strategies: proactive reviews against release at SED
#
# Simulates admissions of standard recalls under five strategies on common random numbers and
# shows the calibration, the summaries with intervals across replications, and the plots.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from toolkit.cohort.generate import generate_cohort
from toolkit.report.plots import plot_frontier, plot_release_curves, plot_route_mix
from toolkit.review import parse_strategy, simulate_reviews
from toolkit.review.calibration import calibration_report

cohort = generate_cohort(populations=["standard"], rng=20140331)
print(calibration_report(cohort))

# %%
names = ["sed", "formal", "proactive:every=28", "event", "capacity:per_week=50,priority=fifo"]
res = simulate_reviews(cohort, {n: parse_strategy(n) for n in names}, n=5000,
                       n_replications=4, rng=1)
res.summary()[["strategy", "released_at_sed_pct", "released_at_sed_pct_lo",
               "released_at_sed_pct_hi", "mean_custody_days", "reviews_per_person",
               "bed_days_saved_per_person"]]

# %% [markdown]
# ## Fairness: outcomes by sex and ethnicity

# %%
res.summary(by="ethnicity")[["strategy", "ethnicity", "released_at_sed_pct",
                             "mean_custody_days"]]

# %%
fig, axes = plt.subplots(1, 3, figsize=(18, 5))
plot_release_curves(res, ax=axes[0])
plot_route_mix(res, ax=axes[1])
plot_frontier(res, ax=axes[2])
fig.tight_layout()
