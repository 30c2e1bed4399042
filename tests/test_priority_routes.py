"""Each recall type on its route, the fields a review turns on, reasons that agree with the
ranking, and caseloads as spreadsheets save them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.priority.caseload import (
    CaseloadError,
    caseload_columns,
    schema_markdown,
    validate_caseload,
)
from toolkit.priority.features import DEFAULT_AS_OF, design, to_csv_text
from toolkit.priority.rank import prioritise
from toolkit.priority.reasons import REASON_KINDS, candidate_reasons
from toolkit.priority.routes import route_of_type, routes, types_on
from toolkit.priority.scorer import load_default_scorer

AS_OF = pd.Timestamp("2026-01-05")


def rows(n: int = 3, **cols) -> pd.DataFrame:
    base = {
        "case_reference": [f"C{i}" for i in range(n)],
        "recall_type": ["standard"] * n,
        "recall_date": ["2025-10-01"] * n,
        "sed_date": ["2026-09-30"] * n,
        "age": ["34"] * n,
        "ogrs3_2yr": ["40"] * n,
        "rosh": ["medium"] * n,
        "wants_release": ["yes"] * n,
        "om_contact_since_recall": ["yes"] * n,
    }
    base.update({k: list(v) for k, v in cols.items()})
    return pd.DataFrame(base)


def problems_of(source, **kw) -> list[str]:
    with pytest.raises(CaseloadError) as exc:
        validate_caseload(source, as_of=AS_OF, **kw)
    return exc.value.problems


# -- routes ------------------------------------------------------------------------------------
def test_routes_come_from_the_release_rules_file(tmp_path):
    """The shipped rules: standard and extended executive, IPP/DPP and life Board-only,
    fixed-term and HDC automatic. A rules file that changes a type's route changes it here."""
    m = route_of_type()
    assert {t for t, r in m.items() if r == "executive"} == {"standard", "extended"}
    assert set(types_on("parole_board")) == {"ipp_dpp", "life"}
    assert set(types_on("automatic")) == {"fixed_term", "hdc"}
    from toolkit.review import load_release_rules
    from toolkit.review.policy import default_rules_path

    text = default_rules_path().read_text()
    block = '[recall_types.extended]\nrelease = "review"\nexecutive = true'
    assert block in text
    edited = tmp_path / "rules.toml"
    edited.write_text(text.replace(block, block.replace("true", "false")))
    assert route_of_type(load_release_rules(edited))["extended"] == "parole_board"


def test_an_ipp_case_is_never_releasable_by_review():
    """The issue's IPP case: long in custody, barriers cleared. Its step is the Board's, with no
    chance of release by review, no days gained and no rank; the stage and a missing legal
    representative shape the step; MAPPA level 3 adds the MAPPA meeting."""
    df = rows(
        4,
        recall_type=["ipp_dpp", "life", "ipp_dpp", "standard"],
        sed_date=["", "", "", "2026-09-30"],
        parole_board_stage=["dossier_sent", "", "hearing_listed", ""],
        legal_representative=["no", "yes", "", ""],
        mappa_level=["3", "", "", ""],
    )
    r = prioritise(validate_caseload(df, as_of=AS_OF)).set_index("case_reference")
    board = r.loc[["C0", "C1", "C2"]]
    assert board["rank"].isna().all()
    assert board["chance_releasable_28d_pct"].isna().all()
    assert (board["days_gained_if_reviewed_now"] == 0).all()
    assert not board["suggested_action"].str.contains("review now|review by").any()
    assert "representations" in r.at["C0", "suggested_action"]
    assert "legal representative" in r.at["C0", "suggested_action"]
    assert "MAPPA level 3" in r.at["C0", "suggested_action"]
    assert "hearing" in r.at["C2", "suggested_action"]
    assert "referral" in r.at["C1", "suggested_action"]
    assert "Crime (Sentences) Act 1997" in r.at["C0", "reasons"]
    assert r.at["C3", "rank"] == 1


