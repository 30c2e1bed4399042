"""Regenerate the README's figure: ``python docs/make_figures.py`` (seed 20140331, as the demo)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.needs.gap import estimate_needs_gap  # noqa: E402
from toolkit.report.plots import plot_needs_gap  # noqa: E402

if __name__ == "__main__":
    gap = estimate_needs_gap(generate_cohort(rng=20140331), rng=20140331)
    fig, ax = plt.subplots(figsize=(9, 6))
    plot_needs_gap(gap, ax=ax)
    out = Path(__file__).with_name("needs_gap.png")
    fig.savefig(out, dpi=72, bbox_inches="tight")
    print(f"wrote {out}")
