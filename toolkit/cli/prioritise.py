"""``recall-toolkit prioritise``: caseload in, ranked list with reasons (and a report) out."""

from __future__ import annotations

import sys

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int


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


def run(args) -> int:
    from toolkit.report.caseload import write_ranked_caseload

    res = write_ranked_caseload(
        args.caseload,
        args.out,
        report=args.report,
        capacity=args.capacity,
        as_of=args.as_of,
        scorer=args.scorer,
        protect=(args.rules, args.profile),
        **caseload_vocab(args),
    )
    # Counts only: no case rows in anything the command prints.
    print(f"as of {res.caseload.as_of.date()}", file=sys.stderr)
    print(res.summary(), file=sys.stderr)
    for line in res.caseload.absence_costs():
        print(f"note: {line}", file=sys.stderr)
    return 0
