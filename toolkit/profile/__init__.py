"""Stage 1 — the published profile: loading and validating a spec, deriving consistent
per-population targets, auditing the figures, and the programme rules (published data too)."""

from toolkit.profile.audit import AuditResult, audit_profile
from toolkit.profile.rules import ProgrammeRules, load_programme_rules
from toolkit.profile.spec import ProfileSpec, Target, load_profile

__all__ = [
    "AuditResult",
    "ProfileSpec",
    "ProgrammeRules",
    "Target",
    "audit_profile",
    "load_profile",
    "load_programme_rules",
]
