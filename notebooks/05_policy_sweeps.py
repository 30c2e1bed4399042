# %% [markdown]
# # 05 Policy sweeps: strategies under uncertain assumptions
#
# Runs a small sweep (a few strategies x a Saltelli design over three assumptions) in this
# process, reads its partitioned results back, and shows the Sobol indices, the tornado, the
# frontier and the national projection check. The same spec runs unchanged on a Dask cluster:
# `recall-toolkit sweep SPEC --out DIR --scheduler local` (see docs/sweeps.md).

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from toolkit.sweep import load_sweep_spec, read_results, run_sweep
from toolkit.sweep.plots import plot_frontier, plot_projection, plot_sobol, plot_tornado
from toolkit.national import load_national
from toolkit.sweep.report import write_report
from toolkit.sweep.sensitivity import tornado

# the repository root: this folder's parent when run from notebooks/, else the working directory
ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "papers").is_dir())
work = Path(tempfile.mkdtemp(prefix="sweep_nb_"))
spec_file = work / "sweep.toml"
spec_file.write_text(f"""
[sweep]
seed = 5
replications = 2
admissions = 1000
partition_size = 4

[strategies]
names = ["board_only", "formal", "event"]
grid.proactive = {{ every = [28, 91] }}

[design]
method = "sobol"
base_samples = 8

[assumptions]
"executive.notice_probability" = {{ dist = "uniform", low = 0.6, high = 0.95 }}
"preference.declines_release_share" = {{ dist = "uniform", low = 0.25, high = 0.75 }}
"hazards.re_recall_multiplier" = {{ dist = "triangular", low = 2.2, high = 6.5, peak = "rules" }}

[report]
tornado_strategy = "proactive:every=28"

[projection]
national = "{ROOT / 'papers/recall_process_experience/national.toml'}"
strategies = ["formal", "board_only", "proactive:every=28"]
admissions = 5000
replications = 1
""")
spec = load_sweep_spec(spec_file)
print(len(spec.design()), "assumption draws x", len(spec.strategies), "strategies")

# %%
run = run_sweep(spec, work / "out", scheduler="serial")
summary = write_report(run, spec)
results = read_results(work / "out")
results.head()

# %% [markdown]
# ## Spread over the assumptions, per strategy

# %%
summ = pd.read_csv(work / "out/summary.csv")
summ[["strategy", "released_at_sed_pct", "released_at_sed_pct_p2.5",
      "released_at_sed_pct_p97.5", "bed_days_saved_per_person", "review_hours_per_person",
      "on_frontier"]].round(2)

# %% [markdown]
# ## Sobol indices and tornado for proactive reviews every 28 days
# With 8 x 5 draws the intervals are wide: the notebook shows the mechanics, not a finding.

# %%
si = pd.read_csv(work / "out/sobol.csv")
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
plot_sobol(si, "proactive:every=28", "re_recall_pct", ax=axes[0])
plot_tornado(tornado(results, spec, "proactive:every=28", "re_recall_pct"), "re_recall_pct",
             ax=axes[1])
fig.tight_layout()

# %% [markdown]
# ## Frontier and national projection
# The projection's flow grows at the published 15% a year (March 2015 to March 2016) until the
# last published stock, then as assumed (`national.toml`, `[projection]`); its level holds the
# published stock on the anchor date. The validation table lists every published stock, flow,
# growth and share figure with the projection's miss; `role` says which one is the anchor (met
# by construction), which is an input (the growth the flow is given) and which are checks. The
# stars are the published stocks at their dates.

# %%
nat = load_national(ROOT / "papers/recall_process_experience/national.toml")
fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
plot_frontier(summ, ax=axes[0])
proj = pd.read_csv(work / "out/projection.csv")
proj["month"] = pd.PeriodIndex(proj["month"], freq="M")
plot_projection(proj, nat, ax=axes[1])
fig.tight_layout()
val = pd.read_csv(work / "out/projection_validation.csv")
val.drop(columns=["quote", "line"]).round(1)

# %% [markdown]
# ## Checks

# %%
# every scenario ran, one row per draw x strategy
assert len(results) == len(spec.design()) * len(spec.strategies)
assert (results["status"] == "ok").all() and summary["scenarios_failed"] == 0
# added reviews can only bring releases forward on common random numbers: formal adds reviews
# to none (board_only), proactive adds reviews to formal
by = results.pivot(index="point", columns="strategy", values="mean_custody_days")
assert (by["formal"] <= by["board_only"] + 1e-9).all()
assert (by["proactive:every=28"] <= by["formal"] + 1e-9).all()
assert (by["proactive:every=91"] <= by["formal"] + 1e-9).all()
# re-recalls move with the re-recall multiplier and the share who decline release (held to SED,
# so less time on licence) far more than with the notice probability: its total index is the
# smallest (at this small N the order of the other two is within their intervals)
top = si[(si.strategy == "proactive:every=28") & (si.outcome == "re_recall_pct")]
assert top.sort_values("ST").iloc[0]["parameter"] == "executive.notice_probability"
# board_only holds no executive reviews: no review hours, so it starts the frontier
assert np.allclose(results.loc[results.strategy == "board_only", "review_hours_per_person"], 0)
assert summ.set_index("strategy").loc["board_only", "on_frontier"]
# the projection is checked against every published stock (2014 census to September 2016),
# the flow and the growth, each at its date, and only the anchor is met by construction
assert {f"stock {s.label}" for s in nat.stocks} <= set(val["figure"])
assert set(val["date"]) >= {str(s.date) for s in nat.stocks}
assert val["anchored"].sum() == 1
growth = val[val["role"] == "input"].iloc[0]
assert abs(growth["projected"] - growth["published"]) < 0.5  # the flow grows as published
print("all checks passed")
