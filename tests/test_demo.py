"""`recall-toolkit demo`: the whole pipeline into one folder, with an index.html that opens in
headless Chromium with every link and image resolving; nothing left behind when interrupted."""

from __future__ import annotations

import subprocess
import sys

import pytest
from browser import broken_links_and_images, chromium_page, require_chromium

#: Slow tier (the whole demo end to end, in a subprocess, and in Chromium): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow

EXPECTED = {
    "index.html",
    "cohort.parquet",
    "cohort.manifest.json",
    "fidelity.txt",
    "fidelity.json",
    "needs_gap.txt",
    "needs_gap.json",
    "simulation.txt",
    "simulation_summary.json",
    "figure1.png",
    "fidelity.png",
    "needs_gap.png",
    "simulation.png",
}
#: The practitioner part (toolkit.report.caseload.demo_caseload, called by the demo).
CASELOAD_FILES = {"caseload_example.csv", "caseload_ranked.csv", "caseload_report.html"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    out = base / "demo-out"
    p = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    return p, out


def test_demo_runs_and_says_where(demo):
    # its time (limit 60 s) is measured by benchmarks/bench_demo_notebooks.py, not asserted here
    p, out = demo
    assert p.returncode == 0, p.stderr
    assert f"Open first: {(out / 'index.html').resolve()}" in p.stdout
    # Not a terminal: no progress bar in the captured output.
    assert "\r" not in p.stderr and "it/s" not in p.stderr and "step/s" not in p.stderr


def test_demo_writes_every_file_and_no_temporary_folder(demo):
    _, out = demo
    assert EXPECTED | CASELOAD_FILES <= {f.name for f in out.iterdir()}
    assert [f.name for f in out.parent.iterdir()] == [out.name]


def test_demo_manifest_hashes_the_bytes_written_and_counts_agree(demo):
    """Issue 20: the cohort manifest records file_sha256 of the Parquet bytes (no csv_sha256
    for a Parquet file), and the index, the terminal and fidelity.txt give one count."""
    import hashlib
    import json

    from toolkit.outputs import MARKER

    p, out = demo
    man = json.loads((out / "cohort.manifest.json").read_text())
    parquet = (out / "cohort.parquet").read_bytes()
    assert man["file_sha256"] == hashlib.sha256(parquet).hexdigest()
    assert man["csv_sha256"] is None
    assert json.loads((out / MARKER).read_text())["command"] == "demo"
    summary = json.loads((out / "fidelity.json").read_text())["summary"]
    met, ev = summary["published_passed"], summary["published_evaluated"]
    assert f"{met} of {ev} evaluated published figures met" in p.stdout
    assert f"{met} of {ev} evaluated published figures met" in (out / "index.html").read_text()
    assert f"{met}/{ev} published figures met" in (out / "fidelity.txt").read_text()
    # not a terminal: one progress line per stage on stderr
    assert [x.split("] ")[0] for x in p.stderr.splitlines() if x.startswith("demo: [")] == [
        f"demo: [{i}/7" for i in range(1, 8)
    ]


def test_index_links_and_images_resolve_in_chromium(demo, tmp_path):
    require_chromium()
    _, out = demo
    index = out / "index.html"
    with chromium_page(tmp_path) as page:
        page.goto(index.as_uri())
        page.wait_for_load_state("load")
        assert page.title() == "recall-toolkit demo"
        problems = broken_links_and_images(page, out)
        linked = set(
            page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        )
        shown = set(page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('src'))"))
    assert not problems, problems
    assert EXPECTED - {"index.html"} <= linked, "every file is linked"
    assert "caseload_ranked.csv" in linked, "the ranked example caseload is linked"
    assert CASELOAD_FILES <= linked
    assert {f.name for f in out.glob("*.png")} <= shown, "every figure is shown"


def test_ranked_caseload_is_a_full_ranking_with_reasons(demo):
    """The demo's caseload went through prioritise: every case once, ranks 1..n in order,
    an action and a reason on every row, and the terminal says it is synthetic."""
    import pandas as pd

    p, out = demo
    example = pd.read_csv(out / "caseload_example.csv", dtype=str)
    ranked = pd.read_csv(out / "caseload_ranked.csv")
    assert 100 <= len(ranked) == len(example)
    assert sorted(ranked["case_reference"]) == sorted(example["case_reference"])
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    assert ranked["reasons"].notna().all() and ranked["suggested_action"].notna().all()
    assert "Caseload:" in p.stdout and "synthetic" in p.stdout and "never decisions" in p.stdout
    report = (out / "caseload_report.html").read_text(encoding="utf-8")
    assert "<script src=" not in report, "the report is self-contained"


def test_fidelity_text_keeps_notes_whole(demo):
    """Notes are wrapped at word boundaries, never cut mid-word."""
    from toolkit.cohort.generate import generate_cohort  # noqa: F401 (import check)

    _, out = demo
    text = (out / "fidelity.txt").read_text(encoding="utf-8")
    assert "5,191 is reported, not" in text and "targeted." in text


def test_simulation_text_has_units_and_currency(demo):
    _, out = demo
    text = (out / "simulation.txt").read_text(encoding="utf-8")
    assert "cost per person (GBP)" in text
    assert "still in custody at horizon (%)" in text


def test_interrupted_demo_leaves_nothing(tmp_path, monkeypatch):
    """An error (or Ctrl-C) mid-run removes the partial folder and keeps an existing one."""
    from toolkit.outputs import MARKER, marker_text
    from toolkit.report import demo as demo_mod

    out = tmp_path / "demo-out"
    out.mkdir()
    (out / "keep.txt").write_text("previous run")
    (out / MARKER).write_text(marker_text("demo"))  # a previous demo's output (issue 20)

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_mod, "_write_index", boom)
    with pytest.raises(KeyboardInterrupt):
        demo_mod.run_demo(out, progress=False)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["demo-out"]
    assert (out / "keep.txt").read_text() == "previous run"


