"""Loopback HTTP servers for tests: a switchable fixture server and a JSON webhook receiver."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_PAGE = (b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body>"
            b"<h1>Access Denied</h1><p>You don't have permission to access this page on this server.</p>"
            b"<p>Reference #18.4f1c2e17.1732200000.5b3c</p></body></html>")


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "ok"  # ok | 500 | 503 | 304 | hang | bot | reset | truncate | 403 | empty | redirect-loop
    # Bodies served once each, in order, before `body` (e.g. a half-served page, then the real one).
    queue: list[bytes] = field(default_factory=list)


class FixtureServer:
    """Serves routes on 127.0.0.1:<port> (random by default); tests switch versions and failure modes."""

    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as production servers set it: without it the header and body segments
            # meet the client's delayed ACK and every response waits ~40 ms on loopback.
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain")
                    return
                mode = route.mode
                if mode == "hang":
                    server._release.wait(30)
                    return
                if mode == "reset":
                    self._drop()
                    return
                if mode in ("500", "503", "403"):
                    extra = {"Retry-After": "120"} if mode == "503" else {}
                    self._send(int(mode), b"<html><body>Server error</body></html>", "text/html", extra)
                    return
                if mode == "empty":
                    self._send(200, b"", route.content_type)
                    return
                if mode == "redirect-loop":
                    self._send(302, b"", "text/html", {"Location": self.path})
                    return
                if mode == "bot":
                    self._send(200, BOT_PAGE, "text/html")
                    return
                if mode == "304" or (route.etag and self.headers.get("If-None-Match") == route.etag):
                    self.send_response(304)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body) * 2))
                    self.end_headers()
                    self.wfile.write(route.body)
                    self.wfile.flush()
                    self._drop()
                    return
                extra = dict(route.headers)
                if route.etag:
                    extra["ETag"] = route.etag
                body = route.queue.pop(0) if route.queue else route.body
                self._send(route.status, body, route.content_type, extra)

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return self.base + path

    def set(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", **kw: Any) -> None:
        """Serve `body` at `path` (replacing any earlier version)."""
        self.routes[path] = Route(body, content_type, **kw)

    def mode(self, path: str, mode: str) -> None:
        """Switch a route's failure mode."""
        self.routes[path].mode = mode

    def start(self) -> FixtureServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookReceiver:
    """Records every POST (JSON body and headers) it receives on 127.0.0.1."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as production servers set it: without it the header and body segments
            # meet the client's delayed ACK and every response waits ~40 ms on loopback.
            disable_nagle_algorithm = True
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if receiver.status == 200:
                    receiver.received.append({
                        "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                        "json": json.loads(raw or b"null"),
                    })
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def apprise_url(self) -> str:
        """The Apprise json:// URL that posts here."""
        return f"json://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
