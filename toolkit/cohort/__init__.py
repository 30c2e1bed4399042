"""Stage 2 — a synthetic cohort from a profile: exact-marginal construction, OGRS3 risk
scores, the programme attributes behind Table 2, and cohort files with manifests."""

from toolkit.cohort.generate import generate_cohort
from toolkit.cohort.io import read_cohort, write_cohort

__all__ = ["generate_cohort", "read_cohort", "write_cohort"]
