# %% [markdown]
# # 04 Caseload priorities: review suggestions with reasons
#
# For offender managers and their team leads. A synthetic caseload goes through the same public
# functions `recall-toolkit prioritise` runs: `validate_caseload` (the documented CSV schema,
# every problem listed at once), the shipped readiness model, `prioritise` (each case on its
# release route; for the cases the model ranks, readiness for release under the model's process
# as the chance of being releasable within 28 days with its interval, supervised days a review
# now is expected to gain, suggested action, reasons) and the fairness panel of the HTML report.
#
# **What the score is:** a *suggestion with reasons*, never a decision. It orders cases for a
# human review; whether to release is the reviewer's judgement under the law and the guidance.
# **What it is trained on:** simulated records from this toolkit's review model (synthetic
# people built from published 2014 aggregates), not real case files. Its calibration and
# discrimination below are measured on held-out *simulated* records, so they say how well it
# learnt the model, not how it would do on a real caseload.
#
# All people here are synthetic; no real person.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.defaults import DEFAULT_SEED
from toolkit.priority.caseload import CaseloadError, validate_caseload
from toolkit.priority.compare import snapshot_comparison
from toolkit.report.caseload import priority_report_html
from toolkit.priority.fairness import caseload_fairness
from toolkit.priority.rank import MIN_DAYS_GAINED, WEEKS_AHEAD, prioritise
from toolkit.priority.model import load_scoring_model
from toolkit.priority.template import EXAMPLE_AS_OF, EXAMPLE_N, EXAMPLE_SEED, example_caseload

SEED = EXAMPLE_SEED  # the template command's example: same seed, same rows
AS_OF = EXAMPLE_AS_OF
CAPACITY = 20  # reviews a week: the `prioritise --capacity` default
N_CASES = EXAMPLE_N

# %% [markdown]
# ## A synthetic caseload, as a practitioner's CSV
#
# `example_caseload` makes the same rows `recall-toolkit template caseload` writes as its
# example: people from the review model's simulation, seen on the as-of date while in custody
# (long stays appear more often, as on any real caseload on a given day). We write it to a CSV
# and read it back through the validator, exactly as `prioritise CASELOAD.csv` does.

# %%
text = example_caseload(n=N_CASES, as_of=AS_OF, rng=SEED)
work = Path(tempfile.mkdtemp(prefix="caseload_nb_"))
csv_path = work / "caseload.csv"
text.to_csv(csv_path, index=False)
caseload = validate_caseload(csv_path, as_of=AS_OF)
print(f"{len(caseload.frame)} cases, {caseload.frame.shape[1]} columns; as of {AS_OF.date()}")
print("missing optional columns:", caseload.missing_optional or "none")
text.head(3).T

# %% [markdown]
# ## Ranked, with reasons
#
# Cases are ranked by the supervised days a review now is expected to gain (the guidance's
# reason to release before SED), never more than the days left to SED. The top `capacity` are
# "review now", the next ones "review by" the end of the week they fall in (up to four weeks),
# the rest "no change"; a case is never suggested for review if it is expected to gain under
# one day.

# %%
scorer = load_scoring_model()
ranked = prioritise(caseload, scorer=scorer, capacity=CAPACITY)
counts = ranked["suggested_action"].str.replace(r"review by .*", "review by a date", regex=True)
print(counts.value_counts().to_string())
ranked.head(5)

# %% [markdown]
# ### Reading the reasons
#
# Each row carries up to three reasons, strongest first. Two kinds:
#
# * **rules you can check in the row**: no offender-manager contact since recall;
#   accommodation secured since the last review; long to SED and no recent review; an unmet
#   programme that cannot be finished before SED; SED close;
# * **the model's largest contributions**, named only when the row shows what the words say and
#   the case is suggested for review (time since recall raising the score, wants re-release), or
#   a declined release.
#
# No reason names a static score such as OGRS3: it cannot change, so it is nothing to act on.
# Each cites the passage of the Better Outcomes guide (or the HMPPS principles) it follows.

# %%
for _, r in ranked.head(3).iterrows():
    print(f"#{r['rank']} {r['case_reference']}: {r['suggested_action']}; readiness "
          f"{r['readiness']}; {r['days_gained_if_reviewed_now']:.0f} days gained")
    for reason in r["reasons"].split("; "):
        print("   -", reason)

# %% [markdown]
# ## Each recall type on its route
#
# The release rules file says which route each recall type takes. Only standard recalls (the
# type the model was fitted on) are ranked; an extended recall is listed unranked with the
# reason; IPP/DPP and life recalls get the Parole Board step for their stage (never "review
# now"); fixed-term and HDC recalls are released automatically on their date. Here four rows
# of the caseload are given other recall types, a Parole Board stage and a MAPPA level.

