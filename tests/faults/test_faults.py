"""Fault injection with a real crawl: every way a source can fail is a failed check with its reason,
never a status change; N failures raise one `source` event, recovery one more."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.conftest import fixture_bytes
from tests.support.cli import Workspace, make_workspace
from tests.support.server import FixtureServer, WebhookReceiver

PDF = "application/pdf"
CAT2_PAGE = "fda/category2-legacy-2024-06-ta1.html"


def _zip_bomb() -> bytes:
    """An XLSX-shaped archive whose one sheet unpacks to 50 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    return out.getvalue()


def _utf16_declared_utf8() -> bytes:
    return fixture_bytes(CAT2_PAGE).decode("utf-8").encode("utf-16-le")


# (mode, how the fault is served, a fragment of the recorded reason)
FAULTS: list[tuple[str, str, object, str]] = [
    ("http-500", "500", None, "HTTP 500"),
    ("http-503-retry-after", "503", None, "HTTP 503"),
    ("read-timeout", "hang", None, "DownloadTimeoutError"),
    ("connection-reset", "reset", None, "Connection was closed"),
    ("truncated-body", "truncate", None, "truncated body"),
    ("bot-page-200", "bot", None, "bot-protection or site-error page"),
    ("empty-200", "empty", None, "empty body"),
    ("garbage-pdf", "body", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF\n", "PDF"),
    ("zip-bomb-xlsx", "body", _zip_bomb, "zip bomb"),
    ("page-50-mb", "body", lambda: b"<html><body>" + b"x" * (50 * 1024 * 1024) + b"</body></html>", "size"),
    ("redirect-loop", "redirect-loop", None, "redirect"),
    ("wrong-charset", "charset", None, "category 2"),
]


def _targets(server: FixtureServer) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for name, mode, _body, _reason in FAULTS:
        html = mode == "charset"
        out.append({"id": name, "name": name, "url": server.url(f"/{name}"),
                    "parser": "fda_category2_page" if html else "fda_categories",
                    "every": "6h", "substances": ["thymosin-alpha-1"]})
    return out


def _serve_good(server: FixtureServer) -> None:
    for name, mode, _body, _reason in FAULTS:
        if mode == "charset":
            server.set(f"/{name}", fixture_bytes(CAT2_PAGE), "text/html; charset=utf-8")
        else:
            server.set(f"/{name}", fixture_bytes("categories/2023-09-29-ta1-cat2.txt", "pdf"), PDF)


def _break(server: FixtureServer) -> None:
    for name, mode, body, _reason in FAULTS:
        if mode == "body":
            server.set(f"/{name}", body() if callable(body) else body, PDF)  # type: ignore[arg-type]
        elif mode == "charset":
            server.set(f"/{name}", _utf16_declared_utf8(), "text/html; charset=utf-8")
        else:
            server.mode(f"/{name}", mode)


def _check_all(ws: Workspace) -> str:
    return ws.run("check", *[f[0] for f in FAULTS], timeout=300).stdout


@pytest.mark.slow
def test_every_fault_is_a_failed_check_with_its_reason_then_one_source_event_then_recovery(
        tmp_path: Path, fixture_server: FixtureServer, webhook: WebhookReceiver) -> None:
    ws = make_workspace(tmp_path, [webhook.apprise_url], REGWATCH_FETCH_TIMEOUT="2", REGWATCH_FAILURE_THRESHOLD="3")
    ws.write_targets(_targets(fixture_server))
    _serve_good(fixture_server)
    _check_all(ws)
    status_before = ws.json("status")
    assert {t["state"] for t in status_before["substances"][0]["tracks"]} == {"CAT2"}

    _break(fixture_server)
    for _ in range(3):
        _check_all(ws)
    wrong = []
    for name, _mode, _body, reason in FAULTS:
        shown = ws.json("targets", "show", name)
        if (shown["last_outcome"], shown["consecutive_failures"]) != ("failed", 3) \
                or reason.lower() not in (shown["last_error"] or "").lower():
            wrong.append((name, shown["last_outcome"], shown["consecutive_failures"], shown["last_error"]))
    assert wrong == []
    events = ws.json("events")
    assert [e for e in events if e["kind"] == "status"] == []
    failing = [e for e in events if e["kind"] == "source"]
    assert sorted(e["target"] for e in failing) == sorted(f[0] for f in FAULTS)
    assert all("failing since" in e["summary"] for e in failing)
    assert ws.json("status")["substances"] == status_before["substances"]

    # A fourth failure raises nothing more.
    _check_all(ws)
    assert len([e for e in ws.json("events") if e["kind"] == "source"]) == len(FAULTS)

    for name, *_ in FAULTS:
        fixture_server.mode(f"/{name}", "ok")
    _serve_good(fixture_server)
    _check_all(ws)
    recovered = [e for e in ws.json("events") if e["kind"] == "source" and "recovered" in e["summary"]]
    assert sorted(e["target"] for e in recovered) == sorted(f[0] for f in FAULTS)
    assert [e for e in ws.json("events") if e["kind"] == "status"] == []
    # Every source event reached the channel, once.
    assert len(webhook.wait_for(2 * len(FAULTS))) == 2 * len(FAULTS)
