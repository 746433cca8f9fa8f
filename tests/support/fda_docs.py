"""Build a parser's `Document` from an FDA fixture (HTML as is; `.txt` sources rendered to PDF).

`subs` are (old, new) text replacements applied before rendering, so one checked-in fixture
can yield its broken or reworded variants; each `old` must occur, or the test is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.extract import extract
from monitor.normalize import normalize
from monitor.parsers import Document
from tests.conftest import FIXTURES, fixture_bytes
from tests.support.fixturegen import text_to_pdf

Subs = Sequence[tuple[str, str]]


def fda_document(relpath: str, url: str, subs: Subs = ()) -> Document:
    """The Document the pipeline would hand a parser for this fixture (after extract + normalize)."""
    if relpath.endswith(".txt"):
        if subs:
            text = (FIXTURES / relpath).read_text(encoding="utf-8")
            for old, new in subs:
                assert old in text, f"{relpath} does not contain {old!r}"
                text = text.replace(old, new)
            body = text_to_pdf(text, (FIXTURES / relpath).stem)
        else:
            body = fixture_bytes(relpath, "pdf")
    else:
        body = fixture_bytes(relpath)
        for old, new in subs:
            assert old.encode() in body, f"{relpath} does not contain {old!r}"
            body = body.replace(old.encode(), new.encode())
    extracted = extract(body)
    return Document(url, extracted.kind, normalize(extracted.text), body, extracted.title, extracted.text)
