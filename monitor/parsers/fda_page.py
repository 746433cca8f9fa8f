"""`fda_page`: any other FDA page (the 503A hub, warning letters…) → substance mentions in context.

No track readings: a page that merely names a substance says nothing trustworthy about its
status. Each distinct context sentence becomes one `DocumentMention` whose ref is a short
hash of the folded sentence, so a reworded sentence shows as one removed and one appeared
(DOMAIN.md §2.3). Sanity: an HTML page must carry FDA's main-content markers
(`#main-content` or an `article`) with text in them and must not be FDA's error page;
bot walls and error pages served with HTTP 200 are failed checks, not "content removed".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bs4 import BeautifulSoup

from monitor.errors import DocumentInvalid
from monitor.matching import SubstanceMatcher, context, fold_name
from monitor.parsers.base import Document, DocumentMention, ParseResult, ParserOptions

# Titles of pages that have FDA's template but not the content asked for.
_ERROR_TITLE = re.compile(r"site error|page not found|access denied|we.re sorry", re.I)


class FdaPageOptions(ParserOptions):
    """Options of `fda_page` (none yet; unknown keys are refused)."""


def context_ref(quote: str, prefix: str = "page") -> str:
    """A stable ref for a mention: `prefix` plus a short hash of the folded context sentence."""
    return f"{prefix}-{hashlib.sha256(fold_name(quote).encode()).hexdigest()[:12]}"


def context_mentions(text: str, substances: Sequence[SubstanceMatcher], title: str = "",
                     prefix: str = "page") -> list[DocumentMention]:
    """One mention per substance and distinct context sentence in `text`, in order of appearance."""
    out: list[DocumentMention] = []
    seen: set[tuple[str, str]] = set()
    for matcher in substances:
        for mention in matcher.mentions(text):
            quote = context(text, mention)
            ref = context_ref(quote, prefix)
            if (matcher.id, ref) not in seen:
                seen.add((matcher.id, ref))
                out.append(DocumentMention(matcher.id, ref, quote, title))
    return out


def first_mentions(text: str, substances: Sequence[SubstanceMatcher], ref: str, title: str = "") -> list[DocumentMention]:
    """At most one mention per substance (its first context) under a fixed ref: for long PDFs,
    where one event per sentence would bury the one that matters."""
    # PDF text is wrapped at arbitrary points: sentences are read across line ends.
    text = " ".join(text.split())
    out: list[DocumentMention] = []
    for matcher in substances:
        found = matcher.mentions(text)
        if found:
            out.append(DocumentMention(matcher.id, ref, context(text, found[0]), title))
    return out


def check_fda_markers(doc: Document) -> None:
    """DocumentInvalid unless the page has FDA's main-content markers and is not an error page.

    lxml, not BeautifulSoup: this runs on every FDA page and a soup costs ten times more.
    """
    import lxml.html

    root = lxml.html.document_fromstring(doc.body)
    if not root.xpath("//*[@id='main-content'] | //article"):
        raise DocumentInvalid(
            f"page has no FDA main-content markers (#main-content or article); title {doc.title[:80]!r}")
    h1 = next(root.iter("h1"), None)
    heading = " ".join(h1.text_content().split()) if h1 is not None else ""
    found = root.find(".//title")
    title = " ".join(found.text_content().split()) if found is not None else ""
    for name in (heading, title):
        if _ERROR_TITLE.search(name):
            raise DocumentInvalid(f"FDA error page, not content: title {name[:80]!r}")
    # doc.text is the main content with chrome (share links, footer) already removed.
    if not any(line.strip() not in ("", heading) for line in doc.text.splitlines()):
        raise DocumentInvalid(f"FDA page has no content beyond its title {heading[:80]!r}")


def check_fda_html(doc: Document) -> BeautifulSoup:
    """The parsed page for parsers that read its structure, after `check_fda_markers`."""
    check_fda_markers(doc)
    return BeautifulSoup(doc.body, "lxml")


def parse(doc: Document, substances: Sequence[SubstanceMatcher], options: FdaPageOptions) -> ParseResult:
    """Mentions of the watched substances, each with its context sentence."""
    if doc.kind == "html":
        check_fda_markers(doc)
        return ParseResult(mentions=tuple(context_mentions(doc.text, substances, doc.title)))
    if doc.kind in ("pdf", "text"):
        if not doc.text.strip():
            raise DocumentInvalid(f"{doc.kind} document has no text to read")
        return ParseResult(mentions=tuple(first_mentions(doc.text, substances, "document", doc.title)))
    raise DocumentInvalid(f"fda_page reads HTML pages and PDFs, not {doc.kind}")
