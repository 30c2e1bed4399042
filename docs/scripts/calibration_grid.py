"""How robust is the review model's fit to the assumed sizes? Refit at the ends of every range.

For each assumed size with a range in ``release_rules.toml`` (``toolkit.review.policy.
assumed_ranges``: the barrier medians and shares, the decision delays and probabilities, the
post-ORA share, ...), refits the four calibrated parameters (``toolkit.review.calibration.
calibrate``, its own N and seed) with that size at the low and at the high end of its range, the
others as stored, and prints which targets each fit meets within ``TOLERANCE``. This is the
search the issue asks for before any "cannot be met" claim; with the stored sizes every target is
met (review_model.md section 6). About 10 s a fit:

    python docs/scripts/calibration_grid.py            # every range, both ends
    python docs/scripts/calibration_grid.py person.    # only keys starting with "person."
"""

from __future__ import annotations

import sys
from dataclasses import replace
from types import MappingProxyType

import pandas as pd

from toolkit.cohort.generate import generate_cohort
from toolkit.review.calibration import calibrate
from toolkit.review.policy import assumed_ranges, load_release_rules

#: Sizes held as fields of ReleaseRules (the rest live in the mapping of their block).
_FIELDS = {
    "executive.notice_probability": "notice_probability",
    "parole_board.direction_probability": "board_direction_probability",
    "decision_delay_days.executive_median": "delay_executive",
    "decision_delay_days.parole_board_median": "delay_parole_board",
    "preference.declines_release_share": "declines_release_share",
    "further_charge.delay_median": "charge_delay_median",
    "hazards.re_recall_multiplier": "re_recall_multiplier",
}


def with_size(rules, key: str, value: float):
    """The rules with one assumed size set."""
    if key in _FIELDS:
        return replace(rules, **{_FIELDS[key]: value})
    block, name = key.rsplit(".", 1)
    if block == "person":
        return replace(rules, person=MappingProxyType({**rules.person, name: value}))
    if block == "calibration":
        return replace(rules, calibration=MappingProxyType({**rules.calibration, name: value}))
    if block == "costs":
        return replace(rules, costs=MappingProxyType({**rules.costs, name: value}))
    if block.startswith("recall_types."):
        t = block.split(".", 1)[1]
        types = dict(rules.types)
        types[t] = replace(types[t], **{name: value})
        return replace(rules, types=MappingProxyType(types))
    raise KeyError(key)


def main(prefix: str = "") -> None:
    rules = load_release_rules()
    cohort = generate_cohort(populations=["standard"], rng=20140331)
    rows = []
    for key, (_value, lo, hi) in assumed_ranges(rules).items():
        if not key.startswith(prefix) or key.startswith(("costs.", "hazards.")):
            continue  # costs and outcome hazards do not enter the fit
        for end, v in (("low", lo), ("high", hi)):
            res = calibrate(cohort, with_size(rules, key, v), intervals=False)
            t = res.table.set_index("target")
            rows.append(
                {"size": key, "end": end, "value": v, "targets_met": int(t["met"].sum())}
                | t["model"].round(1).to_dict()
            )
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
