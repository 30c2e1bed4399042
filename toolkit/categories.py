"""Category names every stage shares, with no dependencies (``toolkit.schema`` re-exports them).

Kept apart from :mod:`toolkit.schema`, which builds pandas dtypes when imported, so that a command
that needs only the names (``simulate`` with the stored census) does not import pandas.
"""

from __future__ import annotations

#: Populations in the published Appendix, in print order, plus the rest of the sentenced
#: population (Table 1's "All prisoners" minus "All recalled").
POPULATIONS: tuple[str, ...] = (
    "standard",
    "extended",
    "fixed_term",
    "ipp_dpp",
    "life",
    "hdc",
    "other_sentenced",
)
RECALL_TYPES: tuple[str, ...] = POPULATIONS[:-1]

#: Band edges in days: six months and a year on the census day (``toolkit.schema`` re-exports
#: them; here so that the simulation can use them without importing pandas).
SIX_MONTHS_DAYS = 183
YEAR_DAYS = 365
