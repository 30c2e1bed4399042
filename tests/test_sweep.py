"""Policy sweeps: spec, determinism across schedulers, resume, failures, Sobol, frontier."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.defaults import DEFAULT_SEED
from toolkit.exceptions import SpecError, UsageError
from toolkit.sweep import load_sweep_spec, read_results, run_sweep
from toolkit.sweep import scenario as sc
from toolkit.sweep.sensitivity import frontier, sobol_indices, tornado

ROOT = Path(__file__).parents[1]

TINY = """
[sweep]
seed = 11
replications = 2
admissions = 300
partition_size = {part}

[strategies]
names = ["sed", "formal"]
grid.proactive = {{ every = [28] }}

[design]
method = "sobol"
base_samples = 2

[assumptions]
"executive.notice_probability" = {{ dist = "{dist}", {notice} }}
"calibrated.q_never" = {{ dist = "uniform", low = 0.25, high = 0.4 }}
"""


def write_spec(
    tmp_path, name="s.toml", part=3, dist="uniform", notice="low = 0.6, high = 0.95", extra=""
):
    p = tmp_path / name
    p.write_text(TINY.format(part=part, dist=dist, notice=notice) + extra)
    return p


# --- spec ------------------------------------------------------------------------------------


def test_unknown_key_refused_with_nearest_name(tmp_path):
    p = write_spec(tmp_path)
    p.write_text(p.read_text().replace("replications = 2", "replicatons = 2"))
    with pytest.raises(SpecError, match=r"sweep\.replicatons.*did you mean `replications`"):
        load_sweep_spec(p)


def test_unknown_assumption_and_bad_strategy_named(tmp_path):
    p = write_spec(tmp_path)
    p.write_text(
        p.read_text().replace('"executive.notice_probability"', '"executive.notice_probabilty"')
    )
    with pytest.raises(
        SpecError, match=r"assumptions\.executive\.notice_probabilty.*executive\.notice_probability"
    ):
        load_sweep_spec(p)
    p = write_spec(tmp_path)
    p.write_text(p.read_text().replace("every = [28]", "evry = [28]"))
    with pytest.raises(SpecError, match="no parameter 'evry'"):
        load_sweep_spec(p)


def test_distribution_checked(tmp_path):
    p = write_spec(tmp_path, notice="low = 0.9, high = 0.6")
    with pytest.raises(SpecError, match="must be above low"):
        load_sweep_spec(p)
    # the range declared in the rules file (`ranges = { notice_probability = [0.5, 1.0] }`)
    p = write_spec(tmp_path, notice="low = 0.5, high = 1.5")
    with pytest.raises(SpecError, match=r"must lie within its range 0\.5 to 1\.0 \(`ranges` in"):
        load_sweep_spec(p)
    # no declared range: the rules loader's own check (q_never is a probability)
    p = write_spec(tmp_path)
    p.write_text(p.read_text().replace("low = 0.25, high = 0.4", "low = 0.25, high = 1.5"))
    with pytest.raises(SpecError, match=r"q_never\.high` is refused.*between 0 and 1"):
        load_sweep_spec(p)
    p = write_spec(tmp_path, dist="normal", notice="mean = 0.8")
    with pytest.raises(SpecError, match=r"notice_probability\.sd` is required"):
        load_sweep_spec(p)


def test_grid_expands_to_every_combination(tmp_path):
    p = write_spec(tmp_path)
    p.write_text(
        p.read_text().replace(
            "grid.proactive = { every = [28] }",
            'grid.capacity = { per_week = [10, 20, 40], priority = ["fifo", "random"] }',
        )
    )
    s = load_sweep_spec(p)
    assert len(s.strategies) == 2 + 6
    assert "capacity:per_week=40,priority=random" in s.strategies
    # Saltelli design without second order: N x (D + 2) points
    assert len(s.design()) == 2 * (2 + 2)


def test_shipped_example_loads():
    s = load_sweep_spec(ROOT / "papers/recall_process_experience/sweep_example.toml")
    assert len(s.assumptions) == 9 and len(s.design()) == 32 * 11
    for a in s.assumptions:
        assert a.name in sc.ASSUMABLE


def test_example_priors_are_centred_on_the_stored_values(tmp_path):
    """Every prior with a centre (a triangular's peak, a normal's mean) is centred on the value
    stored in the rules file, read here from the TOML itself; a refit moves the centre."""
    import tomllib

    from toolkit.datafiles import paper_file
    from toolkit.sweep.spec import CENTRE, DISTRIBUTIONS

    dist_keys = {k: v[1] for k, v in DISTRIBUTIONS.items()}

    example = ROOT / "papers/recall_process_experience/sweep_example.toml"
    rules_file = paper_file("recall_process_experience", "release_rules.toml")
    stored = tomllib.loads(rules_file.read_text(encoding="utf-8"))
    s = load_sweep_spec(example)
    centred = {}
    for a in s.assumptions:
        if a.dist in CENTRE:
            block, key = a.name.split(".", 1)
            keys = dict(zip(dist_keys[a.dist], a.params))
            assert keys[CENTRE[a.dist]] == pytest.approx(stored[block][key]), a.name
            centred[a.name] = keys[CENTRE[a.dist]]
    assert {"calibrated.q_never", "calibrated.mu_m"} <= set(centred)
    # a refit: the same spec against rules with another q_never is centred on the new value
    refit = tmp_path / "rules.toml"
    text = rules_file.read_text(encoding="utf-8")
    refit.write_text(re.sub(r"(?m)^q_never = .*$", "q_never = 0.1234", text), encoding="utf-8")
    spec_text = example.read_text(encoding="utf-8").replace(
        '# rules = "release_rules.toml"', f'rules = "{refit}"'
    )
    (tmp_path / "sweep.toml").write_text(spec_text, encoding="utf-8")
    moved = {a.name: a for a in load_sweep_spec(tmp_path / "sweep.toml").assumptions}
    q = moved["calibrated.q_never"]
    assert dict(zip(dist_keys[q.dist], q.params))["mean"] == 0.1234


# --- the adapter -----------------------------------------------------------------------------


def test_with_assumptions_changes_only_what_is_named():
    rules = sc.load_rules()
    new = sc.with_assumptions(
        rules, {"executive.notice_probability": 0.5, "person.sigma": 1.1, "calibrated.mu_m": 2.0}
    )
    assert new.notice_probability == 0.5 and rules.notice_probability == 0.8
    assert new.person["sigma"] == 1.1 and new.person["risk_loading"] == rules.person["risk_loading"]
    assert new.calibrated["mu_m"] == 2.0 and rules.calibrated["mu_m"] != 2.0
    assert new.calibrated["mu_d"] == sc.baseline_value(rules, "calibrated.mu_d")
    assert new.delay_executive == rules.delay_executive
    with pytest.raises(UsageError, match=r"notice_probability = 1\.2 is outside"):
        sc.with_assumptions(rules, {"executive.notice_probability": 1.2})


# --- determinism across schedulers and partitions ---------------------------------------------


def test_serial_equals_local_cluster_and_other_partitions(tmp_path):
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    a = run_sweep(load_sweep_spec(write_spec(tmp_path, "a.toml", part=3)), tmp_path / "a")
    assert a.n_points == 8 and len(a.results) == 8 * 3
    assert (a.results["status"] == "ok").all()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        # by address, as for a remote cluster (`--scheduler tcp://host:port`) ...
        b = run_sweep(
            load_sweep_spec(write_spec(tmp_path, "b.toml", part=2)),
            tmp_path / "b",
            scheduler=cluster.scheduler_address,
        )
        # ... and with a Client object, as from a notebook
        c = run_sweep(
            load_sweep_spec(write_spec(tmp_path, "c.toml", part=5)),
            tmp_path / "c",
            scheduler=client,
        )
    assert b.workers == 2 and cluster.scheduler_address.startswith("tcp://")
    assert len(list((tmp_path / "b/results").glob("part-*.parquet"))) == 4
    pd.testing.assert_frame_equal(a.results, b.results)
    pd.testing.assert_frame_equal(a.results, c.results)
    pd.testing.assert_frame_equal(a.results, b.results)


@pytest.mark.slow
def test_processes_scheduler_equals_serial(tmp_path):
    pytest.importorskip("dask")
    a = run_sweep(load_sweep_spec(write_spec(tmp_path, "a.toml", part=8)), tmp_path / "a")
    b = run_sweep(
        load_sweep_spec(write_spec(tmp_path, "b.toml", part=3)),
        tmp_path / "b",
        scheduler="processes",
        workers=2,
    )
    pd.testing.assert_frame_equal(a.results, b.results)


@pytest.mark.slow
def test_serial_runs_without_dask(tmp_path):
    spec = write_spec(tmp_path)
    code = textwrap.dedent(f"""
        import sys
        sys.modules["dask"] = None  # any import of dask now fails
        sys.modules["distributed"] = None
        from toolkit.sweep import load_sweep_spec, run_sweep
        r = run_sweep(load_sweep_spec({str(spec)!r}), {str(tmp_path / "o")!r})
        assert (r.results["status"] == "ok").all() and len(r.results) == 24
        try:
            run_sweep(load_sweep_spec({str(spec)!r}), {str(tmp_path / "o2")!r},
                      scheduler="local")
        except Exception as e:
            print(type(e).__name__, e)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 0, out.stderr
    assert "UsageError scheduler 'local' needs Dask" in out.stdout


