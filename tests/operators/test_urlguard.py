"""The SSRF guard and the domain allowlist, as a table of URLs (no DNS beyond /etc/hosts)."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from monitor.errors import FetchFailed
from monitor.urlguard import DEFAULT_ALLOWED_DOMAINS, check_url, domain_allowed, normalize_domain
from spiders.middlewares import UrlGuardMiddleware

# (url, why it is refused) with no allowlist and REGWATCH_ALLOW_PRIVATE_HOSTS off.
REFUSED = [
    ("http://127.0.0.1/x", "a loopback address"),
    ("http://127.9.9.9:8080/x", "a loopback address"),
    ("http://10.0.0.1/", "a private, link-local or reserved address"),
    ("http://192.168.1.10/", "a private, link-local or reserved address"),
    ("http://172.16.5.4/", "a private, link-local or reserved address"),
    ("http://100.64.0.1/", "a private, link-local or reserved address"),  # shared (CGNAT) space
    ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("http://100.100.100.200/latest/meta-data/", "a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "a cloud metadata address"),
    ("http://[::1]/", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "a loopback address"),  # IPv4-mapped IPv6
    ("http://[fe80::1]/", "a private, link-local or reserved address"),
    ("http://0.0.0.0/", "a private, link-local or reserved address"),
    ("http://localhost:8000/", "a loopback address"),  # a name that resolves to loopback
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_non_public_addresses_are_refused_without_the_setting(url: str, why: str) -> None:
    with pytest.raises(FetchFailed, match=why) as exc:
        check_url(url, allow_private=False)
    assert "REGWATCH_ALLOW_PRIVATE_HOSTS" in str(exc.value)
    check_url(url, allow_private=True)  # the setting lifts the address check


@pytest.mark.parametrize("url", ["ftp://www.fda.gov/x", "file:///etc/passwd", "http:///nohost", "gopher://127.0.0.1/",
                                 "http://www.fda.gov:99999/"])
def test_only_http_urls_with_a_host_are_fetched(url: str) -> None:
    with pytest.raises(FetchFailed, match="refused"):
        check_url(url, allow_private=True)


ALLOWLIST = [
    # (host, allowed by the default allowlist)
    ("fda.gov", True),
    ("www.fda.gov", True),
    ("WWW.FDA.GOV.", True),
    ("www.accessdata.fda.gov", True),
    ("www.federalregister.gov", True),
    ("www.ecfr.gov", True),
    ("downloads.regulations.gov", True),
    ("www.govinfo.gov", True),
    ("evilfda.gov", False),
    ("fda.gov.evil.example", False),
    ("example.org", False),
    ("gov", False),
]


@pytest.mark.parametrize(("host", "allowed"), ALLOWLIST)
def test_the_default_allowlist_takes_subdomains_and_nothing_else(host: str, allowed: bool) -> None:
    assert domain_allowed(host, DEFAULT_ALLOWED_DOMAINS) is allowed


@pytest.mark.parametrize("url", ["http://example.org/", "https://fda.gov.evil.example/x", "http://10.0.0.1.nip.io/"])
def test_a_host_outside_the_allowlist_is_refused_before_any_lookup(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(FetchFailed, match="not in the domain allowlist"):
            check_url(url, allow_private, DEFAULT_ALLOWED_DOMAINS)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/x", "http://localhost:8080/x", "http://[::1]:8080/"])
def test_allowing_private_hosts_lifts_the_allowlist_for_loopback_only(url: str) -> None:
    check_url(url, True, DEFAULT_ALLOWED_DOMAINS)
    with pytest.raises(FetchFailed, match="not in the domain allowlist"):
        check_url(url, False, DEFAULT_ALLOWED_DOMAINS)


@pytest.mark.parametrize(("text", "domain"), [("fda.gov", "fda.gov"), (" .WWW.FDA.gov. ", "www.fda.gov"),
                                              ("https://www.ecfr.gov/current", "www.ecfr.gov")])
def test_domains_are_normalized(text: str, domain: str) -> None:
    assert normalize_domain(text) == domain


@pytest.mark.parametrize("text", ["", "fda gov", "bad_domain.gov", "-" * 64 + ".gov", "gov"])
def test_bad_domains_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a domain name"):
        normalize_domain(text)


@pytest.mark.parametrize(("url", "robots_of_approved", "refused"), [
    ("http://169.254.169.254/latest/meta-data/", False, True),
    # A robots.txt request for an address never approved is checked like any other.
    ("http://169.254.169.254/robots.txt", False, True),
    ("http://127.0.0.1/robots.txt", True, False),
])
def test_the_crawl_middleware_refuses_what_the_guard_refuses(url: str, robots_of_approved: bool, refused: bool) -> None:
    guard = UrlGuardMiddleware(allow_private=False)
    if robots_of_approved:
        guard.approved.add("127.0.0.1")
    request = Request(url, meta={"dont_obey_robotstxt": True} if url.endswith("robots.txt") else {})
    if refused:
        with pytest.raises(IgnoreRequest, match="refused"):
            guard.process_request(request)
    else:
        assert guard.process_request(request) is None


@pytest.mark.parametrize(("location", "domains", "why"), [
    ("http://127.0.0.1:8080/admin", "", "a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "", "a cloud metadata address"),
    ("http://[::1]/", "", "a loopback address"),
    ("http://localhost/", "", "a loopback address"),
    ("http://10.0.0.1/", "", "a private, link-local or reserved address"),
    ("http://files.example.org/list.pdf", ",".join(DEFAULT_ALLOWED_DOMAINS), "not in the domain allowlist"),
    ("http://127.0.0.1/", ",".join(DEFAULT_ALLOWED_DOMAINS), "not in the domain allowlist"),
])
def test_a_redirect_from_an_allowed_host_is_checked_again(location: str, domains: str, why: str) -> None:
    """Scrapy's RedirectMiddleware turns a 302 from fda.gov into a new request, which meets the guard
    again (the crawl passes every request, redirects included, through the downloader middlewares)."""
    crawler = get_crawler(settings_dict={"REGWATCH_ALLOWED_DOMAINS": domains})
    guard = UrlGuardMiddleware.from_crawler(crawler)
    request = Request("https://www.fda.gov/media/94155/download")
    response = HtmlResponse(request.url, status=302, headers={"Location": location}, request=request)
    followed = RedirectMiddleware.from_crawler(crawler).process_response(request, response)
    assert isinstance(followed, Request) and followed.url == location
    with pytest.raises(IgnoreRequest, match=why):
        guard.process_request(followed)
