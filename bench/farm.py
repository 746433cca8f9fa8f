"""The loopback farm: N FDA-like targets (about 60 KB of HTML with fda.gov chrome; every tenth a PDF).

The chrome reproduces tests/fixtures/fda/hub-503a.html (USWDS banner, lcds header, site alert,
breadcrumb, `#main-content` article, "Content current as of" footer). Each page carries one
status line naming thymosin alpha-1 and a long body of deterministic filler (a nominations
table and paragraphs), so every page is distinct but stable across runs.

A page is rendered from (index, status version, noise version):
- noise version: the "Content current as of" date, the reorganization banner's date, the
  stylesheet's cache-busting query string, and for PDFs the creation date (metadata only);
- status version: the wording of the status line (the change every tool should report).
"""

from __future__ import annotations

import io
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

PDF_EVERY = 10  # one target in ten is a PDF
_CHROME = (Path(__file__).parent / "farm_chrome.html").read_text(encoding="utf-8").split("\n", 1)[1]

# (status version, noise version) per scenario; the farm serves one scenario at a time.
SCENARIOS: dict[str, tuple[int, int]] = {
    "baseline": (0, 0),
    "unchanged": (0, 0),
    "noise": (0, 1),
    "changed": (1, 1),
}
STATUS_TEXT = (
    "FDA placed the substance in Category 2 (significant safety risks) and it may not be compounded "
    "under the interim policy while the evaluation continues",
    "the Pharmacy Compounding Advisory Committee voted against including the substance on the 503A bulks "
    "list and FDA intends to propose that it not be included",
    "FDA published a proposed rule not to include the substance on the 503A bulks list and invites comments "
    "within 60 days",
    "the comment period on the proposed rule closed and FDA is reviewing the comments received before it "
    "publishes a final rule",
)
_DATES = ("05/14/2026", "06/02/2026", "07/21/2026", "08/30/2026")
_BANNER_DATES = ("Oct. 1, 2024", "Nov. 3, 2025", "Jan. 12, 2026", "Mar. 9, 2026")

_SUBSTANCES = (
    "Acetyl-L-carnitine", "Alanyl-L-glutamine", "Aloe vera", "Alpha lipoic acid", "Artemisinin", "Ascorbic acid",
    "Astragalus", "Berberine chloride", "Boswellia", "Brilliant blue G", "Bromelain", "Cantharidin", "Cesium chloride",
    "Chondroitin sulfate", "Chrysin", "Coenzyme Q10", "Curcumin", "Dehydroepiandrosterone", "Diindolylmethane",
    "Diphenylcyclopropenone", "Domperidone", "Epigallocatechin gallate", "Glutathione", "Glycyrrhizin",
    "Hydroxocobalamin", "Kojic acid", "L-citrulline", "Melatonin", "Methylcobalamin", "N-acetyl-D-glucosamine",
    "Nicotinamide adenine dinucleotide", "Oxitriptan", "Piracetam", "Pregnenolone", "Quercetin", "Resveratrol",
    "Rutin", "Silver protein mild", "Squaric acid dibutyl ester", "Tranilast", "Ubiquinol", "Vinpocetine",
)
_CATEGORIES = ("Category 1", "Category 2", "Category 3")
_WORD_TEXT = (
    "bulk drug substance nomination compounding pharmacy section 503A interim policy evaluation clinical "
    "safety effectiveness historical use advisory committee review docket comment physician patient "
    "outsourcing facility monograph supporting information dosage form strength route administration "
    "guidance federal register proposed final rule list criteria stability characterization data "
    "submitted nominator agency considers appropriate information request public meeting briefing"
)
_WORDS = tuple(_WORD_TEXT.split())


def _sentences(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 24))]
        out.append(" ".join(words).capitalize() + ".")
    return out


_POOL = _sentences(random.Random(503), 600)


def is_pdf(index: int) -> bool:
    """Whether target `index` is a PDF (one in ten)."""
    return index % PDF_EVERY == PDF_EVERY - 1


