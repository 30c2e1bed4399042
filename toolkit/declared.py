"""Declared rules that name the exact key they are about, on top of :mod:`toolkit.tomlmodel`.

A data file's table is a :class:`~toolkit.tomlmodel.FileModel`; a rule within it (a
``model_validator``: shares that must sum to 100, a threshold inside a range, a note that must
say where it comes from) raises :func:`rule` with the key *below the table* and the value it
found, and :func:`read_table` turns that into a :class:`~toolkit.exceptions.SpecError` naming
``file: `table.key` what is wrong; got value``. Every other problem (an unknown key, a missing
one, a type or a declared range) is reported by :func:`toolkit.tomlmodel.parse`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from toolkit.exceptions import SpecError
from toolkit.tomlmodel import parse

__all__ = ["RULE", "read_table", "rule"]

M = TypeVar("M", bound=BaseModel)
#: Error type of a declared rule (its ``ctx`` holds the message, the sub-key and the value).
RULE = "declared_rule"


def rule(key: str, message: str, value: object = ...) -> PydanticCustomError:
    """The error a declared rule raises: ``key`` below its table, what is wrong, what was found.

    Examples
    --------
    >>> from pydantic import model_validator
    >>> from toolkit.tomlmodel import FileModel
    >>> class Band(FileModel):
    ...     low: float
    ...     high: float
    ...     @model_validator(mode="after")
    ...     def _ordered(self):
    ...         if self.high < self.low:
    ...             raise rule("high", "must be at least low", self.high)
    ...         return self
    >>> read_table(Band, {"low": 2, "high": 1}, "f.toml", "bands")
    Traceback (most recent call last):
    ...
    toolkit.exceptions.SpecError: f.toml: `bands.high` must be at least low; got 1.0.
    """
    return PydanticCustomError(RULE, "{message}", {"message": message, "key": key, "value": value})


def read_table(
    model: type[M], data: Any, label: str, where: str = "", context: dict | None = None
) -> M:
    """Validate one table against its declaration; raise :class:`SpecError` on the first problem.

    Parameters
    ----------
    model : type of FileModel
        The declared table.
    data : Any
        The parsed TOML table.
    label : str
        The file, as messages show it.
    where : str, optional
        Dotted key of the table inside the file (``targets[id=x]``, ``assumptions``).
    context : dict, optional
        What the table's rules may read from other tables (pydantic's validation context).
    """
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors = exc.errors()
    if any(e["type"] != RULE for e in errors):
        parse(model, data, label, where)  # raises for the first key, type or range problem
    err = next(e for e in errors if e["type"] == RULE)
    ctx = err["ctx"]
    path = [where, *(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]), ctx["key"]]
    key = ".".join(p for p in path if p).replace(".[", "[")
    raise SpecError(label, key, ctx["message"], ctx["value"])
