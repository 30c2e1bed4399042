"""``recall-toolkit fairness``: flag rates, calibration and benefit by sex, ethnicity, age band."""

from __future__ import annotations

import sys

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int, seed_arg
from toolkit.exceptions import UsageError

OUTCOME_COLUMNS = ("releasable_28d", "days_gained")


def register(sub) -> None:
    p = sub.add_parser(
        "fairness",
        help="fairness audit of the review-priority suggestions",
        description="Audit the suggestions by sex, ethnicity and age band with 95%% intervals: "
        "share suggested for review and its difference from the largest group, mean predicted "
        "chance and days gained, and, where RECORDS hold outcome columns (releasable_28d "
        "yes/no, days_gained), observed rates and the calibration gap. RECORDS is a caseload "
        "CSV (optionally with those outcome columns), or the word `simulated` for held-out "
        "simulated cases with known outcomes, or the records of `recall-toolkit simulate "
        "--out` (.parquet or .csv): then, per strategy, each group's released-before-SED "
        "share, supervised days, serious further offences and re-recalls, the gap to the "
        "largest group with an interval over replications, and the change of that gap against "
        "--baseline, paired by replication. Groups too small to read are marked.",
    )
    p.add_argument("records", metavar="RECORDS", help="caseload CSV, or `simulated`")
    p.add_argument("--out", metavar="TABLE.csv", default=None, help="write the table as CSV")
    p.add_argument("--capacity", type=positive_int, default=20, metavar="N")
    p.add_argument("--as-of", default=None, metavar="DATE")
    p.add_argument("--n", type=positive_int, default=20_000, help="simulated cases (simulated)")
    p.add_argument("--seed", type=seed_arg, default=1)
    p.add_argument(
        "--baseline",
        default=None,
        metavar="STRATEGY",
        help="simulation records: strategy the gaps are compared with (fifo if run, else the "
        "first)",
    )
    add_caseload_vocab_args(p)
    p.set_defaults(func=run)


def _is_simulation_records(path: str) -> bool:
    """Parquet files, or CSVs whose header has ``strategy`` and ``route``, are simulation
    records; anything else is read as a caseload."""
    if path == "simulated":
        return False
    if path.endswith(".parquet"):
        return True
    try:
        with open(path, encoding="utf-8-sig") as fh:
            head = fh.readline().strip().split(",")
    except OSError:
        return False
    return "strategy" in head and "route" in head


def run(args) -> int:
    import numpy as np
    import pandas as pd

    from toolkit.priority.fairness import SIMULATED_GAP_NOTE, fairness_audit
    from toolkit.priority.model import load_scoring_model

    note = ""
    if _is_simulation_records(args.records):
        from toolkit.priority.fairness import RECORD_COLUMNS_NEEDED, records_fairness

        path = args.records
        wanted = [*RECORD_COLUMNS_NEEDED, "sex", "ethnicity", "re_recalled"]
        kind = "Parquet" if path.endswith(".parquet") else "CSV"
        try:
            if path.endswith(".parquet"):
                import pyarrow.parquet as pq

                names = pq.read_schema(path).names
                rec = pd.read_parquet(path, columns=[c for c in wanted if c in names])
            else:
                rec = pd.read_csv(path, usecols=lambda c: c in wanted)
        except OSError:
            raise  # one line naming the path (toolkit.cli.main)
        except Exception as exc:  # noqa: BLE001 - any parser failure is a bad input file
            raise UsageError(f"{path}: cannot be read as {kind} ({exc})") from None
        missing = [c for c in RECORD_COLUMNS_NEEDED if c not in rec.columns]
        if missing:
            raise UsageError(f"{path}: simulation records lack column(s) {', '.join(missing)}")
        table = records_fairness(rec, baseline=args.baseline)
        note = (
            "gap: group minus the largest group, mean over replications with a 95% t interval; "
            "gap_change: this strategy's gap minus the baseline's, paired by replication. "
            + SIMULATED_GAP_NOTE
        )
        _finish(table, args, note)
        return 0
    scorer = load_scoring_model()
    if args.records == "simulated":
        from toolkit.outputs import progress
        from toolkit.priority.train import held_out_fairness, simulated_caseload

        with progress(2, "fairness") as bar:  # a bar on a terminal, lines in a log
            bar.stage(f"simulating {args.n:,} held-out cases")
            frame, X, o = simulated_caseload(args.n, rng=args.seed)
            bar.update()
            bar.stage("auditing the suggestions by group")
            table = held_out_fairness(scorer, frame, X, o)
            bar.update()
        note = SIMULATED_GAP_NOTE
    else:
        from toolkit.priority.caseload import CaseloadError, read_caseload_text, validate_caseload
        from toolkit.priority.rank import prioritise

        try:
            as_of = pd.Timestamp(args.as_of).normalize() if args.as_of else None
        except ValueError:
            raise UsageError(f"--as-of: {args.as_of!r} is not a date YYYY-MM-DD") from None
        cl = validate_caseload(args.records, as_of=as_of, **caseload_vocab(args))
        print(f"as of {cl.as_of.date()}", file=sys.stderr)
        ranked = prioritise(cl, scorer=scorer, capacity=args.capacity)
        by = ranked.set_index("case_reference").loc[cl.frame["case_reference"]]
        text = read_caseload_text(args.records)
        kw = {}
        problems = []
        if "releasable_28d" in text:
            from toolkit.priority.caseload import parse_yesno

            obs = parse_yesno(text["releasable_28d"])
            bad = np.flatnonzero(obs.isna().to_numpy())
            problems += [
                f"row {i + 2}, column releasable_28d: expected yes or no" for i in bad[:50]
            ]
            kw["observed"] = obs.to_numpy(dtype=float, na_value=np.nan)
        if "days_gained" in text:
            d = pd.to_numeric(text["days_gained"], errors="coerce")
            bad = np.flatnonzero((d.isna() | (d < 0)).to_numpy())
            problems += [
                f"row {i + 2}, column days_gained: expected a number >= 0" for i in bad[:50]
            ]
            kw["observed_days"] = d.to_numpy(float)
        if problems:
            raise CaseloadError(args.records, problems)
        table = fairness_audit(
            cl.frame[[c for c in ("sex", "ethnicity", "age") if c in cl.frame]],
            flagged=by["suggested_action"].str.startswith("review").to_numpy(),
            probability=by["chance_releasable_28d_pct"].to_numpy(float) / 100,
            days_gained=by["days_gained_if_reviewed_now"].to_numpy(float),
            **kw,
        )
        note = (
            "flag_rate_diff: the group's share suggested for review minus the largest group's, "
            "with Newcombe's 95% interval; groups under 20 cases are too small to read."
        )
    _finish(table, args, note)
    return 0


def _finish(table, args, note: str) -> None:
    import pandas as pd

    from toolkit.outputs import atomic_outputs

    if args.out:
        with atomic_outputs() as outputs:
            outputs.protect(args.records, args.rules, args.profile)
            outputs.write(args.out, lambda tmp: table.to_csv(tmp, index=False))
        print(f"wrote {args.out}", file=sys.stderr)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).to_string(index=False))
    if note:
        print(f"note: {note}", file=sys.stderr)
