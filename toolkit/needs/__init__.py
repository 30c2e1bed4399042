"""Stage 3 — needs gaps against accredited programmes and resettlement-pathway needs."""

from toolkit.needs.gap import NeedsGapResult, estimate_needs_gap, load_capacity
from toolkit.needs.pathways import load_pathway_rules, pathway_levels

__all__ = [
    "NeedsGapResult",
    "estimate_needs_gap",
    "load_capacity",
    "load_pathway_rules",
    "pathway_levels",
]
