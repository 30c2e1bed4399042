"""Resettlement pathways: levels on a hand-worked cohort and the recalled-as-complex reading."""

import pandas as pd
import pytest

from toolkit import SpecError, UsageError
from toolkit.needs.pathways import load_pathway_rules, pathway_levels


def tiny():
    return pd.DataFrame(
        {
            "has_oasys": [True, True, True, False],
            "sex": ["male", "female", "male", "male"],
            "age": [40, 40, 22, 40],
            "ethnicity": ["white", "white", "white", "white"],
            "recall_type": ["standard", None, None, "standard"],
            "need_accommodation": pd.array([1, 2, 0, None], dtype="Int64"),
            "need_unemployed": pd.array([0, 1, 2, None], dtype="Int64"),
            "need_relationship": pd.array([2, 0, 1, None], dtype="Int64"),
        }
    )


def test_levels_by_hand():
    t = pathway_levels(tiny()).set_index("pathway")
    acc = t.loc["accommodation"]
    # need: persons 0 (recalled: level 3) and 1 (female: level 3); person 3 has no OASys.
    assert (acc["level_1"], acc["need"], acc["level_3"], acc["level_2_only"]) == (4, 2, 2, 0)
    ete = t.loc["employment_training_education"]
    # need: persons 1 (female -> 3) and 2 (male 22 = young adult -> 3)
    assert (ete["need"], ete["level_3"]) == (2, 2)
    assert pd.isna(t.loc["finance_benefits_debt", "need"])


def test_person_only_reading_drops_recall_as_complexity():
    t = pathway_levels(tiny(), reading="person_only").set_index("pathway")
    acc = t.loc["accommodation"]
    # person 0 is recalled, male 40, white, need 1 (not significant): now level 2 only;
    # person 1 is female: still level 3.
    assert (acc["level_2_only"], acc["level_3"]) == (1, 1)
    rel = t.loc["personal_relationships_community"]
    # person 0 has significant relationship need (2): level 3 under person_only
    assert rel["level_3"] == 2


def test_bad_reading_and_flags(tmp_path):
    with pytest.raises(UsageError, match="unknown reading"):
        pathway_levels(tiny(), reading="nope")
    p = tmp_path / "pw.toml"
    p.write_text(
        '[pathways.a]\nneed = ["need_accommodation >= 1"]\n[complexity]\ndefault = ["astrology"]\n'
    )
    with pytest.raises(SpecError, match=r"names an unknown complexity flag .*; got 'astrology'"):
        load_pathway_rules(p)
