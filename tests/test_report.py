"""Generated write-ups: each committed papers/<source>/reproduction.md is exactly what
`recall-toolkit report --markdown` writes (a stale write-up fails here), and the command behaves
like every other command (help, bad input exit 2, no partial file)."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from toolkit.report.markdown import SOURCES, markdown_table, render_reproduction

ROOT = Path(__file__).parents[1]


def committed_path(source: str) -> Path:
    # The file in this checkout (not wherever `toolkit.papers` resolves in the environment).
    return ROOT / "papers" / source / "reproduction.md"


def _diff(a: str, b: str) -> str:
    return "".join(
        list(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "committed", "fresh"))[
            :40
        ]
    )


@pytest.mark.slow
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_committed_write_up_is_fresh(source):
    committed = committed_path(source).read_text(encoding="utf-8")
    fresh = render_reproduction(source)
    assert committed == fresh, (
        f"papers/{source}/reproduction.md is stale; regenerate with `recall-toolkit report "
        f"--markdown --source {source} --out papers/{source}/reproduction.md`\n"
        + _diff(committed, fresh)
    )


def test_command_writes_the_same_bytes(tmp_path):
    out = tmp_path / "r.md"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "report",
            "--markdown",
            "--source",
            "howard_2009_ogrs3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    assert str(out) in p.stdout  # says what it wrote where
    assert out.read_text(encoding="utf-8") == committed_path("howard_2009_ogrs3").read_text(
        encoding="utf-8"
    )


def test_write_up_states_every_audit_finding(spec):
    """Every audit finding that is not plainly consistent appears with its resolution."""
    from toolkit.profile.audit import audit_profile

    text = committed_path("recall_process_experience").read_text(encoding="utf-8")
    for f in audit_profile(spec).issues:
        assert f"`{f.id}`" in text, f.id
    assert "UNRESOLVED" not in text
    assert "synthetic, built from published aggregates of 2014 data; not real people" in text


def test_unknown_source_and_missing_folder_exit_2(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "report", "--source", "nope"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "nope" in p.stderr
    out = tmp_path / "missing" / "r.md"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "report",
            "--source",
            "howard_2009_ogrs3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "does not exist" in p.stderr
    assert not out.parent.exists()


def test_markdown_table_escapes_and_keeps_rows():
    df = pd.DataFrame({"a": [1.5, float("nan")], "b": ["x|y", "multi\nline"]})
    lines = markdown_table(df, index=False).splitlines()
    assert lines[0] == "| a | b |" and len(lines) == 4
    assert lines[2] == "| 1.5 | x\\|y |"
    assert lines[3] == "| - | multi line |"


@pytest.mark.slow
def test_templates_ship_in_the_wheel(installed_wheel, tmp_path):
    """The Jinja2 templates are package data: the write-ups and the demo's index.html render
    from an installed wheel, not only from a checkout."""
    import os
    import zipfile

    wheel, site = installed_wheel
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "toolkit/report/templates/index.html.j2" in names
    # each write-up's report module and template ship beside the paper's data
    for source in SOURCES:
        for f in ("report.py", "reproduction.md.j2"):
            assert f"toolkit/papers/{source}/{f}" in names, (source, f)
    code = (
        "import toolkit.report.markdown as m; assert m.__file__.startswith(%r), m.__file__; "
        "print(m.render_reproduction('howard_2009_ogrs3').splitlines()[4])" % str(site)
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "# Reproducing OGRS3 (Howard et al. 2009)"


def test_documented_calibration_reads_only_section_6(tmp_path):
    from toolkit.report.tables import documented_calibration

    doc = tmp_path / "model.md"
    doc.write_text(
        "# Model\n\n## 5. Other\n\n| released at SED | 1 | 2 | 3 | ignored |\n\n"
        "## 6. Calibration\n\n| target | published | model | target SE | note |\n|---|---|---|---|---|\n"
        "| released at SED | 60.0 | 71.5 | 5 | conflicts |\n"
        "| census < 6 months | 59.4 | 59.0 | 0.8 | met |\n"
        "| plausibility: busiest day | <= 5% | 2.0% | penalty | met |\n\n## 7. Next\n",
        encoding="utf-8",
    )
    got = documented_calibration(doc)
    assert got["target"].tolist() == ["released_at_sed_pct", "census_under_6m_pct"]
    assert got["documented_model"].tolist() == [71.5, 59.0]
    assert got["note"].tolist() == ["conflicts", "met"]


def test_calibration_fit_status_follows_its_tolerance():
    from toolkit.cohort.generate import generate_cohort
    from toolkit.report.tables import calibration_fit
    from toolkit.review.calibration import TARGET_SE, TOLERANCE

    c = generate_cohort(populations=["standard"], rng=3)
    fit = calibration_fit(c, n=2_000)
    assert set(fit["target"]) == set(TARGET_SE)
    z = (fit["model"] - fit["published"]) / fit["target_se"]
    assert (abs(z - fit["z"]) < 1e-12).all()
    tol = fit["target"].map(TOLERANCE)
    assert ((fit["status"] == "met") == ((fit["model"] - fit["published"]).abs() <= tol)).all()
    # The shipped review_model.md documents every fitted target.
    assert (fit["documented"] != "not documented").all()


@pytest.mark.slow
def test_plot_capacity_over_time_one_line_per_programme():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.cohort.generate import generate_cohort
    from toolkit.needs.gap import estimate_needs_gap, load_capacity
    from toolkit.profile.rules import default_rules_path, load_programme_rules
    from toolkit.report.plots import plot_capacity_over_time

    rules = load_programme_rules()
    c = generate_cohort(rng=5)
    cap = load_capacity(default_rules_path().with_name("capacity_example.toml"), rules)
    gap = estimate_needs_gap(c, rules, capacity=cap, capacity_months=6, n_boot=0, rng=5)
    ax = plot_capacity_over_time(gap, rules)
    assert len(ax.get_lines()) == len(rules.programmes)
    assert all(len(line.get_xdata()) == 6 for line in ax.get_lines())
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="capacity"):
        plot_capacity_over_time(estimate_needs_gap(c, rules, n_boot=0), rules)


def test_cli_names_the_same_sources_and_seed():
    # the CLI finds them without importing the renderer (start-up cost); they must agree
    from toolkit.cli import report as cli_report
    from toolkit.report.markdown import DEFAULT_SEED

    assert cli_report.SOURCES == tuple(sorted(SOURCES))
    assert cli_report.DEFAULT_SEED == DEFAULT_SEED


def test_every_source_with_a_report_module_and_template_is_found():
    """The renderer finds write-ups from the folders (no list in the toolkit): every folder of
    papers/ holding report.py and reproduction.md.j2, and no other."""
    expected = sorted(
        d.name
        for d in (ROOT / "papers").iterdir()
        if (d / "report.py").is_file() and (d / "reproduction.md.j2").is_file()
    )
    assert list(SOURCES) == expected
    assert {"recall_process_experience", "howard_2009_ogrs3", "ttg_minimum_specification"} <= set(
        SOURCES
    )
    # the toolkit keeps only the general renderer: no per-paper template or context left in it
    templates = ROOT / "toolkit" / "report" / "templates"
    assert not list(templates.glob("reproduction_*"))
    import toolkit.report.markdown as m

    assert not [n for n in vars(m) if any(s in n for s in SOURCES)]


def test_api_refuses_an_unknown_source_without_naming_a_flag():
    from toolkit.exceptions import UsageError

    with pytest.raises(UsageError, match="'nope'") as e:
        render_reproduction("nope")
    assert "--" not in str(e.value)


def test_figure1_lives_beside_its_paper_and_keeps_its_old_names():
    """Study 1's Figure 1 (standard vs not_standard) is the paper's own code; the toolkit's plots
    module only leads to it, so existing imports keep working."""
    from toolkit.papers.recall_process_experience import figures

    from toolkit.report import plots

    assert plots.plot_figure1 is figures.plot_figure1
    assert plots.figure1_table is figures.figure1_table
    source = Path(plots.__file__).read_text(encoding="utf-8")
    assert "def plot_figure1" not in source and "not_standard" not in source
    with pytest.raises(AttributeError):
        plots.no_such_figure  # noqa: B018
