"""Shared headless-Chromium launch for tests that open generated HTML (the demo's index.html,
the practitioner report). Uses the system Chromium (Debian package `chromium`, installed by
.ci/run) through Playwright, with a fresh profile each time and no network side traffic.

Usage::

    from browser import chromium_page, require_chromium  # tests/ is on sys.path under pytest

    def test_x(tmp_path):
        require_chromium()
        with chromium_page(tmp_path) as page:
            page.goto(path.as_uri())
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip (with the reason and the fix) when no Chromium or Playwright is available; CI
    installs both (.ci/run), so there the test always runs."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)")
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")


@contextmanager
def chromium_page(tmp_path: Path) -> Iterator:
    """A Playwright page in a fresh headless Chromium; closed on exit."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield ctx.new_page()
        finally:
            ctx.close()


def broken_links_and_images(page, base: Path) -> list[str]:
    """Every ``a[href]`` and ``img[src]`` on the page that does not resolve: local files must
    exist under ``base``; images must have decoded (naturalWidth > 0)."""
    problems = []
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for h in hrefs:
        if h.startswith(("http://", "https://", "#", "mailto:")):
            continue
        if not (base / h).exists():
            problems.append(f"link {h}: no such file")
    imgs = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])"
    )
    for src, complete, width in imgs:
        if not (base / src).exists():
            problems.append(f"image {src}: no such file")
        elif not complete or width == 0:
            problems.append(f"image {src}: did not load")
    return problems
