"""The operator side of the dashboard, in-process over a real SQLite store: logins, CSRF, the login
rate limit, API tokens and roles, per-field form errors, optimistic version checks, the private
dashboard switch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.models import AuditRow, TargetRow
from tests.operators.webapp import PASSWORD, Site, csrf_of, log_in, make_site

URL = "http://127.0.0.1:9/media/94155/download"


def _form(**kw: Any) -> dict[str, Any]:
    base = {"id": "cats", "name": "FDA 503A categories", "url": URL, "parser": "fda_categories", "every": "6h",
            "substances": ["thymosin-alpha-1"], "options": "min_entries: 10", "follow": "", "enabled": "on",
            "action": "save"}
    return {**base, **kw}


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(site.app) as c:
        yield c


def _targets(site: Site) -> list[TargetRow]:
    with site.sessions() as s:
        return list(s.scalars(select(TargetRow)))


def _audit(site: Site) -> list[AuditRow]:
    with site.sessions() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.entity == "target").order_by(AuditRow.id)))


def test_a_form_post_without_a_valid_csrf_token_is_refused(site: Site, client: TestClient) -> None:
    token = log_in(client)
    for data in (_form(), _form(csrf="forged")):
        r = client.post("/manage/targets/new", data=data, follow_redirects=False)
        assert r.status_code == 403
        assert "no valid CSRF token" in r.text
    r = client.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert _targets(site) == [] and _audit(site) == []
    r = client.post("/manage/targets/new", data=_form(csrf=token), follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/manage/targets?saved=cats")
    assert [t.id for t in _targets(site)] == ["cats"]


def test_the_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"name": "olga", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/manage/targets/new"), ("post", "/manage/targets/new"), ("get", "/manage/targets/cats"),
    ("post", "/manage/targets/cats"), ("post", "/manage/targets/cats/disable"), ("post", "/manage/targets/cats/delete"),
    ("get", "/audit"),
])
def test_editing_while_logged_out_redirects_to_the_login_page(site: Site, client: TestClient, method: str,
                                                              path: str) -> None:
    r = client.request(method.upper(), path, data=_form() if method == "post" else None, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=" + path.replace("/", "%2F"))
    assert _targets(site) == []


def test_tokens_edit_by_role_and_a_viewer_token_cannot(site: Site, client: TestClient) -> None:
    entry = {"id": "cats", "name": "C", "url": URL, "parser": "fda_categories", "substances": ["thymosin-alpha-1"],
             "options": {"min_entries": 10}}
    bearer = {role: {"Authorization": f"Bearer {t}"} for role, t in site.tokens.items()}
    assert client.post("/api/targets", json=entry).status_code == 401
    assert client.post("/api/targets", json=entry, headers={"Authorization": "Bearer rw_wrong"}).status_code == 401
    r = client.post("/api/targets", json=entry, headers=bearer["viewer"])
    assert r.status_code == 403 and "vera is a viewer" in r.json()["detail"]
    created = client.post("/api/targets", json=entry, headers=bearer["operator"])
    assert created.status_code == 201
    version = created.json()["version"]
    for method, path, body in (("PATCH", "/api/targets/cats", {"every": "1d"}), ("POST", "/api/targets/cats/disable", None),
                               ("DELETE", "/api/targets/cats", None)):
        assert client.request(method, path, json=body, headers=bearer["viewer"]).status_code == 403
    assert client.get("/api/targets/cats", headers=bearer["viewer"]).json()["every"] == "6h"

    patched = client.patch("/api/targets/cats", json={"every": "1d"}, headers={**bearer["operator"], "If-Match": version})
    assert patched.status_code == 200 and patched.json()["every"] == "1d"
    stale = client.patch("/api/targets/cats", json={"every": "2d"}, headers={**bearer["admin"], "If-Match": version})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    bad = client.patch("/api/targets/cats", json={"every": "soon", "parser": "nope"}, headers=bearer["operator"])
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"every", "parser"}
    log = client.get("/api/audit", headers=bearer["viewer"]).json()
    assert [(e["actor"], e["action"], e["changed"]) for e in log][:2] == [
        ("olga (token)", "update", ["every"]), ("olga (token)", "create", sorted(log[1]["changed"]))]

    # A browser session is not a token: the editing API refuses it even for an operator.
    log_in(client)
    assert client.post("/api/targets/cats/disable").status_code == 403


def test_a_viewer_can_read_but_not_edit_in_the_browser(site: Site, client: TestClient) -> None:
    log_in(client, "vera")
    assert client.get("/manage/targets").status_code == 200
    assert "Add a target" not in client.get("/manage/targets").text
    assert client.get("/manage/targets/new").status_code == 403
    assert client.get("/audit").status_code == 200


def test_form_errors_are_shown_beside_each_field_and_nothing_is_saved(site: Site, client: TestClient) -> None:
    token = log_in(client)
    r = client.post("/manage/targets/new", data=_form(csrf=token, id="Bad Id", every="5s", parser="nope",
                                                      url="ftp://x", options="min_entries: [1"))
    assert r.status_code == 400
    assert 'id="options-error"' in r.text and "not valid YAML" in r.text
    r = client.post("/manage/targets/new", data=_form(csrf=token, id="Bad Id", every="5s", parser="nope", url="ftp://x"))
    assert r.status_code == 400
    for name, message in (("id", "is not a valid id"), ("every", "shorter than the minimum interval"),
                          ("parser", "is not a known parser"), ("url", "is not an http(s) URL")):
        start = r.text.index(f'id="{name}-error"')
        assert message in r.text[start:start + 300], name
        assert f'aria-describedby="{name}-error"' in r.text
    assert 'value="5s"' in r.text  # what was typed is kept
    assert _targets(site) == [] and _audit(site) == []


def test_metadata_and_unlisted_hosts_are_refused_by_the_form_without_the_setting(tmp_path: Path) -> None:
    site = make_site(tmp_path, REGWATCH_ALLOW_PRIVATE_HOSTS="false")
    with TestClient(site.app) as client:
        token = log_in(client)
        r = client.post("/manage/targets/new", data=_form(csrf=token, url="http://169.254.169.254/latest/meta-data/"))
        assert r.status_code == 400 and "169.254.169.254 is not in the domain allowlist" in r.text
        r = client.post("/manage/targets/new", data=_form(csrf=token, url="https://www.example.org/x"))
        assert r.status_code == 400 and "www.example.org is not in the domain allowlist" in r.text
    assert _targets(site) == []


def test_the_second_of_two_concurrent_edits_is_refused_and_nothing_is_lost(site: Site, client: TestClient) -> None:
    token = log_in(client)
    client.post("/manage/targets/new", data=_form(csrf=token))
    first = client.get("/manage/targets/cats").text
    version = first.split('name="version" value="')[1].split('"')[0]
    with TestClient(site.app) as other:
        other_token = log_in(other, "adam")
        r = other.post("/manage/targets/cats", data=_form(csrf=other_token, version=version, name="Adam's name"),
                       follow_redirects=False)
        assert r.status_code == 303
    r = client.post("/manage/targets/cats", data=_form(csrf=token, version=version, name="Olga's name"))
    assert r.status_code == 409
    assert "was changed by someone else since you opened it" in r.text
    assert "Olga&#39;s name" in r.text  # her input is still in the form to re-apply
    assert [t.name for t in _targets(site)] == ["Adam's name"]


def test_failed_logins_are_rate_limited(client: TestClient) -> None:
    for _ in range(5):
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"name": "olga", "password": "wrong one", "csrf": token})
        assert r.status_code == 401 and "Wrong user name or password" in r.text
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"name": "olga", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "Too many failed logins" in r.text


def test_session_cookie_flags_and_logout(site: Site, client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"name": "olga", "password": PASSWORD, "csrf": token, "next": "//evil.example/"},
                    follow_redirects=False)
    assert r.headers["location"] == "/manage/targets"  # never an open redirect
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("regwatch_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    sid = cookie.split(";")[0].split("=", 1)[1]
    csrf = csrf_of(client.get("/manage/targets").text)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("regwatch_session", sid)  # the old cookie no longer works
    assert client.get("/manage/targets", follow_redirects=False).status_code == 303


def test_cookies_are_secure_when_served_over_https(tmp_path: Path) -> None:
    site = make_site(tmp_path, REGWATCH_BASE_URL="https://regwatch.example.org")
    with TestClient(site.app, base_url="https://regwatch.example.org") as client:
        r = client.get("/login")
        assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_a_private_dashboard_needs_a_login_to_read(tmp_path: Path) -> None:
    site = make_site(tmp_path, REGWATCH_PUBLIC_DASHBOARD="false")
    with TestClient(site.app) as client:
        r = client.get("/", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2F")
        assert client.get("/api/status").status_code == 401
        assert client.get("/feed.atom").status_code == 401
        assert client.get("/healthz").status_code in (200, 503)
        assert client.get("/login").status_code == 200
        assert client.get("/api/status", headers={"Authorization": f"Bearer {site.tokens['viewer']}"}).status_code == 200
        log_in(client, "vera")
        assert client.get("/").status_code == 200
    with TestClient(make_site(tmp_path / "public").app) as client:
        assert client.get("/").status_code == 200 and client.get("/api/status").status_code == 200


def test_a_logged_in_page_is_never_served_to_anyone_else_from_the_cache(site: Site) -> None:
    with TestClient(site.app) as operator, TestClient(site.app) as anonymous:
        token = log_in(operator)
        mine = operator.get("/").text
        assert "Log out" in mine and token in mine
        theirs = anonymous.get("/").text
        assert "Log out" not in theirs and token not in theirs
        # And the other way round: a page cached for the public carries no one's token.
        assert token in operator.get("/").text
