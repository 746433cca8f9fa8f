"""`federal_register`: a Federal Register documents.json query and the text of each document it lists.

The target URL is a `documents.json` query (DOMAIN.md §2.5). Its answer is JSON with
`count` (always), `results[]` (absent altogether when count is 0: a valid, empty reading)
and `next_page_url`. Each result naming a watched substance becomes a DocumentMention
keyed by its document number. A term query is a full-text search, so a result whose
title, abstract and search excerpt do not name the substance still counts (FR matched
it in the body) and is quoted by its title; the document's own text, fetched through
`derive`, then gives the real context. For other queries (`term_query: false`: the part
216 rules query, the PCAC notices query) only an actual mention in the title, abstract
or excerpt counts.

`derive` follows `next_page_url` (up to `max_pages`) and each result's `raw_text_url`;
those texts are read by `monitor.parsers.fr_document`.

Nothing read here depends on the cache-busting keys in VOLATILE_KEYS.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from pydantic import Field

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher, context
from monitor.parsers.base import Document, DocumentMention, ParseResult, ParserOptions
from monitor.parsers.fr_document import parse_text

# Keys of an FR API answer that change without the document changing: they must be dropped
# from the JSON before it is hashed (public_inspection_pdf_url carries a `?<timestamp>`
# cache-buster; page_views and regulations_dot_gov_info are counters with check times).
VOLATILE_KEYS: Final[frozenset[str]] = frozenset({"public_inspection_pdf_url", "page_views", "regulations_dot_gov_info"})

# The API hands out absolute URLs on its own host; they are re-rooted on the host that was
# actually queried, so a mirror or a loopback fixture server sees its own URLs.
_FR_HOSTS: Final = ("federalregister.gov", "www.federalregister.gov")
_TAG = re.compile(r"<[^>]+>")
_DOC_NUMBER = re.compile(r"^\d{4}-\d{4,6}$")


class FederalRegisterOptions(ParserOptions):
    """Options of `federal_register`."""

    # False for queries that are not a substance term search (rules in part 216, PCAC notices):
    # then a result counts only when its title, abstract or excerpt names the substance.
    term_query: bool = True
    # Pages of results to follow through next_page_url (the target URL is page 1).
    max_pages: int = Field(default=5, ge=1, le=50)
    # Fetch each result's raw_text_url for the evidence quote, PCAC agenda and rulemaking readings.
    follow_text: bool = True


def _plain(value: object) -> str:
    """A result field as plain text: search highlights (<span class="match">) and entities removed."""
    if isinstance(value, list):
        value = " … ".join(str(v) for v in value if v)
    if not isinstance(value, str):
        return ""
    return " ".join(html.unescape(_TAG.sub("", value)).split())


def _query_answer(doc: Document) -> tuple[int, list[Mapping[str, Any]]]:
    """(count, results) of a documents.json answer, or DocumentInvalid naming what is wrong."""
    try:
        data = json.loads(doc.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DocumentInvalid(f"Federal Register answer from {doc.url} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DocumentInvalid(f"Federal Register answer from {doc.url} is a JSON {type(data).__name__}, not an object")
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        why = data.get("message") or data.get("errors") or data.get("error") or ""
        raise DocumentInvalid(
            f"Federal Register answer from {doc.url} has no 'count' (keys: {', '.join(sorted(data))})"
            + (f": {str(why)[:200]}" if why else ""))
    results = data.get("results", [])
    if not isinstance(results, list):
        raise DocumentInvalid(f"Federal Register answer from {doc.url}: 'results' is a {type(results).__name__}, not a list")
    for i, result in enumerate(results):
        number = result.get("document_number") if isinstance(result, dict) else None
        if not isinstance(number, str) or not _DOC_NUMBER.match(number):
            raise DocumentInvalid(f"Federal Register result {i} from {doc.url} has no valid document_number: {number!r}")
    return count, results


def _result_mention(result: Mapping[str, Any], matcher: SubstanceMatcher, term_query: bool) -> DocumentMention | None:
    number = str(result["document_number"])
    title = _plain(result.get("title")) or f"FR Doc. {number}"
    label = f"FR {number}: {title}"
    for key in ("title", "abstract", "excerpts"):
        text = _plain(result.get(key))
        found = matcher.mentions(text)
        if found:
            return DocumentMention(matcher.id, number, context(text, found[0]), label)
    # A search excerpt shows what FR matched; when it shows something else (e.g. only
    # "thymosin beta-4"), the hit is not about this substance. The text fetched by `derive`
    # still yields a mention if the body does name it.
    if term_query and not _plain(result.get("excerpts")):
        return DocumentMention(matcher.id, number, title, label)
    return None


def _parse_query(doc: Document, substances: Sequence[SubstanceMatcher], options: FederalRegisterOptions) -> ParseResult:
    count, results = _query_answer(doc)
    mentions = [m for result in results for matcher in substances
                if (m := _result_mention(result, matcher, options.term_query)) is not None]
    return ParseResult((), {"result_count": count}, tuple(mentions))


def parse(doc: Document, substances: Sequence[SubstanceMatcher], options: FederalRegisterOptions) -> ParseResult:
    """Read a documents.json answer, or one FR document's text reached through `derive`."""
    if doc.kind == "json":
        return _parse_query(doc, substances, options)
    if "/documents.json" in urlsplit(doc.url).path:
        raise DocumentInvalid(f"expected JSON from the documents.json query {doc.url}, got a {doc.kind} document")
    if doc.kind in ("html", "text"):
        return parse_text(doc, substances)
    raise DocumentInvalid(f"federal_register cannot read a {doc.kind} document ({doc.url})")


def _rebase(url: str, base: str) -> str:
    parts, root = urlsplit(url), urlsplit(base)
    if parts.hostname in _FR_HOSTS and root.netloc:
        return urlunsplit((root.scheme, root.netloc, parts.path, parts.query, parts.fragment))
    return url


def _page(url: str) -> int:
    values = parse_qs(urlsplit(url).query).get("page", ["1"])
    return int(values[0]) if values[0].isdigit() else 1


def _raw_text_url(result: Mapping[str, Any]) -> str | None:
    url = result.get("raw_text_url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    # The default field set has no raw_text_url; FR's text URL follows from date and number.
    number, published = result.get("document_number"), result.get("publication_date")
    if isinstance(number, str) and isinstance(published, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", published):
        return f"https://www.federalregister.gov/documents/full_text/text/{published.replace('-', '/')}/{number}.txt"
    return None


def derive(url: str, body: bytes, options: FederalRegisterOptions) -> list[str]:
    """The next page of results (within max_pages) and each listed document's text URL."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or "count" not in data:
        return []
    found: list[str] = []
    following = data.get("next_page_url")
    if isinstance(following, str) and following.startswith(("http://", "https://")) and _page(following) <= options.max_pages:
        found.append(_rebase(following, url))
    results = data.get("results")
    if options.follow_text and isinstance(results, list):
        for result in results:
            text_url = _raw_text_url(result) if isinstance(result, dict) else None
            if text_url:
                found.append(_rebase(text_url, url))
    return list(dict.fromkeys(found))
