"""SSRF guard: refuse URLs on loopback, private, link-local or metadata addresses unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from monitor.errors import FetchFailed


def _is_private(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified


def check_url(url: str, allow_private: bool) -> None:
    """Raise FetchFailed if `url` is not http(s) or resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(f"refused {url!r}: only http(s) URLs with a host are fetched")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchFailed(f"cannot resolve {parts.hostname!r}: {exc}") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if _is_private(ip):
            raise FetchFailed(
                f"refused {url!r}: {parts.hostname} resolves to non-public address {ip} "
                "(set REGWATCH_ALLOW_PRIVATE_HOSTS=true to allow)"
            )
