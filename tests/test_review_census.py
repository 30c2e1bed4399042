"""The stored default census equals the census generated from the shipped profile, and the CLI
gives the same records from it as from generating it."""

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.review import census as cen

ROOT = Path(__file__).parents[1]
REBUILD = 'stale: rebuild with python -c "import toolkit.review.census as c; c.main()"'


@pytest.fixture(scope="module")
def generated():
    return cen.generate_default_census()


def _assert_same(a: cen.Census, b: cen.Census) -> None:
    assert a.n == b.n
    for f in fields(cen.Census):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, cen.Coded):
            assert x.categories == y.categories, f.name
            x, y = x.codes, y.codes
        # same values and dtypes, bit for bit (nan compares equal to nan)
        assert np.asarray(x).dtype == np.asarray(y).dtype, f.name
        np.testing.assert_array_equal(x, y, err_msg=f.name, strict=True)


@pytest.mark.slow
def test_stored_census_is_current_and_equals_the_generated_one(generated):
    stored = cen.load_census(cen.DATA_FILE, cen.fingerprint())
    assert stored is not None, REBUILD
    _assert_same(stored, generated)


def test_round_trip_and_stale_tag(tmp_path, generated):
    path = tmp_path / "c.npz"
    cen.save_census(generated, path, "abc")
    _assert_same(cen.load_census(path, "abc"), generated)
    _assert_same(cen.load_census(path), generated)  # no tag asked: any
    assert cen.load_census(path, "other") is None
    assert cen.load_census(tmp_path / "missing.npz", "abc") is None
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    assert cen.load_census(tmp_path / "bad.npz", "abc") is None


@pytest.mark.slow
def test_stale_file_falls_back_to_generating(tmp_path, monkeypatch, generated):
    path = tmp_path / "c.npz"
    small = cen.prepare_census(
        pd.DataFrame(
            {
                "population": ["standard"],
                "ogrs3_2yr": [50.0],
                "rsr_2yr": [2.0],
                "need_domains": [4],
                "need_accommodation": [1],
                "rosh": ["high"],
                "sex": ["male"],
                "ethnicity": ["white"],
                "person_id": [7],
            }
        )
    )
    cen.save_census(small, path, "an old fingerprint")
    monkeypatch.setattr(cen, "DATA_FILE", path)
    _assert_same(cen.default_census.__wrapped__(), generated)
    cen.save_census(small, path, cen.fingerprint())  # a current tag is trusted
    _assert_same(cen.default_census.__wrapped__(), small)


def _papers_copy(tmp_path, monkeypatch) -> Path:
    papers = tmp_path / "papers"
    for f in (ROOT / "papers").glob("*/*.toml"):
        (papers / f.parent.name).mkdir(parents=True, exist_ok=True)
        (papers / f.parent.name / f.name).write_bytes(f.read_bytes())
    import importlib.resources as res

    real = res.files
    monkeypatch.setattr(res, "files", lambda pkg: papers if pkg == "toolkit.papers" else real(pkg))
    return papers


def test_fingerprint_follows_the_parsed_profile_not_its_text(tmp_path, monkeypatch):
    papers = _papers_copy(tmp_path, monkeypatch)
    before = cen.fingerprint()
    prof = papers / "recall_process_experience" / "profile.toml"
    text = prof.read_text()
    prof.write_text(text + "\n# a comment\n")  # same data: same fingerprint
    assert cen.fingerprint() == before
    prof.write_text(text + "\n[zz_added_table]\nx = 1\n")  # different data: another one
    assert cen.fingerprint() != before
    prof.write_text(text)
    rules = papers / "recall_process_experience" / "release_rules.toml"
    rules.write_text(rules.read_text() + "\n[zz]\nx = 1\n")  # not an input of the census
    assert cen.fingerprint() == before
    prog = papers / "recall_process_experience" / "programmes.toml"
    prog.write_text(prog.read_text() + "\n[zz]\nx = 1\n")
    assert cen.fingerprint() != before


def test_fingerprint_follows_the_version_not_the_libraries(monkeypatch):
    before = cen.fingerprint()
    monkeypatch.setattr(np, "__version__", "0.0.1")
    monkeypatch.setattr(pd, "__version__", "0.0.1")
    assert cen.fingerprint() == before
    monkeypatch.setattr(cen, "CENSUS_VERSION", cen.CENSUS_VERSION + 1)
    assert cen.fingerprint() != before


def test_risk_centre_is_scipys_logit():
    # the census constant; toolkit.mathfn.logit itself is checked in tests/test_mathfn.py
    from scipy.special import logit

    assert cen.RISK_CENTRE == float(logit(0.62))


