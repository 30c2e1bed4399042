"""Release rules as data: ``papers/recall_process_experience/release_rules.toml``.

The file is declared once, as pydantic models (:mod:`toolkit.review.rules_tables`): unknown
keys are errors naming the nearest known key, required blocks and keys must be present, every
number is range-checked and every assumed size's ``ranges`` must hold its value; errors are
:class:`~toolkit.exceptions.SpecError` naming the file, key, rule and value. What the rules are
once read is :mod:`toolkit.review.rules_model` (:class:`ReleaseRules`, re-exported here).

Importing pydantic and building the models costs about 0.1 s of CPU, 4% of a ``simulate`` of
2,000,000 episodes (benchmarks/README.md), so this module does not import them: the shipped
file's validated rules are stored in ``toolkit/review/data/release_rules.json``
(:mod:`toolkit.storedjson`, no pickle) with the SHA-256 of the file's bytes and
:data:`RULES_VERSION`, and :func:`load_release_rules` builds the same :class:`ReleaseRules` from
them while both match. Any other bytes (an edited shipped file) and every file given by path are
validated. A test checks the stored rules equal a fresh validation, field by field with their
types. After editing release_rules.toml, or changing how the rules are built (then also raise
:data:`RULES_VERSION`), rebuild with::

    python -c "import toolkit.review.census as c; c.main()"
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

from toolkit.datafiles import paper_file, read_toml
from toolkit.review.rules_model import (
    CASE_REVIEW_FRAMES,
    NATIONAL_ANCHORS,
    RELEASABLE_READINGS,
    ROSH_LEVELS,
    SENSITIVITY_FIELDS,
    RecallTypeRule,
    ReleaseRules,
    national_figures,
)
from toolkit.storedjson import file_sha256, read_entry, write_entry

__all__ = [
    "CASE_REVIEW_FRAMES",
    "DEFAULT_LABEL",
    "NATIONAL_ANCHORS",
    "RELEASABLE_READINGS",
    "ROSH_LEVELS",
    "RULES_VERSION",
    "SENSITIVITY_FIELDS",
    "STORED_RULES",
    "RecallTypeRule",
    "ReleaseRules",
    "assumed_ranges",
    "default_rules_path",
    "load_release_rules",
    "rules_from_data",
    "save_stored_rules",
    "stored_entry",
    "stored_rules",
]

_DEFAULT = ("recall_process_experience", "release_rules.toml")
#: The label the shipped file has in messages and in ``ReleaseRules.path``.
DEFAULT_LABEL = f"<default>/{'/'.join(_DEFAULT)}"
#: The shipped file's validated rules, stored (see the module docstring).
STORED_RULES = Path(__file__).parent / "data" / "release_rules.json"
#: Version of how rules are built from a file: raise it with any change to
#: :mod:`toolkit.review.rules_tables` or :mod:`toolkit.review.rules_model` that changes the rules
#: a file gives (a stored copy of another version is not used), then rebuild.
RULES_VERSION = 1


def __getattr__(name: str) -> Any:
    # the declared models, for code that names them here (imports pydantic when asked for)
    if name in ("RulesFile", "TYPE_KEYS"):
        from toolkit.review import rules_tables

        return getattr(rules_tables, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_rules_path() -> Path:
    """The shipped release_rules.toml: the source checkout's ``papers/`` when this package is
    run from a checkout (an editable install elsewhere can map ``toolkit.papers`` to another
    tree), else the copy shipped in the wheel."""
    here = Path(__file__).resolve().parents[2] / "papers" / _DEFAULT[0] / _DEFAULT[1]
    return here if here.is_file() else paper_file(*_DEFAULT)


def load_release_rules(path: str | Path | None = None) -> ReleaseRules:
    """Load and validate the release rules (default: the shipped file).

    The shipped file, unchanged, gives the rules stored from its validation
    (:func:`stored_rules`: the same object, without importing pydantic); a file given by
    ``path`` is always validated.

    Raises
    ------
    SpecError
        Naming the file, key and value: unknown keys (with the nearest known key), missing
        blocks, unknown recall types, probabilities outside [0, 1], non-positive spreads,
        negative costs or delays.

    Examples
    --------
    >>> rules = load_release_rules()
    >>> rules.types["standard"].board_referral_day, rules.types["fixed_term"].automatic_release_day
    (28.0, 28.0)
    """
    if path is not None:
        data, label = read_toml(path, *_DEFAULT)
        return rules_from_data(data, label)
    stored = stored_rules()
    return stored if stored is not None else rules_from_data(_read_default(), DEFAULT_LABEL)


def _read_default() -> dict:
    """The shipped file's tables (errors name it by :data:`DEFAULT_LABEL` when it is the copy
    the package maps, by its path when it is the checkout's)."""
    path = default_rules_path()
    return read_toml(None if path == paper_file(*_DEFAULT) else path, *_DEFAULT)[0]


