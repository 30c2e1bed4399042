"""``recall-toolkit template caseload``: an empty caseload template and a filled example."""

from __future__ import annotations

from pathlib import Path

from toolkit.cli._common import add_caseload_vocab_args, caseload_vocab, positive_int, seed_arg
from toolkit.exceptions import UsageError

TEMPLATE_NAME = "caseload_template.csv"
EXAMPLE_NAME = "caseload_example.csv"
EXAMPLE_SEED = 20261125


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
    p.add_argument("--n", type=positive_int, default=300, metavar="N", help="example rows")
    p.add_argument("--seed", type=seed_arg, default=EXAMPLE_SEED)
    p.add_argument("--as-of", default="2026-01-05", metavar="DATE", help="example's as-of date")
    p.add_argument("--schema", action="store_true", help="print the column table and exit")
    add_caseload_vocab_args(p)
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(func=run)


def run(args) -> int:
    import pandas as pd

    from toolkit.outputs import atomic_outputs
    from toolkit.priority.caseload import caseload_columns, schema_markdown

    columns = caseload_columns(**caseload_vocab(args))
    if args.schema:
        print(schema_markdown(columns))
        return 0
    out = Path(args.out)
    if not out.is_dir():
        raise UsageError(f"--out {out}: not a directory; create it first")
    paths = [out / TEMPLATE_NAME, out / EXAMPLE_NAME]
    if not args.force:
        for p in paths:
            if p.exists():
                raise UsageError(f"{p} exists; use --force to overwrite or choose another --out")
    try:
        as_of = pd.Timestamp(args.as_of)
    except ValueError:
        raise UsageError(f"--as-of: {args.as_of!r} is not a date YYYY-MM-DD") from None
    names = [c.name for c in columns]
    # both files, or neither; an unwritable folder is refused before the example is made
    with atomic_outputs() as outputs:
        outputs.protect(args.rules, args.profile)
        for p in paths:
            outputs.reserve(p)
        example = _example(args, names, as_of)
        outputs.write(paths[0], lambda tmp: pd.DataFrame(columns=names).to_csv(tmp, index=False))
        outputs.write(paths[1], lambda tmp: example.to_csv(tmp, index=False))
    print(
        f"wrote {paths[0]} (empty, {len(names)} columns) and {paths[1]} ({args.n} synthetic cases)"
    )
    print(
        f"next: recall-toolkit prioritise {paths[1]} --out ranked.csv --report report.html "
        f"--as-of {as_of.date()}" + (f" --rules {args.rules}" if args.rules else "")
    )
    return 0


def _example(args, names, as_of):
    """The filled example: synthetic people from the cohort and the review model."""
    import numpy as np

    from toolkit.cohort.generate import generate_cohort
    from toolkit.priority.features import caseload_from_simulation, to_csv_text

    c_rng, s_rng = np.random.default_rng(args.seed).spawn(2)
    prules = None
    if args.rules:  # the example lists the programmes of the rules in force
        from toolkit.profile.rules import load_programme_rules

        prules = load_programme_rules(args.rules)
    cohort = generate_cohort(populations=["standard"], rng=c_rng, programmes=prules)
    frame, _ = caseload_from_simulation(cohort, args.n, as_of=as_of, rng=s_rng, programmes=prules)
    return to_csv_text(frame)[[n for n in names if n in frame.columns]]