@pytest.mark.slow
def test_cli_default_census_gives_the_generated_census_records(tmp_path):
    # without --profile the stored census is used; with the same profile named explicitly it
    # is generated: the records must be the same
    profile = ROOT / "papers" / "recall_process_experience" / "profile.toml"
    args = [sys.executable, "-m", "toolkit.cli", "simulate", "--strategy", "event"]
    args += ["--n", "400", "--replications", "2", "--seed", "9"]
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for extra, out in (([], a), (["--profile", str(profile)], b)):
        r = subprocess.run([*args, "--out", str(out), *extra], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))


# --- a user's cohort, read for the simulation -----------------------------------------------


@pytest.fixture(scope="module")
def user_cohort():
    from toolkit.cohort.generate import generate_cohort

    return generate_cohort(populations=["standard", "extended", "hdc"], n=3000, rng=12)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_read_census_equals_read_cohort_then_prepare(tmp_path, user_cohort, suffix):
    """Reading only the model's columns (and checking them vectorised) gives the census that
    reading and checking the whole file gives."""
    from toolkit.cohort.io import read_cohort, write_cohort

    path = tmp_path / f"c{suffix}"
    write_cohort(user_cohort, path)
    _assert_same(cen.read_census(path), cen.prepare_census(read_cohort(path)))


@pytest.mark.parametrize(
    "column, value, fragment",
    [
        ("ogrs3_2yr", "250", "between 0 and 100"),
        ("sex", "m", "one of male, female"),
        ("violent_history", "unknown", "'unknown'"),
        ("has_oasys", "maybe", "true or false"),
    ],
)
def test_read_census_names_a_bad_value_as_read_cohort_does(
    tmp_path, user_cohort, column, value, fragment
):
    from toolkit.cohort.io import read_cohort
    from toolkit.exceptions import CohortError

    df = user_cohort.copy()
    df[column] = df[column].astype(object)
    df.loc[3, column] = value
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(CohortError) as fast:
        cen.read_census(path)
    with pytest.raises(CohortError) as full:
        read_cohort(path)
    assert "row 5" in str(fast.value) and f"'{column}'" in str(fast.value)
    assert fragment in str(fast.value) and fragment in str(full.value)


