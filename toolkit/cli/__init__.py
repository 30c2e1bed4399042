"""The ``recall-toolkit`` command line. Thin: each command module parses its arguments, calls
the public API and hands the result to a renderer.

Exit codes: 0 success; 1 a check failed (fidelity target missed, audit finding unresolved);
2 bad input (message on stderr, no traceback, no partial output).
"""

from __future__ import annotations

import argparse
import sys

from toolkit import __version__
from toolkit.cli import audit, calibrate, demo, fidelity, gaps, generate, simulate, sweep
from toolkit.exceptions import ToolkitError

COMMANDS = (generate, fidelity, audit, gaps, simulate, calibrate, demo, sweep)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="recall-toolkit",
        description="Synthetic recall cohorts calibrated to published profiles (with a "
        "fidelity report and an audit of the published figures), needs gaps against accredited "
        "programmes, and review-strategy simulation. Start with `recall-toolkit demo`.",
    )
    p.add_argument("--version", action="version", version=f"recall-toolkit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``recall-toolkit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ToolkitError as exc:
        print(f"recall-toolkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
