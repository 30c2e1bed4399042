"""Argument types and helpers shared by the command modules."""

from __future__ import annotations

import argparse

DEFAULT_DEMO_SEED = 20140331

PROFILE_ARG = {
    "metavar": "PATH",
    "default": None,
    "help": "profile spec (TOML); default: the shipped research-summary profile",
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


def gap_rules():
    from toolkit.profile.rules import load_programme_rules

    return load_programme_rules()


def load_profile_arg(profile):
    from toolkit.profile.spec import load_profile

    return load_profile(profile)
