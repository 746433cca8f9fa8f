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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.capture import CrawlPlan
from monitor.errors import CrawlError

SPIDER_NAME = "watch"
SCRAPY_SETTINGS_MODULE = "spiders.settings"


LOCAL_NODE = "local"


@dataclass(frozen=True)
class BatchResult:
    """How the crawl of some of a tick's targets ended, for the tick's books.

    Targets of the batch without a check fail with `why` (the local child, a finished
    Scrapyd job), or, when `requeue` is set (a lost node, a cancelled job), get a failed
    check saying why and go back to the queue for the next tick.
    """

    target_ids: tuple[str, ...]
    node: str
    why: str | None = None
    requeue: bool = False


def load_plan(arg: str) -> CrawlPlan:
    """The plan from a spider argument or setting: inline JSON text (Scrapyd) or a file path (local)."""
    if arg.lstrip().startswith("{"):
        return CrawlPlan.loads(arg)
    return CrawlPlan.load(Path(arg))


def crawl_settings(plan: CrawlPlan) -> dict[str, Any]:
    """The Scrapy settings a plan sets for its crawl, wherever the crawl runs."""
    return {
        "REGWATCH_ALLOW_PRIVATE_HOSTS": plan.allow_private_hosts,
        # The domain allowlist the URL guard re-checks every request against (monitor/urlguard.py).
        "REGWATCH_ALLOWED_DOMAINS": ",".join(plan.allowed_domains),
        "USER_AGENT": plan.user_agent,
        "CONCURRENT_REQUESTS_PER_DOMAIN": plan.concurrency_per_domain,
        "CONCURRENT_REQUESTS": max(16, plan.concurrency_per_domain * 4),
        "DOWNLOAD_DELAY": plan.download_delay,
        "AUTOTHROTTLE_START_DELAY": max(plan.download_delay, 0.01),
        "AUTOTHROTTLE_ENABLED": plan.download_delay > 0,
        "DOWNLOAD_TIMEOUT": plan.fetch_timeout,
        # Scrapy aborts larger bodies itself; the processor then records a failed check.
        "DOWNLOAD_MAXSIZE": plan.max_body_bytes,
    }


@dataclass(frozen=True)
class CrawlRun:
    """How a crawl child ended."""

    returncode: int
    timed_out: bool


_running: set[subprocess.Popen[bytes]] = set()
# A crawl child started ahead of its plan (prestart), waiting on its stdin for the plan's path.
_warm: subprocess.Popen[bytes] | None = None


def _spawn(arg: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE=SCRAPY_SETTINGS_MODULE)
    return subprocess.Popen([sys.executable, "-m", "monitor.crawl", arg], env=env, start_new_session=True,
                            stdin=subprocess.PIPE if arg == "-" else None)


def prestart() -> None:
    """Start the next crawl child now, so that it loads Scrapy while this process loads the rest
    and claims its targets (~0.9 s of a one-shot `regwatch check`). The next run_crawl hands it
    the plan; if none comes, it exits when this process ends (its stdin closes)."""
    global _warm
    if _warm is None:
        _warm = _spawn("-")


def _started(plan_path: Path) -> subprocess.Popen[bytes]:
    """The crawl child for a plan: the prestarted one if it is still waiting, else a new one."""
    global _warm
    proc, _warm = _warm, None
    if proc is not None and proc.stdin is not None and proc.poll() is None:
        try:
            proc.stdin.write(f"{plan_path}\n".encode())
            proc.stdin.close()
            return proc
        except BrokenPipeError:
            pass
    return _spawn(str(plan_path))


# How often the parent does its own work (delivering alerts) while a crawl runs.
POLL_SECONDS = 0.25


def run_crawl(plan: CrawlPlan, timeout: int, while_running: Callable[[], None] | None = None) -> CrawlRun:
    """Run the crawl child for `plan`; never raises for a failing child, reports it instead.

    The child's log goes to this process's stderr (one line per check at INFO). While it runs,
    `while_running` is called about every POLL_SECONDS (the tick delivers alerts meanwhile, so
    an alert does not wait for the whole batch).
    """
    with tempfile.TemporaryDirectory(prefix="regwatch-crawl-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        plan.dump(plan_path)
        proc = _started(plan_path)
        _running.add(proc)
        timed_out = False
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    proc.wait(timeout=min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        timed_out = True
                        os.killpg(proc.pid, signal.SIGKILL)
                        proc.wait()
                        break
                    if while_running is not None:
                        while_running()
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


def _warm_up() -> None:
    """Import Scrapy and the project's spider modules (Scrapy's spider loader, as a crawl will)."""
    from scrapy.crawler import CrawlerProcess  # noqa: F401
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    get_spider_loader(get_project_settings())


def _child(arg: str) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    if arg == "-":  # prestarted: load everything, then wait for the plan's path
        _warm_up()
        arg = sys.stdin.readline().strip()
        if not arg:
            return 0
    plan_path = Path(arg)
    plan = CrawlPlan.load(plan_path)
    settings = get_project_settings()
    settings.set("REGWATCH_PLAN", str(plan_path))
    for name, value in crawl_settings(plan).items():
        settings.set(name, value)
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
        raise SystemExit("usage: python -m monitor.crawl PLAN.json (or -: read its path from stdin)")
    try:
        sys.exit(_child(sys.argv[1]))
    except CrawlError as exc:
        print(f"crawl: {exc}", file=sys.stderr)
        sys.exit(1)
