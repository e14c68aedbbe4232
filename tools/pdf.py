"""The book as one PDF, with no network: ``make pdf`` writes ``_build/pdf/book.pdf``.

Jupyter Book 1's own ``pdfhtml`` builder downloads a browser and fails offline. Here the
``singlehtml`` builder writes every page of ``_toc.yml`` into one HTML file (reusing the
executed notebooks of ``make book``: nothing is executed again), and the system Chromium,
driven by Playwright, prints it once MathJax has typeset every formula. Before printing, the
page gets a title page and a table of contents, every solution (``details``) is opened,
the theme's navigation is hidden and each chapter starts on a new page; the explorers show
their default frame (``_static/course.css`` hides their sliders in print).

Run after ``make book``:  ``python tools/pdf.py``  (``--skip-build`` reuses _build/singlehtml).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SINGLE = ROOT / "_build" / "singlehtml"
OUTPUT = ROOT / "_build" / "pdf" / "book.pdf"
OUTLINE = False  # PDF bookmarks need a tagged PDF, which Chromium makes slowly for a whole book

# Print layout: only the article, no navigation; a chapter per page; solutions shown.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 16mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-footer, .bd-footer-article,
.bd-header-article, .header-article-main, .prev-next-area, .footer-article, #pst-back-to-top,
.skip-link, .search-button-field, .theme-switch-button, .bd-footer-content, .toctree-wrapper > p.caption,
.headerlink, .toggle-button, .dropdown-toggle { display: none !important; }
.bd-container, .bd-container__inner, .bd-main, .bd-content, .bd-article-container, .bd-article {
  max-width: none !important; width: 100% !important; margin: 0 !important; padding: 0 !important; }
body { font-size: 10.5pt; }
span[id^="document-"] + section, span[id^="document-"] + div + section { break-before: page; }
.course-title-page { height: 250mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }
.course-title-page h1 { font-size: 28pt; margin-bottom: 0.6em; }
.course-title-page p { font-size: 13pt; }
.course-print-toc { break-after: page; }
.course-print-toc h2 { margin-top: 0.2em; }
.course-print-toc p.part { font-weight: bold; margin: 0.9em 0 0.2em 0; }
.course-print-toc ol { margin: 0; }
details > summary { list-style: none; }
pre { white-space: pre-wrap !important; word-break: break-word; }
"""

# MathJax set for one long page: one pass (no fast preview, no chunks, each of which lays
# the whole book out again) and no hidden MathML for screen readers (a PDF has no use for it).
PRINT_MATHJAX = """<script type="text/x-mathjax-config">MathJax.Hub.Config({
  "fast-preview": {disabled: true}, menuSettings: {assistiveMML: false},
  "HTML-CSS": {EqnChunk: 100000, EqnChunkFactor: 1, EqnChunkDelay: 0}});</script>"""

# Opens every dropdown and hidden cell, then adds the title page and the table of contents.
PREPARE = """([title, subtitle, parts]) => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('img[loading="lazy"]').forEach(i => i.removeAttribute('loading'));
  const article = document.querySelector('article.bd-article') || document.body;
  const page = document.createElement('div');
  page.className = 'course-title-page';
  page.innerHTML = '<h1></h1><p></p>';
  page.querySelector('h1').textContent = title;
  page.querySelector('p').textContent = subtitle;
  const toc = document.createElement('nav');
  toc.className = 'course-print-toc';
  toc.innerHTML = '<h2>Contents</h2>';
  const missing = [];
  for (const [caption, files] of parts) {
    const p = document.createElement('p'); p.className = 'part'; p.textContent = caption;
    const list = document.createElement('ol');
    for (const file of files) {
      // each page but the first starts after an empty <span id="document-FILE">
      const start = document.getElementById('document-' + file);
      const section = start ? start.nextElementSibling : (parts[0][1][0] === file ? article.querySelector('section') : null);
      const heading = section ? section.querySelector('h1, h2, h3') : null;
      if (!heading) { missing.push(file); continue; }
      const anchor = start || section;
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = '#' + anchor.id;
      link.textContent = heading.textContent.replace(/#$/, '').trim();
      item.appendChild(link); list.appendChild(item);
    }
    toc.appendChild(p); toc.appendChild(list);
  }
  article.prepend(toc);
  article.prepend(page);
  return missing;
}"""