def test_extended_recalls_are_not_scored_by_a_model_fitted_on_standard_ones():
    df = rows(2, recall_type=["extended", "standard"])
    r = prioritise(validate_caseload(df, as_of=AS_OF)).set_index("case_reference")
    assert pd.isna(r.at["C0", "rank"]) and np.isnan(r.at["C0", "chance_releasable_28d_pct"])
    assert "not ranked" in r.at["C0", "suggested_action"]
    assert "fitted on other recall types" in r.at["C0", "reasons"]
    assert r.at["C1", "rank"] == 1


def test_automatic_release_labelled_with_its_date_from_the_rules():
    df = rows(2, recall_type=["fixed_term", "hdc"], recall_date=["2025-12-20", "2025-12-01"])
    r = prioritise(validate_caseload(df, as_of=AS_OF)).set_index("case_reference")
    # fixed-term: 28 days (CJA 2003 s.255B); HDC: at the conditional release date, which a
    # caseload does not hold, so the latest the rules allow (curfew_max_days after recall)
    from toolkit.review import load_release_rules

    hdc = load_release_rules().types["hdc"]
    latest = pd.Timestamp("2025-12-01") + pd.Timedelta(days=hdc.curfew_max_days)
    assert r.at["C0", "suggested_action"].startswith("automatic release by 2026-01-17")
    assert r.at["C1", "suggested_action"].startswith(
        f"automatic release by {latest.date()} at the latest (the conditional release date)"
    )
    assert r["suggested_action"].str.contains("where the law allows").all()
    # a release date already past is not offered as a future step
    df = rows(1, recall_type=["fixed_term"], recall_date=["2025-11-01"])
    r = prioritise(validate_caseload(df, as_of=AS_OF))
    assert r.at[0, "suggested_action"].startswith("automatic release date 2025-11-29 has passed")


def test_a_pending_charge_takes_the_case_out_of_the_ranking():
    df = rows(2, further_charge_or_remand=["yes", "N"])
    r = prioritise(validate_caseload(df, as_of=AS_OF)).set_index("case_reference")
    assert (
        pd.isna(r.at["C0", "rank"]) and "resolve the charge first" in r.at["C0", "suggested_action"]
    )
    assert "further charge pending" in r.at["C0", "reasons"]
    assert r.at["C1", "rank"] == 1


def test_schema_states_the_effect_of_every_new_field():
    md = schema_markdown()
    cols = {c.name: c for c in caseload_columns()}
    for name in (
        "further_charge_or_remand",
        "mappa_level",
        "parole_board_stage",
        "legal_representative",
        "sex",
        "ethnicity",
    ):
        assert cols[name].effect, name
        assert f"`{name}`" in md and cols[name].effect in md
    assert not cols["sex"].required and not cols["ethnicity"].required
    assert "never used by the score" in cols["sex"].effect


def test_sex_and_ethnicity_never_move_the_ranking():
    frame = rows(
        6,
        ogrs3_2yr=["10", "30", "50", "70", "20", "60"],
        recall_date=[
            "2025-06-01",
            "2025-08-01",
            "2025-10-01",
            "2025-11-01",
            "2025-12-01",
            "2025-09-01",
        ],
    )
    a = prioritise(validate_caseload(frame.assign(sex="male", ethnicity="white"), as_of=AS_OF))
    b = prioritise(validate_caseload(frame.assign(sex="female", ethnicity="black"), as_of=AS_OF))
    c = prioritise(validate_caseload(frame, as_of=AS_OF))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


# -- numbers that cannot be absurd -----------------------------------------------------------------
def test_past_sed_and_age_against_date_of_birth_refused_with_row_column_value():
    df = rows(
        3,
        sed_date=["2025-12-31", "2026-09-30", "2026-09-30"],
        date_of_birth=["1990-01-01", "1990-01-01", "1990-06-01"],
        age=["36", "35", "35"],
    )
    p = problems_of(df)
    assert any(
        x.startswith("row 2, column sed_date")
        and "'2025-12-31'" in x
        and "as-of date 2026-01-05" in x
        for x in p
    ), p
    # born 1990-01-01: 36 on 2026-01-05; row 3 says 35
    assert any(
        x.startswith("row 3, column age") and "'35'" in x and "date_of_birth" in x for x in p
    ), p
    assert len(p) == 2, p


