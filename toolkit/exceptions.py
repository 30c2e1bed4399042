"""Typed exceptions for user-facing errors.

Every message names the thing (file, key, row or argument), the rule, the value found and, where
possible, the fix. The CLI turns any :class:`ToolkitError` into a one-line message and exit code 2.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class for errors caused by user input (bad files, arguments or data).

    ``cli_message`` (optional keyword): the message as a command-line user reads it, naming the
    flag where the message names the function's argument (API messages name arguments, not
    flags); the CLI prints it instead of the message.
    """

    cli_message: str | None = None


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
        text = f"{self.path}: `{key}` {message}{got}"
        # one closing mark: a message ending in a question ("did you mean `x`?") keeps its own
        super().__init__(text if text.endswith(("?", ".", "!")) else f"{text}.")


class CohortError(ToolkitError, ValueError):
    """A cohort file or DataFrame does not follow the schema."""


class UsageError(ToolkitError, ValueError):
    """A function or command-line argument is invalid (``cli_message``: see
    :class:`ToolkitError`)."""

    def __init__(self, *args: object, cli_message: str | None = None):
        super().__init__(*args)
        self.cli_message = cli_message
