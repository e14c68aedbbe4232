"""The built book: it builds with warnings as errors, loads nothing from the network, its
links all lead somewhere, its equations are typeset and its explorers respond, in a
headless Chromium (the system one) with no kernel."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from conftest import CHROMIUM_FLAGS, toc_files

# Tags whose address the browser loads by itself (an <a href> is only followed if clicked).
LOADING = {("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
           ("source", "src"), ("video", "src"), ("audio", "src")}


class _Page(HTMLParser):
    """Collects the ids, the links and the loaded resources of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.loads = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.links.append((attrs.get("content") or "").split("url=")[-1].strip())
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for t, attribute in LOADING:
            if tag == t and attrs.get(attribute):
                self.loads.append(attrs[attribute])


@functools.lru_cache(maxsize=None)
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(root: Path) -> list[Path]:
    """The pages of this build: those of _toc.yml, the index, search and redirect pages
    (a folder reused between builds may hold pages of earlier tables of contents)."""
    names = [f"{f}.html" for f in toc_files()] + ["index.html", "genindex.html", "search.html"]
    return [root / name for name in names if (root / name).exists()]


def test_book_builds_with_warnings_as_errors(built_book):
    assert (built_book / "index.html").exists()
    assert (built_book / "book" / "intro.html").exists()


def test_no_page_loads_anything_from_outside_the_build(built_book):
    outside = []
    for path in _pages(built_book):
        for address in _parse(path).loads:
            if re.match(r"^(https?:)?//", address):
                outside.append(f"{path.relative_to(built_book)}: {address}")
    for css in (built_book / "_static").rglob("*.css"):
        for address in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", css.read_text(errors="ignore")):
            outside.append(f"{css.relative_to(built_book)}: {address}")
    assert not outside, "resources loaded from the network:\n" + "\n".join(outside)


def test_no_page_shows_a_warning_or_an_undescribed_figure(built_book):
    """Cells print no warning (stderr), and every figure has alt text naming its axes."""
    problems = []
    for path in _pages(built_book):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(built_book).as_posix()
        if "output stderr" in text:
            problems.append(f"{name}: a cell printed on stderr")
        for alt in re.findall(r'<img alt="([^"]*)" src="[^"]*_images/', text):
            if not alt or alt.endswith(".png"):
                problems.append(f"{name}: a figure without alt text")
            elif "unlabelled axis" in alt:
                problems.append(f"{name}: a figure with an unlabelled axis: {alt[:120]}")
    assert not problems, "\n".join(problems)


