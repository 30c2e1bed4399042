"""Argument types and helpers shared by the command modules."""

from __future__ import annotations

import argparse

from toolkit.defaults import DEFAULT_SEED

DEFAULT_DEMO_SEED = DEFAULT_SEED

PROFILE_ARG = {
    "metavar": "PATH",
    "default": None,
    "help": "profile spec (TOML); default: the shipped research-summary profile",
}
#: the programme rules argument of the commands that read Table 2's rules
RULES_ARG = {
    "metavar": "PATH",
    "default": None,
    "help": "programme rules (TOML); default: the shipped Table 2 rules",
}


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of people; got {v}")
    return v


def seed_arg(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a non-negative whole number; got {text!r}"
        ) from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative whole number; got {v}")
    return v


def add_caseload_vocab_args(p) -> None:
    """``--rules`` and ``--profile`` for commands that read a caseload: the programme names and
    categories (e.g. an extra ethnic group) a caseload may hold are those of the files in force."""
    p.add_argument(
        "--rules",
        metavar="PATH",
        default=None,
        help="programme rules (TOML) whose programme names the caseload may list; "
        "default: the shipped rules",
    )
    p.add_argument(
        "--profile",
        metavar="PATH",
        default=None,
        help="profile (TOML) whose declared categories (e.g. another ethnic group) the caseload "
        "may hold; default: the shipped categories",
    )


def caseload_vocab(args) -> dict:
    """Keyword arguments of ``validate_caseload`` from ``--rules`` and ``--profile``."""
    out: dict = {}
    if getattr(args, "rules", None):
        from toolkit.profile.rules import load_programme_rules

        out["programmes"] = [p.name for p in load_programme_rules(args.rules).programmes]
    if getattr(args, "profile", None):
        out["categories"] = load_profile_arg(args.profile).categories
    return out


def gap_rules():
    from toolkit.profile.rules import load_programme_rules

    return load_programme_rules()


def load_profile_arg(profile):
    from toolkit.profile.spec import load_profile

    return load_profile(profile)


def machine_memory() -> tuple[int | None, int | None]:
    """(available, total) memory in bytes, or None where it cannot be read.

    Reads ``MemAvailable``/``MemTotal`` from ``/proc/meminfo`` (Linux), falls back to
    :func:`os.sysconf` for the total, and lowers both to a cgroup (container) limit if one is set.
    """
    import os

    avail = total = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = {k: v for k, v in (line.split(":", 1) for line in fh if ":" in line)}
        total = int(info["MemTotal"].split()[0]) * 1024
        avail = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        try:
            total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            pass
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or int(text) < total):
            limit = int(text)
            total = limit
            avail = limit if avail is None else min(avail, limit)
        break
    return avail, total


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n < 1e15 else f"{n / 1e15:,.0f} PB"


def require_memory(
    base: float, per_unit: float, units: int, what: str, *, flag: str, advice: str | None = None
) -> None:
    """Refuse work that cannot fit in memory before it starts.

    The estimate is ``base + per_unit * units`` bytes (constants measured per command).

    Parameters
    ----------
    base : float
        Bytes needed whatever the size (interpreter, libraries).
    per_unit : float
        Bytes per unit of ``flag`` (per person, or per person x strategy x replication).
    units : int
        The value of ``flag`` asked for.
    what : str
        The request as the user gave it, e.g. ``"generate --n 10,000,000,000"``.
    flag : str
        The argument to lower, e.g. ``"--n"``.
    advice : str, optional
        What to do instead, with ``{fits}`` for the largest ``units`` that fits (for a command
        whose size is its input file, not a flag); default: ``"use FLAG FITS or less"``.

    Raises
    ------
    UsageError
        Naming the estimate, the machine's available and total memory, and the largest ``flag``
        that fits.
    """
    from toolkit.exceptions import UsageError

    needed = base + per_unit * float(units)
    avail, total = machine_memory()
    budget = avail if avail is not None else total
    if budget is None or needed <= budget:
        return
    fits = max(int((budget - base) // per_unit), 0)
    raise UsageError(
        f"{what} needs about {_gb(needed)} of memory; this machine has {_gb(budget)} available "
        f"({_gb(total or budget)} in all); "
        + (advice.format(fits=f"{fits:,}") if advice else f"use {flag} {fits:,} or less")
        + ", or a larger machine"
    )
