"""Build binary fixtures (PDF, XLSX) from checked-in text, deterministically.

Text fixtures are the source of truth: one line of text → one line of PDF text, or one
row of the first sheet. A line "=== Sheet: NAME" starts a new sheet (XLSX only); a line
"=== page" starts a new PDF page. A leading line starting with "#" is a comment (the
synthetic-fixture label) and is written into the document's metadata, not its body.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

FIXED_TIME = datetime(2026, 1, 1, 0, 0, 0)


def _lines(text: str) -> tuple[str, list[str]]:
    lines = text.splitlines()
    label = ""
    while lines and lines[0].startswith("#"):
        label += lines.pop(0).lstrip("# ").strip() + " "
    return label.strip(), lines


def text_to_pdf(text: str, title: str = "") -> bytes:
    """A PDF whose extracted text is `text`, line by line (Helvetica, A4, wrapped long lines)."""
    from fpdf import FPDF

    label, lines = _lines(text)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_TIME)
    pdf.set_title(title or "regwatch test fixture")
    pdf.set_subject(label or "SYNTHETIC test fixture")
    pdf.set_producer("regwatch tests/support/fixturegen.py")
    pdf.set_font("Helvetica", size=10)
    pdf.add_page()
    for line in lines:
        if line.strip() == "=== page":
            pdf.add_page()
            continue
        safe = line.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'").replace("\u201c", '"')
        safe = safe.replace("\u201d", '"').replace("\u00a0", " ").replace("α", "alpha").replace("β", "beta")
        pdf.multi_cell(0, 5, safe.encode("latin-1", "replace").decode("latin-1") or " ",
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def text_to_xlsx(text: str) -> bytes:
    """An XLSX: each line a row of one cell, or cells split on ' | '."""
    from openpyxl import Workbook

    _label, lines = _lines(text)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    first = True
    for line in lines:
        if line.startswith("=== Sheet: "):
            name = line.removeprefix("=== Sheet: ").strip()[:31]
            if first:
                ws.title = name
            else:
                ws = wb.create_sheet(name)
            first = False
            continue
        if line.strip() == "=== page":
            continue
        first = False
        ws.append([c.strip() for c in line.split(" | ")] if line.strip() else [])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build(source: Path, kind: str) -> bytes:
    """The `kind` ('pdf' or 'xlsx') rendering of a text fixture file."""
    text = source.read_text(encoding="utf-8")
    return text_to_pdf(text, source.stem) if kind == "pdf" else text_to_xlsx(text)