# --- resume and failures ---------------------------------------------------------------------


def test_interrupted_sweep_resumes_and_loses_nothing(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path, part=3))
    full = run_sweep(spec, tmp_path / "full")
    calls = []

    def stop_after_first_partition(done, total):
        calls.append(done)
        if done >= 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path / "cut", progress=stop_after_first_partition)
    assert sorted(read_results(tmp_path / "cut")["point"].unique()) == [0, 1, 2]
    # an unfinished sweep keeps its partitions in checkpoint/, with no temporary file, and
    # nothing that looks finished (issue 20)
    assert not list((tmp_path / "cut/checkpoint").glob(".*"))
    assert not (tmp_path / "cut/results").exists()
    assert not (tmp_path / "cut/manifest.json").exists()
    resumed = run_sweep(spec, tmp_path / "cut")
    assert resumed.skipped_points == 3 and resumed.computed_partitions == 2
    pd.testing.assert_frame_equal(full.results, resumed.results)
    again = run_sweep(spec, tmp_path / "cut")  # nothing left to do
    assert again.computed_partitions == 0 and len(again.results) == len(full.results)


def test_other_sweep_in_same_directory_refused(tmp_path):
    run_sweep(load_sweep_spec(write_spec(tmp_path, "a.toml")), tmp_path / "o")
    other = write_spec(tmp_path, "b.toml", notice="low = 0.5, high = 0.95")
    with pytest.raises(UsageError, match="different sweep"):
        run_sweep(load_sweep_spec(other), tmp_path / "o")


