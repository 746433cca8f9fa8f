"""Config validation: the shipped and example files load; each malformed file gets its own message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitor.config import load_channels, load_config
from monitor.errors import ConfigError
from tests.support.cli import make_workspace

ROOT = Path(__file__).resolve().parent.parent

GOOD_TARGET = """
  - id: t1
    name: Categories
    url: https://www.fda.gov/media/94155/download
    parser: fda_categories
    every: 6h
    substances: [thymosin-alpha-1]
"""

# (file, content, the message must contain all of these)
BAD = [
    ("targets.yaml", "targets:\n  - id: t1\n    name: x\n    url: ftp://x/y\n    parser: fda_categories\n",
     ["targets.yaml", "target 't1'", "url", "'ftp://x/y' is not an http(s) URL"]),
    ("targets.yaml", GOOD_TARGET.replace("fda_categories", "fda_cats").join(["targets:", ""]),
     ["target 't1'", "parser", "'fda_cats' is not a known parser; allowed: ", "fda_categories"]),
    ("targets.yaml", GOOD_TARGET.replace("every: 6h", "every: often").join(["targets:", ""]),
     ["target 't1'", "every", "'often' is not a duration; use a number and a unit"]),
    ("targets.yaml", GOOD_TARGET.replace("every: 6h", "every: 5s").join(["targets:", ""]),
     ["target 't1'", "every", "shorter than the minimum interval"]),
    ("targets.yaml", GOOD_TARGET.replace("[thymosin-alpha-1]", "[bpc-157]").join(["targets:", ""]),
     ["target 't1'", "substances", "'bpc-157' is not a known substance; allowed: thymosin-alpha-1"]),
    ("targets.yaml", (GOOD_TARGET + "    follow: ['(unclosed']\n").join(["targets:", ""]),
     ["target 't1'", "follow", "'(unclosed' is not a valid regular expression"]),
    ("targets.yaml", (GOOD_TARGET + "    colour: red\n").join(["targets:", ""]),
     ["target 't1'", "colour", "unknown key"]),
    ("targets.yaml", (GOOD_TARGET + "    options: {program: 504a}\n").join(["targets:", ""]),
     ["target 't1'", "options.program", "'504a'"]),
    ("targets.yaml", "targets:\n  - id: t1\n    url: https://www.fda.gov/x\n    parser: fda_categories\n",
     ["target 't1'", "name", "required key is missing"]),
    ("targets.yaml", (GOOD_TARGET * 2).join(["targets:", ""]), ["target 't1'", "duplicate id"]),
    ("targets.yaml", "targets:\n  - id: T 1\n", ["target 'T 1'", "id", "is not a valid id"]),
    ("targets.yaml", "targets: [\n", ["targets.yaml", "line", "not valid YAML"]),
    ("targets.yaml", "target: []\n", ["targets.yaml", "expected a mapping with the key 'targets'"]),
    ("targets.yaml", "targets:\n  - just a string\n", ["target #1", "expected a mapping"]),
    ("substances.yaml", "substances:\n  - id: ta1\n    synonyms: thymalfasin\n",
     ["substances.yaml", "substance 'ta1'", "name", "required key is missing"]),
    ("substances.yaml", "substances:\n  - id: ta1\n    name: Ta1\n    synonyms: 7\n",
     ["substance 'ta1'", "synonyms", "7"]),
    ("notifications.yaml", "channels:\n  - name: mail\n    url: json://x\n    events: [status, gossip]\n",
     ["notifications.yaml", "channel 'mail'", "events", "'gossip' is not an event kind; allowed: status, document"]),
    ("notifications.yaml", "channels:\n  - name: mail\n    events: [status]\n",
     ["channel 'mail'", "give exactly one of url or url_env"]),
]


def _config_dir(tmp_path: Path) -> Path:
    d = tmp_path / "config"
    d.mkdir()
    shutil.copy(ROOT / "config" / "substances.yaml", d / "substances.yaml")
    (d / "targets.yaml").write_text("targets:" + GOOD_TARGET, encoding="utf-8")
    return d


def test_shipped_config_loads() -> None:
    config = load_config(ROOT / "config")
    assert [s.id for s in config.substances] == ["thymosin-alpha-1"]
    assert any(t.enabled and t.parser == "fda_categories" for t in config.targets)


def test_example_notifications_file_loads() -> None:
    channels = load_channels(ROOT / "config" / "notifications.example.yaml", {"thymosin-alpha-1"}, {})
    assert [c.name for c in channels] == ["compliance-email", "ops-webhook"]


@pytest.mark.parametrize(("filename", "content", "expected"), BAD)
def test_malformed_config_names_file_entry_key_and_value(tmp_path: Path, filename: str, content: str,
                                                       expected: list[str]) -> None:
    d = _config_dir(tmp_path)
    (d / filename).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(d)
    for part in expected:
        assert part in str(info.value)


@pytest.mark.parametrize("command", [["check"], ["status"]])
def test_cli_stops_on_bad_config_with_one_line_and_exit_code_2(tmp_path: Path, command: list[str]) -> None:
    ws = make_workspace(tmp_path)
    (ws.config / "targets.yaml").write_text(GOOD_TARGET.replace("fda_categories", "fda_cats").join(["targets:", ""]))
    proc = ws.run(*command, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("regwatch: error: ") and "'fda_cats' is not a known parser" in lines[0]
    assert not ws.db.exists() or "Traceback" not in proc.stderr


def test_bad_setting_is_a_config_error(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, REGWATCH_TICK_SECONDS="soon")
    proc = ws.run("status", check=False)
    assert proc.returncode == 2
    assert "REGWATCH_TICK_SECONDS='soon' is not a whole number" in proc.stderr
