"""Sphinx extension: mend the markup that the theme and Sphinx generate, where it fails WCAG 2.1.

axe-core (tests/test_accessibility.py) finds, on every page built by Jupyter Book 1:

1. ``<div role="list" class="citation-list">`` whose children have the role
   ``doc-biblioentry`` (deprecated in ARIA 1.3): a list with no list items, which screen
   readers announce as empty (critical). Each citation becomes a ``listitem``.
2. The theme's search field, a button whose ``aria-label="Search"`` does not contain its
   visible text "Search Ctrl+K": speech users saying what they see cannot reach it
   (serious). Without the label, its accessible name is its visible text.

The pages are mended after they are written (``build-finished``), since the search button
comes from the theme's templates and the citations from docutils' writer.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXES = [
    (re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"'), r'\1 role="listitem"'),
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="[^"]*"'), r"\1"),
]


def mend(text: str) -> str:
    """The page's HTML with each fix of FIXES applied."""
    for pattern, replacement in FIXES:
        text = pattern.sub(replacement, text)
    return text


def _mend_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        mended = mend(text)
        if mended != text:
            path.write_text(mended, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _mend_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