def test_failing_scenario_reported_with_parameters_others_run(tmp_path):
    # a normal around 1.0 draws probabilities outside the declared range 0.5-1 for some points:
    # those scenarios fail in the adapter, naming the value; the rest of the sweep is unaffected
    spec = load_sweep_spec(write_spec(tmp_path, dist="normal", notice="mean = 1.0, sd = 0.2"))
    r = run_sweep(spec, tmp_path / "o").results
    bad = ~r["executive.notice_probability"].between(0.5, 1.0)
    assert bad.any() and (~bad).any()
    assert (r.loc[bad, "status"] == "failed").all() and (r.loc[~bad, "status"] == "ok").all()
    assert r.loc[bad, "error"].str.contains(r"executive.notice_probability = .* is outside").all()
    assert r.loc[~bad, ["released_at_sed_pct", "mean_custody_days"]].notna().all().all()
    fails = (
        pd.read_csv(tmp_path / "o/failures.csv") if (tmp_path / "o/failures.csv").exists() else None
    )
    assert fails is None  # run_sweep alone writes results only; the report writes failures.csv
    from toolkit.sweep.report import write_report

    summary = write_report(run_sweep(spec, tmp_path / "o"), spec)
    fails = pd.read_csv(tmp_path / "o/failures.csv")
    assert sorted(fails["point"]) == sorted(r.loc[bad, "point"].unique())
    assert (~fails["executive.notice_probability"].between(0.5, 1.0)).all()
    assert summary["scenarios_failed"] == bad.sum()


# --- sensitivity -----------------------------------------------------------------------------


