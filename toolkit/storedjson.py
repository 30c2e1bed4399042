"""What a loader built from a shipped data file, stored as tagged JSON beside the code.

Validating a shipped TOML file with its declared pydantic models (:mod:`toolkit.tomlmodel`)
costs more than the file is worth on a hot path: importing pydantic and building the models of
the release rules and national model is about 0.1 s of CPU (benchmarks/README.md), most of
reading a 200,000-person Parquet cohort. A loader therefore stores what
the validation built for the shipped file (:func:`write_entry`) with the SHA-256 of the file's
bytes and the loader's version, and builds the same object from the stored entry when both match
(:func:`read_entry`); any other bytes (an edited file) are validated as before. A test compares
each stored entry with a fresh validation, so forgetting to rebuild fails the test suite.

The format is JSON with every value's type kept (no pickle: nothing stored is code). Lists,
strings, booleans, ints, finite floats and None are themselves; everything else is an object with
one tagged key: ``{"$dict": {...}}``, ``{"$mappingproxy": {...}}``, ``{"$tuple": [...]}``,
``{"$date": "2016-03-31"}``, ``{"$datetime": ...}``, ``{"$time": ...}`` (the TOML date and time
kinds, ISO text, offsets kept), ``{"$float": "nan"}`` (and ``"inf"``, ``"-inf"``) and
``{"$dataclass": [name, {field: value}]}`` for a dataclass the reader names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["decode", "encode", "file_sha256", "read_entry", "write_entry"]

#: Version of this format (a reader refuses another).
FORMAT = 1


def encode(value: Any) -> Any:
    """``value`` as JSON values with every type tagged (see the module docstring).

    Raises
    ------
    TypeError
        For a value of a kind not listed (a numpy number, a set, a dict with a non-text key):
        storing it would not give the same value back.

    Examples
    --------
    >>> encode({"a": (1, 2.0, float("nan"))})
    {'$dict': {'a': {'$tuple': [1, 2.0, {'$float': 'nan'}]}}}
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list:
        return [encode(v) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v) for v in value]}
    if kind in (dict, MappingProxyType):
        if not all(type(k) is str for k in value):
            raise TypeError(f"only text keys can be stored; got {list(value)!r}")
        tag = "$dict" if kind is dict else "$mappingproxy"
        return {tag: {k: encode(v) for k, v in value.items()}}
    if kind is dt.datetime:
        return {"$datetime": value.isoformat()}
    if kind is dt.date:
        return {"$date": value.isoformat()}
    if kind is dt.time:
        return {"$time": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": [kind.__name__, fields]}
    raise TypeError(f"cannot store a {kind.__name__}: {value!r}")


_SCALARS = {
    "$float": float,
    "$date": dt.date.fromisoformat,
    "$datetime": dt.datetime.fromisoformat,
    "$time": dt.time.fromisoformat,
}


def decode(value: Any, classes: Mapping[str, type] = MappingProxyType({})) -> Any:
    """The value :func:`encode` stored, with its types; ``classes`` names the dataclasses that
    may be built (by class name).

    Raises
    ------
    ValueError, KeyError, TypeError
        The stored text is not such a value, or names a class not in ``classes`` or fields the
        class does not have (a reader treats the entry as stale).
    """
    if isinstance(value, list):
        return [decode(v, classes) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag in _SCALARS:
        return _SCALARS[tag](body)
    if tag == "$tuple":
        return tuple(decode(v, classes) for v in body)
    if tag == "$dict":
        return {k: decode(v, classes) for k, v in body.items()}
    if tag == "$mappingproxy":
        return MappingProxyType({k: decode(v, classes) for k, v in body.items()})
    if tag == "$dataclass":
        name, fields = body
        return classes[name](**{k: decode(v, classes) for k, v in fields.items()})
    raise ValueError(f"unknown tag {tag!r}")


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (hex), None if it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def write_entry(path: str | Path, *, source: str, sha256: str, version: int, value: Any) -> None:
    """Store ``value`` (:func:`encode`) as made from ``source``'s bytes (``sha256``) by a loader
    of ``version``; the file is written whole (a reader never sees half of it)."""
    entry = {
        "format": FORMAT,
        "source": source,
        "sha256": sha256,
        "version": version,
        "value": encode(value),
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(entry, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_entry(
    path: str | Path, *, sha256: str | None, version: int, classes: Mapping[str, type]
) -> Any | None:
    """The value stored at ``path`` if it was made from the bytes ``sha256`` by a loader of
    ``version``; None otherwise (missing, stale, or not a stored entry), so the caller
    validates the file instead."""
    if sha256 is None:
        return None
    try:
        entry = json.loads(Path(path).read_text(encoding="utf-8"))
        if (entry["format"], entry["sha256"], entry["version"]) != (FORMAT, sha256, version):
            return None
        return decode(entry["value"], classes)
    except (OSError, ValueError, KeyError, TypeError):
        return None
