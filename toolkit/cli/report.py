"""``recall-toolkit report``: the generated reproduction write-ups."""

from __future__ import annotations

import sys

from toolkit.cli._common import seed_arg
from toolkit.defaults import DEFAULT_SEED
from toolkit.report.sources import reproduction_sources

#: The sources with a write-up, found from file names (``papers/<source>/report.py`` beside
#: ``reproduction.md.j2``) without importing the renderer, which imports pandas (0.4 s of every
#: command's start-up). The seed the committed write-ups use is
#: :data:`toolkit.defaults.DEFAULT_SEED`.
SOURCES = reproduction_sources()


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="write a source's reproduction write-up (markdown)",
        description="Render papers/<source>/reproduction.md from what the code produces at a "
        "fixed seed: published figures beside synthetic ones, every audit finding and its "
        "resolution, and what cannot be reproduced. Without --out the markdown goes to "
        "stdout. The committed write-ups are made with: recall-toolkit report --markdown "
        "--source SOURCE --out papers/SOURCE/reproduction.md",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="markdown output (the default and, for now, the only format)",
    )
    p.add_argument(
        "--source",
        default="recall_process_experience",
        choices=SOURCES,
        help="which source's write-up (default: recall_process_experience)",
    )
    p.add_argument("--out", metavar="FILE", default=None, help="write to FILE (else stdout)")
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=DEFAULT_SEED,
        help=f"seed of the cohort the tables come from (default {DEFAULT_SEED}, as committed)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from toolkit.outputs import atomic_outputs, progress

    with atomic_outputs() as out:
        if args.out is not None:
            out.reserve(args.out)  # an unwritable --out is refused before the 10 s of work
        with progress(2, "report") as bar:
            bar.stage(f"building the {args.source} tables (cohort, fidelity, simulation)")
            from toolkit.report.markdown import render_reproduction

            text = render_reproduction(args.source, seed=args.seed)
            bar.update()
            bar.stage("writing")
            if args.out is not None:
                out.write_text(args.out, text)
            bar.update()
    if args.out is None:
        sys.stdout.write(text)
        print(f"wrote the {args.source} write-up to stdout", file=sys.stderr)
        return 0
    print(f"wrote the {args.source} reproduction write-up to {args.out}")
    return 0
