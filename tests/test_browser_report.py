"""The HTML report in a real headless Chromium (Playwright): loads without console errors,
shows the first case and its reasons, makes no network requests, and is not blank."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from browser import chromium_page, require_chromium  # the shared launch (tests/browser.py)


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
    import pandas as pd

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
