"""Simulation records to a file as they are simulated, and the summary from the same pass.

``recall-toolkit simulate`` writes 2,000,000 records x 38 columns in about the time it takes to
simulate them. Going through one pandas DataFrame of all records (``simulate_reviews``) cost a
full copy of every column and pandas' conversion to Arrow; here each strategy x replication's
arrays (:class:`~toolkit.review.engine.RecordStream`) become one Parquet row group directly.
The file holds the same columns, types and values as ``SimulationResult.records.to_parquet``
(``pd.read_parquet`` gives the same DataFrame; there is no pandas schema metadata, which would
need pandas imported: 0.3 s); the columns are declared non-null (the records have no missing
values; NaN and inf are values), which spares the writer a validity pass per column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from toolkit.review.engine import RecordStream, join_records, replication_means

#: Columns written uncompressed: continuous draws (and the days and costs made from them) that
#: snappy shrinks by under a quarter (8-13% at 2,000,000 records) while compressing them costs
#: about a quarter of the whole write. Every other column (codes, flags, ids, days that are often
#: inf or 0) is snappy-compressed, as pandas does by default.
UNCOMPRESSED = (
    "episode",
    "ogrs3_2yr",
    "rsr_2yr",
    "accommodation_day",
    "om_contact_day",
    "releasable_day",
    "recall_day",
    "first_board_day",
    "sed_day",
    "release_day",
    "custody_days",
    "follow_up_custody_days",
    "community_days",
    "cost",
)
#: Columns with Parquet min/max statistics: the keys a reader filters row groups on. Statistics
#: on every column cost a quarter of the writing time and serve no filter.
STATISTICS = ["replication", "strategy", "episode"]


def write_records(stream: RecordStream, path: str | Path, fmt: str):
    """Run ``stream`` and write its records to ``path`` (``fmt``: ``"parquet"`` or ``"csv"``).

    Returns
    -------
    list of dict
        One per strategy x replication: the means :func:`~toolkit.review.engine.summary_rows`
        takes.
    """
    if fmt == "parquet":
        return _write_parquet(stream, path)
    means, parts = [], []
    for r, name, cols in stream:
        means.append({"strategy": name, "replication": r} | replication_means(cols))
        parts.append(cols)
    join_records(parts, stream.categories).to_csv(path, index=False)
    return means


def _write_parquet(stream: RecordStream, path: str | Path) -> list[dict]:
    """:func:`write_records` to Parquet: one row group per strategy x replication, each encoded
    on a second thread while the next one is simulated (when the process may use two CPUs).

    pyarrow encodes and writes a row group without the GIL, so on two cores the writing (a large
    share of the command's CPU: ``benchmarks/README.md``) overlaps the simulation; the wall time
    falls, the bytes do not change (row groups are written one at a time, in order). At most one
    row group is in flight, so memory holds two chunks of records, and a failed write surfaces
    at the next chunk. The chunks' arrays are not changed after they are yielded (the engine
    builds new arrays for every strategy), so the writer may read them while the next one is
    built. On one CPU the chunks are written in line (a second thread would only add switching).
    """
    from concurrent.futures import ThreadPoolExecutor

    from toolkit.parallel import available_cpus

    means: list[dict] = []
    writer = pending = None
    pool = None
    if available_cpus() >= 2:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="records")
    try:
        for r, name, cols in stream:
            means.append({"strategy": name, "replication": r} | replication_means(cols))
            table = _arrow_table(cols, stream.categories)
            if writer is None:
                writer = _parquet_writer(path, table.schema, cols, stream.categories)
            if pending is not None:
                pending.result()  # the previous chunk is written (or its error raised)
            if pool is None:
                writer.write_table(table)
            else:
                pending = pool.submit(writer.write_table, table)
        if pending is not None:
            pending.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)  # the chunk in flight is finished before the file closes
        if writer is not None:
            writer.close()
    return means


def _parquet_writer(path, schema, cols: dict, categories: dict):
    """The records' Parquet writer: snappy except :data:`UNCOMPRESSED`, dictionary-encoded
    categoricals only, statistics on :data:`STATISTICS` only."""
    import pyarrow.parquet as pq

    return pq.ParquetWriter(
        path,
        schema,
        compression={c: "none" if c in UNCOMPRESSED else "snappy" for c in cols},
        # dictionary-encode only the categorical columns: trying it on every float column
        # costs more than the whole simulation
        use_dictionary=list(categories),
        write_statistics=STATISTICS,
    )


def _arrow_table(cols: dict[str, np.ndarray], categories: dict):
    """One chunk of records as an Arrow table (categoricals as dictionary arrays with the code
    width pandas uses, every field non-null).

    Arrays are wrapped from their numpy buffers (``Array.from_buffers``): ``pyarrow.array`` on
    a numpy array imports pandas (to check for pandas objects), 0.3 s the command can skip.
    """
    import pyarrow as pa

    arrays, fields = [], []
    for name, v in cols.items():
        cats = categories.get(name)
        if cats is not None:
            # the code width pandas picks (int8 up to 127 categories)
            code = np.int8 if len(cats) < 128 else np.int16 if len(cats) < 32768 else np.int32
            typ = pa.dictionary(_ARROW[np.dtype(code)](), pa.string())
            arr = pa.DictionaryArray.from_buffers(
                typ, v.size, [None, _buffer(v.astype(code, copy=False))], _strings(cats)
            )
        elif v.dtype == np.bool_:
            bits = np.packbits(v, bitorder="little")  # Arrow booleans are LSB-first bitmaps
            arr = pa.Array.from_buffers(pa.bool_(), v.size, [None, pa.py_buffer(bits)])
        else:
            arr = pa.Array.from_buffers(_ARROW[v.dtype](), v.size, [None, _buffer(v)])
        arrays.append(arr)
        fields.append(pa.field(name, arr.type, nullable=False))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _buffer(v: np.ndarray):
    import pyarrow as pa

    return pa.py_buffer(np.ascontiguousarray(v))


def _strings(values) -> object:
    """A pyarrow string array from Python strings (offsets and UTF-8 bytes)."""
    import pyarrow as pa

    enc = [str(s).encode() for s in values]
    offsets = np.zeros(len(enc) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(e) for e in enc])
    return pa.Array.from_buffers(
        pa.string(), len(enc), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(enc))]
    )


class _ArrowTypes(dict):
    """numpy dtype -> pyarrow type factory (filled on first use, so pyarrow loads lazily)."""

    def __missing__(self, dtype):
        import pyarrow as pa

        table = {
            np.dtype(np.int8): pa.int8,
            np.dtype(np.int16): pa.int16,
            np.dtype(np.int32): pa.int32,
            np.dtype(np.int64): pa.int64,
            np.dtype(np.float32): pa.float32,
            np.dtype(np.float64): pa.float64,
        }
        self.update(table)
        if np.dtype(dtype) not in table:
            raise TypeError(f"no Arrow type for record column dtype {dtype}")
        return table[np.dtype(dtype)]


_ARROW = _ArrowTypes()


# --- the printed summary ------------------------------------------------------------------------

#: Printed width limit (a 100-column terminal); a test checks every table fits.
WIDTH = 100
#: Strategy names longer than this are shortened in printed tables (the JSON keeps them whole).
NAME_WIDTH = 38

#: What ``simulate`` prints, in groups: (title, [(summary key, header, unit)]). Each quantity is
#: printed once: ``bed_days_saved_per_person`` equals ``mean_supervised_days`` (both are the
#: days released before SED), so only the licence days are shown; both stay in the JSON.
GROUPS = (
    (
        "Routes out of custody (% of admissions)",
        (
            ("released_at_sed_pct", "at SED", "%"),
            ("executive_pct", "executive", "%"),
            ("parole_board_pct", "Parole Board", "%"),
            ("automatic_pct", "automatic", "%"),
        ),
    ),
    (
        "Custody and supervision (days per person admitted)",
        (
            ("mean_custody_days", "in custody", "days"),
            ("mean_supervised_days", "licence to SED", "days"),
            ("follow_up_custody_days", "custody, window", "days"),
            ("follow_up_supervised_days", "licence, window", "days"),
        ),
    ),
    (
        "Outcomes within the follow-up window (per person admitted)",
        (
            ("re_recall_pct", "re-recalled", "%"),
            ("reoffending_pct", "reoffended", "%"),
            ("sfo_per_1000", "SFO, RSR-pred.", "/1,000"),
            ("sfo_on_licence_per_1000", "of which licence", "/1,000"),
        ),
    ),
    (
        "Reviews and cost (per person admitted)",
        (
            ("reviews_per_person", "exec. reviews", "n"),
            ("review_hours_per_person", "review hours", "h"),
            ("cost_per_person", "cost", "GBP"),
        ),
    ),
)

#: Paired differences from the baseline printed by ``simulate``: (key, what, unit).
DIFFERENCES = (
    ("released_at_sed_pct", "released at SED", "points"),
    ("mean_custody_days", "days in custody", "days"),
    ("re_recall_pct", "re-recalled in window", "points"),
    ("sfo_per_1000", "SFO (RSR-predicted) in window", "per 1,000"),
    ("review_hours_per_person", "review hours", "hours"),
    ("cost_per_person", "cost", "GBP"),
)


def _name(s: str) -> str:
    return s if len(s) <= NAME_WIDTH else s[: NAME_WIDTH - 3] + "..."


def _num(v: float) -> str:
    a = abs(v)
    return f"{v:,.0f}" if a >= 1000 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def _signed(values: list[float]) -> list[str]:
    """Signed numbers with one number of decimals for the lot (chosen by the largest)."""
    big = max((abs(v) for v in values if np.isfinite(v)), default=0.0)
    dec = 0 if big >= 1000 else 1 if big >= 10 else 2
    return [f"{v:+,.{dec}f}" for v in values]


def _table(headers: list[tuple[str, str]], rows: list[list[str]], left: int = 1) -> str:
    """Right-aligned columns (the first ``left`` left-aligned) under two header lines."""
    cols = list(zip(*([h for h in headers], *[[(c, "") for c in r] for r in rows]), strict=True))
    out = []
    widths = [
        max(max(len(a), len(b)) for a, b in col) if i else max(len(a) for a, _ in col)
        for i, col in enumerate(cols)
    ]
    for line in (0, 1):
        cells = [
            (h[line].ljust(w) if i < left else h[line].rjust(w))
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    for r in rows:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            )
        )
    return "\n".join(out)


def render_groups(rows: list[dict], confidence: float = 0.95, n_replications: int = 1) -> str:
    """The summary (:func:`~toolkit.review.engine.summary_rows`' rows) as four groups that fit a
    100-column terminal, each value with the half-width of its interval over replications."""
    parts = []
    for title, cols in GROUPS:
        cols = [c for c in cols if c[0] in rows[0]]
        cells = {}
        for key, _, _ in cols:
            cells[key] = []
            for r in rows:
                half = (r.get(f"{key}_hi", r[key]) - r.get(f"{key}_lo", r[key])) / 2
                cells[key].append(_num(r[key]) + (f" ±{_num(half)}" if n_replications > 1 else ""))
        # as many columns per table as fit the width (all of them, at the usual sizes)
        tables, chunk = [], []
        for c in cols:
            trial = _group_table(rows, [*chunk, c], cells)
            if chunk and max(map(len, trial.splitlines())) > WIDTH:
                tables.append(_group_table(rows, chunk, cells))
                chunk = [c]
            else:
                chunk.append(c)
        tables.append(_group_table(rows, chunk, cells))
        parts.append(title + "\n" + "\n".join(tables))
    if n_replications > 1:
        parts.append(
            f"±: half-width of the {100 * confidence:.0f}% t interval over the {n_replications} "
            "replications (Monte Carlo error only)."
        )
    return "\n\n".join(parts)


def _group_table(rows, cols, cells) -> str:
    headers = [("strategy", "")] + [(h, f"({u})") for _, h, u in cols]
    body = [
        [_name(r["strategy"])] + [cells[key][i] for key, _, _ in cols] for i, r in enumerate(rows)
    ]
    return _table(headers, body)


def paired_differences(
    means: list[dict],
    names: list[str],
    national_admissions: float,
    baseline: str,
    confidence: float = 0.95,
) -> list[dict]:
    """Each strategy minus ``baseline``, replication by replication (the strategies share every
    replication's episodes: common random numbers), with a t interval over replications.

    Returns
    -------
    list of dict
        ``strategy``, ``measure`` (a summary key), ``difference``, ``lo``, ``hi``,
        ``replications``.
    """
    from toolkit.review.engine import summary_rows, t_quantile

    by_rep: dict[int, dict[str, dict]] = {}
    for m in means:
        by_rep.setdefault(m["replication"], {})[m["strategy"]] = m
    per_rep = {}  # replication -> strategy -> summary row of that replication alone
    for r, ms in by_rep.items():
        rows = summary_rows(list(ms.values()), names, national_admissions)
        per_rep[r] = {row["strategy"]: row for row in rows}
    reps = sorted(per_rep)
    k = len(reps)
    tq = t_quantile(0.5 + confidence / 2, k - 1) if k > 1 else float("nan")
    out = []
    present = per_rep[reps[0]][baseline] if reps else {}
    for name in names:
        if name == baseline:
            continue
        for key, _, _ in DIFFERENCES:
            if key not in present:  # a summary without this measure: nothing to compare
                continue
            d = np.array([per_rep[r][name][key] - per_rep[r][baseline][key] for r in reps])
            mu = float(d.mean())
            half = float(tq * d.std(ddof=1) / np.sqrt(k)) if k > 1 else float("nan")
            out.append(
                {
                    "strategy": name,
                    "measure": key,
                    "difference": mu,
                    "lo": mu - half,
                    "hi": mu + half,
                    "replications": k,
                }
            )
    return out


def render_differences(diffs: list[dict], baseline: str, confidence: float = 0.95) -> str:
    """Paired differences from the baseline: a block per strategy, one line per measure."""
    if not diffs:
        return ""
    what = {k: (w, u) for k, w, u in DIFFERENCES}
    k = diffs[0]["replications"]
    import textwrap

    parts = [
        textwrap.fill(
            f"Paired differences from {baseline}, with {100 * confidence:.0f}% t intervals over "
            f"{k} replications (every strategy runs on the same episodes: common random numbers)",
            WIDTH,
        )
    ]
    headers = [("", ""), ("", "difference"), ("", "interval")]
    for name in dict.fromkeys(d["strategy"] for d in diffs):
        body = []
        for d in (d for d in diffs if d["strategy"] == name):
            w, u = what[d["measure"]]
            diff, lo, hi = _signed([d["difference"], d["lo"], d["hi"]])
            iv = f"{lo} to {hi}" if k > 1 else "(one replication)"
            body.append([f"  {w} ({u})", diff, iv])
        table = _table(headers, body).split("\n", 1)[1]  # the column names once, on line 2
        parts.append(f"{_name(name)} minus {baseline}:\n{table}")
    return "\n".join(parts)


def copyable_path(label: str) -> str:
    """A data file's label as a path the user can copy (``<default>/...`` is the shipped one)."""
    if label.startswith("<default>/"):
        from toolkit.datafiles import paper_file

        source, name = label.removeprefix("<default>/").split("/", 1)
        return str(paper_file(source, name))
    return label


def inputs_line(rules, national: dict) -> str:
    """Which inputs are published and which assumed, from the data files' own labels."""
    kinds: dict[str, list[str]] = {}
    for block, v in rules.raw.items():
        if not isinstance(v, dict) or block == "meta":
            continue
        if "kind" in v:
            kinds.setdefault(str(v["kind"]), []).append(block)
        else:  # e.g. recall_types.*: one label per sub-table
            sub = sorted({str(t.get("kind", "?")) for t in v.values() if isinstance(t, dict)})
            for kd in sub:
                kinds.setdefault(kd, []).append(block)
    lines = [
        "Inputs. Published: the census profile the cohort reproduces; the national stocks, flow "
        f"and growth ({national['source']}). Release rules ({copyable_path(rules.path)}), as each "
        "block is labelled:"
    ]
    lines.append("; ".join(f"{kd}: {', '.join(sorted(kinds[kd]))}" for kd in sorted(kinds)) + ".")
    import textwrap

    return textwrap.fill(" ".join(lines), WIDTH)
