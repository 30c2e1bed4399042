"""Typed exceptions for user-facing errors.

Every message names the thing (file, key, row or argument), the rule, the value found and, where
possible, the fix. The CLI turns any :class:`ToolkitError` into a one-line message and exit code 2.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class for errors caused by user input (bad files, arguments or data)."""


class SpecError(ToolkitError, ValueError):
    """A profile or rules file is malformed or inconsistent.

    Parameters
    ----------
    path : str
        The file that holds the problem.
    key : str
        Dotted key (or ``targets[id=...].field``) of the offending entry.
    message : str
        What is wrong and what was expected.
    value : object, optional
        The value found.
    """

    def __init__(self, path: str, key: str, message: str, value: object = ...):
        self.path = str(path)
        self.key = key
        self.value = value
        got = "" if value is ... else f"; got {value!r}"
        super().__init__(f"{self.path}: `{key}` {message}{got}.")


class CohortError(ToolkitError, ValueError):
    """A cohort file or DataFrame does not follow the schema."""


class UsageError(ToolkitError, ValueError):
    """A function or command-line argument is invalid."""