def path_of(index: int) -> str:
    """The URL path of target `index` (FDA's shapes: a page, or /media/N/download for a PDF)."""
    return f"/media/{170000 + index}/download" if is_pdf(index) else f"/drugs/human-drug-compounding/notice-{index:04d}"


def status_line(version: int) -> str:
    """The status sentence of a version; it names thymosin alpha-1, so a change is a relevant change."""
    return f"Status update for thymosin alpha-1 (Ta1): {STATUS_TEXT[version % len(STATUS_TEXT)]}."


@dataclass(frozen=True)
class Body:
    """The parts of a target that never change between versions."""

    title: str
    paragraphs: tuple[str, ...]
    rows: tuple[tuple[str, str, str, str], ...]


def body_of(index: int) -> Body:
    """The stable content of target `index` (deterministic)."""
    rng = random.Random(index)
    title = f"Compounding Notice {index:04d}: Bulk Drug Substances Nominated Under Section 503A"
    paragraphs = tuple(" ".join(rng.choice(_POOL) for _ in range(rng.randint(3, 6))) for _ in range(42))
    rows = tuple((rng.choice(_SUBSTANCES), f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2015, 2025)}",
                  rng.choice(_CATEGORIES), " ".join(rng.choice(_POOL).split()[:8]))
                 for _ in range(180))
    return Body(title, paragraphs, rows)


def render_html(index: int, body: Body, status: int, noise: int) -> bytes:
    """One FDA-like page (about 60 KB)."""
    n = noise % len(_DATES)
    main = [f"<p>{p}</p>" if k % 8 else f"<h2>Section {k // 8 + 1}</h2>\n<p>{p}</p>"
            for k, p in enumerate(body.paragraphs[:21])]
    main.append(f'<p class="status-line"><strong>{status_line(status)}</strong></p>')
    main += [f"<p>{p}</p>" for p in body.paragraphs[21:]]
    rows = "\n".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td></tr>" for a, b, c, d in body.rows)
    main.append('<h2>Nominated substances</h2>\n<table class="table"><thead><tr><th>Substance</th>'
                "<th>Nominated</th><th>Category</th><th>Notes</th></tr></thead>\n<tbody>\n" + rows + "\n</tbody></table>")
    return _CHROME.format(title=body.title, css=f"t{index % 97}x{n}q", banner_date=_BANNER_DATES[n],
                          current=_DATES[n], iso=_DATES[n], content="\n".join(main)).encode("utf-8")


def render_pdf(index: int, body: Body, status: int, noise: int) -> bytes:
    """One FDA-like PDF (a few pages of text, about 25 KB); noise changes only its creation date."""
    lines = [body.title, ""]
    for k, p in enumerate(body.paragraphs):
        if k == 3:
            lines += [*textwrap.wrap(status_line(status), 95), ""]
        lines += [*textwrap.wrap(p, 95), ""]
    pages = [lines[i:i + 60] for i in range(0, len(lines), 60)]
    return _pdf(pages, body.title, f"D:2026{1 + noise % 12:02d}01000000Z")


def _pdf(pages: list[list[str]], title: str, created: str) -> bytes:
    """A minimal valid PDF: Helvetica text, one content stream per page, an Info dict."""
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    n = len(pages)
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [" + " ".join(f"{5 + 2 * i} 0 R" for i in range(n)) + f"] /Count {n} >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            f"<< /Title ({esc(title)}) /Producer (regwatch bench farm) /CreationDate ({created}) >>"]
    for i, page in enumerate(pages):
        text = "BT /F1 10 Tf 12 TL 50 760 Td " + " ".join(f"({esc(line)}) '" for line in page) + " ET"
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {6 + 2 * i} 0 R >>")
        objs.append(f"<< /Length {len(text)} >>\nstream\n{text}\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for k, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{k} 0 obj\n{obj}\nendobj\n".encode("latin-1", "replace"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    out.write("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def render(index: int, body: Body, status: int, noise: int) -> tuple[bytes, str]:
    """(body, content type) of target `index` at a version."""
    if is_pdf(index):
        return render_pdf(index, body, status, noise), "application/pdf"
    return render_html(index, body, status, noise), "text/html; charset=utf-8"