# %%
mixed = text.head(6).copy()
mixed["recall_type"] = ["standard", "extended", "ipp_dpp", "life", "fixed_term", "hdc"]
mixed.loc[mixed["recall_type"].isin(["ipp_dpp", "life"]), "sed_date"] = ""
mixed["parole_board_stage"] = ["", "", "dossier_sent", "", "", ""]
mixed["legal_representative"] = ["", "", "no", "yes", "", ""]
mixed["mappa_level"] = ["", "", "3", "", "", ""]
routes_ranked = prioritise(validate_caseload(mixed, as_of=AS_OF), scorer=scorer)
routes_ranked[["case_reference", "rank", "route", "suggested_action", "days_gained_if_reviewed_now"]]

# %% [markdown]
# ## What the score means, and does not
#
# *Readiness for release*, shown as the chance of being releasable within 28 days, is the
# model's probability that the person would be ready for release *under the review model's
# process* (contact made, barriers cleared, wanting release) within four weeks; the interval
# covers the uncertainty of the fit only. It moves with those process steps: it is not a risk
# score. *Days gained* is the supervised time in the community a review today is expected to
# add, never more than the days to SED. Neither is a risk assessment, a parole decision or a
# prediction about a real person. The held-out figures below come from the shipped scorer's manifest
# (`toolkit/priority/default/manifest.json`), measured on simulated records the scorer was
# not trained on.

# %%
manifest = scorer.manifest_
held = manifest["held_out"]
print(f"trained on {manifest['n_train']:,} simulated records of "
      f"{', '.join(manifest['recall_types'])} recalls")
