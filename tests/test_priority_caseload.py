"""Caseload schema and validation: every problem listed with spreadsheet row, column, value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.priority.caseload import (
    CASELOAD_COLUMNS,
    REQUIRED_COLUMNS,
    CaseloadError,
    validate_caseload,
)

AS_OF = "2026-01-05"


def good_rows(n: int = 5) -> pd.DataFrame:
    """A small valid caseload written by hand (text cells, as a CSV holds)."""
    return pd.DataFrame(
        {
            "case_reference": [f"C{i}" for i in range(n)],
            "recall_type": ["standard"] * n,
            "recall_date": ["2025-10-01"] * n,
            "sed_date": ["2026-09-30"] * n,
            "age": ["34"] * n,
            "sex": ["male"] * n,
            "ethnicity": ["white"] * n,
            "ogrs3_2yr": ["55.5"] * n,
            "rosh": ["medium"] * n,
            "wants_release": ["yes"] * n,
            "last_review_date": [""] * n,
            "programmes_needed": ["cognitive_skills;substance_misuse"] * n,
        }
    )


def problems(df: pd.DataFrame) -> list[str]:
    with pytest.raises(CaseloadError) as exc:
        validate_caseload(df, as_of=AS_OF)
    return exc.value.problems


def test_valid_caseload_types_and_missing_optional_columns():
    cl = validate_caseload(good_rows(), as_of=AS_OF)
    f = cl.frame
    assert pd.api.types.is_datetime64_any_dtype(f["recall_date"])
    assert f["wants_release"].tolist() == [True] * 5
    assert f["ogrs3_2yr"].tolist() == [55.5] * 5
    assert "om_contact_since_recall" in cl.missing_optional
    # What the absence costs is said in words for every missing optional column.
    costs = " ".join(cl.absence_costs())
    assert "om_contact_since_recall not given" in costs
    assert "need item(s) not given" in costs


def test_every_problem_listed_at_once_with_row_column_value():
    df = good_rows(6)
    df.loc[0, "recall_date"] = "2025-13-40"  # bad date -> spreadsheet row 2
    df.loc[1, "sed_date"] = "2025-01-01"  # SED before recall date -> row 3
    df.loc[2, "recall_type"] = "licence"  # unknown category -> row 4
    df.loc[3, "case_reference"] = "C4"  # duplicate of row 6's reference -> rows 5 and 6
    df.loc[4, "ogrs3_2yr"] = "140"  # out of range -> row 6
    df.loc[5, "wants_release"] = "maybe"  # -> row 7
    p = problems(df)
    expected = [
        ("row 2, column recall_date", "2025-13-40"),
        ("row 3, column sed_date", "SED before the recall date"),
        ("row 4, column recall_type", "licence"),
        (
            "row 5, column case_reference",
            "duplicate case reference (compared ignoring case); value 'C4'",
        ),
        (
            "row 6, column case_reference",
            "duplicate case reference (compared ignoring case); value 'C4'",
        ),
        ("row 6, column ogrs3_2yr", "140"),
        ("row 7, column wants_release", "maybe"),
    ]
    for where, what in expected:
        assert any(x.startswith(where) and what in x for x in p), (where, p)
    assert len(p) == len(expected)


def test_missing_required_columns_named():
    df = good_rows().drop(columns=["rosh", "ogrs3_2yr"])
    p = problems(df)
    assert "missing required column `rosh`" in p
    assert "missing required column `ogrs3_2yr`" in p


def test_blank_sed_only_for_indeterminate_sentences():
    df = good_rows(2)
    df["sed_date"] = ["", ""]
    df.loc[1, "recall_type"] = "life"
    p = problems(df)
    assert len(p) == 1 and p[0].startswith("row 2, column sed_date")


def test_age_or_date_of_birth_required():
    df = good_rows(2)
    df["age"] = ["", ""]
    df["date_of_birth"] = ["1990-02-03", ""]
    p = problems(df)
    assert len(p) == 1 and p[0].startswith("row 3, column age")
    df.loc[1, "date_of_birth"] = "1980-06-30"
    cl = validate_caseload(df, as_of=AS_OF)
    assert cl.frame["age"].tolist() == [35.0, 45.0]  # completed years on 2026-01-05


def test_cli_bad_file_exit_2_lists_all_and_writes_nothing(tmp_path):
    from toolkit.cli import main

    df = good_rows(4)
    df.loc[1, "sex"] = "unknown"
    df.loc[3, "recall_date"] = "yesterday"
    src = tmp_path / "caseload.csv"
    df.to_csv(src, index=False)
    before = src.read_bytes()
    out = tmp_path / "ranked.csv"
    rep = tmp_path / "report.html"
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(
            ["prioritise", str(src), "--out", str(out), "--report", str(rep), "--as-of", AS_OF]
        )
    assert rc == 2
    text = err.getvalue()
    assert (
        "2 problems" in text and "row 3, column sex" in text and "row 5, column recall_date" in text
    )
    assert not out.exists() and not rep.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["caseload.csv"]
    assert src.read_bytes() == before


CELL_KINDS = {c.name: c.kind for c in CASELOAD_COLUMNS}
BAD = {
    "date": st.sampled_from(["2025-02-30", "31/31/2025", "soon", "2025/01/01"]),
    "category": st.sampled_from(["unknown", "Standardd", "n/a"]),
    "score": st.sampled_from(["-1", "100.5", "high", "1e3"]),
    "yesno": st.sampled_from(["maybe", "2", "unknown"]),
    "programmes": st.sampled_from(["yoga", "cognitive_skills;yoga"]),
}


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    col=st.sampled_from(
        ["recall_date", "recall_type", "sex", "ogrs3_2yr", "wants_release", "programmes_needed"]
    ),
    row=st.integers(0, 4),
    data=st.data(),
)
def test_any_single_bad_cell_is_reported_at_its_row_and_column(col, row, data):
    df = good_rows(5)
    value = data.draw(BAD[CELL_KINDS[col]])
    df.loc[row, col] = value
    p = problems(df)
    assert any(x.startswith(f"row {row + 2}, column {col}") for x in p), p
    # Only that row is blamed (a bad recall date cannot be compared with the SED either).
    assert all(f"row {row + 2}," in x for x in p), p


def test_required_columns_are_documented_and_complete():
    assert set(REQUIRED_COLUMNS) == {
        "case_reference",
        "recall_type",
        "recall_date",
        "sed_date",
        "ogrs3_2yr",
        "rosh",
    }
    assert all(c.description for c in CASELOAD_COLUMNS)
    assert all(
        c.cost
        for c in CASELOAD_COLUMNS
        if not c.required and c.name not in ("age", "date_of_birth")
    )


def test_validation_result_does_not_modify_input():
    df = good_rows()
    copy = df.copy()
    validate_caseload(df, as_of=AS_OF)
    pd.testing.assert_frame_equal(df, copy)
    assert np.all(df.dtypes == copy.dtypes)


def test_need_items_written_as_whole_floats_are_read_and_fractions_refused():
    """A spreadsheet or pandas round trip writes a need item of 1 as "1.0" once a column has a
    blank; that is the same value. 1.5 is not a need score and is refused at its cell."""
    need = next(c.name for c in CASELOAD_COLUMNS if c.kind == "need")
    df = good_rows(3)
    df[need] = ["1.0", "2", ""]
    assert validate_caseload(df, as_of=AS_OF).frame[need].tolist()[:2] == [1.0, 2.0]
    df[need] = ["1.5", "2", ""]
    found = problems(df)
    assert len(found) == 1 and "row 2" in found[0] and need in found[0] and "'1.5'" in found[0]
