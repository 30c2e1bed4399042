"""``recall-toolkit template caseload``: an empty caseload template and a filled example."""

from __future__ import annotations

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int, seed_arg


def register(sub) -> None:
    p = sub.add_parser(
        "template",
        help="write an empty caseload template and a filled example",
        description="Write an empty caseload template (the header of every column) and a "
        "filled example of synthetic people (made from the synthetic cohort and the review "
        "model; no real person) into --out (default: the current directory). `--schema` prints "
        "every column: its meaning, allowed values, how the suggestions use it and what "
        "leaving it out costs.",
    )
    p.add_argument("kind", choices=["caseload"], help="which template (caseload)")
    p.add_argument("--out", metavar="DIR", default=".", help="directory (default: .)")
    # defaults None: toolkit.priority.template's EXAMPLE_N, EXAMPLE_SEED and EXAMPLE_AS_OF
    p.add_argument("--n", type=positive_int, default=None, metavar="N", help="example rows")
    p.add_argument("--seed", type=seed_arg, default=None)
    p.add_argument("--as-of", default=None, metavar="DATE", help="example's as-of date")
    p.add_argument("--schema", action="store_true", help="print the column table and exit")
    add_caseload_vocab_args(p)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.priority.caseload import caseload_columns, schema_markdown
    from toolkit.priority.template import write_caseload_templates

    columns = caseload_columns(**caseload_vocab(args))  # reads --rules and --profile: checks them
    if args.schema:
        print(schema_markdown(columns))
        return 0
    res = write_caseload_templates(
        args.out,
        n=args.n,
        rng=args.seed,
        as_of=args.as_of,
        programmes=args.rules,
        force=args.force,
        protect=(args.rules, args.profile),
    )
    print(
        f"wrote {res.template} (empty, {res.n_columns} columns) and {res.example} "
        f"({res.n_cases} synthetic cases)"
    )
    print(
        f"next: recall-toolkit prioritise {res.example} --out ranked.csv --report report.html "
        f"--as-of {res.as_of.date()}" + (f" --rules {args.rules}" if args.rules else "")
    )
    return 0