def test_sobol_indices_of_a_known_function(tmp_path):
    """Y = 2 X1 + X2 with X1, X2 ~ U(0, 1): S1 = ST = 0.8 and 0.2 exactly. At N = 1024 the
    Saltelli estimators are within about 0.03 of these (their bootstrap intervals say so)."""
    p = write_spec(tmp_path, notice="low = 0, high = 1")
    p.write_text(
        p.read_text()
        .replace("executive.notice_probability", "preference.prefer_stay_share")
        .replace("base_samples = 2", "base_samples = 1024")
        .replace("low = 0.25, high = 0.4", "low = 0, high = 1")
    )
    spec = load_sweep_spec(p)
    d = spec.design()
    y = 2 * d["preference.prefer_stay_share"] + d["calibrated.q_never"]
    fake = d.assign(
        strategy="formal",
        status="ok",
        released_at_sed_pct=y,
        bed_days_saved_per_person=y,
        re_recall_pct=y,
        sfo_per_1000=y,
    )
    fake = pd.concat([fake.assign(strategy=s) for s in spec.strategies], ignore_index=True)
    si = sobol_indices(fake, spec)
    one = si[(si.strategy == "formal") & (si.outcome == "re_recall_pct")].set_index("parameter")
    assert one.loc["preference.prefer_stay_share", "S1"] == pytest.approx(0.8, abs=0.03)
    assert one.loc["calibrated.q_never", "ST"] == pytest.approx(0.2, abs=0.03)
    assert (one["S1_conf"] < 0.1).all()
    tor = tornado(fake, spec, "formal", "re_recall_pct")
    # X1 in its top vs bottom fifth moves Y by 2 x (0.9 - 0.1) = 1.6; X2 by 0.8
    assert list(tor["parameter"]) == ["preference.prefer_stay_share", "calibrated.q_never"]
    assert tor["swing"].tolist() == pytest.approx([1.6, 0.8], abs=0.05)


def test_frontier_marks_dominated_strategies():
    s = pd.DataFrame(
        {
            "strategy": ["a", "b", "c", "d"],
            "review_hours_per_person": [0.0, 2.0, 3.0, 4.0],
            "bed_days_saved_per_person": [0.0, 50.0, 40.0, 60.0],
        }
    )
    f = frontier(s).set_index("strategy")
    assert f["on_frontier"].tolist() == [True, True, False, True]
    assert f.loc["b", "hours_per_bed_day"] == pytest.approx(2 / 50)
    assert f.loc["d", "hours_per_bed_day"] == pytest.approx(2 / 10)


# --- the command -----------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_sweep_serial_writes_results_and_summary(tmp_path):
    spec = write_spec(tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "toolkit.cli",
        "sweep",
        str(spec),
        "--out",
        str(tmp_path / "o"),
        "--scheduler",
        "serial",
    ]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
    # lines at once, however fast this machine is (by default a log gets lines after 2 s)
    out = subprocess.run(
        cmd, capture_output=True, text=True, env={**env, "RECALL_TOOLKIT_PROGRESS": "lines"}
    )
    assert out.returncode == 0, out.stderr
    assert "24 of 24 scenarios ok" in out.stdout
    # not a terminal: no bar, progress as lines (issue 20), one a tenth of the points
    lines = out.stderr.splitlines()
    assert lines and all(line.startswith("sweep: ") for line in lines), out.stderr
    assert "sweep: 8/8 points" in out.stderr
    man = json.loads((tmp_path / "o/manifest.json").read_text())
    hashes = {f["path"]: f["file_sha256"] for f in man["files"]}
    for path in [
        "summary.json",
        "sobol.csv",
        *[f"results/{p.name}" for p in (tmp_path / "o/results").iterdir()],
    ]:
        assert hashes[path] == hashlib.sha256((tmp_path / "o" / path).read_bytes()).hexdigest()
    assert not (tmp_path / "o/checkpoint").exists()
    summary = json.loads((tmp_path / "o/summary.json").read_text())
    assert summary["scenarios"] == 24 and summary["scenarios_failed"] == 0
    res = pd.read_parquet(tmp_path / "o/results")
    assert len(res) == 24
    for f in ("sobol.csv", "tornado.png", "sobol.png", "frontier.png", "summary.csv"):
        assert (tmp_path / "o" / f).stat().st_size > 0
    bad = tmp_path / "bad.toml"
    bad.write_text(spec.read_text().replace("seed = 11", "sed = 11"))
    out = subprocess.run(
        cmd[:4] + [str(bad), "--out", str(tmp_path / "o3")], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2 and "sweep.sed" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "o3").exists()


def test_outcome_that_does_not_vary_gets_a_note(tmp_path):
    spec = load_sweep_spec(write_spec(tmp_path))
    r = run_sweep(spec, tmp_path / "o").results
    # an outcome constant across draws (no review hours under release at SED, say) has no
    # variance to apportion
    r.loc[r.strategy == "sed", "bed_days_saved_per_person"] = 0.0
    si = sobol_indices(r, spec)
    sed = si[(si.strategy == "sed") & (si.outcome == "bed_days_saved_per_person")]
    assert sed["S1"].isna().all() and (sed["note"] == "outcome does not vary").all()
    assert np.isfinite(si[si.strategy == "formal"]["ST"]).all()


