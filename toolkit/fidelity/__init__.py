"""Stage 3 — how closely a cohort meets the published figures it was built from."""

from toolkit.fidelity.report import FidelityReport, fidelity_report

__all__ = ["FidelityReport", "fidelity_report"]
