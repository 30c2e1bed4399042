"""The write-up of OGRS3 (``reproduction.md``): the published test vectors beside the toolkit's
probabilities. :func:`context` builds what ``reproduction.md.j2`` shows."""

from __future__ import annotations

import pandas as pd

from toolkit.cohort.ogrs3 import coefficients, ogrs3_probability
from toolkit.datafiles import paper_file, read_toml


def context(seed: int) -> dict:
    """Everything ``reproduction.md.j2`` shows (the vectors are fixed; ``seed`` is printed)."""
    raw, _ = read_toml(paper_file("howard_2009_ogrs3", "ogrs3.toml"), "howard_2009_ogrs3", "ogrs3")
    return {
        "seed": seed,
        "meta": raw.get("meta", {}),
        "vectors": _vectors(),
        "resolutions": raw.get("resolutions", []),
    }


def _vectors() -> pd.DataFrame:
    """Each published test vector with its 1- and 2-year probabilities, published and ours."""
    rows = []
    for i, v in enumerate(coefficients().test_vectors, 1):
        row = {
            "vector": i,
            "age": v["age"],
            "sex": v["sex"],
            "offence": v["offence"],
            "previous sanctions": v["previous_sanctions"],
            "age at first sanction": v["age_at_first_sanction"],
        }
        for years, key in ((1, "p_1yr"), (2, "p_2yr")):
            p = float(
                ogrs3_probability(
                    v["age"],
                    v["sex"],
                    v["offence"],
                    v["previous_sanctions"],
                    v["age_at_first_sanction"],
                    years=years,
                )[0]
            )
            row[f"{years}-year published"] = f"{v[key]:.6f}"
            row[f"{years}-year toolkit"] = f"{p:.6f}"
        rows.append(row)
    return pd.DataFrame(rows)