def test_read_census_refuses_a_missing_column(tmp_path, user_cohort):
    from toolkit.exceptions import CohortError

    path = tmp_path / "c.parquet"
    user_cohort.drop(columns=["rsr_2yr"]).to_parquet(path)
    with pytest.raises(CohortError, match="rsr_2yr"):
        cen.read_census(path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_arrow_reader_reads_a_valid_file_as_the_checked_pandas_reading(
    tmp_path, user_cohort, suffix
):
    """A valid file takes the pyarrow path (not the fallback) and gives, array for array, the
    census the checked pandas reading gives."""
    from toolkit.cohort.io import read_cohort, write_cohort
    from toolkit.review.census import read_arrow_census

    path = tmp_path / f"c{suffix}"
    write_cohort(user_cohort, path)
    fast = read_arrow_census(path, suffix[1:], cen.reading_plan(), 1)
    assert fast is not None
    _assert_same(fast, cen.prepare_census(read_cohort(path)))


@pytest.mark.parametrize(
    "column, value",
    [("ogrs3_2yr", 250.0), ("age", 12), ("need_domains", 11), ("person_id", 1)],
)
def test_arrow_reader_leaves_a_doubtful_file_to_the_checked_reading(
    tmp_path, user_cohort, column, value
):
    """A value the schema refuses (out of range, a repeated id) is never accepted by the fast
    path: it returns None and the checked reading names the value."""
    from toolkit.exceptions import CohortError
    from toolkit.review.census import read_arrow_census

    df = user_cohort.copy()
    df.loc[5, column] = value
    path = tmp_path / "c.parquet"
    df.to_parquet(path)
    assert read_arrow_census(path, "parquet", cen.reading_plan(), 1) is None
    with pytest.raises(CohortError, match=column):
        cen.read_census(path)


def test_condition_evaluation_on_arrays_equals_the_rules_evaluation_on_a_frame():
    """Every operator on categorical, nullable boolean, nullable integer and float columns with
    missing values: the array evaluation gives what Condition.evaluate gives on the frame."""
    from toolkit.profile.rules import Condition
    from toolkit.review.arrow_census import evaluate

    rng = np.random.default_rng(3)
    n = 500
    cats = ("violence", "robbery", "acquisitive", "other")
    codes = rng.integers(-1, 4, n)
    flags = rng.random(n) < 0.5
    flag_ok = rng.random(n) < 0.8
    ints = rng.integers(0, 3, n).astype(float)
    ints[rng.random(n) < 0.2] = np.nan
    floats = np.round(rng.uniform(0, 3, n), 1)  # 1.0 occurs: == and != separate people
    floats[rng.random(n) < 0.2] = np.nan
    frame = pd.DataFrame(
        {
            "g": pd.Categorical.from_codes(codes, categories=list(cats)),
            "b": pd.array(np.where(flag_ok, flags, None), dtype="boolean"),
            "i": pd.array(np.where(np.isnan(ints), None, ints), dtype="Int64"),
            "f": floats,
            "person_id": np.arange(n),
        }
    )
    arrays = {
        "g": (codes, cats),
        "b": (flags & flag_ok, flag_ok),
        "i": (ints, ~np.isnan(ints)),
        "f": (floats, ~np.isnan(floats)),
        "person_id": (np.arange(n), np.ones(n, bool)),
    }
    conds = [Condition("g", op, "robbery") for op in ("==", "!=")]
    conds += [Condition("g", "in", ("violence", "robbery"))]
    conds += [Condition("b", op, v) for op in ("==", "!=") for v in (True, False)]
    conds += [Condition(c, op, 1) for c in ("i", "f") for op in ("==", "!=", ">=", ">", "<=", "<")]
    conds += [Condition("f", ">=", 2.5, (Condition("b", "==", True),))]
    for c in conds:
        want = c.evaluate(frame)
        assert want.any() and not want.all(), str(c)  # the case separates people
        np.testing.assert_array_equal(evaluate(c, arrays), want, err_msg=str(c))


def test_stored_reading_plan_is_current():
    """The plan stored with the default census (what the fast reader needs from the schema and
    the programme rules) equals the one built from them."""
    assert cen.stored_plan() == cen.reading_plan(), REBUILD


def test_a_valid_cohort_is_read_without_pandas(tmp_path, user_cohort):
    """Reading a valid Parquet cohort imports neither pandas nor the schema (0.24 s of CPU)."""
    user_cohort.to_parquet(tmp_path / "c.parquet")
    code = (
        "import sys; import toolkit.review.census as c; "
        f"census = c.read_census({str(tmp_path / 'c.parquet')!r}); "
        "assert census.n == 3000; print(sorted(m for m in ('pandas', 'toolkit.schema') "
        "if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_current_fingerprint_skips_the_parse_only_for_unchanged_bytes(monkeypatch):
    """The stored census records the raw-bytes key it was built from: with the shipped inputs
    the stored tag is taken as is (no parse); with other bytes (any edit, a comment included)
    the parsed fingerprint decides, so the stored census is never trusted for other inputs."""
    assert cen.current_fingerprint() == cen.fingerprint()
    parsed = []
    real = cen.fingerprint
    monkeypatch.setattr(cen, "fingerprint", lambda: parsed.append(1) or real())
    assert cen.current_fingerprint() == real() and parsed == []  # bytes unchanged: no parse
    monkeypatch.setattr(cen, "input_bytes_key", lambda: "bytes of an edited profile")
    assert cen.current_fingerprint() == real() and parsed == [1]  # edited: parsed again


@pytest.mark.slow
def test_arrow_reader_on_threads_reads_many_chunks_as_one_thread(tmp_path, monkeypatch):
    """With two CPUs pyarrow parses a CSV in blocks on its threads: each chunk has its own
    category dictionary; the census is the one read on one thread and the checked reading's."""
    import pyarrow.csv as pc

    import toolkit.parallel
    from toolkit.cohort.generate import generate_cohort
    from toolkit.cohort.io import read_cohort, write_cohort
    from toolkit.review.census import read_arrow_census

    path = tmp_path / "c.csv"
    write_cohort(generate_cohort(populations=["standard", "hdc"], n=12_000, rng=3), path)
    opts = pc.ReadOptions(use_threads=True, block_size=1 << 20)
    assert pc.read_csv(path, read_options=opts).column("sex").num_chunks > 1  # many blocks
    got = {}
    for cpus in (1, 2):
        monkeypatch.setattr(toolkit.parallel, "available_cpus", lambda cpus=cpus: cpus)
        got[cpus] = read_arrow_census(path, "csv", cen.reading_plan(), 1)
        assert got[cpus] is not None
    _assert_same(got[2], got[1])
    _assert_same(got[2], cen.prepare_census(read_cohort(path)))
