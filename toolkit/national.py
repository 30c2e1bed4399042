"""The national model of recalled prisoners (``papers/recall_process_experience/national.toml``).

One data file and this one loader hold every national figure the toolkit uses: stocks with their
dates, flows with their periods, the published growth, the standard-recall share, what national
figures are anchored on, and the projection's assumptions. ``simulate``
(:mod:`toolkit.review.national`), ``gaps --stock/--capacity`` (:mod:`toolkit.needs`), the
sweep's projection (:mod:`toolkit.sweep.projection`) and the notebooks read it through
:func:`load_national`; dates and labels in their output come from the data.

The file is declared once, as pydantic models (:mod:`toolkit.national_tables`); what it gives is
:mod:`toolkit.national_model` (:class:`NationalModel`, re-exported here). As for the release
rules (:mod:`toolkit.review.policy`), the shipped file's validated model is stored in
``toolkit/review/data/national.json`` (:mod:`toolkit.storedjson`, no pickle) with the SHA-256 of
the file's bytes and :data:`NATIONAL_VERSION`, and built from there while both match, without
importing pydantic; any other bytes, and every file given by path, are validated. A test checks
the stored model equals a fresh validation. Rebuild after editing national.toml (or changing how
the model is built; then also raise :data:`NATIONAL_VERSION`) with::

    python -c "import toolkit.review.census as c; c.main()"

This module is a leaf (it imports only the TOML reader, the stored-value reader, the model's
dataclasses and, to validate, the declared tables), so every stage can use it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.datafiles import paper_file, read_toml
from toolkit.national_model import (
    ANCHORS,
    DEFAULT_FILE,
    GROWTH_RANGE,
    TIME_WINDOW_DAYS,
    DatedStock,
    Flow,
    Growth,
    NationalModel,
    Projection,
    as_date,
    check_growth,
    date_label,
)
from toolkit.storedjson import file_sha256, read_entry, write_entry

__all__ = [
    "ANCHORS",
    "GROWTH_RANGE",
    "NATIONAL_VERSION",
    "STORED_NATIONAL",
    "TIME_WINDOW_DAYS",
    "DatedStock",
    "Flow",
    "Growth",
    "NationalModel",
    "Projection",
    "as_date",
    "check_growth",
    "date_label",
    "default_national_path",
    "load_national",
    "save_stored_national",
    "stored_national",
]

#: The label the shipped file has in messages and in ``NationalModel.path``.
DEFAULT_LABEL = f"<default>/{'/'.join(DEFAULT_FILE)}"
#: The shipped file's validated model, stored (see the module docstring).
STORED_NATIONAL = Path(__file__).parent / "review" / "data" / "national.json"
#: Version of how the model is built from a file: raise it with any change to
#: :mod:`toolkit.national_tables` or :mod:`toolkit.national_model` that changes the model a file
#: gives (a stored copy of another version is not used), then rebuild.
NATIONAL_VERSION = 1


def __getattr__(name: str) -> Any:
    # the declared model, for code that names it here (imports pydantic when asked for)
    if name == "NationalFile":
        from toolkit import national_tables

        return national_tables.NationalFile
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_national_path() -> Path:
    """The shipped national.toml (``papers/recall_process_experience/national.toml``)."""
    return paper_file(*DEFAULT_FILE)


def load_national(path: str | Path | None = None) -> NationalModel:
    """Read and check ``national.toml`` (default: the shipped one; cached per file version).

    The cache holds the file as last read: every consumer gets the same object while the file is
    unchanged, and a file edited since (another modification time or size) is read again. The
    shipped file, unchanged, gives the model stored from its validation
    (:func:`stored_national`); a file given by ``path`` is always validated.

    Raises
    ------
    SpecError
        Unknown or missing keys, bad dates, non-positive counts, a share outside its range, an
        anchor date with no published stock (naming the file, key and value).

    Examples
    --------
    >>> nat = load_national()
    >>> nat.stock_at("2016-09-30").count, nat.flows[0].label, nat.anchor_stock.label
    (6710, '2015', '31 March 2016')
    """
    resolved = None if path is None else str(Path(path).resolve())
    return _load(resolved, _version(resolved))


def _version(path: str | None) -> tuple[int, int] | None:
    """(modification time in ns, size) of the file, None if it cannot be read (the loader then
    reports why)."""
    try:
        st = Path(path if path is not None else default_national_path()).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


@lru_cache(maxsize=8)
def _load(path: str | None, version: tuple[int, int] | None) -> NationalModel:
    """The file at ``path`` (None: the shipped one) parsed and checked, or the shipped file's
    stored model; ``version`` keys the cache to the file's contents."""
    if path is None:
        stored = stored_national()
        if stored is not None:
            return stored
    from toolkit.national_tables import validate_national

    if path is None:
        return validate_national(_read_default(), DEFAULT_LABEL)
    data, label = read_toml(path, *DEFAULT_FILE)
    return validate_national(data, label)


def _read_default() -> dict:
    """The shipped file's tables (errors name it by :data:`DEFAULT_LABEL`)."""
    path = default_national_path()
    return read_toml(None if path == paper_file(*DEFAULT_FILE) else path, *DEFAULT_FILE)[0]


# --- the stored copy of the shipped model ------------------------------------------------------

#: The dataclasses a stored entry may name.
_CLASSES = MappingProxyType(
    {c.__name__: c for c in (NationalModel, DatedStock, Flow, Growth, Projection)}
)


def stored_national() -> NationalModel | None:
    """The shipped national model built from its stored copy, or None if the copy is not of the
    shipped file's bytes and :data:`NATIONAL_VERSION` (the file is then validated)."""
    model = read_entry(
        STORED_NATIONAL,
        sha256=file_sha256(default_national_path()),
        version=NATIONAL_VERSION,
        classes=_CLASSES,
    )
    # stored with the shipped label, which is the same wherever the package is installed
    return model if isinstance(model, NationalModel) and model.path == DEFAULT_LABEL else None


def save_stored_national() -> Path:
    """Validate the shipped national model and store it (:data:`STORED_NATIONAL`)."""
    from toolkit.national_tables import validate_national

    write_entry(
        STORED_NATIONAL,
        source="papers/" + "/".join(DEFAULT_FILE),
        sha256=file_sha256(default_national_path()),
        version=NATIONAL_VERSION,
        value=validate_national(_read_default(), DEFAULT_LABEL),
    )
    return STORED_NATIONAL
