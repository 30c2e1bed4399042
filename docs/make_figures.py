"""Regenerate the README's figure: ``python docs/make_figures.py`` (default seed, as the demo)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from toolkit.cohort.generate import generate_cohort  # noqa: E402
from toolkit.defaults import DEFAULT_SEED  # noqa: E402
from toolkit.needs.gap import estimate_needs_gap  # noqa: E402
from toolkit.report.plots import plot_needs_gap  # noqa: E402

if __name__ == "__main__":
    gap = estimate_needs_gap(generate_cohort(rng=DEFAULT_SEED), rng=DEFAULT_SEED)
    fig, ax = plt.subplots(figsize=(9, 6))
    plot_needs_gap(gap, ax=ax)
    out = Path(__file__).with_name("needs_gap.png")
    fig.savefig(out, dpi=72, bbox_inches="tight")
    print(f"wrote {out}")