def rules_from_data(data: dict, label: str) -> ReleaseRules:
    """Validate parsed release rules (the TOML's tables) and build :class:`ReleaseRules`.

    The one validation of a rules file (:func:`toolkit.review.rules_tables.validate_rules`):
    :func:`load_release_rules` reads the file and calls this; a sweep builds the rules of each
    scenario by changing values of ``rules.raw`` and calling this, so a swept value the loader
    would refuse is refused, by the same check and message. ``data`` is modified (defaults
    filled in); pass a copy to keep it.

    Raises
    ------
    SpecError
        As :func:`load_release_rules`, with ``label`` as the file name.
    """
    from toolkit.review.rules_tables import validate_rules

    return validate_rules(data, label)[0]


# --- the stored copy of the shipped rules ------------------------------------------------------

#: The dataclasses a stored entry may name.
_CLASSES = MappingProxyType({"RecallTypeRule": RecallTypeRule})
#: Fields not stored: the label, and the national figures (read from national.toml, itself
#: stored the same way, and overridden by the rules' own ``[national]`` block if any).
_NOT_STORED = ("path", "national")


def stored_rules() -> ReleaseRules | None:
    """The shipped rules built from their stored copy, or None if the copy is not of the
    shipped file's bytes and :data:`RULES_VERSION` (the file is then validated)."""
    entry = read_entry(
        STORED_RULES,
        sha256=file_sha256(default_rules_path()),
        version=RULES_VERSION,
        classes=_CLASSES,
    )
    if entry is None:
        return None
    try:
        return ReleaseRules(
            path=DEFAULT_LABEL,
            national=MappingProxyType(national_figures(DEFAULT_LABEL, entry["national_block"])),
            **entry["fields"],
        )
    except (TypeError, KeyError):  # not of these fields (a stale copy): validate instead
        return None


def stored_entry() -> dict:
    """What :func:`save_stored_rules` stores: the shipped file's rules, freshly validated, as
    ``{"fields": ReleaseRules fields but the label and national figures, "national_block": the
    file's own [national] figures or None}``."""
    from toolkit.review.rules_tables import validate_rules

    rules, block = validate_rules(_read_default(), DEFAULT_LABEL)
    fields = {
        f.name: getattr(rules, f.name)
        for f in dataclasses.fields(ReleaseRules)
        if f.name not in _NOT_STORED
    }
    return {"fields": fields, "national_block": block}


def save_stored_rules() -> Path:
    """Validate the shipped rules and store them (:data:`STORED_RULES`); returns the path."""
    write_entry(
        STORED_RULES,
        source="papers/" + "/".join(_DEFAULT),
        sha256=file_sha256(default_rules_path()),
        version=RULES_VERSION,
        value=stored_entry(),
    )
    return STORED_RULES


def assumed_ranges(rules: ReleaseRules) -> dict[str, tuple[float, float, float]]:
    """Every assumed size with a range: ``"block.key" -> (value, low, high)``."""
    out = {}
    for block, blk in rules.raw.items():
        if isinstance(blk, dict) and isinstance(blk.get("ranges"), dict):
            for k, (lo, hi) in blk["ranges"].items():
                out[f"{block}.{k}"] = (float(blk[k]), float(lo), float(hi))
    for name, blk in rules.raw["recall_types"].items():
        if isinstance(blk, dict) and isinstance(blk.get("ranges"), dict):
            for k, (lo, hi) in blk["ranges"].items():
                out[f"recall_types.{name}.{k}"] = (float(blk[k]), float(lo), float(hi))
    return out
