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
