"""Declared validation for the TOML data files: pydantic models with the toolkit's messages.

Each data file kind (profile, programme rules, release rules, national model, capacity, pathways,
sweep) declares its tables once as :class:`FileModel` subclasses: the fields, their types and
ranges (``Field(ge=..., le=...)``) and any cross-field rule (a ``model_validator``). Loading is
then ``parse(Model, data, label)``, which turns pydantic's ``ValidationError`` into the toolkit's
:class:`~toolkit.exceptions.SpecError`: the file, the dotted key, what is wrong, what was found,
and for an unknown key the nearest known one (so ``tolerence = 99`` says "did you mean
`tolerance`?"). pydantic comes with pandera, so this adds no dependency.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError

from toolkit.exceptions import SpecError

__all__ = [
    "FileModel",
    "ValueAt",
    "choice",
    "is_number",
    "iso_date",
    "number",
    "parse",
    "toml_date",
    "whole",
]

M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """Base for a TOML table: unknown keys are refused; values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ValueAt(ValueError):
    """A problem a validator finds at a key *below* where it runs (a cross-field rule).

    Raise it from a ``model_validator`` (or a field validator) to name the exact key, relative
    to the model (or field) that runs the check, and the value found; :func:`parse` reports it
    as ``file: `where.loc.key` message; got value``.

    Parameters
    ----------
    key : str
        Dotted key relative to the validated model or field (``""``: the model or field itself).
    message : str
        What is wrong and what is expected (``"must be after start"``).
    value : object, optional
        The value found.
    """

    def __init__(self, key: str, message: str, value: object = ...):
        super().__init__(message)
        self.key, self.message, self.value = key, message, value


def is_number(v: object) -> bool:
    """A real number as TOML gives it: an int or a float, not a bool."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(lo: float, hi: float) -> Any:
    """A number within ``[lo, hi]`` (an int is accepted, returned as float; a bool or NaN is
    refused), declared as ``field: number(0, 1)``; the message says the range: ``must be a
    number between 0 and 1``."""

    def check(v):
        if not (is_number(v) and lo <= v <= hi):
            raise ValueError(f"must be a number between {lo} and {hi}")
        return float(v)

    return Annotated[float, PlainValidator(check)]


def whole(lo: int, hi: int | None = None, what: str = "") -> Any:
    """A whole number (an int; a bool or a float is refused) ``>= lo`` (and ``<= hi``); the
    message names the range: ``must be a whole number >= 1`` or ``... between 1 and 30``.
    ``what`` replaces the default description (``"a positive whole number of people"``)."""

    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            text = what or (
                f"a whole number between {lo} and {hi}"
                if hi is not None
                else f"a whole number >= {lo}"
            )
            raise ValueError(f"must be {text}")
        return v

    return Annotated[int, PlainValidator(check)]


def choice(options: Sequence[str]) -> Any:
    """One of ``options``; the message lists them and names the nearest to a misspelling."""
    options = tuple(options)

    def check(v):
        if v not in options:
            near = difflib.get_close_matches(str(v), options, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"must be one of {', '.join(options)}{hint}")
        return v

    return Annotated[str, PlainValidator(check)]


def listed(options: Sequence[str], what: str) -> Any:
    """A non-empty list of names from ``options``, returned as a tuple; the message says
    ``must list {what} (a, b, c)``."""
    options = tuple(options)

    def check(v):
        if not isinstance(v, list) or not v or any(x not in options for x in v):
            raise ValueError(f"must list {what} ({', '.join(options)})")
        return tuple(v)

    return Annotated[tuple, PlainValidator(check)]


def _iso(v):
    # a TOML date or its text; returned as the text (YYYY-MM-DD)
    try:
        _dt.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError("must be an ISO date YYYY-MM-DD") from None
    return str(v)


#: An ISO date given as text or a TOML date, kept as its text.
iso_date = Annotated[str, PlainValidator(_iso)]


def _toml_date(v):
    # a TOML date (2016-03-31), not a date-time and not text
    if isinstance(v, _dt.datetime) or not isinstance(v, _dt.date):
        raise ValueError("must be a TOML date (YYYY-MM-DD)")
    return v


#: A TOML date (``2016-03-31`` unquoted), returned as :class:`datetime.date`.
toml_date = Annotated[_dt.date, PlainValidator(_toml_date)]


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def _known_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names of the (nested) model that holds ``loc``'s last key."""
    current: Any = model
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if fields is None or isinstance(part, int):
            continue
        info = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if info is None:
            return []
        ann = info.annotation
        # unwrap list[Model] / dict[str, Model] / Model | None to the model class
        for arg in (ann, *getattr(ann, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    # a field declared with an alias (a TOML key that is not a Python name) is known by it
    return [f.alias or n for n, f in getattr(current, "model_fields", {}).items()]


def parse(model: type[M], data: Any, label: str, where: str = "") -> M:
    """Validate ``data`` (a parsed TOML table) against ``model``.

    Parameters
    ----------
    model : type of FileModel
        The declared table.
    data : Any
        What ``tomllib`` returned for that table.
    label : str
        The file's name as error messages show it.
    where : str, optional
        Dotted prefix of the table inside the file (e.g. ``"national"``).

    Returns
    -------
    model
        The validated, frozen instance.

    Raises
    ------
    SpecError
        For the first problem pydantic finds, naming file, key, rule and value.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # a misspelt key also makes its real name "missing": report the misspelling first
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errors[0]
        loc = tuple(err["loc"])
        key = ".".join(p for p in (where, _dotted(loc)) if p and p != "(file)") or "(file)"
        if err["type"] == "extra_forbidden":
            known = _known_fields(model, loc)
            near = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"; did you mean `{near[0]}`?" if near else f"; known keys: {', '.join(known)}"
            raise SpecError(label, key, f"is not a known key{hint}") from None
        if err["type"] == "missing":
            raise SpecError(label, key, "is required but missing") from None
        at = err.get("ctx", {}).get("error")
        if isinstance(at, ValueAt):
            key = ".".join(p for p in (key, at.key) if p and p != "(file)") or "(file)"
            raise SpecError(label, key, at.message, at.value) from None
        msg = err["msg"]
        # pydantic's "Value error, ..." prefix adds nothing for a reader of a data file
        msg = msg.removeprefix("Value error, ")
        raise SpecError(label, key, msg[:1].lower() + msg[1:], err.get("input", ...)) from None
