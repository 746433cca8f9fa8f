"""The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser download).

The app runs under uvicorn in a thread on 127.0.0.1 over a seeded store. Each page is loaded
at phone (375 px) and desktop (1280 px) width, checked for its key content, heading order,
horizontal overflow and text contrast, and screenshotted into test-artifacts/web/.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from monitor.cli_web import WebServer
from monitor.db import open_store
from tests.web.conftest import make_app
from tests.web.seed import CATS_URL, HOSTILE, HOSTILE_ERROR, TA1, Seeded, seed

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("RW_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (375, 1280)


@dataclass(frozen=True)
class Site:
    url: str
    seeded: Seeded


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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'regwatch.db'}"
    sessions = open_store(url)
    seeded = seed(sessions)
    web = WebServer(make_app(sessions, url), "127.0.0.1", 0).start()
    yield Site(web.url, seeded)
    web.stop()
    sessions.kw["bind"].dispose()


def _path(name: str, s: Seeded) -> str:
    return {"index": "/", "substance": f"/substances/{TA1}", "change": f"/changes/{s.change_id}",
            "sources": "/sources", "snapshot": f"/snapshots/{s.new_snapshot_id}", "missing": "/substances/nothing"}[name]


# page → (its h1, texts that must be visible)
PAGES: dict[str, tuple[str, list[str]]] = {
    "index": ("US compounding status", ["No active 503A compounding pathway", "Under FDA review",
                                        "Stale: this status may be out of date.",
                                        "In 503A Category 2 (significant safety risks)"]),
    "substance": ("Thymosin alpha-1", ["Timeline", "History by track", "What changed", "First reading"]),
    "change": ("What changed in 503A categories", ["Inline", "Side by side", "+1 line added", "Download text"]),
    "sources": ("Sources", ["FDA Category 2 safety-risk table", "Stale: failing for over three intervals", "Not checked yet"]),
    "snapshot": ("Stored copy: 503A categories", ["Download the text", "Examplorelin acetate"]),
    "missing": ("Not found", ["No substance with id 'nothing' is watched."]),
}

# WCAG AA: 4.5:1 for normal text, 3:1 for large (24 px, or 18.66 px bold). Backgrounds are composited
# up the ancestors over white.
CONTRAST_JS = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255};
    for (let i = layers.length - 1; i >= 0; i--) { const c = layers[i];
      base = {r: c.r * c.a + base.r * (1 - c.a), g: c.g * c.a + base.g * (1 - c.a), b: c.b * c.a + base.b * (1 - c.a)}; }
    return base; };
  const bad = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const st = getComputedStyle(el), box = el.getBoundingClientRect();
    if (st.visibility === "hidden" || box.width <= 1 || box.height <= 1) continue;
    const fg = parse(st.color), bg = background(el);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), large = size >= 24 || (parseInt(st.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5))
      bad.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}: ${node.textContent.trim().slice(0, 40)}`);
  }
  return bad;
}"""

STACKED_FIT_JS = "() => [...document.querySelectorAll('table.stack')].every(t => t.scrollWidth <= t.parentElement.clientWidth)"
HEADINGS_JS = "() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => Number(h.tagName[1]))"


def _open(browser: Browser, url: str, width: int, **context: object) -> tuple[Page, list[str]]:
    page = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US", **context).new_page()  # type: ignore[arg-type]
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: _console(msg, problems))
    page.on("dialog", lambda d: _dialog(d, problems))
    page.goto(url)
    return page, problems


def _console(msg: ConsoleMessage, problems: list[str]) -> None:
    # The 404 page's own status is logged as a failed load; anything else failing is a problem.
    if msg.type == "error" and not msg.location.get("url", "").endswith("/substances/nothing"):
        problems.append(f"console error: {msg.text} ({msg.location.get('url')})")


def _dialog(dialog: Dialog, problems: list[str]) -> None:
    problems.append(f"a script opened a dialog: {dialog.message}")
    dialog.dismiss()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_reads_well(browser: Browser, site: Site, name: str, width: int) -> None:
    heading, texts = PAGES[name]
    page, problems = _open(browser, site.url + _path(name, site.seeded), width)
    try:
        expect(page.locator("h1")).to_have_text(heading)
        for text in texts:
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        levels = page.evaluate(HEADINGS_JS)
        assert levels[0] == 1 and levels.count(1) == 1, levels
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"a heading level is skipped: {levels}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        # Only diffs may scroll inside their box; a stacked table must fit the phone.
        assert page.evaluate(STACKED_FIT_JS), f"a stacked table on {name} is wider than the screen at {width}px"
        assert page.evaluate(CONTRAST_JS) == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
        assert problems == []
    finally:
        page.context.close()


@pytest.mark.parametrize("name", ["index", "substance", "change", "sources", "snapshot"])
def test_scraped_markup_is_text_not_code(browser: Browser, site: Site, name: str) -> None:
    page, problems = _open(browser, site.url + _path(name, site.seeded), 1280)
    try:
        shown = HOSTILE_ERROR if name == "sources" else HOSTILE
        expect(page.get_by_text(shown, exact=False).first).to_be_visible()
        assert page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == ["/static/localtime.js"]
        assert page.locator("img").count() == 0
        assert page.locator("a[href^='javascript:' i]").count() == 0
        assert problems == []
    finally:
        page.context.close()


def test_times_show_in_the_viewers_zone_with_utc_on_hover(browser: Browser, site: Site) -> None:
    page, problems = _open(browser, site.url + "/", 1280, timezone_id="America/New_York")
    try:
        verified = page.locator(".verified time").first
        expect(verified).to_have_attribute("datetime", "2026-11-20T11:00:00Z")
        expect(verified).to_have_attribute("title", "2026-11-20 11:00 UTC")
        expect(verified).to_have_text("Nov 20, 2026, 06:00 AM EST")
        assert problems == []
    finally:
        page.context.close()


def test_pages_work_without_javascript(browser: Browser, site: Site) -> None:
    page, problems = _open(browser, site.url + "/", 375, java_script_enabled=False)
    try:
        expect(page.locator(".verified time").first).to_have_text("2026-11-20 11:00 UTC")
        expect(page.get_by_text("No active 503A compounding pathway")).to_be_visible()
        page.get_by_role("link", name="Timeline and history of Thymosin alpha-1").click()
        expect(page.locator("h1")).to_have_text("Thymosin alpha-1")
        page.get_by_role("link", name="What changed").first.click()
        expect(page.locator("#inline td.code mark").first).to_have_text("Examplorelin acetate")
        assert page.locator(".facts a").first.get_attribute("href") == CATS_URL
        assert problems == []
    finally:
        page.context.close()