print(f"held out: {held['n_held_out']:,} records; AUC {held['auc']:.3f} "
      f"(ranking by OGRS3 alone {held['auc_ogrs3_placeholder']:.3f}); Brier {held['brier']:.3f} "
      f"(predicting the prevalence: {held['brier_of_prevalence']:.3f}); calibration slope "
      f"{held['calibration_slope']:.2f}, intercept {held['calibration_intercept']:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
rel = held["reliability"]
axes[0].plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
axes[0].plot(rel["mean_predicted"], rel["observed"], "o-", label="held-out simulated records")
axes[0].set(title="Calibration (held out, simulated)", xlabel="predicted chance releasable "
            "within 28 days", ylabel="observed share")
axes[0].legend()
colour = {"review now": "tab:red", "review by": "tab:orange", "no change": "tab:grey"}
kind = ranked["suggested_action"].str.replace(r"review by .*", "review by", regex=True)
for k, c in colour.items():
    m = kind.eq(k)
    axes[1].scatter(ranked.loc[m, "rank"], ranked.loc[m, "days_gained_if_reviewed_now"],
                    s=10, color=c, label=k)
axes[1].set(title=f"This caseload at {CAPACITY} reviews a week", xlabel="rank",
            ylabel="supervised days gained by a review now")
axes[1].legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Does the ordering help? FIFO, the scorer and an oracle at fixed capacity
#
# Ten held-out simulated caseloads of 200; each ordering picks 20 cases to review this week.
# FIFO reviews the longest in custody first; the oracle knows who is releasable today. We count
# people a review releases and supervised days gained (means with 95% intervals across
# caseloads). The shipped manifest holds the same comparison at 50 caseloads.

# %%
snap = snapshot_comparison(scorer, capacity=CAPACITY, caseload_size=200, n_caseloads=10,
                           rng=SEED)
snap.set_index("ordering")[["released_per_week", "released_per_week_lo",
                            "released_per_week_hi", "days_gained_per_week",
                            "share_of_oracle_gain"]].round(2)

# %% [markdown]
# ## Week after week: the scorer against FIFO, a simple rule and a true bound
#
# The snapshot above is one week's choice. In the review model's weekly simulation, reviews
# not spent this week are not saved, a review that misses a releasable person blocks the next
# for 28 days, and the Board and SED keep moving. **The objective we state:** people released
# before their SED by the executive or the Parole Board (not the five-year-horizon route);
# supervised days are shown too. The simulation's scorer ranks by the expected number of such
# releases a review this week brings (the readiness chance, times the chance the executive
# route is open under the release rules, that the review notices it, and that the decision
# lands before SED), per day left to SED. Three references on the same people (common random
# numbers): FIFO; the caseload-column rule "all barriers cleared and SED more than 21 days
# away, nearest SED first"; and the **oracle**, which knows every draw and allocates the week's
# reviews to release the most people (a maximum flow), so no ordering can beat it and more
# capacity never does worse. Small here (4,000 admissions a year, 3 replications) to run in
# seconds, so 10 a week here is as stretched as 25 a week for 10,000 admissions;
# `benchmarks/scorer_bound.md` holds the full-size table (10,000 x 10).

# %%
from toolkit.priority.compare import decision_records, decision_table

WEEKLY = (10, 40)
std_cohort = generate_cohort(populations=["standard"], rng=DEFAULT_SEED)
weekly_rec = decision_records(std_cohort, capacities=WEEKLY, n=4000, n_replications=3, rng=SEED)
weekly = decision_table(weekly_rec, WEEKLY)
for _, r in weekly[weekly["ordering"] != "fifo"].iterrows():
    print(
        f"{r['per_week']} a week, {r['ordering']}: {r['released_before_sed_pct']:.1f}% released "
        f"before SED ({r['ratio_to_fifo']:.2f} x FIFO), {r['share_of_oracle_gain']:.0%} of the "
        f"oracle's gain over FIFO; serious reoffending {r['sfo_per_1000_change']:+.2f} per "
        f"1,000 and re-recall {r['re_recall_pct_change']:+.1f} points against FIFO (paired)"
    )
for _, r in weekly[weekly["ordering"] == "scorer"].iterrows():
    print(
        f"target at {r['per_week']} a week, 80% of the oracle's gain: "
        + ("met" if r["oracle_gain_met"] else "missed")
        + "; no rise in serious reoffending: "
        + ("met" if r["no_rise_sfo_per_1000_met"] else "missed")
    )

# %% [markdown]
# Every release before SED means more days in the community, so modelled serious reoffending
# and re-recall rise with it under any ordering that releases more people, the oracle
# included: the "no rise" targets pull against the objective, and the table says where they
# are missed rather than hiding it.

# %% [markdown]
# ## The fairness panel
#
# Among the cases the model ranks, the share suggested for review within the planning window,
# its difference from the largest group (Newcombe's 95% interval) and the mean predicted
# chance, by sex, ethnicity and age band; groups under 20 cases are marked too small to read
# and get no interval. Sex and ethnicity are never used by the ranking, so differences come
# from the groups' circumstances (time since recall, time to SED, barriers): read them as
# questions, not verdicts. The report below carries the same panel, plus the held-out one from
# the manifest, with what simulated calibration gaps can and cannot detect.

# %%
f = caseload.frame
fair = caseload_fairness(ranked, f)
html = priority_report_html(ranked, caseload, scorer, capacity=CAPACITY,
                            source_name=csv_path.name)
(work / "report.html").write_text(html, encoding="utf-8")
print(f"report: {work / 'report.html'} ({len(html) // 1024} KB, self-contained)")
fair[["attribute", "group", "n", "too_small", "flag_rate", "flag_rate_diff",
      "flag_rate_diff_lo", "flag_rate_diff_hi", "mean_predicted"]].round(3)

# %% [markdown]
# ## A bad caseload: every problem at once
#
# A caseload with a mistyped date, an unknown recall type, an OGRS3 over 100 and a duplicated
# case reference raises `CaseloadError` naming each row (as a spreadsheet numbers it), column
# and value; `prioritise` then exits 2 and writes nothing.

# %%
bad = text.head(6).copy()
bad.loc[0, "recall_date"] = "2026-13-01"
bad.loc[1, "recall_type"] = "weekly"
bad.loc[2, "ogrs3_2yr"] = "140"
bad.loc[4, "case_reference"] = bad.loc[3, "case_reference"]
bad_path = work / "bad.csv"
bad.to_csv(bad_path, index=False)
try:
    validate_caseload(bad_path, as_of=AS_OF)
    raise RuntimeError("the bad caseload was accepted")
except CaseloadError as exc:
    error = exc
print(error)

# %% [markdown]
# ## Checks
#
# Invariants a correct answer keeps, checked from the rows themselves (never numbers copied from
# a previous run).

# %%
f = caseload.frame.set_index("case_reference")
r = ranked.set_index("case_reference")
t = (AS_OF - f["recall_date"]).dt.days
to_sed = (f["sed_date"] - AS_OF).dt.days

# Ranks are 1..n, in order of expected days gained (highest first), every case once (the
# example caseload holds standard recalls, all ranked).
assert ranked["rank"].tolist() == list(range(1, N_CASES + 1))
assert sorted(ranked["case_reference"]) == sorted(text["case_reference"])
assert (np.diff(ranked["days_gained_if_reviewed_now"]) <= 1e-9).all()
# Days gained lie between 0 and the days left to SED.
g = r["days_gained_if_reviewed_now"]
assert (g >= 0).all() and (g <= to_sed[g.index]).all()
# Each route: only the standard recall is ranked; the Board cases never "review", and the
# automatic ones are released on their date.
rr = routes_ranked.set_index("case_reference")
typ = mixed.set_index("case_reference")["recall_type"]
assert rr["rank"].notna().to_dict() == (typ == "standard").to_dict()
board = typ[typ.isin(["ipp_dpp", "life"])].index
assert rr.loc[board, "suggested_action"].str.startswith("Parole Board route").all()
assert (rr.loc[board, "days_gained_if_reviewed_now"] == 0).all()
auto = typ[typ.isin(["fixed_term", "hdc"])].index
assert rr.loc[auto, "suggested_action"].str.startswith(("automatic release by", "automatic release date")).all()

# Interval lo <= score <= hi wherever there is a score (automatic-release recalls have none).
p = ranked[["chance_releasable_28d_pct_lo", "chance_releasable_28d_pct",
            "chance_releasable_28d_pct_hi"]]
scored = p.notna().all(axis=1)
assert scored.sum() > 0
assert (p.loc[scored].diff(axis=1).iloc[:, 1:] >= -1e-9).all().all()
assert p.loc[scored].stack().between(0, 100).all()

# Suggested actions come from the documented set: review now (the first `capacity` ranks),
# review by a date at a week's end up to four weeks ahead, or no change; never a review for a
# case expected to gain under one day.
acts = ranked["suggested_action"]
by_dates = pd.to_datetime(acts[acts.str.startswith("review by ")].str.removeprefix("review by "))
week_ends = {AS_OF + pd.Timedelta(days=7 * w) for w in range(2, WEEKS_AHEAD + 1)}
assert acts.isin(["review now", "no change"]).sum() + len(by_dates) == N_CASES
assert set(by_dates) <= week_ends
assert (ranked.loc[acts.eq("review now"), "rank"] <= CAPACITY).all()
assert (ranked.loc[acts.ne("no change"), "days_gained_if_reviewed_now"] >= MIN_DAYS_GAINED).all()

# Every reason is supported by its row: re-check four kinds against the row's columns.
checked = dict(no_contact=0, sed_near=0, accommodation=0)
for ref, reasons in r["reasons"].items():
    row = f.loc[ref]
    for reason in reasons.split("; "):
        if reason.startswith("no offender-manager contact since recall"):
            assert row["om_contact_since_recall"] == False, ref  # noqa: E712 (nullable bool)
            assert f"since recall {t[ref]} days ago" in reason, (ref, reason)
            checked["no_contact"] += 1
        elif reason.startswith("SED in "):
            assert reason.startswith(f"SED in {to_sed[ref]} days") and to_sed[ref] < 28, ref
            checked["sed_near"] += 1
        elif reason.startswith("accommodation secured on "):
            day = pd.Timestamp(reason.removeprefix("accommodation secured on ")[:10])
            assert row["accommodation_secured_date"] == day, ref
            assert pd.isna(row["last_review_date"]) or day > row["last_review_date"], ref
            checked["accommodation"] += 1
assert sum(checked.values()) > 0, checked
assert not r["reasons"].str.contains("OGRS3").any()  # a static score is never a reason
print("reasons re-checked against their rows:", checked)

# The ordering helps: the scorer releases more people this week than FIFO at the same capacity
# (the 95% intervals across the ten caseloads do not overlap) and no more than the oracle.
s = snap.set_index("ordering")
assert s.loc["scorer", "released_per_week_lo"] > s.loc["fifo", "released_per_week_hi"]
assert s.loc["scorer", "released_per_week"] <= s.loc["oracle", "released_per_week"] + 1e-9

# The oracle is a true bound: in every replication it releases at least as many people before
# SED as any ordering at the same capacity, and more capacity never releases fewer.
from toolkit.priority.compare import per_replication

per = per_replication(weekly_rec)["before"].unstack("replication")
for cap in WEEKLY:
    for name in ("fifo", "cleared_nearest_sed", "scorer"):
        assert (per.loc[f"oracle@{cap}"] >= per.loc[f"{name}@{cap}"]).all(), (name, cap)
assert (per.loc[f"oracle@{WEEKLY[1]}"] >= per.loc[f"oracle@{WEEKLY[0]}"]).all()

# The fairness panel covers every group present, with flag rates inside their intervals.
ok = fair["flag_rate_lo"].notna()
assert (fair["too_small"] == (fair["n"] < 20)).all()
assert set(fair["attribute"]) == {"sex", "ethnicity", "age_band"}
assert (fair.loc[ok, "flag_rate_lo"] <= fair.loc[ok, "flag_rate"] + 1e-9).all()
assert (fair.loc[ok, "flag_rate"] <= fair.loc[ok, "flag_rate_hi"] + 1e-9).all()
assert "never a decision" in html.lower() or "not a decision" in html.lower()

# A bad caseload raises the typed error listing every problem, each naming its row and column.
assert isinstance(error, CaseloadError) and len(error.problems) >= 4
for row_no, column in ((2, "recall_date"), (3, "recall_type"), (4, "ogrs3_2yr"),
                       (6, "case_reference")):
    assert any(f"row {row_no}, column {column}" in pr for pr in error.problems), (row_no, column)
print("all checks passed")
