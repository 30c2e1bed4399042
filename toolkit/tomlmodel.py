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

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from toolkit.exceptions import SpecError

__all__ = ["FileModel", "parse"]

M = TypeVar("M", bound=BaseModel)


class FileModel(BaseModel):
    """Base for a TOML table: unknown keys are refused; values are not coerced across types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


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
        info = fields.get(part)
        if info is None:
            return []
        ann = info.annotation
        # unwrap list[Model] / dict[str, Model] / Model | None to the model class
        for arg in (ann, *getattr(ann, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    return list(getattr(current, "model_fields", {}))


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
        msg = err["msg"]
        # pydantic's "Value error, ..." prefix adds nothing for a reader of a data file
        msg = msg.removeprefix("Value error, ")
        raise SpecError(label, key, msg[:1].lower() + msg[1:], err.get("input", ...)) from None
