"""Run one Scrapy crawl for a batch of targets in a child process, with a timeout.

The parent writes a CrawlPlan, starts ``python -m monitor.crawl PLAN`` in its own process
group and kills the group on timeout. A child process keeps the daemon immune to
reactor restarts, leaks and hangs. monitor names the spider and settings by string and
never imports spiders/.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from monitor.capture import CrawlPlan
from monitor.errors import CrawlError

SPIDER_NAME = "watch"
SCRAPY_SETTINGS_MODULE = "spiders.settings"


@dataclass(frozen=True)
class CrawlRun:
    """How a crawl child ended."""

    returncode: int
    timed_out: bool


_running: set[subprocess.Popen[bytes]] = set()


def run_crawl(plan: CrawlPlan, timeout: int) -> CrawlRun:
    """Run the crawl child for `plan`; never raises for a failing child, reports it instead.

    The child's log goes to this process's stderr (one line per check at INFO).
    """
    with tempfile.TemporaryDirectory(prefix="regwatch-crawl-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan.dump(plan_path)
        env = dict(os.environ, SCRAPY_SETTINGS_MODULE=SCRAPY_SETTINGS_MODULE)
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.crawl", str(plan_path)], env=env, start_new_session=True,
        )
        _running.add(proc)
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            _running.discard(proc)
    return CrawlRun(proc.returncode, timed_out)


def terminate_running() -> None:
    """Kill every crawl child still running (daemon shutdown); their targets fail cleanly next time."""
    for proc in list(_running):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)


def _keep(record: logging.LogRecord) -> bool:
    """Scrapy's chatter off: its retry/robots errors become our failed-check lines anyway.
    Errors from the engine and the pipeline (possible bugs) stay visible."""
    if record.name.startswith("regwatch"):
        return True
    if record.name.startswith(("scrapy.downloadermiddlewares", "twisted", "py.warnings", "asyncio")):
        return False
    return record.levelno >= logging.ERROR


def _child(plan_path: Path) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    plan = CrawlPlan.load(plan_path)
    settings = get_project_settings()
    settings.set("REGWATCH_PLAN", str(plan_path))
    settings.set("REGWATCH_ALLOW_PRIVATE_HOSTS", plan.allow_private_hosts)
    settings.set("USER_AGENT", plan.user_agent)
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", plan.concurrency_per_domain)
    settings.set("CONCURRENT_REQUESTS", max(16, plan.concurrency_per_domain * 4))
    settings.set("DOWNLOAD_DELAY", plan.download_delay)
    settings.set("AUTOTHROTTLE_START_DELAY", max(plan.download_delay, 0.01))
    settings.set("AUTOTHROTTLE_ENABLED", plan.download_delay > 0)
    settings.set("DOWNLOAD_TIMEOUT", plan.fetch_timeout)
    # Scrapy aborts larger bodies itself; the processor then records a failed check.
    settings.set("DOWNLOAD_MAXSIZE", plan.max_body_bytes)
    settings.set("LOG_INSTALL_ROOT_HANDLER", False)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_keep)
    logging.root.addHandler(handler)
    process = CrawlerProcess(settings)
    logging.getLogger("regwatch").setLevel(plan.log_level)
    process.crawl(SPIDER_NAME, plan=str(plan_path))
    process.start()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m monitor.crawl PLAN.json")
    try:
        sys.exit(_child(Path(sys.argv[1])))
    except CrawlError as exc:
        print(f"crawl: {exc}", file=sys.stderr)
        sys.exit(1)
