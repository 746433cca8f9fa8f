"""Tiny synthetic fda.gov-like pages for unit tests of classification and extraction."""

from __future__ import annotations


def page(title: str, body_html: str) -> bytes:
    """SYNTHETIC: a minimal page with fda.gov's chrome around `body_html`."""
    return f"""<!DOCTYPE html><!-- SYNTHETIC test page -->
<html lang="en"><head><title>{title} | FDA</title></head><body>
<section class="usa-banner"><p>An official website of the United States government</p><p>Here's how you know</p></section>
<header><nav>Home Food Drugs</nav></header>
<nav class="breadcrumb"><ol><li>Home</li><li>Drugs</li></ol></nav>
<main id="main-content"><article class="article main-content"><h1 class="content-title">{title}</h1>
<div class="field--name-body">{body_html}</div>
<ul><li class="node-current-date">Content current as of: <time datetime="2026-04-22T12:00:00Z">04/22/2026</time></li></ul>
</article></main><footer>FDA footer</footer></body></html>""".encode()