def test_every_internal_link_points_somewhere(built_book):
    broken = []
    for path in _pages(built_book):
        for href in _parse(path).links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(built_book)} -> {href} (no such file)")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in _parse(target).ids:
                broken.append(f"{path.relative_to(built_book)} -> {href} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


@pytest.fixture(scope="module")
def served_book(built_book):
    """Serve _build/html on a free port of 127.0.0.1 for the duration of the module."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_FLAGS[1:])
        yield browser
        browser.close()


# Waits for MathJax 2 to finish typesetting, then lists math left as raw TeX or in error.
UNTYPESET_MATH = """() => new Promise(resolve => {
  const report = () => {
    // Sphinx's math elements (MathJax's own output also uses the class "math")
    const math = Array.from(document.querySelectorAll('span.math.notranslate, div.math.notranslate'));
    const raw = math.filter(m => !m.querySelector('script[type^="math/tex"]'))
                    .map(m => m.textContent.slice(0, 60));
    const errors = Array.from(document.querySelectorAll('.MathJax .merror, .MathJax_Error'))
                        .map(e => e.textContent.slice(0, 60));
    resolve({count: math.length, raw: raw, errors: errors});
  };
  if (!document.querySelector('.math.notranslate')) { report(); return; }
  const wait = () => (window.MathJax && MathJax.Hub && MathJax.Hub.Queue)
      ? MathJax.Hub.Queue(report) : setTimeout(wait, 50);
  wait();
})"""

BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(i => !i.complete || i.naturalWidth === 0).map(i => (i.alt || i.src).slice(0, 80))"""


class _Network:
    """Follows a page's requests, to wait until it has stopped loading (see :meth:`settle`)."""

    def __init__(self, page):
        self.page, self.pending, self.started = page, set(), 0
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, request):
        self.pending.add(request)
        self.started += 1

    def _end(self, request):
        self.pending.discard(request)

    def settle(self, quiet_ms: int = 700, timeout_ms: int = 20_000) -> None:
        """Wait until no request is pending and none started for ``quiet_ms``.

        Called once MathJax is done: its fonts are requested a moment after the load event,
        and a page judged before then would hide their failures.
        """
        seen = -1
        for _ in range(timeout_ms // quiet_ms):
            if not self.pending and self.started == seen:
                return
            seen = self.started
            self.page.wait_for_timeout(quiet_ms)
        raise AssertionError(f"still loading after {timeout_ms} ms: {[r.url for r in self.pending]}")


def test_every_page_works_in_a_browser_with_no_network(built_book, served_book, browser):
    problems = []
    pages = _pages(built_book)
    assert len(pages) >= 5
    for path in pages:
        name = path.relative_to(built_book).as_posix()
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8").lower():
            continue  # the root index.html only redirects to the first page
        context = browser.new_context()
        page = context.new_page()
        seen = []

        def route(route, seen=seen):
            url = route.request.url
            if url.startswith(served_book) or url.startswith(("data:", "blob:", "about:")):
                route.continue_()
            else:
                seen.append(f"request leaving the book: {url}")
                route.abort()

        page.route("**/*", route)
        page.on("console", lambda m, seen=seen: seen.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e, seen=seen: seen.append(f"script error: {e}"))
        page.on("response", lambda r, seen=seen: seen.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        network = _Network(page)
        page.goto(urljoin(served_book, name), wait_until="networkidle")
        math = page.evaluate(UNTYPESET_MATH)  # resolves once MathJax is done
        network.settle()  # then late requests (fonts) have had time to fail
        seen += [f"math not typeset: {m}" for m in math["raw"]]
        seen += [f"math error: {m}" for m in math["errors"]]
        seen += [f"image not loaded: {m}" for m in page.evaluate(BROKEN_IMAGES)]
        problems += [f"{name}: {s}" for s in seen]
        context.close()
    assert not problems, "\n".join(problems)


def test_equations_are_typeset(built_book, served_book, browser):
    page = browser.new_page()
    page.goto(urljoin(served_book, "book/notation.html"), wait_until="load")
    math = page.evaluate(UNTYPESET_MATH)
    assert math["count"] > 50 and not math["raw"]
    assert page.locator(".MathJax").count() >= math["count"]
    page.close()


MOVE_EVERY_SLIDER = """(root) => {
  const image = root.querySelector('img');
  const results = [];
  for (const input of root.querySelectorAll('input[type="range"]')) {
    const output = input.parentElement.querySelector('output');
    const before = {src: image.src, label: output.textContent};
    const target = (parseInt(input.value) + 1) % (parseInt(input.max) + 1);
    input.value = String(target);
    input.dispatchEvent(new Event('input', {bubbles: true}));
    results.push({param: input.dataset.param, max: parseInt(input.max),
                  imageChanged: image.src !== before.src, labelChanged: output.textContent !== before.label,
                  label: output.textContent, loaded: image.complete && image.naturalWidth > 0});
  }
  return results;
}"""


def test_every_explorer_responds_without_a_kernel(built_book, served_book, browser):
    found, problems = 0, []
    for path in _pages(built_book):
        if "course-explorer" not in path.read_text(encoding="utf-8"):
            continue
        name = path.relative_to(built_book).as_posix()
        page = browser.new_page()
        errors = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.goto(urljoin(served_book, name), wait_until="load")
        for k, explorer in enumerate(page.locator("div.course-explorer").all()):
            found += 1
            for r in explorer.evaluate(MOVE_EVERY_SLIDER):
                if r["max"] == 0:
                    continue  # a parameter with a single precomputed value cannot move
                if not (r["imageChanged"] and r["labelChanged"]):
                    problems.append(f"{name} explorer {k}, slider {r['param']}: {r}")
        problems += [f"{name}: {e}" for e in errors]
        page.close()
    assert found >= 1, "no explorer found in the built book"
    assert not problems, "\n".join(problems)


def test_every_diagram_is_in_the_book_loads_and_has_alt_text(built_book, served_book, browser):
    """Each SVG of course_lib.diagrams is shown on some page, loaded, described, and marked
    course-diagram (the class course.css inverts in dark mode)."""
    from course_lib.diagrams import DIAGRAMS

    where = {}
    for path in _pages(built_book):
        for name in DIAGRAMS:
            if re.search(rf'src="[^"]*/{name}\.svg"', path.read_text(encoding="utf-8")):
                where.setdefault(name, path.relative_to(built_book).as_posix())
    missing = sorted(set(DIAGRAMS) - set(where))
    assert not missing, f"diagrams not in the built book: {missing}"
    problems = []
    page = browser.new_page()
    for name, page_name in sorted(where.items()):
        page.goto(urljoin(served_book, page_name), wait_until="load")
        image = page.locator(f'img[src$="/{name}.svg"]').first
        image.scroll_into_view_if_needed()
        state = image.evaluate("i => i.decode().then(() => ({w: i.naturalWidth, alt: i.alt, "
                               "cls: i.className}), () => ({w: 0, alt: i.alt, cls: i.className}))")
        if state["w"] == 0:
            problems.append(f"{page_name}: {name}.svg does not load")
        if len(state["alt"].split()) < 5 or state["alt"].endswith(".svg"):
            problems.append(f"{page_name}: {name}.svg has no alt text saying what it shows: {state['alt']!r}")
        if "course-diagram" not in state["cls"].split():
            problems.append(f"{page_name}: {name}.svg lacks the class course-diagram")
    page.close()
    assert not problems, "\n".join(problems)
