"""A farm of N watch targets on the loopback fixture server, for scale-out tests and benchmarks.

Every target has its own path; the mix cycles through fixture pages (two Category 2 tables
that agree on thymosin alpha-1, FDA's 503A hub), synthetic pages with and without the substance, a
bot-protection page and a missing page, so that a crawl of the farm produces baselines,
document events and failed checks, all independent of the order targets are checked in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import CONFIG, fixture_bytes
from tests.server_pages import page
from tests.support.server import FixtureServer

TA1 = "thymosin-alpha-1"


def _kind(i: int) -> tuple[str, str, bytes | None, str]:
    """(parser, mode, body, label) of target number i."""
    cycle = i % 10
    if cycle == 0:
        return "fda_category2_page", "ok", fixture_bytes("fda/category2-legacy-2024-06-ta1.html"), "cat2"
    if cycle == 1:
        return "fda_category2_page", "ok", fixture_bytes("fda/category2-hypothetical-ta1-both.html"), "cat2both"
    if cycle == 6:
        return "fda_page", "ok", fixture_bytes("fda/hub-503a.html"), "hub"
    if cycle == 2:
        return "fda_page", "bot", b"", "bot"
    if cycle == 3:
        return "fda_page", "missing", None, "404"
    if cycle in (4, 5):
        body = page(f"Compounding notice {i}", f"<p>Thymosin alpha-1 (Ta1) is discussed in notice {i}.</p>")
        return "fda_page", "ok", body, "mention"
    body = page(f"Compounding notice {i}", f"<p>Semaglutide and other substances, notice {i}.</p>")
    return "fda_page", "ok", body, "plain"


def farm_targets(server: FixtureServer, count: int) -> list[dict[str, Any]]:
    """`count` targets.yaml entries, their routes set on `server`."""
    targets = []
    for i in range(count):
        parser, mode, body, label = _kind(i)
        path = f"/farm/{i:05d}/{label}"
        if mode != "missing":
            server.set(path, body or b"")
            if mode != "ok":
                server.mode(path, mode)
        targets.append({"id": f"farm-{i:05d}", "name": f"Farm target {i} ({label})", "url": server.url(path),
                        "parser": parser, "every": "6h", "substances": [TA1]})
    return targets


def write_config(config_dir: Path, targets: list[dict[str, Any]]) -> None:
    """A config folder with the shipped substances and these targets."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "substances.yaml").write_text((CONFIG / "substances.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (config_dir / "targets.yaml").write_text(yaml.safe_dump({"targets": targets}), encoding="utf-8")


def farm_env(config_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """Settings for a runtime over the farm: loopback allowed, no delay, short timeouts."""
    return {
        "REGWATCH_DATABASE_URL": database_url,
        "REGWATCH_CONFIG_DIR": str(config_dir),
        "REGWATCH_ALLOW_PRIVATE_HOSTS": "true",
        "REGWATCH_DOWNLOAD_DELAY": "0",
        "REGWATCH_CONCURRENCY_PER_DOMAIN": "8",
        "REGWATCH_FETCH_TIMEOUT": "10",
        "REGWATCH_BASE_URL": "http://regwatch.test",
        **extra,
    }
