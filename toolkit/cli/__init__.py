"""The ``recall-toolkit`` command line. Thin: each command module parses its arguments, calls
the public API and hands the result to a renderer.

Exit codes: 0 success; 1 a check failed (fidelity target missed, audit finding unresolved);
2 bad input or an OS error (one line on stderr naming the path and what to do, no traceback, no
partial output); 3 an unexpected error, i.e. a bug (one line; ``RECALL_TOOLKIT_DEBUG=1`` shows
the traceback); 130 interrupted (Ctrl-C: one line on stderr, no output written, or what was
kept on purpose, such as a sweep's checkpoint).

Importing this module is cheap on purpose (the command modules import numpy, pandas and scipy
inside ``run``), so :func:`main` installs its Ctrl-C handling before any heavy import.
"""

from __future__ import annotations

import signal
import sys

if sys.argv[:1] == ["-m"] or sys.argv[0].endswith("recall-toolkit"):  # pragma: no cover
    # Started as the command line (`python -m toolkit.cli`, whose package is imported while
    # argv[0] is still "-m", or the console script): until main() takes over, Ctrl-C ends the
    # process with one line and exit 130 instead of a traceback from the middle of an import
    # (issue 12). Nothing has been written yet. Installed here, in the command line's own
    # package and before its imports, so that `import toolkit` from a library or a notebook
    # changes no signal handling (issue 24).
    import os

    def _interrupted_at_start_up(signum, frame):
        os.write(2, b"recall-toolkit: interrupted; no output written\n")
        os._exit(130)

    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _interrupted_at_start_up)

from toolkit.cli import (  # noqa: E402 - after the start-up Ctrl-C handling
    audit,
    calibrate,
    demo,
    fairness,
    fidelity,
    fit_scorer,
    gaps,
    generate,
    prioritise,
    report,
    simulate,
    sweep,
    template,
)
from toolkit.exceptions import ToolkitError  # noqa: E402

COMMANDS = (
    generate,
    fidelity,
    audit,
    gaps,
    simulate,
    calibrate,
    sweep,
    report,
    demo,
    template,
    prioritise,
    fairness,
    fit_scorer,
)

#: Exit status after Ctrl-C: 128 + SIGINT, as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status after an unexpected exception (a bug): one line, no traceback.
EXIT_INTERNAL = 3


def build_parser():
    import argparse

    from toolkit import __version__

    p = argparse.ArgumentParser(
        prog="recall-toolkit",
        description="Synthetic recall cohorts calibrated to published profiles (with a "
        "fidelity report and an audit of the published figures), needs gaps against accredited "
        "programmes, review-strategy simulation and policy sweeps, and review-priority "
        "suggestions for a caseload (suggestions with reasons, never decisions). Start with "
        "`recall-toolkit demo`.",
    )
    p.add_argument("--version", action="version", version=f"recall-toolkit {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.register(sub)
    return p


def _interrupt_once(signum, frame):
    # The first Ctrl-C unwinds the command (temporary outputs are deleted on the way out);
    # further ones during that clean-up are ignored so it cannot be cut short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``recall-toolkit`` console script.

    Returns
    -------
    int
        The exit status (see the module docstring). ``--help`` and argument errors exit through
        :class:`SystemExit` as argparse does (0 and 2).
    """
    # Only the main thread may set handlers; a process started with Ctrl-C ignored (nohup, a
    # background job) keeps ignoring it.
    in_main_thread = _is_main_thread() and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN
    previous = signal.signal(signal.SIGINT, _interrupt_once) if in_main_thread else None
    command = "recall-toolkit"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = f"recall-toolkit {args.command}"
        return int(args.func(args))
    except ToolkitError as exc:
        print(f"{command}: error: {exc.cli_message or exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Any OS error a command did not name itself (issue 20): one line with the path and
        # what to do, never a traceback. Outputs were discarded on the way out.
        from toolkit.outputs import os_error_text

        print(f"{command}: error: {os_error_text(exc, action=_action(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user (issue 20)
        import os

        if os.environ.get("RECALL_TOOLKIT_DEBUG"):
            raise
        print(
            f"{command}: internal error: {type(exc).__name__}: {_one_line(exc)} (a bug in "
            "recall-toolkit, not in your input; please report it with the command line; "
            "RECALL_TOOLKIT_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    except KeyboardInterrupt as exc:
        # Keep ignoring Ctrl-C from here to the end of the process: restoring Python's default
        # handler would let a signal still pending from the first press raise again during
        # interpreter shutdown and end the process by the signal instead of exit 130.
        signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
        in_main_thread = False
        # a command that leaves something on purpose (a sweep's checkpoint) says what
        note = getattr(exc, "note", None) or "no output written"
        print(f"{command}: interrupted; {note}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if in_main_thread:
            if previous is None or getattr(previous, "__name__", "") == "_interrupted_at_start_up":
                previous = signal.default_int_handler
            signal.signal(signal.SIGINT, previous)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _action(exc: OSError) -> str:
    import errno

    reading = (errno.ENOENT, errno.EISDIR, errno.ENOTDIR)
    return "read" if exc.errno in reading else "write"


def _is_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def entry() -> None:
    """Process entry point (console script and ``python -m toolkit.cli``).

    After an interrupt, leave with ``os._exit(130)`` once the streams are flushed: a
    KeyboardInterrupt raised again while the interpreter unwinds (some C extensions re-raise a
    pending one after their own clean-up) would otherwise end the process *by* SIGINT (status
    -2) after the one-line message was already printed.
    """
    import os

    code = main()
    if code == EXIT_INTERRUPTED:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more to say
                pass
        os._exit(EXIT_INTERRUPTED)
    sys.exit(code)