# Resolves once MathJax 2 has typeset the page (or at once if the page has no maths).
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


def toc_parts() -> list[tuple[str, list[str]]]:
    """(caption, [file, ...]) for each part of _toc.yml, the root page first."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = [("", [toc["root"]])]
    for part in toc.get("parts", []):
        parts.append((part.get("caption", ""), [c["file"] for c in part["chapters"]]))
    return parts


def build_singlehtml() -> None:
    """The singlehtml build; the executed notebooks come from make book's cache."""
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
               "--builder", "singlehtml", "-n", "--keep-going"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    log = run.stdout + run.stderr
    if run.returncode != 0:
        sys.exit(f"the singlehtml build failed:\n{log[-4000:]}")
    executed = re.findall(r"(\S+\.ipynb): Executing notebook", log)
    if executed:
        print(f"note: {len(executed)} notebook(s) were executed (run `make book` first to "
              f"reuse its cache): {', '.join(Path(e).name for e in executed)}")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def print_pdf(output: Path = OUTPUT) -> Path:
    """Print _build/singlehtml/index.html to ``output`` with the system Chromium."""
    from playwright.sync_api import sync_playwright

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # The single page is written as the root document (book/intro.html) with addresses
    # relative to the build's root folder (_static/, _images/): it is read from there.
    root_page = SINGLE / (yaml.safe_load((ROOT / "_toc.yml").read_text())["root"] + ".html")
    html = root_page.read_text(encoding="utf-8")
    (SINGLE / "book.html").write_text(html.replace("<head>", "<head>" + PRINT_MATHJAX, 1),
                                      encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(SINGLE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(color_scheme="light")
            left = []
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                (base, "data:", "blob:", "about:")) else (left.append(route.request.url), route.abort()))
            start = time.perf_counter()
            page.goto(base + "book.html", wait_until="networkidle", timeout=300_000)
            loaded = time.perf_counter()
            errors = page.evaluate(MATHJAX_DONE)
            typeset = time.perf_counter()
            if errors:
                print(f"warning: MathJax reported {errors} error(s) in the book")
            page.add_style_tag(content=PRINT_CSS)
            missing = page.evaluate(PREPARE, [config["title"], config.get("author", ""), toc_parts()])
            if missing:
                print(f"warning: no chapter found in the single page for {missing}")
            page.wait_for_load_state("networkidle")
            page.evaluate("() => Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))")
            footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                      '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
            prepared = time.perf_counter()
            page.pdf(path=str(output), format="A4", print_background=True, prefer_css_page_size=True,
                     display_header_footer=True, header_template="<div></div>",
                     footer_template=footer, outline=OUTLINE, tagged=OUTLINE)
            printed = time.perf_counter()
            browser.close()
            print(f"load {loaded - start:.0f} s, MathJax {typeset - loaded:.0f} s, "
                  f"preparing {prepared - typeset:.0f} s, printing {printed - prepared:.0f} s")
    finally:
        server.shutdown()
        server.server_close()
    if left:
        sys.exit(f"the book tried to load from the network: {left[:5]}")
    return output


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true",
                        help="print the existing _build/singlehtml without rebuilding it")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if not args.skip_build:
        build_singlehtml()
    built = time.perf_counter()
    path = print_pdf()
    done = time.perf_counter()
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.1f} MB; singlehtml build "
          f"{built - start:.0f} s, printing {done - built:.0f} s")


if __name__ == "__main__":
    main()
