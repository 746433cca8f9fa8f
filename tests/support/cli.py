"""Run the real `regwatch` CLI in a subprocess against a temporary workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Workspace:
    """A config folder, a SQLite file and the environment `regwatch` runs with."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def db(self) -> Path:
        return self.root / "regwatch.db"

    def write_targets(self, targets: list[dict[str, Any]]) -> None:
        (self.config / "targets.yaml").write_text(yaml.safe_dump({"targets": targets}), encoding="utf-8")

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "monitor", *args], cwd=self.root, env=self.env, capture_output=True,
            text=True, timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"regwatch {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


def make_workspace(root: Path, notify_urls: list[str] | None = None, **extra: str) -> Workspace:
    """A workspace with the shipped substances and the given notification URLs."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "substances.yaml").write_text(
        (ROOT / "config" / "substances.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGWATCH_")}
    env.update({
        "REGWATCH_DATABASE_URL": f"sqlite:///{root / 'regwatch.db'}",
        "REGWATCH_CONFIG_DIR": str(root / "config"),
        "REGWATCH_ALLOW_PRIVATE_HOSTS": "true",
        "REGWATCH_DOWNLOAD_DELAY": "0",
        "REGWATCH_FETCH_TIMEOUT": "5",
        "REGWATCH_BASE_URL": "http://regwatch.test",
        "REGWATCH_NOTIFY_URLS": " ".join(notify_urls or []),
        "PYTHONPATH": str(ROOT),
        **extra,
    })
    return Workspace(root, env)
