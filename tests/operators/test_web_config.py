"""Substance and channel forms: they rewrite the YAML files the daemon loads, validated per field
and audit-logged; a saved channel URL never goes back to the browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitor.config import load_config
from monitor.models import AuditRow, SubstanceRow
from tests.operators.webapp import Site, log_in, make_site

SECRET_URL = "json://hook-user:s3cr3t-password@127.0.0.1:9000/regwatch?token=abc123"


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(site.app) as c:
        yield c


def _config(site: Site, name: str) -> Any:
    return yaml.safe_load((site.app.state.web.settings.config_dir / name).read_text(encoding="utf-8"))


def _audit(site: Site, entity: str) -> list[AuditRow]:
    with site.sessions() as s:
        return list(s.scalars(select(AuditRow).where(AuditRow.entity == entity).order_by(AuditRow.id)))


def test_substances_are_added_validated_and_edited(site: Site, client: TestClient) -> None:
    token = log_in(client)
    r = client.post("/manage/substances/new", data={"csrf": token, "id": "BPC 157", "name": "", "synonyms": ""})
    assert r.status_code == 400
    assert 'id="id-error"' in r.text and "is not a valid id" in r.text and 'id="name-error"' in r.text
    r = client.post("/manage/substances/new", data={"csrf": token, "id": "bpc-157", "name": "BPC-157",
                                                    "synonyms": "BPC 157\nbody protection compound-157",
                                                    "exclude": ""}, follow_redirects=False)
    assert r.status_code == 303
    entry = next(e for e in _config(site, "substances.yaml")["substances"] if e["id"] == "bpc-157")
    assert entry == {"id": "bpc-157", "name": "BPC-157", "synonyms": ["BPC 157", "body protection compound-157"]}
    with site.sessions() as s:
        assert s.get(SubstanceRow, "bpc-157") is not None
    client.post("/manage/substances/bpc-157", data={"csrf": token, "name": "BPC-157 (pentadecapeptide)",
                                                    "synonyms": "BPC 157", "exclude": "BPC-15"})
    load_config(site.app.state.web.settings.config_dir)  # the rewritten folder still loads
    (create, update) = _audit(site, "substance")
    assert (create.action, update.action, update.before["name"], update.after["exclude"]) == (
        "create", "update", "BPC-157", ["BPC-15"])
    assert "thymosin-alpha-1" in client.get("/manage/substances").text


def test_channel_urls_are_masked_once_saved_and_kept_on_edit(site: Site, client: TestClient) -> None:
    token = log_in(client)
    r = client.post("/manage/channels/new", data={"csrf": token, "name": "ops", "url": "", "url_env": "",
                                                  "events": ["status", "nonsense"]})
    assert r.status_code == 400 and 'id="events-error"' in r.text and "nonsense&#39; is not an event kind" in r.text
    r = client.post("/manage/channels/new", data={"csrf": token, "name": "ops", "url": "", "url_env": "",
                                                  "events": ["status"]})
    assert r.status_code == 400 and "give exactly one of" in r.text
    r = client.post("/manage/channels/new", data={"csrf": token, "name": "ops", "url": SECRET_URL,
                                                  "events": ["status", "source"], "substances": ["thymosin-alpha-1"]},
                    follow_redirects=False)
    assert r.status_code == 303
    for page in ("/manage/channels", "/manage/channels/ops", "/audit"):
        html = client.get(page).text
        assert "s3cr3t" not in html and "abc123" not in html and "hook-user" not in html, page
    assert "json://•••" in client.get("/manage/channels").text

    # An edit that leaves the URL empty keeps the saved one.
    r = client.post("/manage/channels/ops", data={"csrf": token, "url": "", "url_env": "",
                                                  "events": ["status", "source", "baseline"]}, follow_redirects=False)
    assert r.status_code == 303
    (channel,) = _config(site, "notifications.yaml")["channels"]
    assert channel["url"] == SECRET_URL and channel["events"] == ["status", "source", "baseline"]
    assert load_config(site.app.state.web.settings.config_dir).channels[0].url == SECRET_URL
    log = _audit(site, "channel")
    assert [a.action for a in log] == ["create", "update"]
    assert all("s3cr3t" not in str(a.before) + str(a.after) for a in log)

    client.post("/manage/channels/ops/delete", data={"csrf": token})
    assert _config(site, "notifications.yaml")["channels"] == []


def test_a_substance_a_target_watches_cannot_be_deleted(site: Site, client: TestClient) -> None:
    token = log_in(client)
    client.post("/manage/targets/new", data={"csrf": token, "id": "t", "name": "T", "url": "http://127.0.0.1:9/x",
                                             "parser": "fda_page", "every": "6h", "substances": ["thymosin-alpha-1"],
                                             "enabled": "on", "action": "save"})
    r = client.post("/manage/substances/thymosin-alpha-1/delete", data={"csrf": token})
    assert r.status_code == 409 and "still watched by target(s) t" in r.text
    assert any(e["id"] == "thymosin-alpha-1" for e in _config(site, "substances.yaml")["substances"])


def test_only_an_admin_changes_the_allowlist_and_it_applies_to_the_forms(tmp_path: Path) -> None:
    site = make_site(tmp_path, REGWATCH_ALLOW_PRIVATE_HOSTS="false")
    with TestClient(site.app) as operator, TestClient(site.app) as admin:
        token = log_in(operator)
        assert "fda.gov" in operator.get("/manage/allowlist").text
        r = operator.post("/manage/allowlist", data={"csrf": token, "domains": "example.org"})
        assert r.status_code == 403
        admin_token = log_in(admin, "adam")
        assert admin.post("/manage/allowlist", data={"domains": "example.org"}).status_code == 403  # no CSRF token
        r = admin.post("/manage/allowlist", data={"csrf": admin_token, "domains": "not a domain"})
        assert r.status_code == 400 and "is not a domain name" in r.text
        r = admin.post("/manage/allowlist", data={"csrf": admin_token, "domains": "fda.gov\nwww.ecfr.gov"},
                       follow_redirects=False)
        assert r.status_code == 303
        r = operator.post("/manage/targets/new", data={"csrf": token, "id": "fr", "name": "FR", "every": "6h",
                                                       "url": "https://www.federalregister.gov/api/v1/documents.json",
                                                       "parser": "federal_register", "action": "save"})
        assert r.status_code == 400 and "www.federalregister.gov is not in the domain allowlist (fda.gov, www.ecfr.gov)" \
            in r.text
    with site.sessions() as s:
        (change,) = s.scalars(select(AuditRow).where(AuditRow.entity == "setting"))
        assert (change.actor, change.after) == ("adam (web)", {"domains": ["fda.gov", "www.ecfr.gov"]})
