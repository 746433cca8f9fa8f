"""Target editing through the real `regwatch` CLI (a subprocess on a real SQLite file): every
change validated like YAML import, audit-logged with before and after, idempotent import."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.cli_targets import import_file
from monitor.errors import ConfigError
from monitor.runtime import bootstrap
from tests.support.cli import Workspace, make_workspace

TA1 = "thymosin-alpha-1"
URL = "http://127.0.0.1:9/media/94155/download"  # never fetched here


def _entry(tid: str = "cats", **kw: Any) -> dict[str, Any]:
    return {"id": tid, "name": "FDA 503A categories", "url": URL, "parser": "fda_categories", "every": "6h",
            "substances": [TA1], "options": {"min_entries": 10}, **kw}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = make_workspace(tmp_path)
    ws.write_targets([])
    return ws


def _rows(ws: Workspace, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(ws.db) as conn:
        return conn.execute(sql).fetchall()


def test_add_edit_disable_enable_export_import_remove_round_trip(ws: Workspace) -> None:
    added = ws.json("targets", "add", "cats", "--name", "FDA 503A categories", "--url", URL, "--parser",
                    "fda_categories", "--substance", TA1, "--option", "min_entries=10")
    assert (added["id"], added["enabled"], added["options"]) == ("cats", True, {"min_entries": 10})
    edited = ws.json("targets", "edit", "cats", "--every", "12h", "--name", "Categories", "--if-version", added["version"])
    assert (edited["every"], edited["name"]) == ("12h", "Categories") and edited["version"] != added["version"]
    assert ws.json("targets", "disable", "cats")["enabled"] is False
    enabled = ws.json("targets", "enable", "cats")
    assert enabled["enabled"] is True

    exported = ws.run("targets", "export", str(ws.root / "out.yaml")).stdout
    assert exported == ""
    again = ws.json("targets", "import", str(ws.root / "out.yaml"))
    assert (again["created"], again["updated"], again["unchanged"]) == ([], [], ["cats"])

    assert "removed target cats" in ws.run("targets", "remove", "cats", "--yes").stdout
    assert ws.json("targets", "list") == []

    log = ws.json("audit")
    assert [(e["action"], e["entity"], e["entity_id"]) for e in reversed(log)] == [
        ("create", "target", "cats"), ("update", "target", "cats"), ("disable", "target", "cats"),
        ("enable", "target", "cats"), ("delete", "target", "cats")]
    create, update, disable, enable, delete = reversed(log)
    assert all(e["actor"].startswith("cli") and e["at"] for e in log)
    assert create["before"] is None and create["after"]["url"] == URL
    assert update["changed"] == ["every", "name"]
    assert (update["before"]["every"], update["after"]["every"]) == ("6h", "12h")
    assert (disable["before"]["enabled"], disable["after"]["enabled"]) == (True, False)
    assert (enable["before"]["enabled"], enable["after"]["enabled"]) == (False, True)
    assert delete["after"] is None and delete["before"]["name"] == "Categories"


def test_a_stale_version_is_refused_and_nothing_is_lost(ws: Workspace) -> None:
    first = ws.json("targets", "add", "cats", "--name", "A", "--url", URL, "--parser", "fda_categories",
                    "--substance", TA1, "--option", "min_entries=10")
    ws.json("targets", "edit", "cats", "--name", "Saved by the first operator", "--if-version", first["version"])
    late = ws.run("targets", "edit", "cats", "--name", "Second operator", "--if-version", first["version"], check=False)
    assert late.returncode == 5
    assert "was changed by someone else since you opened it" in late.stderr and "nothing was saved" in late.stderr
    assert _rows(ws, "SELECT name FROM targets") == [("Saved by the first operator",)]
    assert _rows(ws, "SELECT action FROM audit_log ORDER BY id") == [("create",), ("update",)]


def test_invalid_edits_name_each_field_and_change_nothing(ws: Workspace) -> None:
    ws.json("targets", "add", "cats", "--name", "A", "--url", URL, "--parser", "fda_categories",
            "--substance", TA1, "--option", "min_entries=10")
    before = _rows(ws, "SELECT * FROM targets")
    proc = ws.run("targets", "edit", "cats", "--parser", "fda_cat", "--every", "5s", "--name", " ", check=False)
    assert proc.returncode == 2
    for message in ("target 'cats': ", "parser: 'fda_cat' is not a known parser; allowed: ",
                    "every: '5s' is shorter than the minimum interval", "name: "):
        assert message in proc.stderr
    proc = ws.run("targets", "add", "cats", "--name", "x", "--url", URL, "--parser", "fda_categories", check=False)
    assert proc.returncode == 2 and "id: a target with id 'cats' already exists" in proc.stderr
    assert _rows(ws, "SELECT * FROM targets") == before
    assert _rows(ws, "SELECT action FROM audit_log") == [("create",)]


def _write(path: Path, entries: list[dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump({"targets": entries}), encoding="utf-8")


def test_import_is_idempotent_and_reports_created_updated_unchanged(ws: Workspace) -> None:
    path = ws.root / "batch.yaml"  # not config/targets.yaml: that one seeds an empty database
    _write(path, [_entry("a"), _entry("b")])
    first = ws.json("targets", "import", str(path))
    assert (sorted(first["created"]), first["updated"], first["unchanged"]) == (["a", "b"], [], [])

    _write(path, [_entry("a"), _entry("b", every="1d"), _entry("c")])
    dry = ws.json("targets", "import", str(path), "--dry-run")
    assert (dry["dry_run"], dry["created"], dry["updated"], dry["unchanged"]) == (True, ["c"], ["b"], ["a"])
    assert [t["id"] for t in ws.json("targets", "list")] == ["a", "b"]
    assert ws.json("targets", "show", "b")["every"] == "6h"
    audit_before = ws.json("audit")

    out = ws.run("targets", "import", str(path)).stdout
    assert "1 created, 1 updated, 1 unchanged" in out
    out = ws.run("targets", "import", str(path)).stdout
    assert "0 created, 0 updated, 3 unchanged" in out
    log = ws.json("audit")
    assert len(log) == len(audit_before) + 2
    update = next(e for e in log if e["action"] == "update")
    assert (update["entity_id"], update["changed"], update["after"]["every"]) == ("b", ["every"], "1d")


BAD_ENTRIES = [
    ({"parser": "fda_cat"}, "parser: 'fda_cat' is not a known parser"),
    ({"every": "often"}, "every: 'often' is not a duration"),
    ({"substances": ["tb-500"]}, "substances: 'tb-500' is not a known substance"),
    ({"options": {"min_entries": "many"}}, "options.min_entries: 'many'"),
    ({"url": "ftp://www.fda.gov/x"}, "url: 'ftp://www.fda.gov/x' is not an http(s) URL"),
    ({"colour": "red"}, "colour: unknown key"),
]


def test_a_file_with_one_bad_entry_changes_nothing_and_names_entry_and_key(ws: Workspace) -> None:
    path = ws.root / "batch.yaml"
    for bad, message in BAD_ENTRIES:
        _write(path, [_entry("good"), _entry("broken", **bad)])
        # The command's own code, in this process: a subprocess per case would be slow.
        with pytest.raises(ConfigError) as exc:
            import_file(bootstrap(ws.env), path, dry_run_only=False)
        assert f"{path}: target 'broken': {message}" in str(exc.value)
    proc = ws.run("targets", "import", str(path), check=False)
    assert proc.returncode == 2 and f"regwatch: error: {path}: target 'broken': {message}" in proc.stderr
    assert _rows(ws, "SELECT id FROM targets") == [] and _rows(ws, "SELECT id FROM audit_log") == []


def test_users_and_tokens_from_the_cli(ws: Workspace) -> None:
    proc = ws.run("users", "add", "olga", "--role", "admin", "--password-stdin", check=False)
    assert proc.returncode == 2 and "no password" in proc.stderr  # empty standard input
    done = subprocess.run([sys.executable, "-m", "monitor", "users", "add", "olga", "--role", "admin",
                           "--password-stdin"], input="a long enough password\n", cwd=ws.root, env=ws.env,
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "added admin olga"
    token = ws.run("users", "token", "olga").stdout.strip()
    assert token.startswith("rw_") and len(token) > 40
    (user,) = ws.json("users", "list")
    assert (user["name"], user["role"], user["has_token"]) == ("olga", "admin", True)
    (hashed,) = _rows(ws, "SELECT password_hash, token_hash FROM users")
    assert hashed[0].startswith("$argon2id$") and token not in hashed[1]
    log = ws.json("audit")
    assert [(e["action"], e["entity"]) for e in log] == [("token", "user"), ("create", "user")]
    assert "password" not in str(log) and token not in str(log)
