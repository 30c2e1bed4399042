"""The HTML report in a real headless Chromium (Playwright): loads without console errors,
shows the first case and its reasons, makes no network requests, and is not blank."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from browser import chromium_page, require_chromium  # the shared launch (tests/browser.py)

#: Slow tier (headless Chromium): run by python -m pytest -m "slow or not slow".
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _chromium():
    require_chromium()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    import os

    d = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    run = [sys.executable, "-m", "toolkit.cli"]
    subprocess.run(
        [*run, "template", "caseload", "--n", "120"],
        cwd=d,
        env=env,
        check=True,
        capture_output=True,
    )
    import pandas as pd

    # a few cases on the other release routes, so the route filter has something to separate
    ex = pd.read_csv(d / "caseload_example.csv", dtype=str, keep_default_na=False)
    ex.loc[:3, "recall_type"] = ["ipp_dpp", "fixed_term", "extended", "life"]
    ex.loc[[0, 3], "sed_date"] = ""
    ex.to_csv(d / "caseload_example.csv", index=False)
    subprocess.run(
        [
            *run,
            "prioritise",
            "caseload_example.csv",
            "--out",
            "ranked.csv",
            "--report",
            "report.html",
            "--as-of",
            "2026-01-05",
        ],
        cwd=d,
        env=env,
        check=True,
        capture_output=True,
    )
    return d / "report.html", pd.read_csv(d / "ranked.csv")


def test_report_in_headless_chromium(report, tmp_path):
    from PIL import Image  # matplotlib's dependency; used to read the screenshot

    html, ranked = report
    first_ref = ranked.at[0, "case_reference"]
    first_reason = ranked.at[0, "reasons"].split("; ")[0]
    with chromium_page(tmp_path) as page:
        errors, requests = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        assert errors == []
        # Nothing fetched but the file itself: the report is self-contained.
        assert [u for u in requests if not u.startswith("file://")] == []
        first = page.locator("#ranked-table tbody tr").first
        assert first.locator("td.ref").inner_text().strip() == first_ref
        assert first_reason in first.inner_text()
        assert page.locator("#ranked-table tbody tr").count() == len(ranked)
        for sel in ("#privacy", "#meaning", "#comparison", "#fairness"):
            assert page.locator(sel).is_visible()
        shot = page.screenshot(full_page=False)
        pdf = page.pdf(format="A4")  # prints: a PDF with more than one page
    img = Image.open(io.BytesIO(shot)).convert("L")
    hist = img.histogram()
    white_share = sum(hist[245:]) / sum(hist)
    # A blank page is (almost) all white; the report's first screen has text and tables.
    assert white_share < 0.97, white_share
    assert sum(1 for h in hist if h) > 10  # more than a few grey levels: text, rules
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") > 1


def test_list_sorts_and_filters_in_the_browser_with_no_network(report, tmp_path):
    """Clicking a heading sorts the list (both ways); the filters narrow it by action, route
    and text; nothing is fetched."""
    html, ranked = report
    with chromium_page(tmp_path) as page:
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        rows = page.locator("#ranked-table tbody tr:not(.hidden)")

        def column(i):
            return [
                rows.nth(k).locator("td").nth(i).get_attribute("data-v")
                for k in range(rows.count())
            ]

        days = page.locator("#ranked-table thead th", has_text="Days gained")
        days.click()
        asc = [float(v) for v in column(5)]
        assert asc == sorted(asc) and asc[0] < asc[-1]
        days.click()
        desc = [float(v) for v in column(5)]
        assert desc == sorted(desc, reverse=True)
        page.select_option("#filter-action", "review now")
        n_now = int((ranked["suggested_action"] == "review now").sum())
        assert rows.count() == n_now > 0
        assert page.locator("#shown-count").inner_text() == f"{n_now} of {len(ranked)} shown"
        page.select_option("#filter-action", "not ranked")
        assert rows.count() == int(ranked["rank"].isna().sum()) == 4
        page.select_option("#filter-action", "")
        page.select_option("#filter-route", "parole_board")
        assert rows.count() == int((ranked["route"] == "parole_board").sum()) == 2
        assert all("Parole Board" in rows.nth(k).inner_text() for k in range(2))
        page.select_option("#filter-route", "")
        ref = ranked.at[len(ranked) // 2, "case_reference"]
        page.fill("#filter-text", ref.lower())
        assert rows.count() == 1 and rows.first.locator("td.ref").inner_text() == ref
        page.fill("#filter-text", "")
        assert rows.count() == len(ranked)
    assert [u for u in requests if not u.startswith("file://")] == []


def test_blank_page_fails_the_screenshot_check(tmp_path):
    """The screenshot check is able to fail: an empty page is caught."""
    from PIL import Image

    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    with chromium_page(tmp_path) as page:
        page.goto(blank.as_uri())
        shot = page.screenshot()
    img = Image.open(io.BytesIO(shot)).convert("L")
    hist = img.histogram()
    assert sum(hist[245:]) / sum(hist) >= 0.97
