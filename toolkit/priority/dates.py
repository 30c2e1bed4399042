"""Dates of a caseload: the day counts every priority module reads, and the as-of date.

One home for them, so that :mod:`toolkit.priority.features` (the scorer's features) and
:mod:`toolkit.priority.reasons` (the words) count days the same way without importing each
other.
"""

from __future__ import annotations

import pandas as pd

from toolkit.exceptions import UsageError


def days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` as float (NaN where a date is missing)."""
    return (later - earlier).dt.days.astype("float64")


def as_of_date(value: str | pd.Timestamp | None) -> pd.Timestamp | None:
    """The date suggestions are made for, at midnight (``None`` stays ``None``: the caller's
    default, usually today).

    Raises
    ------
    UsageError
        When ``value`` is not a date (``YYYY-MM-DD``).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError):
        raise UsageError(f"as-of date {value!r} is not a date YYYY-MM-DD") from None
