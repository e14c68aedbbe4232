"""The book as one PDF, with no network: ``make pdf`` writes ``_build/pdf/book.pdf``.

Jupyter Book 1's own ``pdfhtml`` builder downloads a browser and fails offline. Here the
system Chromium, driven by Playwright, prints the pages of ``make book``'s HTML build
(``_build/html``) one by one, in the order of ``_toc.yml``, each once MathJax has typeset it,
and pypdf joins them behind a title page and a table of contents, with one bookmark per
page. Every solution (``details``) is opened, the theme's navigation is hidden, and the
explorers show their default frame (``_static/course.css`` hides their sliders in print).

Why not the ``singlehtml`` builder: it writes the whole book as one page of about 1,200
formulas, on which MathJax 2 took over five minutes (it lays the whole page out again for
every chunk it typesets); page by page, each typesets in about a second.

Run after ``make book``:  ``python tools/pdf.py``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import shutil
import sys
import threading
import time
from html import escape
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
OUTPUT = ROOT / "_build" / "pdf" / "book.pdf"

# Print layout: only the article, no navigation; solutions shown; code wraps.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 16mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.bd-header-article, .header-article-main, .prev-next-area, .footer-article, #pst-back-to-top,
.skip-link, .search-button-field, .theme-switch-button, .bd-footer-content, .toctree-wrapper > p.caption,
.headerlink, .toggle-button, .dropdown-toggle { display: none !important; }
.bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container, .bd-article {
  max-width: none !important; width: 100% !important; margin: 0 !important; padding: 0 !important; }
body { font-size: 10.5pt; }
details > summary { list-style: none; }
/* Opened details fade in (myst-nb, sphinx-design, togglebutton): a print catches the first
   frame of that animation, opacity 0, and a solution's code would print as an empty box. */
*, *::before, *::after { animation: none !important; transition: none !important; }
pre { white-space: pre-wrap !important; word-break: break-word; }
/* A hidden cell's toggle ("Hide code cell source") means nothing on paper: its code shows. */
details.above-input > summary, details.below-input > summary { display: none !important; }
/* A code cell shorter than a page starts on the page that can hold it, not as an empty box. */
div.cell_input, div.cell_output, figure, img { break-inside: avoid; }
"""

# Opens every dropdown and hidden cell; loads every lazy image.
PREPARE = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  return Promise.all(Array.from(document.images).map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
}"""

# Resolves once MathJax 2 has typeset the page (or at once if the page has no maths).
TABS = 3  # pages typeset at once

MATHJAX_DONE = """() => new Promise(resolve => {
  const wait = () => (window.MathJax && MathJax.Hub && MathJax.Hub.Queue)
      ? MathJax.Hub.Queue(() => resolve(document.querySelectorAll('.MathJax_Error, .MathJax .merror').length))
      : setTimeout(wait, 50);
  if (!document.querySelector('.math')) resolve(0); else wait();
})"""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        sys.exit("make pdf needs the system Chromium (Debian/Ubuntu: apt-get install chromium)")
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _title_page(title: str, subtitle: str, contents: list[tuple[str, list[tuple[str, int]]]]) -> str:
    """HTML of the title page and the table of contents (chapter titles and first pages)."""
    rows = []
    for caption, chapters in contents:
        rows.append(f'<p class="part">{escape(caption)}</p>' if caption else "")
        rows.append("<ol>" + "".join(f'<li><span>{escape(name)}</span><span>{first}</span></li>'
                                     for name, first in chapters) + "</ol>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 20mm 18mm; }}
body {{ font-family: 'DejaVu Sans', Arial, sans-serif; color: #222; }}
.title {{ height: 240mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }}
.title h1 {{ font-size: 28pt; margin: 0 0 0.6em 0; }} .title p {{ font-size: 13pt; }}
h2 {{ font-size: 18pt; }} p.part {{ font-weight: bold; margin: 1em 0 0.2em 0; }}
ol {{ margin: 0; padding-left: 1.5em; }} li span:last-child {{ float: right; }}
li {{ margin: 0.15em 0; }}
</style></head><body><div class="title"><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></div>
<h2>Contents</h2>{"".join(rows)}</body></html>"""


