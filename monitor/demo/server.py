"""The demo's loopback web server: exact routes, prefix routes, and a switchable bot wall."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

BOT_WALL = (b"<!DOCTYPE html><html><head><title>Access Denied</title></head><body><h1>Access Denied</h1>"
            b"<p>You don't have permission to access this page on this server.</p><p>Reference #18.demo</p>"
            b"</body></html>")


class DemoServer:
    """Serves (body, content type) by exact path, else by the longest matching prefix."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.prefixes: dict[str, tuple[bytes, str]] = {}
        self.walled: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as production servers set it: without it the header and body segments
            # meet the client's delayed ACK and every response waits ~40 ms on loopback.
            disable_nagle_algorithm = True
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                found = server.lookup(self.path)
                if found is None:
                    body, ctype, status = b"not found", "text/plain", 404
                elif unquote(self.path) in {unquote(w) for w in server.walled}:
                    body, ctype, status = BOT_WALL, "text/html", 200
                else:
                    (body, ctype), status = found, 200
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True

    def lookup(self, path: str) -> tuple[bytes, str] | None:
        """The response for a path (compared unquoted: the crawler percent-encodes brackets)."""
        path = unquote(path)
        for key, value in self.routes.items():
            if unquote(key) == path:
                return value
        for prefix in sorted(self.prefixes, key=len, reverse=True):
            if path.startswith(prefix):
                return self.prefixes[prefix]
        return None

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> DemoServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