def test_missing_parent_is_a_usage_error(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "demo", "--out", str(tmp_path / "no" / "x")],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and "does not exist" in p.stderr
    assert not (tmp_path / "no").exists()


def test_plots_take_and_return_axes_and_label_units(demo):
    """Every plotting function takes ax= and returns it, with labelled axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.cohort.generate import generate_cohort
    from toolkit.fidelity.report import fidelity_report
    from toolkit.needs.gap import estimate_needs_gap
    from toolkit.report import plots
    from toolkit.review import parse_strategy, simulate_reviews

    c = generate_cohort(populations=["standard", "hdc"], rng=2)
    rep = fidelity_report(c)
    gap = estimate_needs_gap(c, n_boot=0)
    sim = simulate_reviews(
        c, {n: parse_strategy(n) for n in ("sed", "formal")}, n=300, n_replications=2, rng=2
    )
    calls = [
        (plots.plot_figure1, c),
        (plots.plot_fidelity, rep),
        (plots.plot_needs_gap, gap),
        (plots.plot_release_curves, sim),
        (plots.plot_route_mix, sim),
        (plots.plot_frontier, sim),
    ]
    for fn, arg in calls:
        fig, ax = plt.subplots()
        assert fn(arg, ax=ax) is ax, fn.__name__
        assert ax.get_title() and ax.get_xlabel(), fn.__name__
        plt.close(fig)
    # The route mix never counts people still in custody as released.
    fig, ax = plt.subplots()
    plots.plot_route_mix(sim, ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any("horizon" in lbl.lower() for lbl in labels)
    plt.close(fig)


def test_needs_gap_interval_sits_on_the_unmet_edge(demo):
    """The unmet interval is drawn at the red segment's start, asymmetric as computed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.cohort.generate import generate_cohort
    from toolkit.needs.gap import estimate_needs_gap
    from toolkit.report.plots import plot_needs_gap

    gap = estimate_needs_gap(generate_cohort(populations=["standard"], rng=3), n_boot=0)
    fig, ax = plt.subplots()
    plot_needs_gap(gap, ax=ax)
    bars = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    segs = bars[0].get_segments()
    tab = gap.table
    for seg, (_, r) in zip(segs, tab.iterrows()):
        x0, x1 = sorted([seg[0][0], seg[1][0]])
        assert abs(x0 - (100 - r["unmet_pct_hi"])) < 1e-9
        assert abs(x1 - (100 - r["unmet_pct_lo"])) < 1e-9
    plt.close(fig)


def test_demo_caseload_same_seed_same_files(tmp_path):
    """demo_caseload is reproducible: the same seed writes the same CSV bytes; another seed
    picks other people."""
    from toolkit.cohort.generate import generate_cohort
    from toolkit.report.caseload import demo_caseload

    cohort = generate_cohort(populations=["standard"], rng=3)
    runs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        (tmp_path / name).mkdir()
        entries = demo_caseload(cohort, tmp_path / name, rng=seed, n=120)
        assert {e["href"] for e in entries} == CASELOAD_FILES
        assert all("\n" not in e["caption"] for e in entries), "one-line captions"
        runs.append({f: (tmp_path / name / f).read_bytes() for f in CASELOAD_FILES})
    for f in ("caseload_example.csv", "caseload_ranked.csv"):
        assert runs[0][f] == runs[1][f], f
        assert runs[0][f] != runs[2][f], f