def toc_parts() -> list[tuple[str, list[str]]]:
    """(caption, [file, ...]) for each part of _toc.yml, the root page first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = [("", [toc["root"]])]
    for part in toc.get("parts", []):
        parts.append((part.get("caption", ""), [c["file"] for c in part["chapters"]]))
    return parts


def print_pdf(output: Path = OUTPUT, html: Path = HTML) -> dict:
    """Print every page of the HTML build ``html`` to ``output``; return the page counts."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    if not (html / "index.html").exists():
        sys.exit("no HTML build: run `make book` first")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    handler = functools.partial(_Quiet, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    output.parent.mkdir(parents=True, exist_ok=True)
    chapters, left, problems = [], [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            # MathJax typesets most of the time: TABS pages load at once and typeset side by side
            # (each tab has its own renderer process), then print one after the other.
            tabs = [browser.new_page(color_scheme="light") for _ in range(TABS)]
            for tab in tabs:
                tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                    (base, "data:", "blob:", "about:")) else (left.append(route.request.url), route.abort()))
            files = [(caption, file) for caption, names in toc_parts() for file in names]
            for name in (file for _, file in files):
                if not (html / f"{name}.html").exists():
                    sys.exit(f"{name}.html is not in {html}: run `make book` first")
            for start in range(0, len(files), TABS):
                batch = list(zip(tabs, files[start:start + TABS]))
                for tab, (_, file) in batch:
                    tab.goto(base + f"{file}.html", wait_until="load", timeout=120_000)
                for tab, (caption, file) in batch:
                    if tab.evaluate(MATHJAX_DONE):
                        problems.append(f"{file}: MathJax reported an error")
                    tab.add_style_tag(content=PRINT_CSS)
                    tab.evaluate(PREPARE)
                    title = tab.evaluate("() => (document.querySelector('article h1') || {}).textContent || ''")
                    footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                              f'{escape(title.strip().rstrip("#"))}</div>')
                    pdf = tab.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                                  display_header_footer=True, header_template="<div></div>",
                                  footer_template=footer)
                    chapters.append((caption, title.strip().rstrip("#").strip(), pdf))
            page = tabs[0]
            readers = [PdfReader(io.BytesIO(pdf)) for _, _, pdf in chapters]
            first, contents = 1, []
            page.set_content(_title_page(config["title"], config.get("author", ""), [("", [])]))
            front_pages = len(PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True))).pages)
            first = front_pages + 1
            for (caption, title, _), reader in zip(chapters, readers):
                if not contents or contents[-1][0] != caption:
                    contents.append((caption, []))
                contents[-1][1].append((title, first))
                first += len(reader.pages)
            page.set_content(_title_page(config["title"], config.get("author", ""), contents))
            front = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if left:
        sys.exit(f"the book tried to load from the network: {left[:5]}")
    writer = PdfWriter()
    writer.append(front)
    parents = {}
    for (caption, title, _), reader in zip(chapters, readers):
        start = len(writer.pages)
        writer.append(reader)
        if caption and caption not in parents:
            parents[caption] = writer.add_outline_item(title=caption, page_number=start)
        writer.add_outline_item(title=title, page_number=start, parent=parents.get(caption))
    writer.add_metadata({"/Title": config["title"], "/Author": config.get("author", "")})
    with open(output, "wb") as file:
        writer.write(file)
    for problem in problems:
        print("warning:", problem)
    return {"pages": len(writer.pages), "front": len(front.pages)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=HTML, help="the HTML build to print (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the PDF to write (default: %(default)s)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = print_pdf(args.output, args.html)
    print(f"{args.output}: {result['pages']} pages, "
          f"{args.output.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
