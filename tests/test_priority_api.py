"""The practitioner API refuses what the commands refuse, with messages that name no command-line
flag; the fairness modes, the example caseload and the demo are plain functions the commands
call; the priority package has no import cycle and imports no private name across modules
(issue 24 items 3 and 4)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.exceptions import UsageError
from toolkit.priority.dates import as_of_date
from toolkit.priority.seeds import recorded_seed

ROOT = Path(__file__).parents[1]
PRIORITY = ROOT / "toolkit" / "priority"


def _no_flag(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "--" not in text, f"an API message names a command-line flag: {text}"
    return text


# -- small input checks, one per public function ---------------------------------------------
@pytest.mark.parametrize("value", ["xx", "2026-13-01", "05/13/2026x"])
def test_as_of_date_refuses_what_is_not_a_date(value):
    with pytest.raises(UsageError) as e:
        as_of_date(value)
    assert repr(value) in _no_flag(e)


def test_as_of_date_is_the_day_at_midnight():
    assert as_of_date(None) is None and as_of_date("") is None
    assert as_of_date("2026-01-05 17:30") == pd.Timestamp("2026-01-05")


def test_recorded_seed():
    assert recorded_seed(None, 7) == 7 and recorded_seed(12, 7) == 12
    # a Generator or SeedSequence gives one draw: the same seed, the same recorded integer
    a = recorded_seed(np.random.default_rng(3), 7)
    assert a == recorded_seed(np.random.default_rng(3), 7)
    assert a == recorded_seed(np.random.SeedSequence(3), 7)
    assert 0 <= a < 2**31
    for bad in (-1, True, 2.5, "3"):
        with pytest.raises(UsageError):
            recorded_seed(bad, 7)


def _caseload(tmp_path: Path):
    from toolkit.priority.caseload import validate_caseload

    rows = pd.DataFrame(
        {
            "case_reference": ["A1", "A2", "A3"],
            "recall_type": ["standard", "standard", "life"],
            "recall_date": ["2025-11-01", "2025-06-10", "2024-03-01"],
            "sed_date": ["2027-02-01", "2026-02-01", ""],
            "age": ["30", "45", "52"],
            "ogrs3_2yr": ["55", "20", "35"],
            "rosh": ["medium", "high", "high"],
        }
    )
    path = tmp_path / "c.csv"
    rows.to_csv(path, index=False)
    return path, validate_caseload(path, as_of=pd.Timestamp("2026-01-05"))


@pytest.mark.parametrize("capacity", [0, -3, 2.5, True, "20"])
def test_prioritise_refuses_a_capacity_the_command_refuses(tmp_path, capacity):
    from toolkit.priority.rank import prioritise

    _, cl = _caseload(tmp_path)
    with pytest.raises(UsageError) as e:
        prioritise(cl, capacity=capacity)
    assert "capacity" in _no_flag(e)


def test_prioritise_refuses_a_frame_that_was_not_validated(tmp_path):
    from toolkit.priority.rank import prioritise

    _, cl = _caseload(tmp_path)
    with pytest.raises(UsageError) as e:
        prioritise(cl.frame)
    assert "validate_caseload" in _no_flag(e)


def test_write_ranked_caseload_checks_paths_before_any_work(tmp_path):
    from toolkit.report.caseload import write_ranked_caseload

    path, _ = _caseload(tmp_path)
    for kw, words in (
        ({"caseload": tmp_path, "out": tmp_path / "r.csv"}, "is a folder"),
        ({"caseload": path, "out": path}, "would overwrite the caseload"),
        (
            {"caseload": path, "out": tmp_path / "r.csv", "report": tmp_path / "r.csv"},
            "same file",
        ),
    ):
        with pytest.raises(UsageError) as e:
            write_ranked_caseload(**kw)
        assert words in _no_flag(e)
    with pytest.raises(UsageError) as e:
        write_ranked_caseload(path, tmp_path / "r.csv", as_of="not a date")
    _no_flag(e)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]  # nothing written


def test_write_ranked_caseload_writes_what_prioritise_ranks(tmp_path):
    from toolkit.priority.rank import prioritise
    from toolkit.report.caseload import write_ranked_caseload

    path, cl = _caseload(tmp_path)
    res = write_ranked_caseload(path, tmp_path / "r.csv", capacity=1, as_of="2026-01-05")
    written = pd.read_csv(tmp_path / "r.csv", keep_default_na=False)
    expected = prioritise(cl, capacity=1)
    assert written["case_reference"].tolist() == expected["case_reference"].tolist()
    assert written["suggested_action"].tolist() == expected["suggested_action"].tolist()
    # counts only in the summary: no case reference is printed
    assert res.summary().startswith("3 cases (") and "A1" not in res.summary()


def test_templates_refuse_a_missing_folder_and_existing_files(tmp_path):
    from toolkit.priority.template import EXAMPLE_NAME, example_caseload, write_caseload_templates

    with pytest.raises(UsageError) as e:
        write_caseload_templates(tmp_path / "nope")
    assert "not a directory" in _no_flag(e)
    (tmp_path / EXAMPLE_NAME).write_text("mine")
    with pytest.raises(UsageError) as e:
        write_caseload_templates(tmp_path)
    assert "exists" in _no_flag(e)
    assert (tmp_path / EXAMPLE_NAME).read_text() == "mine"  # never touched
    for bad in (0, 2.5, True):
        with pytest.raises(UsageError) as e:
            example_caseload(n=bad)
        _no_flag(e)


@pytest.mark.slow
def test_the_template_command_writes_the_api_example(tmp_path):
    """One home for the example caseload: the command's file holds example_caseload's rows."""
    from toolkit.priority.template import example_caseload

    r = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "template", "caseload", "--out", str(tmp_path)]
        + ["--n", "25", "--seed", "5", "--as-of", "2025-03-01"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    text = example_caseload(n=25, rng=5, as_of="2025-03-01")
    written = pd.read_csv(tmp_path / "caseload_example.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, text.reset_index(drop=True).astype(str))
    assert "--as-of 2025-03-01" in r.stdout


# -- fairness: the three modes are functions -------------------------------------------------
def _records() -> pd.DataFrame:
    """Hand-made simulation records: 2 replications x 2 strategies x 40 people; under "b" the
    women are released before SED in replication 0 and 1 at shares 0.5 and 0.7, the men at 0.2
    and 0.4 (40 people each way round: 24 men, 16 women)."""
    rows = []
    for rep, (w_share, m_share) in enumerate(((0.5, 0.2), (0.7, 0.4))):
        for strat in ("a", "b"):
            for i in range(40):
                female = i < 16
                k = i if female else i - 16
                share = (w_share if female else m_share) if strat == "b" else 0.0
                n = 16 if female else 24
                released = k < round(share * n)
                rows.append(
                    {
                        "replication": rep,
                        "strategy": strat,
                        "route": "executive" if released else "sed",
                        "age": 30.0,
                        "supervised_days": 100.0,
                        "sfo": 0.0,
                        "sex": "female" if female else "male",
                    }
                )
    return pd.DataFrame(rows)


def test_audit_records_gap_by_hand(tmp_path):
    from toolkit.priority.fairness import audit_fairness, audit_records, is_simulation_records

    res = audit_records(_records(), baseline="a")
    t = res.table
    row = t[
        (t["strategy"] == "b")
        & (t["attribute"] == "sex")
        & (t["group"] == "female")
        & (t["metric"] == "released_before_sed")
    ].iloc[0]
    # women minus men: 0.5 - 0.2 = 0.3 and 0.7 - 0.4 = 0.3 (rounded to whole people: 8/16 and
    # 5/24 = 0.2083, 11/16 and 10/24 = 0.4167)
    gaps = [8 / 16 - 5 / 24, 11 / 16 - 10 / 24]
    assert row["reference"] == "male" and row["gap"] == pytest.approx(np.mean(gaps))
    assert row["gap_change"] == pytest.approx(np.mean(gaps))  # "a" releases nobody: gap 0
    assert res.kind == "records" and "paired by replication" in res.note
    # the file route: a CSV with strategy and route columns is read as records
    path = tmp_path / "rec.csv"
    _records().to_csv(path, index=False)
    assert is_simulation_records(path)
    pd.testing.assert_frame_equal(audit_fairness(path, baseline="a").table, t)
    with pytest.raises(UsageError) as e:
        audit_records(_records(), baseline="nope")
    assert "'nope'" in _no_flag(e)


def test_records_file_lacking_columns_is_refused(tmp_path):
    from toolkit.priority.fairness import read_simulation_records

    path = tmp_path / "rec.csv"
    _records().drop(columns=["sfo"]).to_csv(path, index=False)
    with pytest.raises(UsageError) as e:
        read_simulation_records(path)
    assert "sfo" in _no_flag(e) and str(path) in str(e.value)


def test_fairness_result_follows_the_protocol():
    from toolkit.priority.fairness import audit_records
    from toolkit.results import Result

    res = audit_records(_records())
    assert isinstance(res, Result)
    d = res.to_dict()
    assert d["kind"] == "records" and len(d["rows"]) == len(res.table)
    assert res.to_frame() is not res.table and "strategy" in res.render()
    with pytest.raises(TypeError):
        res.plot()


def test_audit_simulated_refuses_no_cases():
    from toolkit.priority.fairness import audit_simulated

    for bad in (0, 2.5, True):
        with pytest.raises(UsageError) as e:
            audit_simulated(bad)
        _no_flag(e)


def test_audit_caseload_reads_outcome_columns_and_lists_bad_cells(tmp_path):
    from toolkit.priority.caseload import CaseloadError
    from toolkit.priority.fairness import audit_caseload

    path, _ = _caseload(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["releasable_28d"] = ["yes", "maybe", "no"]
    df["days_gained"] = ["3", "4", "-1"]
    df.to_csv(path, index=False)
    with pytest.raises(CaseloadError) as e:
        audit_caseload(path, as_of="2026-01-05")
    assert e.value.problems == [
        "row 3, column releasable_28d: expected yes or no",
        "row 4, column days_gained: expected a number >= 0",
    ]
    df["releasable_28d"] = ["yes", "no", "no"]
    df["days_gained"] = ["3", "4", "0"]
    df.to_csv(path, index=False)
    res = audit_caseload(path, as_of="2026-01-05", capacity=1)
    assert res.kind == "caseload" and res.as_of == pd.Timestamp("2026-01-05")
    sex = res.table[res.table["attribute"] == "age_band"]
    # the life recall is not ranked (Board route): two ranked cases, their observed mean 1/2
    assert sex["n"].sum() == 2
    assert np.average(sex["observed_rate"], weights=sex["n"]) == pytest.approx(0.5)


# -- the demo's result --------------------------------------------------------------------------
def test_demo_result_protocol(tmp_path):
    from toolkit.report.demo import DemoResult

    files = [
        {"href": "a.txt", "title": "A", "caption": "a", "figure": False},
        {"href": "b.png", "title": "B", "caption": "b", "figure": True},
    ]
    res = DemoResult(out=tmp_path, index=tmp_path / "index.html", files=files, headlines=["h"])
    assert res.to_frame().to_dict("records") == files
    assert res.to_dict()["rows"] == files and res.to_dict()["passed"] is True
    assert res.render().splitlines()[0] == "h" and "Wrote 3 files" in res.render()
    with pytest.raises(TypeError):
        res.plot()


def test_run_demo_refuses_two_seeds_before_any_work(tmp_path):
    from toolkit.report.demo import run_demo

    with pytest.raises(UsageError) as e:
        run_demo(tmp_path / "d", rng=1, seed=1)
    _no_flag(e)
    with pytest.raises(UsageError):
        run_demo(tmp_path / "d", seed=-4)
    assert list(tmp_path.iterdir()) == []


def test_fit_scorer_is_a_command():
    from toolkit.cli import main

    with pytest.raises(SystemExit) as e:
        main(["fit-scorer", "--help"])
    assert e.value.code == 0


# -- structure ----------------------------------------------------------------------------------
def _top_level_imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of the imports at a module's top level (not inside functions)."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
    return out


def _all_imports(path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def test_priority_modules_import_no_cycle():
    """No two priority modules import each other, directly or round a loop, at any level (an
    import inside a function that closes a loop is a hidden cycle)."""
    names = {p.stem for p in PRIORITY.glob("*.py") if p.stem != "__init__"}
    graph = {
        m: {
            mod.rsplit(".", 1)[1]
            for mod, _ in _all_imports(PRIORITY / f"{m}.py")
            if mod.startswith("toolkit.priority.") and mod.rsplit(".", 1)[1] in names
        }
        for m in names
    }

    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    cycles = sorted(m for m in names if m in reach(m))
    assert not cycles, f"import cycles through {cycles}"


@pytest.mark.parametrize(
    "path",
    [
        *sorted(PRIORITY.glob("*.py")),
        ROOT / "toolkit/report/demo.py",
        ROOT / "toolkit/report/caseload.py",
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_no_private_name_imported_across_modules(path):
    private = [
        f"{mod}.{n}"
        for mod, names in _all_imports(path)
        if mod.startswith("toolkit")
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert not private, f"{path.name} imports private names {private}"