def test_only_required_columns_give_bounded_days_gained():
    """The issue's case: a caseload with only the required columns gave 7,825 to 1,043,202 days
    for every determinate case. Now every number is within the days left to SED."""
    from toolkit.priority.train import simulated_caseload

    frame, _, _ = simulated_caseload(400, rng=11)
    req = [c.name for c in caseload_columns() if c.required] + ["age"]
    cl = validate_caseload(to_csv_text(frame)[req], as_of=DEFAULT_AS_OF)
    r = prioritise(cl)
    sed = cl.frame.set_index("case_reference").loc[r["case_reference"], "sed_date"]
    to_sed = (sed - DEFAULT_AS_OF).dt.days.to_numpy()
    g = r["days_gained_if_reviewed_now"].to_numpy()
    assert np.all((g >= 0) & (g <= to_sed))
    assert g.max() > 1  # not all zero: some reviews are still suggested


# -- reasons agree with the ranking ----------------------------------------------------------------
@pytest.mark.slow
def test_every_reason_kind_agrees_with_the_direction_of_the_ranking():
    """Each reason kind argues one way (REASON_KINDS): 'review sooner' reasons appear only on
    cases suggested for review, 'little to gain' reasons never on a 'review now' case. Checked
    over a simulated caseload plus one case of every recall type, for every kind."""
    from toolkit.priority.train import simulated_caseload

    frame, _, _ = simulated_caseload(1500, rng=5)
    text = to_csv_text(frame)
    extra = text.iloc[:6].copy()
    extra["case_reference"] = [f"X{i}" for i in range(6)]
    extra["recall_type"] = ["extended", "fixed_term", "ipp_dpp", "life", "hdc", "standard"]
    extra["further_charge_or_remand"] = ["", "", "", "", "", "yes"]
    text["further_charge_or_remand"] = ""
    text["parole_board_stage"] = np.where(np.arange(len(text)) % 7 == 0, "referred", "")
    extra["parole_board_stage"] = ""
    cl = validate_caseload(pd.concat([text, extra], ignore_index=True), as_of=DEFAULT_AS_OF)
    r = prioritise(cl, capacity=30)
    f = cl.frame.set_index("case_reference").loc[r["case_reference"]].reset_index()
    sc = load_default_scorer()
    s = sc.score_frame(design(f, DEFAULT_AS_OF))
    cands = candidate_reasons(
        f,
        DEFAULT_AS_OF,
        s,
        scored=r["rank"].notna().to_numpy(),
        action=r["suggested_action"].to_numpy(dtype=object),
        route=r["route"].to_numpy(),
    )
    assert {c.code for c in cands} == set(REASON_KINDS)
    review = r["suggested_action"].str.startswith("review").to_numpy()
    now = r["suggested_action"].eq("review now").to_numpy()
    seen = set()
    for c in cands:
        if c.mask.any():
            seen.add(c.code)
        if REASON_KINDS[c.code] > 0:
            assert not (c.mask & ~review).any(), c.code
        elif REASON_KINDS[c.code] < 0:
            assert not (c.mask & now).any(), c.code
    # every kind met at least once, so the check above is not vacuous
    assert seen == set(REASON_KINDS), set(REASON_KINDS) - seen
    # and what is printed is drawn from those masks: no "higher readiness" words on a case the
    # list does not suggest reviewing
    words = r["reasons"].str.contains("readiness score is higher").to_numpy()
    assert not (words & ~review).any()


# -- spreadsheets ------------------------------------------------------------------------------------
def _csv(tmp_path, df: pd.DataFrame, name="c.csv", **kw) -> str:
    p = tmp_path / name
    df.to_csv(p, index=False, **kw)
    return str(p)


def test_semicolon_and_cp1252_files_read_as_the_comma_utf8_one(tmp_path):
    df = rows(3, case_reference=["Zoë 1", "Zoë 2", "Renée"], wants_release=["Y", "N", "y"])
    base = validate_caseload(_csv(tmp_path, df), as_of=AS_OF).frame
    semi = validate_caseload(_csv(tmp_path, df, "s.csv", sep=";"), as_of=AS_OF).frame
    win = validate_caseload(_csv(tmp_path, df, "w.csv", encoding="cp1252"), as_of=AS_OF).frame
    both = validate_caseload(
        _csv(tmp_path, df, "b.csv", sep=";", encoding="cp1252"), as_of=AS_OF
    ).frame
    for other in (semi, win, both):
        pd.testing.assert_frame_equal(base, other)
    assert base["wants_release"].tolist() == [True, False, True]
    assert base["case_reference"].tolist() == ["Zoë 1", "Zoë 2", "Renée"]


