"""make pdf: the whole book in one PDF, printed offline from the HTML build, with every
chapter, its maths typeset, its solutions shown and no explorer controls."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata

import pytest

from conftest import ROOT, toc_files

PDF = ROOT / "_build" / "pdf" / "book.pdf"


def _title(file: str) -> str:
    """The page's title: the first '# ' heading of its Markdown (or first Markdown cell)."""
    path = ROOT / f"{file}.md"
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        cells = json.loads((ROOT / f"{file}.ipynb").read_text(encoding="utf-8"))["cells"]
        text = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
    return re.search(r"^# (.+)$", text, re.M).group(1).strip()


def _plain(text: str) -> str:
    """Lower case, single spaces, ligatures (fi, ff) undone, as text extracted from a PDF."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


@pytest.fixture(scope="module")
def pdf_text(built_book, chromium):
    from pypdf import PdfReader

    start = time.perf_counter()
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "pdf.py")], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    print(f"make pdf: {time.perf_counter() - start:.0f} s; {run.stdout.strip()}")
    reader = PdfReader(PDF)
    return [page.extract_text() or "" for page in reader.pages]


def test_the_pdf_has_a_plausible_number_of_pages(pdf_text):
    # about 8 pages per chapter; fewer than 3 or more than 30 per page of the book is wrong
    n_files = len(toc_files())
    assert 3 * n_files <= len(pdf_text) <= 30 * n_files, f"{len(pdf_text)} pages"


def test_every_chapter_is_in_the_pdf_in_the_book_order(pdf_text):
    body = _plain(" ".join(pdf_text[2:]))  # after the title page and the contents
    positions, missing = [], []
    for file in toc_files():
        title = _plain(re.sub(r"\$[^$]*\$", "", _title(file)))[:40]
        position = body.find(title, positions[-1] if positions else 0)
        if position < 0:
            missing.append(f"{file}: {title!r}")
        else:
            positions.append(position)
    assert not missing, "chapters missing or out of order in the PDF:\n" + "\n".join(missing)
    contents = _plain(" ".join(pdf_text[:3]))
    assert "contents" in contents


def test_no_raw_tex_nor_mathjax_error_nor_explorer_controls(pdf_text):
    text = "\n".join(pdf_text)
    for bad in ("$$", "\\(", "\\)", "\\begin{", "\\frac", "Math Processing Error",
                "Math input error", "Undefined control sequence",
                "Precomputed values: run the notebook"):
        assert bad not in text, f"the PDF contains {bad!r}"


def test_solutions_are_printed(pdf_text):
    """The first words of each exercise's solution (hidden in a dropdown in HTML) are in it."""
    body = _plain(" ".join(pdf_text))
    missing = []
    for file in toc_files():
        path = ROOT / f"{file}.ipynb"
        if not path.exists():
            continue
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "markdown" or not source.startswith("```{admonition} Solution"):
                continue
            prose = re.sub(r"\$\$.*?\$\$", "", source, flags=re.S)  # display maths prints as glyphs
            lines = [line for line in prose.splitlines()[1:]
                     if line.strip() and not line.startswith((":", "`", " ")) and "$" not in line
                     and "`" not in line and "[" not in line and "*" not in line and "\\" not in line]
            if lines:
                words = _plain(lines[0])[:30]
                if words not in body:
                    missing.append(f"{file}: {words!r}")
    assert not missing, "solutions missing from the PDF:\n" + "\n".join(missing)


# Every element shown by an opened <details> (a solution, a hidden cell's code), as printed.
HIDDEN_AT_PRINT = """() => Array.from(document.querySelectorAll('details[open] > summary ~ *'))
  .filter(e => { const s = getComputedStyle(e); return s.animationName !== 'none' || s.opacity !== '1'; })
  .map(e => e.textContent.trim().slice(0, 60))"""


def test_opened_solutions_are_visible_when_printed(built_book, chromium):
    """An opened <details> fades in (an animation from opacity 0); a print catches its first
    frame, so a solution's code printed as an empty box. pdf.py's print style stops that."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tools"))
    import pdf

    page_with_solutions = built_book / "book" / "03_2b_sigma2_latent_dim.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(page_with_solutions.as_uri())
        page.wait_for_load_state("networkidle")
        page.add_style_tag(content=pdf.PRINT_CSS)
        page.evaluate(pdf.PREPARE)
        page.emulate_media(media="print")
        assert page.evaluate("() => document.querySelectorAll('details[open]').length") >= 2
        hidden = page.evaluate(HIDDEN_AT_PRINT)
        browser.close()
    assert not hidden, f"printed while fading in (opacity 0 at the first frame): {hidden}"
