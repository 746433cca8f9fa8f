"""`regwatch run`: the APScheduler daemon (tick + outbox retry), reloading config on change."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.crawl import terminate_running
from monitor.errors import ConfigError
from monitor.heartbeat import SCHEDULER, beat
from monitor.notify import Notifier
from monitor.runtime import Runtime, config_mtime, utcnow
from monitor.tick import deliver, run_tick

log = logging.getLogger("regwatch.daemon")
RETRY_SECONDS = 60


class Daemon:
    """Ticks every REGWATCH_TICK_SECONDS, retries deliveries every minute, stops on SIGINT/SIGTERM."""

    def __init__(self, rt: Runtime, notifier: Notifier):
        self.rt = rt
        self.notifier = notifier
        self.stop_event = threading.Event()
        self._mtime = config_mtime(rt.settings.config_dir)
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})

    def _maybe_reload(self) -> None:
        mtime = config_mtime(self.rt.settings.config_dir)
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            self.rt.reload()
            log.info("config reloaded from %s", self.rt.settings.config_dir)
        except ConfigError as exc:
            log.error("config reload failed, keeping the last good config: %s", exc)

    def tick(self) -> None:
        """One scheduled tick; errors are logged, never kill the scheduler."""
        try:
            self._maybe_reload()
            report = run_tick(self.rt, self.notifier)
            if report.crawl_failed:
                log.error("tick: %s", report.crawl_failed)
        except Exception:
            log.exception("tick failed")

    def heartbeat(self) -> None:
        """Record that the scheduler is alive (read by /healthz); runs beside a long tick, not after it."""
        try:
            with self.rt.sessions.begin() as s:
                beat(s, SCHEDULER, utcnow(), self.rt.settings.tick_seconds)
        except Exception:
            log.exception("heartbeat failed")

    def retry(self) -> None:
        """Deliver outbox rows whose backoff has passed."""
        try:
            deliver(self.rt, self.notifier)
        except Exception:
            log.exception("delivery retry failed")

    def run(self) -> None:
        """Run until SIGINT/SIGTERM."""
        self.scheduler.add_job(self.tick, "interval", seconds=self.rt.settings.tick_seconds, id="tick",
                               next_run_time=_soon())
        self.scheduler.add_job(self.retry, "interval", seconds=RETRY_SECONDS, id="deliveries")
        self.scheduler.add_job(self.heartbeat, "interval", seconds=self.rt.settings.tick_seconds, id="heartbeat",
                               next_run_time=_soon())

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping (signal %s)", signum)
            self.stop_event.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        self.scheduler.start()
        log.info("regwatch running: tick every %ss, database %s", self.rt.settings.tick_seconds,
                 self.rt.sessions.kw["bind"].url.render_as_string(hide_password=True))
        self.stop_event.wait()
        terminate_running()
        self.scheduler.shutdown(wait=True)
        log.info("stopped")


def _soon() -> object:
    from datetime import UTC, datetime
    return datetime.now(UTC)
