"""The practitioner's path: template -> prioritise -> ranked CSV and report; fairness; privacy."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from toolkit.priority.rank import RANKED_COLUMNS

AS_OF = "2026-01-05"


def cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("pract")
    r = cli("template", "caseload", "--n", "250", cwd=d)
    assert r.returncode == 0, r.stderr
    return d


@pytest.mark.slow
def test_template_writes_empty_template_and_example_into_current_dir(workdir):
    assert sorted(p.name for p in workdir.iterdir()) == [
        "caseload_example.csv",
        "caseload_template.csv",
    ]
    tpl = pd.read_csv(workdir / "caseload_template.csv")
    assert len(tpl) == 0 and tpl.columns[0] == "case_reference"
    ex = pd.read_csv(workdir / "caseload_example.csv", dtype=str, keep_default_na=False)
    assert len(ex) == 250 and set(ex.columns) <= set(tpl.columns)
    assert ex["case_reference"].is_unique
    # Running again does not silently overwrite.
    r = cli("template", "caseload", cwd=workdir)
    assert r.returncode == 2 and "exists" in r.stderr and "(--force)" in r.stderr


@pytest.mark.slow
def test_prioritise_end_to_end(workdir, tmp_path):
    out, rep = tmp_path / "ranked.csv", tmp_path / "report.html"
    r = cli(
        "prioritise",
        str(workdir / "caseload_example.csv"),
        "--out",
        str(out),
        "--report",
        str(rep),
        "--capacity",
        "15",
        "--as-of",
        AS_OF,
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    ranked = pd.read_csv(out)
    assert tuple(ranked.columns) == RANKED_COLUMNS
    assert ranked["rank"].tolist() == list(range(1, 251))
    g = ranked["days_gained_if_reviewed_now"].to_numpy()
    assert np.all(np.diff(g) <= 0)  # ranked by expected days gained
    assert (ranked["suggested_action"] == "review now").sum() == 15
    by = ranked["suggested_action"].str.extract(r"review by (\S+)")[0].dropna()
    assert set(by) <= {"2026-01-19", "2026-01-26", "2026-02-02"}
    p = ranked.dropna(subset=["chance_releasable_28d_pct"])
    assert (p["chance_releasable_28d_pct_lo"] <= p["chance_releasable_28d_pct"]).all()
    assert (p["chance_releasable_28d_pct"] <= p["chance_releasable_28d_pct_hi"]).all()
    assert ranked["reasons"].str.len().min() > 0
    html = rep.read_text()
    for section in (
        'id="privacy"',
        'id="meaning"',
        'id="ranked"',
        'id="comparison"',
        'id="fairness"',
    ):
        assert section in html
    assert ranked.at[0, "case_reference"] in html
    assert 'class="capacity"' in html and "oracle" in html  # capacity comparison shown
    # Privacy: nothing but the two outputs written; no case reference in anything printed.
    assert sorted(x.name for x in tmp_path.iterdir()) == ["ranked.csv", "report.html"]
    printed = r.stdout + r.stderr
    assert not any(ref in printed for ref in ranked["case_reference"])
    # Self-contained: no external resources referenced (the sorting script is inline).
    for pattern in ("http://", "https://", "<script src", "<link", "@import", "src="):
        assert pattern not in html, pattern
    # The as-of date at the top of every output; no internal names, issue numbers or targets.
    assert r.stderr.splitlines()[0] == f"as of {AS_OF}"
    assert (ranked["as_of"] == AS_OF).all()
    assert html.index(f"As of <strong>{AS_OF}</strong>") < html.index('id="privacy"')
    for internal in ("Issue ", "issue ", "toolkit.", "_from_simulation", "target"):
        assert internal not in html, internal


def test_blank_template_says_no_cases(workdir, tmp_path):
    """The blank template the tool writes, given straight back: a plain message, exit 2."""
    r = cli(
        "prioritise",
        str(workdir / "caseload_template.csv"),
        "--out",
        str(tmp_path / "r.csv"),
        cwd=tmp_path,
    )
    assert r.returncode == 2
    assert f"no cases in {workdir / 'caseload_template.csv'}" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "r.csv").exists()


def test_readme_prioritise_command_gives_the_as_of_date():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    lines = [x for x in readme.splitlines() if x.startswith("recall-toolkit prioritise")]
    assert lines and all("--as-of" in x for x in lines)


def test_prioritise_refuses_to_overwrite_its_input(workdir):
    src = workdir / "caseload_example.csv"
    before = src.read_bytes()
    r = cli("prioritise", str(src), "--out", str(src), "--as-of", AS_OF, cwd=workdir)
    assert r.returncode == 2 and "overwrite the caseload" in r.stderr
    assert src.read_bytes() == before


@pytest.mark.slow
def test_optional_columns_may_be_missing_and_absence_is_reported(workdir, tmp_path):
    ex = pd.read_csv(workdir / "caseload_example.csv", dtype=str, keep_default_na=False)
    slim = ex.drop(columns=["wants_release", "last_review_date", "om_contact_since_recall"])
    src = tmp_path / "slim.csv"
    slim.to_csv(src, index=False)
    r = cli(
        "prioritise", str(src), "--out", str(tmp_path / "r.csv"), "--as-of", AS_OF, cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "note: wants_release not given" in r.stderr
    assert "note: last_review_date not given" in r.stderr


@pytest.mark.slow
def test_fairness_command_on_a_caseload_with_outcomes(workdir, tmp_path):
    ex = pd.read_csv(workdir / "caseload_example.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(5)
    ex["releasable_28d"] = np.where(rng.random(len(ex)) < 0.3, "yes", "no")
    src = tmp_path / "with_outcomes.csv"
    ex.to_csv(src, index=False)
    out = tmp_path / "fair.csv"
    r = cli("fairness", str(src), "--out", str(out), "--as-of", AS_OF, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out)
    assert set(t["attribute"]) == {"sex", "ethnicity", "age_band"}
    # Every attribute partitions the same caseload.
    assert (t.groupby("attribute")["n"].sum() == len(ex)).all()
    # Observed rate by sex equals the plain group mean of the column we wrote.
    obs = ex.assign(y=ex["releasable_28d"].eq("yes")).groupby("sex")["y"].mean()
    got = t[t["attribute"] == "sex"].set_index("group")["observed_rate"]
    for sex, v in obs.items():
        assert got[sex] == pytest.approx(v)


@pytest.mark.parametrize("cmd", ["template", "prioritise", "fairness"])
def test_help(cmd, tmp_path):
    r = cli(cmd, "--help", cwd=tmp_path)
    assert r.returncode == 0 and "usage" in r.stdout
