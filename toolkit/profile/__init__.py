"""Stage 1 — the published profile: loading and validating a spec, deriving consistent
per-population targets, auditing the figures, and the programme rules (published data too).

The names below are loaded on first use (PEP 562): ``import toolkit.profile.rules`` (what the
simulation needs to read a user's cohort) then does not import the audit and target-derivation
modules and their scipy.optimize (about 0.15 s of CPU).
"""

from __future__ import annotations

import importlib

_WHERE = {
    "AuditResult": "audit",
    "audit_profile": "audit",
    "ProgrammeRules": "rules",
    "load_programme_rules": "rules",
    "ProfileSpec": "spec",
    "Target": "spec",
    "load_profile": "spec",
}

__all__ = [
    "AuditResult",
    "ProfileSpec",
    "ProgrammeRules",
    "Target",
    "audit_profile",
    "load_profile",
    "load_programme_rules",
]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"toolkit.profile.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'toolkit.profile' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
