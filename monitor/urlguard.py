"""SSRF guard: which URLs regwatch may fetch.

A URL must be http(s) with a host. Its host must be in the domain allowlist (when one is
set; subdomains included), and every address the host resolves to must be public: never
loopback, private, link-local, reserved, shared (CGNAT) or a cloud metadata endpoint.
`allow_private` (REGWATCH_ALLOW_PRIVATE_HOSTS, for tests and the demo) lifts the address
check, and lifts the allowlist for loopback and private hosts (IP literals and localhost):
a public host outside the allowlist stays refused.

The same check runs when a target is added or edited, and in the crawl for every request,
redirects included (spiders/middlewares.py).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.errors import FetchFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_ALLOWED_DOMAINS: tuple[str, ...] = (
    "fda.gov", "federalregister.gov", "ecfr.gov", "regulations.gov", "govinfo.gov",
)

# Instance-metadata endpoints of the big clouds: a fetch of these leaks credentials.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
    "169.254.170.2",  # AWS ECS task metadata
    "169.254.169.123",  # AWS time sync
    "168.63.129.16",  # Azure wire server
    "100.100.100.200",  # Alibaba Cloud
    "fd00:ec2::254",  # AWS over IPv6
    "fd00:ec2::23",  # AWS time sync over IPv6
))


def normalize_domain(text: str) -> str:
    """'https://WWW.FDA.gov/' or '.fda.gov' → 'www.fda.gov' / 'fda.gov'; ValueError when it is no domain."""
    value = text.strip().lower()
    if "//" in value:
        value = urlsplit(value).hostname or ""
    value = value.strip(".")
    labels = value.split(".")
    if not value or len(value) > 253 or len(labels) < 2 or any(
            not lab or len(lab) > 63 or not all(c.isalnum() or c == "-" for c in lab) for lab in labels):
        raise ValueError(f"{text!r} is not a domain name (e.g. fda.gov)")
    return value


def domain_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Whether `host` is one of the allowed domains or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in allowed)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or 6to4 IPv6 address (checks apply to it)."""
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.ipv4_mapped or ip.sixtofour or ip
    return ip


def refusal(ip: IPAddress) -> str | None:
    """Why an address may not be fetched from, or None for a public address."""
    ip = _embedded(ip)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_multicast or ip.is_unspecified or ip.is_link_local or ip.is_reserved or not ip.is_global:
        return "a private, link-local or reserved address"
    return None


def _is_local_name(host: str, literal: IPAddress | None) -> bool:
    if literal is not None:
        return refusal(literal) is not None
    return host == "localhost" or host.endswith(".localhost")


def check_url(url: str, allow_private: bool, allowed_domains: Sequence[str] = ()) -> None:
    """Raise FetchFailed unless `url` may be fetched (see the module docstring).

    An empty `allowed_domains` means no allowlist.
    """
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as exc:
        raise FetchFailed(f"refused {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise FetchFailed(f"refused {url!r}: only http(s) URLs with a host are fetched")
    literal = _literal(host)
    if allowed_domains and not domain_allowed(host, allowed_domains) \
            and not (allow_private and _is_local_name(host, literal)):
        raise FetchFailed(
            f"refused {url!r}: {host} is not in the domain allowlist ({', '.join(allowed_domains)}); "
            "an admin can change it with `regwatch allowlist`"
        )
    if allow_private:
        return
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchFailed(f"refused {url!r}: cannot resolve {host!r}: {exc}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for ip in addresses:
        why = refusal(ip)
        if why is not None:
            raise FetchFailed(
                f"refused {url!r}: {host} resolves to {ip}, {why} "
                "(set REGWATCH_ALLOW_PRIVATE_HOSTS=true to allow)"
            )
