"""The command line end to end: outputs, manifests, exit codes and clean failures."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from toolkit.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True
    )


@pytest.mark.parametrize("cmd", ["generate", "fidelity", "audit", "demo"])
def test_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "usage: recall-toolkit " + cmd in capsys.readouterr().out


def test_generate_writes_file_and_manifest(tmp_path):
    out = tmp_path / "c.csv"
    assert (
        main(
            [
                "generate",
                "--seed",
                "3",
                "--population",
                "hdc",
                "--population",
                "life",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    df = pd.read_csv(out)
    assert len(df) == 74 + 159
    man = json.loads((tmp_path / "c.manifest.json").read_text())
    for key in ("toolkit_version", "spec_sha256", "seed", "command"):
        assert key in man
    assert man["seed"] == 3 and man["populations"] == ["hdc", "life"]
    # same seed, same bytes
    out2 = tmp_path / "d.csv"
    main(
        [
            "generate",
            "--seed",
            "3",
            "--population",
            "hdc",
            "--population",
            "life",
            "--out",
            str(out2),
        ]
    )
    assert out.read_bytes() == out2.read_bytes()


def test_generate_parquet_then_fidelity(tmp_path, capsys):
    out = tmp_path / "c.parquet"
    assert main(["generate", "--seed", "1", "--population", "standard", "--out", str(out)]) == 0
    js = tmp_path / "f.json"
    code = main(["fidelity", str(out), "--json", str(js)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "appendix.age.standard" in text
    rep = json.loads(js.read_text())
    assert rep["summary"]["all_passed"] is True


def test_fidelity_exit_1_on_failure(tmp_path, capsys):
    out = tmp_path / "c.csv"
    main(["generate", "--seed", "1", "--population", "hdc", "--out", str(out)])
    df = pd.read_csv(out)
    df["age"] += 2
    df.to_csv(out, index=False)
    assert main(["fidelity", str(out)]) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, message",
    [
        (["generate", "--seed", "1", "--out", "x.txt"], "unknown file suffix"),
        (["generate", "--seed", "1", "--n", "0", "--out", "x.csv"], "must be a positive number"),
        (["generate", "--seed", "1", "--n", "-3", "--out", "x.csv"], "must be a positive number"),
        (
            ["generate", "--seed", "1", "--population", "martians", "--out", "x.csv"],
            "unknown population 'martians'",
        ),
        (["generate", "--seed", "1", "--out", "no/such/dir/x.csv"], "does not exist"),
        (
            ["generate", "--seed", "1", "--profile", "missing.toml", "--out", "x.csv"],
            "missing.toml: `(file)` cannot be read",
        ),
        (["fidelity", "missing.csv"], "no such cohort file"),
        (["audit", "--profile", "missing.toml"], "cannot be read"),
    ],
)
def test_bad_input_exit_2_no_output(tmp_path, args, message):
    r = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_bad_cohort_file(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("person_id,age\n1,30\n")
    r = run("fidelity", str(p))
    assert r.returncode == 2
    assert "missing column(s) population" in r.stderr
    assert p.read_text() == "person_id,age\n1,30\n", "input files are never modified"


def test_audit_command(capsys):
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "share_sum.days_on_recall.standard" in out
    assert "resolution:" in out


@pytest.mark.slow
def test_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    for name in (
        "cohort.parquet",
        "cohort.manifest.json",
        "fidelity.json",
        "fidelity.txt",
        "figure1.png",
    ):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.slow
def test_bad_value_names_row_and_column(tmp_path):
    out = tmp_path / "c.csv"
    main(["generate", "--seed", "1", "--population", "hdc", "--out", str(out)])
    df = pd.read_csv(out)
    df["age"] = df["age"].astype(object)
    df.loc[4, "age"] = "thirty"
    df["rosh"] = df["rosh"].astype(object)
    bad = tmp_path / "bad.csv"
    df.to_csv(bad, index=False)
    r = run("fidelity", str(bad))
    assert r.returncode == 2
    # data row 5 is spreadsheet row 6 (header = row 1), as the message says
    assert "row 6, column 'age': 'thirty' is not a whole number" in r.stderr
    assert "header = row 1" in r.stderr


def test_output_path_is_a_directory(tmp_path):
    (tmp_path / "x.csv").mkdir()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolkit.cli",
            "generate",
            "--seed",
            "1",
            "--population",
            "hdc",
            "--out",
            str(tmp_path / "x.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "is a directory" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_parquet_manifest_hashes_the_file_written(tmp_path, capsys):
    """Issue 10: a Parquet cohort is hashed as written, not re-serialised to CSV to hash it."""
    import hashlib

    outs = []
    for name in ("a.parquet", "b.parquet"):
        out = tmp_path / name
        assert main(["generate", "--seed", "4", "--population", "hdc", "--out", str(out)]) == 0
        man = json.loads(out.with_name(out.stem + ".manifest.json").read_text())
        assert man["csv_sha256"] is None
        assert man["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        outs.append(man["file_sha256"])
    assert outs[0] == outs[1], "same seed, same bytes"


def test_csv_manifest_hash_is_the_csv_bytes(tmp_path):
    import hashlib

    out = tmp_path / "a.csv"
    main(["generate", "--seed", "4", "--population", "hdc", "--out", str(out)])
    man = json.loads((tmp_path / "a.manifest.json").read_text())
    assert man["csv_sha256"] == man["file_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_output_set_is_all_or_nothing(tmp_path):
    from toolkit.cohort.io import atomic_outputs

    a, b = tmp_path / "a.json", tmp_path / "b.csv"
    with pytest.raises(ZeroDivisionError):
        with atomic_outputs() as out:
            out.reserve(a)
            out.reserve(b)
            out.write_json({"x": 1}, a)
            out.write(b, lambda tmp: 1 / 0)  # the second output fails after the first is written
    assert list(tmp_path.iterdir()) == [], "neither output nor any temporary file is left"
    with atomic_outputs() as out:
        out.write_json({"x": 1}, a)
        out.write_text(b, "x\n1\n")
        assert not a.exists() and not b.exists(), "nothing is renamed before the block ends"
    assert json.loads(a.read_text()) == {"x": 1} and b.read_text() == "x\n1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.csv"]


def test_simulate_summary_failure_leaves_no_records(tmp_path, capsys, monkeypatch):
    """Issue 12: the records were written before the summary failed; now neither is."""
    import pathlib

    def disk_full(self, *args, **kwargs):  # the summary (written as text) hits a full disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", disk_full)
    code = main(
        ["simulate", "--strategy", "sed", "--seed", "1", "--n", "200", "--replications", "1"]
        + ["--out", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.json")]
    )
    assert code == 2
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_atomic_directory(tmp_path):
    from toolkit.cohort.io import atomic_directory
    from toolkit.outputs import MARKER

    target = tmp_path / "demo"
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target) as d:
            (d / "a.txt").write_text("half")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == [], "an interrupted folder leaves nothing"
    with atomic_directory(target) as d:
        (d / "a.txt").write_text("1")
        assert not target.exists()
    with atomic_directory(target) as d:  # an existing folder is replaced only when complete
        (d / "b.txt").write_text("2")
        assert (target / "a.txt").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["demo"]
    # the folder's own files and the marker that lets the next run replace it (issue 20)
    assert sorted(p.name for p in target.iterdir()) == sorted(["b.txt", MARKER])
