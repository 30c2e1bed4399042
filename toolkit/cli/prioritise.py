"""``recall-toolkit prioritise``: caseload in, ranked list with reasons (and a report) out."""

from __future__ import annotations

import sys
from pathlib import Path

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int
from toolkit.exceptions import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "prioritise",
        help="rank a caseload for review, with reasons",
        description="Validate a caseload CSV (see `recall-toolkit template caseload`), put each "
        "case on its release route (from the release rules: executive review, Parole Board, "
        "or automatic), rank the executive-route cases the model was fitted on by the "
        "supervised days a review now is expected to gain, and write a ranked CSV (case "
        "reference first; readiness for release under the model's process, as the chance of "
        "being releasable within 28 days with its interval; suggested action; reasons; route; "
        "the as-of date). A suggestion, never a decision. Give --as-of (the date the caseload "
        "describes): day counts and SED checks are relative to it. Nothing is sent anywhere "
        "and nothing is written except the files named here. A bad caseload lists every "
        "problem on stderr and exits 2 with nothing written.",
    )
    p.add_argument("caseload", metavar="CASELOAD.csv")
    p.add_argument("--out", required=True, metavar="RANKED.csv")
    p.add_argument("--report", metavar="REPORT.html", default=None, help="HTML report")
    p.add_argument(
        "--capacity", type=positive_int, default=20, metavar="N", help="reviews a week (20)"
    )
    p.add_argument("--as-of", default=None, metavar="DATE", help="date of the suggestions (today)")
    p.add_argument(
        "--scorer", default=None, metavar="DIR", help="a stored scorer (default: shipped)"
    )
    add_caseload_vocab_args(p)
    p.set_defaults(func=run)


def _check_outputs(args) -> None:
    src = Path(args.caseload).resolve()
    if Path(args.caseload).is_dir():
        raise UsageError(f"{args.caseload}: is a folder; give the caseload CSV file")
    outs = [Path(args.out)] + ([Path(args.report)] if args.report else [])
    for o in outs:
        if o.resolve() == src:
            raise UsageError(f"{o}: would overwrite the caseload; choose another output path")
    if args.report and Path(args.report).resolve() == Path(args.out).resolve():
        raise UsageError("--out and --report name the same file")


def run(args) -> int:
    from toolkit.outputs import atomic_outputs
    from toolkit.priority.io import write_csv

    _check_outputs(args)
    # Both outputs reserved before any work and renamed together (issue 20: a --report in a
    # missing folder left the ranked CSV behind).
    with atomic_outputs() as outputs:
        outputs.protect(args.caseload, args.rules, args.profile)
        outputs.reserve(args.out)
        if args.report:
            outputs.reserve(args.report)
        caseload, ranked = _rank(args, outputs, write_csv)
    return _summary(args, caseload, ranked)


def _rank(args, outputs, write_csv):
    import pandas as pd

    from toolkit.priority.caseload import validate_caseload
    from toolkit.priority.rank import prioritise

    try:
        as_of = pd.Timestamp(args.as_of).normalize() if args.as_of else None
    except ValueError:
        raise UsageError(f"--as-of: {args.as_of!r} is not a date YYYY-MM-DD") from None
    caseload = validate_caseload(args.caseload, as_of=as_of, **caseload_vocab(args))
    from toolkit.priority.model import load_scoring_model

    scorer = load_scoring_model(args.scorer)
    ranked = prioritise(caseload, scorer=scorer, capacity=args.capacity)
    html = None
    if args.report:
        html = _report(ranked, caseload, scorer, args)
    # Everything computed before anything is written: no partial outputs.
    write_csv(ranked, args.out, outputs)
    if html is not None:
        outputs.write_text(args.report, html)
    return caseload, ranked


def _summary(args, caseload, ranked) -> int:
    counts = ranked["suggested_action"].where(ranked["rank"].notna(), "not ranked (own route)")
    counts = counts.str.replace(r"review by .*", "review by", regex=True)
    summary = ", ".join(f"{v} {k}" for k, v in counts.value_counts().items())
    # Counts only: no case rows in anything the command prints.
    print(f"as of {caseload.as_of.date()}", file=sys.stderr)
    print(
        f"{len(ranked)} cases ({summary}); wrote {args.out}"
        + (f" and {args.report}" if args.report else ""),
        file=sys.stderr,
    )
    for line in caseload.absence_costs():
        print(f"note: {line}", file=sys.stderr)
    return 0


def _report(ranked, caseload, scorer, args) -> str:
    from toolkit.report.caseload import priority_report_html

    return priority_report_html(
        ranked, caseload, scorer, capacity=args.capacity, source_name=Path(args.caseload).name
    )
