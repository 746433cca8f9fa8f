"""Loopback servers: the farm (a threaded HTTP server in its own process) and a JSON webhook receiver.

The farm runs in a child process (`python -m bench.server N`) so that serving pages never
competes with the driver's measuring thread for the GIL. It prints its port, then serves:
- the N targets at `farm.path_of(i)`, without ETag or Last-Modified (every tool downloads every page);
- ``POST /_farm/set?status=S&noise=V[&first=A&last=B]``: re-render targets A..B-1 at that version;
- ``GET /_farm/stats``: requests served so far, as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench import farm

ROOT = Path(__file__).resolve().parents[1]


class Farm:
    """The pages of N targets at their current versions."""

    def __init__(self, count: int) -> None:
        self.bodies = [farm.body_of(i) for i in range(count)]
        self.paths = {farm.path_of(i): i for i in range(count)}
        self.pages: list[tuple[bytes, str]] = [(b"", "")] * count
        self.requests = 0
        self.lock = threading.Lock()
        self.set(0, 0, 0, count)

    def set(self, status: int, noise: int, first: int, last: int) -> None:
        """Render targets first..last-1 at (status, noise)."""
        for i in range(first, min(last, len(self.bodies))):
            self.pages[i] = farm.render(i, self.bodies[i], status, noise)


def serve(count: int) -> None:
    """Run the farm on 127.0.0.1 (random port, printed on stdout) until stdin closes."""
    state = Farm(count)

    class Handler(BaseHTTPRequestHandler):
        # TCP_NODELAY, as production servers set it: without it the header and body segments
        # meet the client's delayed ACK and every response waits ~40 ms on loopback.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/_farm/stats":
                self._send(200, json.dumps({"requests": state.requests}).encode(), "application/json")
                return
            index = state.paths.get(self.path)
            if index is None:
                self._send(404, b"<html><body>Page Not Found</body></html>", "text/html")
                return
            with state.lock:
                state.requests += 1
            body, ctype = state.pages[index]
            self._send(200, body, ctype)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/_farm/set":
                self._send(404, b"", "text/plain")
                return
            q = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
            state.set(q.get("status", 0), q.get("noise", 0), q.get("first", 0), q.get("last", len(state.bodies)))
            self._send(200, b"ok", "text/plain")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(httpd.server_address[1], flush=True)
    sys.stdin.read()  # the driver closes our stdin (or dies): stop
    httpd.shutdown()


class FarmProcess:
    """The farm child, seen from the driver."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.server", str(count)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, index: int) -> str:
        """The absolute URL of target `index`."""
        return self.base + farm.path_of(index)

    def set(self, status: int, noise: int, first: int = 0, last: int | None = None) -> None:
        """Serve targets first..last-1 (default: all) at a version."""
        query = f"status={status}&noise={noise}&first={first}&last={self.count if last is None else last}"
        req = urllib.request.Request(f"{self.base}/_farm/set?{query}", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=600) as resp:
            resp.read()

    def scenario(self, name: str) -> None:
        """Serve every target as the scenario wants."""
        self.set(*farm.SCENARIOS[name])

    def requests(self) -> int:
        """Page requests served so far."""
        with urllib.request.urlopen(f"{self.base}/_farm/stats", timeout=30) as resp:
            return int(json.loads(resp.read())["requests"])

    def stop(self) -> None:
        """Stop the child."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class WebhookReceiver:
    """Records every POST (arrival time, headers, JSON body) on 127.0.0.1."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as production servers set it: without it the header and body segments
            # meet the client's delayed ACK and every response waits ~40 ms on loopback.
            disable_nagle_algorithm = True
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                at = time.time()
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append({"at": at, "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "json": json.loads(raw or b"null")})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def apprise_url(self) -> str:
        """The Apprise json:// URL that posts here."""
        return f"json://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def stop(self) -> None:
        """Stop listening."""
        self.httpd.shutdown()
        self.httpd.server_close()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
