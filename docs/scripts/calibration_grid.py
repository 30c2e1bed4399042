"""Is the review model's at-SED miss an artefact of the assumed Parole Board timing?

Refits the four calibrated parameters (``toolkit.review.calibration.calibrate``, its own N and
seed) under other values of two assumed Board sizes: the median delay from referral to the first
determination (30, 45, 70 days) and the interval between determinations (365 days, the latest
s.256A allows, or 182 days). Prints each fit's targets. Used for section 6 of
``papers/recall_process_experience/review_model.md``; takes about two minutes.

    python docs/scripts/calibration_grid.py
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.review.calibration import calibrate
from toolkit.review.policy import load_release_rules


def main() -> None:
    rules = load_release_rules()
    cohort = generate_cohort(populations=["standard"], rng=20140331)
    rows = []
    for delay in (30.0, 45.0, 70.0):
        for every in (365, 182):
            types = dict(rules.types)
            types["standard"] = replace(types["standard"], board_review_every=every)
            r = replace(rules, delay_parole_board=delay, types=MappingProxyType(types))
            res = calibrate(cohort, r, intervals=False)
            row = {"board_delay_days": delay, "board_every_days": every, **res.params}
            row |= res.table.set_index("target")["model"].round(1).to_dict()
            rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
