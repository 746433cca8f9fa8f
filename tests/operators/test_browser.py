"""An operator's session in headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
log in → add a target → Test it (a real dry-run crawl of the loopback fixture server) → save →
see it in the audit log → log out. Screenshots go to test-artifacts/operators/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import func, select

from monitor.cli_web import WebServer
from monitor.models import CheckRow, DocumentRow, TargetRow
from tests.conftest import fixture_bytes
from tests.operators.webapp import PASSWORD, make_site
from tests.support.server import FixtureServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "operators"
CHROMIUM = os.environ.get("RW_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        reason = f"{CHROMIUM} is missing; `bash scripts/ci/chromium.sh` installs it (scripts/test.sh runs it)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run under CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.mark.slow
def test_log_in_add_test_save_audit_log_out(browser: Browser, tmp_path: Path, fixture_server: FixtureServer) -> None:
    fixture_server.set("/cats.pdf", fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), "application/pdf")
    site = make_site(tmp_path)
    web = WebServer(site.app, "127.0.0.1", 0).start()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    try:
        # Editing needs a login: the editor is sent to the login page and back.
        page.goto(web.url + "/manage/targets/new")
        expect(page.locator("h1")).to_have_text("Log in")
        page.get_by_label("User name").fill("olga")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("h1")).to_have_text("Add a target")

        page.get_by_label("Id", exact=True).fill("fda-503a-categories")
        page.get_by_label("Name", exact=True).fill("FDA 503A categories")
        page.get_by_label("URL", exact=True).fill(fixture_server.url("/cats.pdf"))
        page.get_by_label("Parser", exact=True).select_option("fda_categories")
        page.get_by_label("Check every").fill("6h")
        page.get_by_label("Thymosin alpha-1").check()
        page.get_by_label("Parser options").fill("min_entries: 10")

        page.get_by_role("button", name="Test (fetch now, save nothing)").click()
        result = page.locator(".preview")
        expect(result.get_by_role("heading", name="Test result")).to_be_visible(timeout=120_000)
        expect(result).to_contain_text("In 503A Category 2")
        expect(result).to_contain_text("would raise a baseline event")
        expect(result.locator(".evidence").first).to_contain_text("Thymosin Alpha-1")
        result.get_by_text("Extracted text").click()
        expect(result.locator(".extracted pre")).to_contain_text("Bulk Drug Substances Nominated")
        _shot(page, "target-test")
        with site.sessions() as s:  # the Test saved nothing
            assert s.scalar(select(func.count()).select_from(TargetRow)) == 0
            assert s.scalar(select(func.count()).select_from(DocumentRow)) == 0
            assert s.scalar(select(func.count()).select_from(CheckRow)) == 0

        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("h1")).to_have_text("Targets")
        expect(page.get_by_role("status")).to_have_text("Saved: fda-503a-categories.")
        row = page.locator("#target-fda-503a-categories")
        expect(row).to_contain_text("FDA 503A categories")
        expect(row).to_contain_text("Not checked yet")
        _shot(page, "targets")

        page.get_by_role("link", name="Audit", exact=True).click()
        entry = page.locator(".audit__entry").first
        expect(entry).to_contain_text("olga (web) create target fda-503a-categories")
        entry.get_by_text("Details").click()
        expect(entry.locator("pre")).to_contain_text(fixture_server.url("/cats.pdf"))
        _shot(page, "audit")

        page.get_by_role("button", name="Log out olga").click()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()
        page.goto(web.url + "/manage/targets/new")
        expect(page.locator("h1")).to_have_text("Log in")
        assert problems == []
    finally:
        page.close()
        web.stop()
        site.sessions.kw["bind"].dispose()