def test_header_only_file_says_no_cases(tmp_path):
    p = tmp_path / "caseload_template.csv"
    p.write_text(",".join(c.name for c in caseload_columns()) + "\n")
    msg = problems_of(str(p))
    assert msg == [
        f"no cases in {p}: the file has column names but no case rows; add one row per case "
        "below the header"
    ]


def test_nul_byte_refused_with_its_row(tmp_path):
    p = tmp_path / "c.csv"
    body = rows(3).to_csv(index=False).splitlines()
    body[2] = body[2].replace("C1", "C\x001")
    p.write_text("\n".join(body) + "\n")
    (msg,) = problems_of(str(p))
    assert msg.startswith("row 3: a NUL byte") and "CSV UTF-8 (comma delimited)" in msg
    utf16 = tmp_path / "u.csv"
    utf16.write_bytes(rows(2).to_csv(index=False).encode("utf-16"))
    (msg,) = problems_of(str(utf16))
    assert "CSV UTF-8 (comma delimited)" in msg


def test_programme_names_matched_loosely_with_did_you_mean():
    progs = [c for c in caseload_columns() if c.name == "programmes_needed"][0].values
    target = progs[0]
    loose = target.upper().replace("_", " ")
    df = rows(2, programmes_needed=[f" {loose} ", target + "x"])
    p = problems_of(df)
    assert len(p) == 1 and p[0].startswith("row 3, column programmes_needed"), p
    assert f"did you mean {target!r}" in p[0]
    df = rows(1, programmes_needed=[loose])
    assert validate_caseload(df, as_of=AS_OF).frame["programmes_needed"].tolist() == [target]


def test_case_references_trimmed_and_duplicates_ignore_case(tmp_path):
    df = rows(3, case_reference=[" ab1", "AB1 ", "c2"])
    p = problems_of(_csv(tmp_path, df))
    assert [x[:30] for x in p] == [
        "row 2, column case_reference: ",
        "row 3, column case_reference: ",
    ]
    assert all("duplicate case reference" in x for x in p)


def test_routes_on_unknown_types_are_blank():
    assert routes(pd.Series(["standard", "nonsense"])).tolist() == ["executive", ""]


def test_cleared_nearest_sed_baseline_ordering():
    """The caseload-column baseline: everyone with every shown barrier cleared and more than 21
    days to SED first, nearest SED first; then the rest, longest since recall first."""
    from types import SimpleNamespace

    from toolkit.review.ordering import ClearedNearestSED, make_ordering

    inf = np.inf
    ep = SimpleNamespace(
        cohort_row=np.arange(6),
        accommodation_day=np.array([inf, 5.0, 50.0, inf, inf, inf]),
        programme_day=np.array([inf, inf, inf, 10.0, inf, inf]),
        om_contact_day=np.array([1.0, 1.0, 1.0, 1.0, 90.0, 1.0]),
        declines=np.array([False, False, False, False, False, True]),
        sed=np.array([100.0, 60.0, 200.0, 40.0, 70.0, 80.0]),
        admit_day=np.array([5.0, 4.0, 3.0, 2.0, 1.0, 0.0]),
    )
    t = np.full(6, 30.0)
    o = make_ordering("cleared_nearest_sed")
    assert isinstance(o, ClearedNearestSED)
    order = np.argsort(o.priority(ep, np.arange(6), t), kind="stable")
    assert o.select(ep, np.arange(6), t, k=2).tolist() == [1, 0]
    # 0 and 1 cleared (1 nearer SED: 30 days left); 3 cleared but only 10 days left; 2 has
    # accommodation pending, 4 no contact, 5 declines: those by admission day.
    assert order.tolist() == [1, 0, 5, 4, 3, 2]
