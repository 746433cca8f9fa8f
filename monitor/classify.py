"""Is this response the document we asked for? Bot walls and site-error pages often come as 2xx.

A response that fails here is a failed check, never a change (DESIGN.md, 'Rules that keep
alerts honest').
"""

from __future__ import annotations

import re

from monitor.errors import BadDocument, FetchFailed

_BOT_OR_ERROR = tuple(re.compile(p, re.I | re.M) for p in (
    r"fda internet site error",
    r"\baccess denied\b.*\breference #",
    r"you don'?t have permission to access",
    r"request unsuccessful\. incapsula",
    r"pardon our interruption",
    r"attention required! \| cloudflare",
    r"^just a moment\.\.\.$",
    r"please (verify|confirm) you are (a )?human",
    r"\bcaptcha\b.*\b(robot|human)\b|\b(robot|human)\b.*\bcaptcha\b",
    r"enable javascript and cookies to continue",
    r"the requested url was rejected\. please consult with your administrator",
    r"bot (protection|detection|check)",
))


def check_status(status: int) -> None:
    """HTTP ≥ 400 is a fetch failure (401/403 from a CDN is a bot wall, not removal)."""
    if status >= 400:
        hint = " (likely bot protection)" if status in (401, 403, 429) else ""
        raise FetchFailed(f"HTTP {status}{hint}")


def check_page(kind: str, title: str, text: str) -> None:
    """Raise BadDocument when an HTML page is a bot wall or an error page."""
    if kind != "html":
        return
    head = f"{title}\n{text[:3000]}"
    for pattern in _BOT_OR_ERROR:
        if pattern.search(head):
            raise BadDocument(f"bot-protection or site-error page (matched {pattern.pattern!r})")
    if not text.strip():
        raise BadDocument("HTML page with no text content")


_NETWORK_ERRORS = {
    "ResponseDataLossError": "truncated body: the connection closed before the declared length arrived",
    "DownloadTimeoutError": "timed out",
    "DownloadConnectionRefusedError": "connection refused",
    "ConnectionLost": "connection lost",
    "ResponseNeverReceived": "no response received",
    "DNSLookupError": "DNS lookup failed",
    "IgnoreRequest": "request refused",
}


# Twisted wraps causes as "[<twisted.python.failure.Failure twisted.internet.error.X: text>]".
_TWISTED_CAUSE = re.compile(r"<twisted\.python\.failure\.Failure [\w.]*?(\w+): ([^>]*)>")


def describe_failure(kind: str, message: str) -> str:
    """One readable line for a network-level failure the crawler reports."""
    plain = _NETWORK_ERRORS.get(kind)
    if not message or message == kind:
        return f"{kind}: {plain or 'network error'}"
    causes = _TWISTED_CAUSE.findall(message)
    if causes:
        message = "; ".join(f"{name}: {text.strip()}" for name, text in causes)
    return f"{kind}: {message}"
