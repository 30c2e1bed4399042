"""Records written as they are simulated (toolkit.review.output) equal the records of
simulate_reviews, and the summary from the same pass equals SimulationResult.summary."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.review import (
    CapacityLimited,
    EventTriggered,
    FormalReviews,
    ProactiveReview,
    ReleaseAtSED,
    load_release_rules,
    simulate_reviews,
)
from toolkit.review.census import default_census
from toolkit.review.engine import RecordStream, render_summary, summary_json, summary_rows
from toolkit.review.output import write_records

STRATEGIES = {
    "sed": ReleaseAtSED(),
    "formal": FormalReviews(),
    "proactive:every=14": ProactiveReview(every=14),
    "event": EventTriggered(),
    "capacity:per_week=5": CapacityLimited(per_week=5),
}
KW = dict(n=700, n_replications=3, populations=("standard", "extended", "fixed_term"), rng=11)


@pytest.fixture(scope="module")
def result():
    return simulate_reviews(default_census(), STRATEGIES, load_release_rules(), **KW)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_streamed_records_equal_simulate_reviews(tmp_path, result, fmt):
    path = tmp_path / f"r.{fmt}"
    stream = RecordStream(default_census(), STRATEGIES, load_release_rules(), **KW)
    means = write_records(stream, path, fmt)
    if fmt == "parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(path), result.records)
        # one row group per strategy x replication; no column may hold a null
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups == len(STRATEGIES) * KW["n_replications"]
        assert not any(f.nullable for f in pq.read_schema(path))
    else:
        ref = tmp_path / "ref.csv"
        result.records.to_csv(ref, index=False)
        assert path.read_bytes() == ref.read_bytes()
    # the summary from the per-chunk means: the same as grouping all records, up to the order
    # of summation (pairwise vs pandas' compensated sums: a few units in the 16th digit)
    nat = result.annual_recalls * result.flow_share
    rows = summary_rows(means, list(STRATEGIES), nat)
    expected = result.summary()
    pd.testing.assert_frame_equal(
        pd.DataFrame(rows), expected, check_exact=False, rtol=1e-12, atol=1e-12
    )
    assert render_summary(rows) == result.render()
    got, want = summary_json(rows, list(STRATEGIES)), result.summary_json()
    assert list(got) == list(want)
    for name in want:
        assert list(got[name]) == list(want[name])
        assert got[name] == pytest.approx(want[name], rel=1e-12, abs=1e-9)


def test_same_seed_same_bytes(tmp_path):
    files = []
    for i in range(2):
        path = tmp_path / f"r{i}.parquet"
        write_records(RecordStream(default_census(), STRATEGIES, **KW), path, "parquet")
        files.append(path.read_bytes())
    assert files[0] == files[1]
    other = tmp_path / "o.parquet"
    write_records(
        RecordStream(default_census(), STRATEGIES, **(KW | {"rng": 12})), other, "parquet"
    )
    assert other.read_bytes() != files[0]


def test_many_strategies_widen_the_codes(tmp_path):
    # pandas stores categorical codes as int8 up to 127 categories, int16 beyond
    from toolkit.review.output import _arrow_table

    cols = {"strategy": np.array([0, 129], dtype=np.int16), "x": np.array([1.0, 2.0])}
    cats = {"strategy": tuple(f"s{i}" for i in range(130))}
    t = _arrow_table(cols, cats)
    assert str(t.schema.field("strategy").type.index_type) == "int16"
    assert t.column("strategy").to_pylist() == ["s0", "s129"]


def test_simulate_does_not_import_scipy_or_pandas(tmp_path):
    # start-up cost (issue 10): the default census is stored, the records go to Parquet from
    # numpy buffers and the summary is formatted without pandas
    import subprocess
    import sys

    code = (
        "import sys, runpy; sys.argv = ['recall-toolkit', 'simulate', '--strategy', 'event', "
        f"'--n', '300', '--replications', '2', '--seed', '1', '--out', r'{tmp_path / 'r.parquet'}', '--summary', r'{tmp_path / 's.json'}'];"
        "from toolkit.cli import main; code = main(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'pandas')));"
        "sys.exit(code)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_merge_days_is_the_sorted_union(data):
    # reference: per row, the distinct finite days sorted, padded with inf to the widest row
    from toolkit.review.mechanism import merge_days

    n = data.draw(st.integers(0, 12))
    day = st.one_of(st.just(np.inf), st.integers(0, 6).map(float), st.floats(0, 400))
    arrays = []
    for _ in range(data.draw(st.integers(1, 3))):
        k = data.draw(st.integers(0, 4))
        vals = data.draw(st.lists(day, min_size=n * k, max_size=n * k))
        arrays.append(np.array(vals, dtype=float).reshape(n, k))
    got = merge_days(*arrays)
    rows = [sorted(set(np.concatenate([a[i] for a in arrays])) - {np.inf}) for i in range(n)]
    width = max([len(r) for r in rows], default=0)
    want = np.full((n, width), np.inf)
    for i, r in enumerate(rows):
        want[i, : len(r)] = r
    if n == 0 or sum(a.shape[1] for a in arrays) == 0:
        assert got.shape[0] == n and np.isinf(got).all()
    else:
        np.testing.assert_array_equal(got, want)


def test_summary_table_is_the_toolkits_own_plain_format():
    """Worked by hand: strategy left-aligned, two decimals right-aligned under each header."""
    from toolkit.review.engine import SimulationResult

    cols = SimulationResult.HEADLINE
    rows = [
        {c: 0.0 for c in cols} | {"strategy": "formal", "released_at_sed_pct": 59.126},
        {c: 0.0 for c in cols} | {"strategy": "p28", "released_at_sed_pct": 7.5},
    ]
    lines = render_summary(rows).splitlines()
    assert lines[0].startswith("strategy  released_at_sed_pct  executive_pct")
    assert lines[1].startswith("formal                  59.13           0.00")
    assert lines[2].startswith("p28                      7.50           0.00")
    assert render_summary(pd.DataFrame(rows)) == render_summary(rows)


def test_summary_json_numbers_are_numbers_to_ten_decimals():
    from toolkit.review.engine import json_number

    assert json_number(1 / 3) == 0.3333333333
    assert json_number(np.float64(2.5)) == 2.5
    assert json_number(float("nan")) is None and json_number(float("inf")) is None
    rows = [{"strategy": "formal", "x": 1 / 3, "y": float("nan")}]
    assert summary_json(rows, ["formal"]) == {"formal": {"x": 0.3333333333, "y": None}}


def test_interrupted_stream_stops_the_writer_and_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C while the records are simulated: the chunk being encoded on the writer thread is
    finished, the thread ends, the interrupt reaches the caller and no output file is left."""
    import threading

    from toolkit.review.commands import simulate_to_files

    real_iter = RecordStream.__iter__

    def interrupted(self):
        for i, chunk in enumerate(real_iter(self)):
            if i == 3:
                raise KeyboardInterrupt
            yield chunk

    monkeypatch.setattr(RecordStream, "__iter__", interrupted)
    with pytest.raises(KeyboardInterrupt):
        simulate_to_files(
            ["formal", "proactive:every=28"],
            tmp_path / "r.parquet",
            summary=tmp_path / "s.json",
            n=300,
            replications=3,
            rng=1,
            progress=False,
        )
    assert list(tmp_path.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("records")]


def test_one_cpu_writes_in_line_the_same_bytes(tmp_path, monkeypatch):
    """On one CPU the records are written without the second thread; the file is the same."""
    import threading

    import pyarrow.parquet as pq

    import toolkit.parallel

    threads = []
    real = pq.ParquetWriter.write_table

    def spy(self, table, row_group_size=None):
        threads.append(threading.current_thread().name)
        return real(self, table, row_group_size)

    monkeypatch.setattr(pq.ParquetWriter, "write_table", spy)
    files = {}
    for cpus in (1, 2):
        monkeypatch.setattr(toolkit.parallel, "available_cpus", lambda cpus=cpus: cpus)
        threads.clear()
        path = tmp_path / f"r{cpus}.parquet"
        write_records(RecordStream(default_census(), STRATEGIES, **KW), path, "parquet")
        files[cpus] = path.read_bytes()
        on_main = {name == "MainThread" for name in threads}
        assert on_main == ({True} if cpus == 1 else {False})
    assert files[1] == files[2]
