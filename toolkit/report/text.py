"""Plain-text renderings with units, for files a person opens (the demo's ``*.txt``)."""

from __future__ import annotations

import pandas as pd

#: Simulation summary columns as shown to a reader: (column, heading with unit, decimals).
SIMULATION_COLUMNS = (
    ("strategy", "strategy", None),
    ("released_at_sed_pct", "released at SED (%)", 1),
    ("still_in_custody_pct", "still in custody at horizon (%)", 2),
    ("mean_custody_days", "mean custody (days)", 0),
    ("reviews_per_person", "reviews per person", 2),
    ("bed_days_saved_per_person", "bed-days saved per person (days)", 1),
    ("re_recall_pct", "re-recalled (%)", 1),
    ("cost_per_person", "cost per person (GBP)", 0),
    ("review_hours_per_person", "review hours per person (hours)", 2),
)


def simulation_summary_table(result) -> pd.DataFrame:
    """The simulation's headline summary with units in the headings and costs in GBP.

    Adds ``still_in_custody_pct``: people not released by the simulation horizon, so that
    "released at SED" plus the other routes plus this column make up everyone admitted.
    """
    s = result.summary()
    rec = result.records
    still = (
        rec.assign(h=rec["route"] == "horizon")
        .groupby("strategy", observed=True)["h"]
        .mean()
        .mul(100)
    )
    s["still_in_custody_pct"] = s["strategy"].map(still).astype(float)
    out = pd.DataFrame(
        {
            heading: (
                s[col]
                if d is None
                else s[col].round(d).astype("Int64")
                if d == 0
                else s[col].round(d)
            )
            for col, heading, d in SIMULATION_COLUMNS
        }
    )
    return out


def simulation_text(result, title: str) -> str:
    """A titled, unit-labelled summary of a :class:`~toolkit.review.engine.SimulationResult`."""
    tab = simulation_summary_table(result)
    with pd.option_context("display.width", 250, "display.max_columns", None):
        body = tab.to_string(index=False)
    return (
        f"{title}\n{body}\n\nMeans over {result.n_replications} replications; 95% intervals "
        "are in simulation_summary.json (keys *_lo, *_hi). Costs in GBP at the illustrative "
        "unit costs of release_rules.toml [costs]. 'Still in custody at horizon' people are "
        "neither released at SED nor by review within the simulation horizon."
    )
