"""Stage 3 — needs gaps against accredited programmes and resettlement-pathway needs."""

from toolkit.needs.capacity import CapacityResult, capacity_over_time, load_capacity
from toolkit.needs.gap import NeedsGapResult, estimate_needs_gap
from toolkit.needs.national import NationalFigures, load_national
from toolkit.needs.pathways import TTGReport, load_pathway_rules, pathway_levels, ttg_report
from toolkit.needs.summary import NeedsSummary, needs_summary

__all__ = [
    "CapacityResult",
    "NationalFigures",
    "NeedsGapResult",
    "NeedsSummary",
    "TTGReport",
    "capacity_over_time",
    "estimate_needs_gap",
    "load_capacity",
    "load_national",
    "load_pathway_rules",
    "needs_summary",
    "pathway_levels",
    "ttg_report",
]
