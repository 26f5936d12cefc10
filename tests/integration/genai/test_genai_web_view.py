"""The web view in headless Chromium (Debian's, driven by Playwright): trace list, waterfall with the critical path
highlighted, breakdown chart, per-tool table."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from genai_server import Server, retry_trace_json

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_web_view_shows_why_the_agent_was_slow(server: Server) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing (/usr/bin/chromium); scripts/bootstrap installs it")
    from playwright.sync_api import sync_playwright

    trace = "5" * 32
    status, _, _ = server.post("/v1/traces", json.dumps(retry_trace_json(trace)).encode(), "application/json")
    assert status == 200
    with tempfile.TemporaryDirectory(prefix="ferry-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            row = page.locator(f'tr.trace-row[data-trace-id="{trace}"]')
            row.wait_for(timeout=10_000)
            assert "45.00 s" in row.inner_text()
            row.click()
            page.wait_for_selector(f'body[data-shown="{trace}"]', timeout=10_000)
            assert "3 retries of tool search_web after timeout" in page.locator("#answer").inner_text()
            # waterfall: one row per span; the critical path marks every span it passes through
            assert page.locator("#waterfall .row").count() == 7
            critical = page.locator("#waterfall .row.critical")
            assert critical.count() == 7
            assert page.locator("#waterfall .cp").count() == 13
            retry_width = page.locator("#breakdown .seg-retry").evaluate("e => e.getBoundingClientRect().width")
            total_width = page.locator("#breakdown").evaluate("e => e.getBoundingClientRect().width")
            assert 0.8 < retry_width / total_width < 0.87  # 38 s of 45 s
            assert page.locator("#breakdown .seg-retry").get_attribute("data-ns") == str(38 * 10**9)
            tool_row = page.locator("#tools tr.tool-row")
            assert tool_row.count() == 1
            cells = tool_row.locator("td").all_inner_texts()
            assert cells[:3] == ["search_web", "4", "3"]
            assert errors == []
        finally:
            context.close()
