"""Docs a test keeps honest: every setting and every config key is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import Channel, Substance, Target
from monitor.parsers import PARSERS
from monitor.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC


@pytest.mark.parametrize(("model", "key"), [(m, k) for m in (Substance, Target, Channel) for k in m.model_fields])
def test_every_config_key_is_documented(model: type, key: str) -> None:
    assert f"| `{key}` |" in DOC, f"{model.__name__}.{key} is not in docs/configuration.md"


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_parser_and_option_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{name}` |"))
    for option in PARSERS[name].options.model_fields:
        assert f"`{option}" in row, f"option {option} of {name} missing"


def test_readme_commands_are_the_ci_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
