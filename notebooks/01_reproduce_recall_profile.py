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
# # 01 Reproducing the recall profile (Study 1) from a synthetic cohort
#
# **For researchers.** Source: Fitzalan Howard, Travers, Wakeling, Webster and Mann,
# *Understanding the process and experience of recall to prison* (Ministry of Justice / NOMS
# analytical summary), Study 1: everyone aged 18+ in custody on recall on 31 March 2014.
# Every published figure used here is in `papers/recall_process_experience/profile.toml` with its
# document, table, line and quoted text.
#
# This notebook generates the default synthetic cohort (Table 1's "All prisoners" column,
# N = 64,494; **synthetic people, not real ones**), then puts Table 1, the Appendix by recall
# type and Figure 1 beside the published figures, shows the consistency audit of the published
# figures, re-runs the paper's comparisons and shows how to write a profile of your own.
# The last cells assert the headline numbers against the *published* figures, so a change in the
# code that moves them fails `python -m pytest` (which runs this notebook).

# %%
import matplotlib.pyplot as plt
import pandas as pd

from toolkit import load_profile
from toolkit.cohort.generate import generate_cohort
from toolkit.fidelity.report import fidelity_report
from toolkit.report.plots import figure1_table, plot_fidelity, plot_figure1
from toolkit.report.counts import figure_counts
from toolkit.report.tables import audit_findings, precision_misses, side_by_side

pd.set_option("display.max_colwidth", 120)
SEED = 20140331  # the census date; any seed gives the same marginals (they are constructed)

spec = load_profile()
cohort = generate_cohort(spec, rng=SEED)
report = fidelity_report(cohort, spec)
# the one count of published figures every output uses (relations apart)
print(f"{len(cohort):,} synthetic people; {figure_counts(report).sentence()}")

# %% [markdown]
# ## Table 1: recalled prisoners beside all prisoners
# Published as printed; synthetic with one more decimal than printed, so you can see how close
# each one is, not only that it rounds to the same figure.

# %%
side_by_side(report, "table1")

# %% [markdown]
# ## Appendix: risk assessment by recall type

# %%
side_by_side(report, "appendix")

# %% [markdown]
# ## Figure 1: assessment of need (OASys items)
# The published chart's data values are exact fractions k/N, which reveal how many people were
# scored on each item; the cohort reproduces them exactly.

# %%
figure1_table(cohort, spec).round(4)

# %%
fig, ax = plt.subplots(figsize=(8, 7))
plot_figure1(cohort, spec, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## How far is each figure from the published one?
# Each point is one published figure; the x axis is the miss in units of its printed precision
# (half a unit in the last printed digit). Inside the grey band the synthetic value prints as
# the published one.

# %%
fig, ax = plt.subplots(figsize=(8, 5))
plot_fidelity(report, ax=ax)
fig.tight_layout()

# %% [markdown]
# ## What the sources say about themselves: the consistency audit
# Sums, N-weighted mixtures, GRIM checks, claims against chart data and one source against
# another. Every finding carries a resolution (in the profile's `[[resolutions]]`).

# %%
audit_findings(report)

# %% [markdown]
# ## The paper's comparisons, re-tested on the cohort
# Welch t-tests and chi-square tests (scipy) of standard recalls against everyone else. The paper
# gives no standard deviations, so p-values depend on assumed spreads: the *direction* is the
# reproducible part.

# %%
report.tests[["claim_id", "group_value", "reference_value", "claimed", "observed", "agrees",
              "p_value"]]

# %% [markdown]
# ## What is assumed (not published)
# Everything the generator needs that the sources do not give, each with its reason.

# %%
print(f"{len(report.assumed)} assumed or derived parameters")
report.assumed.head(15)

# %% [markdown]
# ## A profile of your own
# A profile is a TOML file of `[[targets]]` (one per published figure: id, population, variable,
# statistic, value, printed, decimals, document, locator, line, quote). A file holding *only*
# published figures inherits the assumptions, derived figures and audit resolutions of the
# default profile. Here we transcribe the shipped targets into a new file and generate from it;
# to model another source, change the values and quotes.

# %%
import json
import tempfile
from pathlib import Path

try:
    import tomllib  # Python 3.11+
except ImportError:  # Python 3.10
    import tomli as tomllib

from toolkit.profile.spec import default_profile_path

raw = tomllib.loads(Path(default_profile_path()).read_text(encoding="utf-8"))
lines = ["[meta]", 'document = "my_source.txt"', 'title = "My transcription"', ""]
for t in raw["targets"]:
    lines.append("[[targets]]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in t.items()]
    lines.append("")
mine_path = Path(tempfile.mkdtemp()) / "my_profile.toml"
mine_path.write_text("\n".join(lines), encoding="utf-8")
mine = load_profile(mine_path)
print(mine.meta["inherited"])
hdc = generate_cohort(mine, populations=["hdc"], rng=1)
print(f"HDC recalls: {len(hdc)} people, mean age {hdc['age'].mean():.2f} "
      f"(published {mine.target('appendix.age.hdc').printed})")

# %% [markdown]
# ## Checks (these cells fail the test suite if the reproduction drifts)
# Each assertion compares with the *published* figure read from `profile.toml`, at the
# precision it was printed with, or with an invariant the reproduction must keep.

# %%
targets = {t.id: t for t in spec.targets}
ev = report.evaluated.set_index("target_id")

# Table 1 and the Appendix: every cell rounds to the printed figure (counts exact).
for source in ("table1", "appendix"):
    ids = [i for i in ev.index if i.startswith(source + ".")]
    assert ids, source
    for i in ids:
        t = targets[i]
        syn = float(ev.loc[i, "synthetic"])
        if t.statistic == "count":
            assert syn == t.value, (i, syn, t.value)
        else:
            assert round(syn, t.decimals) == round(t.value, t.decimals), (i, syn, t.value)

# The population sizes are the published Ns.
assert len(cohort) == targets["appendix.n.all_prisoners"].value == 64494
assert cohort["recall_type"].notna().sum() == targets["appendix.n.all_recalled"].value == 5125

# Figure 1: the chart's data values (printed to 16+ digits) are met to 1e-9.
f1 = figure1_table(cohort, spec)
for group in ("standard", "not_standard"):
    diff = (f1[f"synthetic_{group}"] - f1[f"published_{group}"]).abs().max()
    assert diff < 1e-9, (group, diff)

# %%
# The audit: every finding that needs a resolution has one.
assert not report.audit.unresolved, [f.id for f in report.audit.unresolved]

# The paper's comparisons: a claim the cohort does not reproduce must be one the audit shows the
# published figures themselves contradict (a claim_vs_published finding), never a new failure.
contradicted = {
    f.id.split(".", 1)[1]
    for f in report.audit.findings
    if f.id.startswith("claim_vs_published") and f.status != "consistent"
}
disagreeing = set(report.tests.loc[~report.tests["agrees"].astype(bool), "claim_id"])
assert disagreeing <= contradicted, (disagreeing, contradicted)
assert report.tests["agrees"].astype(bool).mean() >= 0.9

# Every miss is within the printed precision for every evaluated figure.
m = precision_misses(report)
m = m[m["role"].isin(["target", "approximate"])]
assert (m["miss_in_precision"].abs() <= 1 + 1e-9).all(), m.loc[m["miss_in_precision"].abs() > 1]

# Your own profile reproduces the published HDC mean age at its printed precision.
assert round(hdc["age"].mean(), 1) == targets["appendix.age.hdc"].value
print("all checks passed")