def test_headline_outcomes_equal_the_engine_summary():
    """The adapter's fast per-strategy means agree with SimulationResult.summary (an independent
    pandas implementation in the review engine) to floating-point rounding."""
    from toolkit.review import parse_strategy, simulate_reviews

    names = ["sed", "formal", "proactive:every=28", "capacity:per_week=20,priority=fifo"]
    cohort = sc.default_cohort(("standard",), DEFAULT_SEED)
    res = simulate_reviews(
        cohort, {s: parse_strategy(s) for s in names}, n=800, n_replications=3, rng=3
    )
    summ = res.summary().set_index("strategy")
    for s, got in zip(names, sc._headline(res.records, names)):
        for k in sc.OUTCOMES:
            assert got[k] == pytest.approx(summ.loc[s, k], rel=1e-12, abs=1e-12), (s, k)


@pytest.mark.slow
def test_cli_killed_mid_sweep_resumes_to_the_same_results(tmp_path):
    """SIGKILL the command after its first checkpoint, rerun it: identical to a run that was
    never interrupted, with the finished points skipped."""
    import signal
    import time

    spec = write_spec(tmp_path, part=1)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}

    def cmd(out):
        return [
            sys.executable,
            "-m",
            "toolkit.cli",
            "sweep",
            str(spec),
            "--out",
            str(out),
            "--scheduler",
            "serial",
        ]

    proc = subprocess.Popen(
        cmd(tmp_path / "cut"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    results = tmp_path / "cut/checkpoint"  # partitions of an unfinished sweep (issue 20)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if results.is_dir() and any(results.glob("part-*.parquet")):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the sweep finished before it could be interrupted")
    done_before = len(list(results.glob("part-*.parquet")))
    assert 1 <= done_before < 8
    again = subprocess.run(cmd(tmp_path / "cut"), capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert f"({done_before} points resumed from checkpoints)" in again.stdout
    whole = subprocess.run(cmd(tmp_path / "whole"), capture_output=True, text=True, env=env)
    assert whole.returncode == 0
    pd.testing.assert_frame_equal(read_results(tmp_path / "cut"), read_results(tmp_path / "whole"))


def test_sed_is_accepted_and_written_as_board_only(tmp_path):
    s = load_sweep_spec(write_spec(tmp_path))  # the tiny spec names "sed"
    assert s.strategies[0] == "board_only" and "sed" not in s.strategies
    both = write_spec(tmp_path, name="b.toml")
    both.write_text(both.read_text().replace('["sed", "formal"]', '["sed", "board_only"]'))
    with pytest.raises(SpecError, match="names a strategy twice"):
        load_sweep_spec(both)


def test_sweep_run_offers_the_result_protocol(tmp_path):
    """SweepRun: to_frame is the results table, to_dict JSON-ready with what ran, render names
    every strategy, plot(ax=) draws the frontier through toolkit.report.plots."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from toolkit.sweep.sensitivity import psa_summary

    run = run_sweep(load_sweep_spec(write_spec(tmp_path)), tmp_path / "o")
    frame = run.to_frame()
    pd.testing.assert_frame_equal(frame, read_results(tmp_path / "o"))
    frame.loc[0, "strategy"] = "changed"  # a copy: the run's results are unchanged
    assert run.results.loc[0, "strategy"] != "changed"
    assert run.strategies == ("board_only", "formal", "proactive:every=28")
    d = json.loads(json.dumps(run.to_dict()))
    assert d["points"] == run.n_points == 8 and len(d["rows"]) == len(run.results) == 24
    assert d["lost"] == [] and d["out"] == str(tmp_path / "o")
    text = run.render()
    assert "24 of 24 scenarios ok" in text
    assert all(s in text for s in run.strategies)
    pd.testing.assert_frame_equal(run.summary(), psa_summary(run.results, run.strategies))
    ax = run.plot(ax=Figure().subplots())
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "frontier"]
    on = run.frontier().query("on_frontier").sort_values("review_hours_per_person")
    assert np.array_equal(line.get_xdata(), on["review_hours_per_person"].to_numpy())
