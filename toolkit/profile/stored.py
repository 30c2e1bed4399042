"""The shipped profile and programme rules, stored as validated and audited (issue 23 item 5).

``recall-toolkit generate`` on the shipped files reads the profile (``profile.toml``) and the
programme rules (``programmes.toml``), validates both against their declared pydantic tables
and refuses a profile whose figures contradict each other or the rules
(:func:`toolkit.profile.audit.refuse_contradictions`). On the shipped files that is always the
same answer, and it costs about 0.3 s of CPU per run (importing pydantic and building the
declared tables 0.2 s, the audit 0.1 s: benchmarks/README.md, session 6), a tenth of generating
1,000,000 people. So, as for the release rules (:mod:`toolkit.review.policy`), the validated
:class:`~toolkit.profile.model.ProfileSpec` and :class:`~toolkit.profile.rules.ProgrammeRules`
of the shipped pair are stored in ``toolkit/profile/data/shipped_inputs.json``
(:mod:`toolkit.storedjson`, no pickle), keyed by both files' bytes and
:data:`STORED_VERSION`; an entry is only ever written for a pair the audit accepts. While both
files' bytes are unchanged, :func:`load_generator_inputs` builds the same objects from it
without importing pydantic; any other bytes, and every file given by path, are validated and
audited as before. A test checks the stored entry equals a fresh validation of the shipped
files, field by field with their types, so forgetting to rebuild fails the test suite. After
editing either file, or changing how they are read (then also raise :data:`STORED_VERSION`),
rebuild with::

    python -m toolkit.profile.stored
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from types import MappingProxyType

from toolkit.conditions import ColumnRef, Condition
from toolkit.profile.model import Claim, ProfileSpec, Resolution, Target, default_profile_path
from toolkit.profile.rules import (
    ColumnSpec,
    Programme,
    ProgrammeRules,
    default_rules_path,
    load_programme_rules,
)
from toolkit.storedjson import file_sha256, read_entry, write_entry

__all__ = [
    "STORED_INPUTS",
    "STORED_VERSION",
    "load_generator_inputs",
    "save_stored_inputs",
    "stored_entry",
    "stored_inputs",
]

#: The shipped profile and rules, validated and audited, stored (see the module docstring).
STORED_INPUTS = Path(__file__).parent / "data" / "shipped_inputs.json"
#: Version of how a profile and rules are read: raise it with any change to
#: :mod:`toolkit.profile.load`, :mod:`toolkit.profile.tables`, :mod:`toolkit.profile.rules` or
#: :mod:`toolkit.profile.rules_tables` that changes what a file gives (a stored copy of another
#: version is not used), then rebuild.
STORED_VERSION = 1
#: The dataclasses a stored entry may name.
_CLASSES = MappingProxyType(
    {
        c.__name__: c
        for c in (Target, Claim, Resolution, Programme, ColumnSpec, Condition, ColumnRef)
    }
)


def _pair_key() -> str | None:
    """One SHA-256 for the shipped pair: of the profile's digest, then the rules' digest."""
    profile, rules = file_sha256(default_profile_path()), file_sha256(default_rules_path())
    if profile is None or rules is None:
        return None
    return hashlib.sha256(f"{profile} {rules}".encode()).hexdigest()


def _fields(obj, skip: tuple[str, ...] = ()) -> dict:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in skip}


def stored_entry() -> dict:
    """What :func:`save_stored_inputs` stores: the shipped profile and rules, freshly validated
    and audited, as ``{"spec": ProfileSpec fields but the id index, "rules": ProgrammeRules
    fields}``. A score's ``at_least`` (a mapping with number keys, which JSON objects cannot
    hold) is stored as a tuple of ``(threshold, percent)`` pairs when it has any.

    Raises
    ------
    ProfileContradictionError
        If the shipped profile contradicts itself or the rules (nothing is stored then).
    """
    from toolkit.profile.audit import refuse_contradictions
    from toolkit.profile.load import load_profile

    spec, rules = load_profile(), load_programme_rules()
    refuse_contradictions(spec, rules)
    columns = {
        name: dataclasses.replace(c, at_least=tuple(c.at_least.items())) if c.at_least else c
        for name, c in rules.columns.items()
    }
    return {
        "spec": _fields(spec, skip=("_by_id",)),
        "rules": {**_fields(rules), "columns": columns},
    }


def save_stored_inputs() -> Path:
    """Validate and audit the shipped profile and rules and store them (:data:`STORED_INPUTS`);
    returns the path."""
    STORED_INPUTS.parent.mkdir(exist_ok=True)
    write_entry(
        STORED_INPUTS,
        source="papers/recall_process_experience/profile.toml + programmes.toml",
        sha256=_pair_key(),
        version=STORED_VERSION,
        value=stored_entry(),
    )
    return STORED_INPUTS


def stored_inputs() -> tuple[ProfileSpec, ProgrammeRules] | None:
    """The shipped profile and rules built from their stored copy, or None if the copy is not
    of both files' current bytes and :data:`STORED_VERSION` (they are then validated)."""
    entry = read_entry(STORED_INPUTS, sha256=_pair_key(), version=STORED_VERSION, classes=_CLASSES)
    if entry is None:
        return None
    try:
        spec_fields, rule_fields = entry["spec"], entry["rules"]
        spec = ProfileSpec(
            **spec_fields, _by_id=MappingProxyType({t.id: t for t in spec_fields["targets"]})
        )
        columns = {
            name: dataclasses.replace(c, at_least=MappingProxyType(dict(c.at_least)))
            if isinstance(c.at_least, tuple)
            else c
            for name, c in rule_fields["columns"].items()
        }
        rules = ProgrammeRules(**{**rule_fields, "columns": MappingProxyType(columns)})
    except (TypeError, KeyError, ValueError, AttributeError):  # a stale copy: validate instead
        return None
    return spec, rules


def load_generator_inputs(
    profile: str | Path | None = None, rules: str | Path | None = None
) -> tuple[ProfileSpec, ProgrammeRules]:
    """The profile and programme rules a cohort is generated from, validated, with
    contradictions refused before any work.

    The shipped pair (both arguments None) comes from its stored copy while both files are
    unchanged (:func:`stored_inputs`: it was validated and audited when stored); otherwise
    :func:`~toolkit.profile.load.load_profile`,
    :func:`~toolkit.profile.rules.load_programme_rules` and
    :func:`~toolkit.profile.audit.refuse_contradictions`, as before.

    Raises
    ------
    SpecError, ProfileContradictionError
        As those three functions.
    """
    if profile is None and rules is None:
        stored = stored_inputs()
        if stored is not None:
            return stored
    from toolkit.profile.audit import refuse_contradictions
    from toolkit.profile.load import load_profile

    spec = load_profile(profile)
    programmes = load_programme_rules(rules)  # the same file fidelity and gaps take
    refuse_contradictions(spec, programmes)  # before any work: no cohort can meet them
    return spec, programmes


if __name__ == "__main__":  # pragma: no cover - maintenance command, run by hand
    print(f"wrote {save_stored_inputs()}")
