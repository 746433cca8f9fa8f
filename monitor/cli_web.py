"""`regwatch serve`, and the dashboard thread `regwatch run` starts beside its scheduler.

uvicorn runs in a background thread in both cases, so the main thread keeps one way of
stopping (SIGINT/SIGTERM set an event) whether the scheduler runs or not.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import click

from monitor.errors import RegwatchError
from monitor.runtime import Runtime, bootstrap

if TYPE_CHECKING:  # imported when serving, so other commands start without loading the web stack
    from fastapi import FastAPI

log = logging.getLogger("regwatch.web")
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

HOST_OPTION = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address the dashboard listens on (0.0.0.0 for every interface).")
PORT_OPTION = click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
                           help="Port the dashboard listens on (0 picks a free one).")


class WebServer:
    """uvicorn serving `app` in a thread; `start` returns once it listens, or raises."""

    def __init__(self, app: FastAPI, host: str, port: int):
        import uvicorn

        self.host = host
        # log_config=None: uvicorn's loggers propagate to the root logger regwatch configures.
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None,
                                                    lifespan="off", server_header=False))
        self.thread = threading.Thread(target=self.server.run, name="regwatch-web", daemon=True)

    @property
    def port(self) -> int:
        """The port actually bound (differs from the asked one when that was 0)."""
        sock = self.server.servers[0].sockets[0]
        return int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> WebServer:
        """Start serving; raise RegwatchError when the address cannot be bound."""
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RegwatchError(f"cannot serve the dashboard on {self.host}:{self.server.config.port} "
                                    "(address in use or not available; see the log above)")
            time.sleep(0.02)
        log.info("dashboard at %s", self.url)
        return self

    def stop(self) -> None:
        """Finish open requests and stop."""
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(STOP_TIMEOUT)


def app_for(rt: Runtime) -> FastAPI:
    """The dashboard over the runtime's store."""
    from monitor.web import create_app

    return create_app(rt.sessions, rt.settings)


@contextmanager
def serving(rt: Runtime, host: str, port: int) -> Iterator[WebServer]:
    """The dashboard served for the duration of the block (used by `regwatch run`)."""
    web = WebServer(app_for(rt), host, port).start()
    try:
        yield web
    finally:
        web.stop()


def wait_for_stop_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping (signal %s)", signum)
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stop.wait()


@click.command()
@HOST_OPTION
@PORT_OPTION
def serve(host: str, port: int) -> None:
    """Serve the dashboard, JSON API and feeds only (the scheduler runs in `regwatch run --no-web`)."""
    rt = bootstrap()
    logging.basicConfig(level=rt.settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    with serving(rt, host, port):
        wait_for_stop_signal()
    log.info("stopped")
