"""Live tests in a real browser, on JupyterLab serving copies of the book's notebooks:

* every kind of explorer is moved live and its figure changes (the kernel recomputed it):
  an analytic explorer (the learning rate of 02_3: SGD on a quadratic, milliseconds); a
  precomputed explorer moved to a value of its grid (the bands of 03_6: the frame computed
  ahead is shown at once) and then off its grid (one more Bayesian network is trained); and
  the latent plane of 03_1 (d(z) decoded by torch in the kernel);
* a page's MyST markup renders as in the book (jupyterlab-myst): an admonition, a dropdown
  and citations are MyST elements, not the raw ```{admonition} text; the notebook is not
  trusted (a fresh copy), which jupyterlab-myst needs only for inline {eval} results;
* a paragraph with computed numbers (course_lib.prose.say, in 03_1) shows as rendered
  Markdown with its numbers and typeset maths, its code cell's input hidden, as in the book.

In all, every request the page makes must stay on the local server: any other is aborted
and fails the test. The notebooks are the fastest of their kind (03_6 and 03_1 run in about
10 s cold).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CHROMIUM_FLAGS, ROOT

# A chapter whose explorer is analytic (the learning-rate explorer), so that the test is quick.
NOTEBOOK = "02_3_optimisation.ipynb"
# A precomputed explorer whose slider trains a model off its grid (the predictive bands).
BANDS_NOTEBOOK = "03_6_bayesian_neural_network.ipynb"
# A latent plane (the autoencoder's, m = 2).
LATENT_NOTEBOOK = "03_1_motivations.ipynb"
# A page with a tip admonition, a dropdown admonition and {cite} roles (its markdown is
# rendered without running any cell).
MYST_NOTEBOOK = "04_how_easy_is_it_to_encode.ipynb"
DROPDOWN_TITLE = "Mini-batches in the two listings"
CITED_KEY = "bingham2019pyro"


KERNEL_IDLE = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session
      && widget.sessionContext.session.kernel;
  return kernel && kernel.status === 'idle';
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on a free local port with a token, serving a copy of the notebook (so
    that nothing it saves touches the book), stopped with its kernels at the end."""
    for notebook in (NOTEBOOK, MYST_NOTEBOOK, BANDS_NOTEBOOK, LATENT_NOTEBOOK):
        shutil.copy(ROOT / "book" / notebook, tmp_path / notebook)
    # Render every cell, not only those scrolled into view (JupyterLab's default windowing),
    # so that the test can find markup anywhere on the page.
    settings = tmp_path / "config" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path / "data"))
    env.pop("JUPYTER_PATH", None)
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
               "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab stopped: {(tmp_path / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start: {(tmp_path / 'lab.log').read_text()[-3000:]}")
        yield url, token
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
    assert server.poll() is not None


# Hosts that serve scripts, styles or fonts to web pages: an extension that loads from one
# of them would not work offline.
CDN_HOSTS = ("unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fonts.googleapis.com",
             "fonts.gstatic.com", "ajax.googleapis.com", "esm.sh", "cdn.skypack.dev", "code.jquery.com")


def test_jupyterlab_myst_ships_its_extension_and_no_cdn():
    """The pip package installs its prebuilt JupyterLab extension (no build, no npm), and
    none of its files names a CDN. (Its bundle still holds the URLs of services it can query
    for hover previews of special links, wiki: or rrid:, which the book does not use; the
    live test below checks that a page makes no request outside localhost.)"""
    extension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-myst"
    assert (extension / "package.json").exists(), f"jupyterlab-myst's extension is not in {extension}"
    files = [f for f in (extension / "static").rglob("*") if f.suffix in (".js", ".css", ".html", ".json")]
    assert len(files) > 10
    named = {f.name: host for f in files for host in CDN_HOSTS if host in f.read_text(errors="ignore")}
    assert not named, f"files of jupyterlab-myst name CDNs: {named}"


def _local_only(page, url: str) -> list[str]:
    """Abort every request that leaves the local server and record it, with every websocket
    to another host; the test asserts that the returned list stays empty."""
    outside = []

    def route(route):
        if route.request.url.startswith((url, "data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    local_ws = url.replace("http://", "ws://", 1)
    page.on("websocket", lambda ws: None if ws.url.startswith(local_ws) else outside.append(ws.url))
    return outside


def _run_notebook(page, url: str, token: str, notebook: str, widget: str):
    """Open the notebook, run every cell, and return the locator of its first ``widget``."""
    page.goto(f"{url}/lab/tree/{notebook}?token={token}")
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                           timeout=60_000)
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    located = page.locator(widget).first
    located.wait_for(timeout=120_000)
    located.locator("img").first.wait_for(timeout=30_000)
    return located


def _type(page, readout, value: str) -> None:
    """Type a value in a slider's editable readout (which moves the slider) and press Enter."""
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


CHANGED = """([root, before]) => { const i = root.querySelector('img');
  return i && i.getAttribute('src') !== before; }"""
UPDATED = """(root) => { const s = root.querySelector('.widget-html');
  return s && s.innerText.includes('updated in') ? s.innerText : null; }"""


def _move_explorer(page, widget, readout: int, value: str) -> float:
    """Move slider ``readout`` of a live explorer to ``value``; wait for a new image, then for
    the status line that follows it; return the seconds it states."""
    image = widget.locator("img").first
    before = image.get_attribute("src")
    _type(page, widget.locator(".widget-readout").nth(readout), value)
    handle = widget.element_handle()
    page.wait_for_function(CHANGED, arg=[handle, before], timeout=90_000)
    # the status says "computing…" before the image changes, "updated in" after it
    status = page.wait_for_function(UPDATED, arg=handle, timeout=30_000).json_value()
    return float(re.search(r"updated in ([0-9.]+) s", status).group(1))


def _browser(playwright, chromium):
    browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS[1:])
    return browser, browser.new_page(viewport={"width": 1400, "height": 1000})


@contextlib.contextmanager
def _live(lab, chromium, notebook: str, selector: str):
    """A browser on the JupyterLab of ``lab`` with ``notebook`` run top to bottom: yields the
    page, its first ``selector`` widget and the list of requests that left localhost (to be
    checked after the block, once the kernel is idle again and the browser closed)."""
    from playwright.sync_api import sync_playwright

    url, token = lab
    with sync_playwright() as playwright:
        browser, page = _browser(playwright, chromium)
        outside = _local_only(page, url)
        yield page, _run_notebook(page, url, token, notebook, selector), outside
        page.wait_for_function(KERNEL_IDLE, timeout=30_000)
        browser.close()


def test_a_slider_recomputes_the_figure_in_jupyterlab(lab, chromium):
    """The analytic explorer (SGD on the quadratic of 02_3) at a learning rate off its grid."""
    with _live(lab, chromium, NOTEBOOK, ".course-explorer-live") as (page, widget, outside):
        seconds = _move_explorer(page, widget, 0, "0.05")
        readout = widget.locator(".widget-readout").first.inner_text().strip()
    assert readout.startswith("0.05"), readout
    print(f"the learning-rate explorer recomputed in {seconds:.2f} s")
    assert not outside, f"requests left localhost: {outside}"


def test_a_precomputed_explorer_shows_its_frame_and_trains_off_its_grid(lab, chromium):
    """The bands of 03_6: prior std 10 is on the grid (its frame was computed with the page, so
    it shows at once); σ² = 0.05 is not (one more network is trained in the kernel)."""
    from course_lib.bayes_figures import SETTINGS

    assert 10.0 in SETTINGS.prior_std_grid and 0.05 not in SETTINGS.sigma2_grid
    with _live(lab, chromium, BANDS_NOTEBOOK, ".course-explorer-live") as (page, widget, outside):
        precomputed = _move_explorer(page, widget, 1, "10")  # readouts: σ², then prior std
        trained = _move_explorer(page, widget, 0, "0.05")
    print(f"bands: a precomputed frame in {precomputed:.2f} s, a new fit in {trained:.2f} s")
    assert precomputed < 0.5, f"the precomputed frame took {precomputed} s: was it recomputed?"
    assert trained > precomputed, (trained, precomputed)
    assert not outside, f"requests left localhost: {outside}"


def _number(readout: str) -> float:
    return float(readout.strip().replace("\u2212", "-"))  # the readout writes minus as U+2212


def test_the_latent_plane_decodes_live_in_jupyterlab(lab, chromium):
    """The latent plane of 03_1: moving z₁ makes the kernel decode a new image d(z)."""
    with _live(lab, chromium, LATENT_NOTEBOOK, ".course-latent-explorer-live") as (page, widget, outside):
        decoded = widget.locator(".widget-vbox img").first  # the plane is the other image
        before = decoded.get_attribute("src")
        z1 = widget.locator(".widget-readout").first
        start = z1.inner_text()
        _type(page, z1, "-100")  # clamped to the lowest z₁ of the plane
        page.wait_for_function(
            "([root, before]) => root.querySelector('.widget-vbox img').getAttribute('src') !== before",
            arg=[widget.element_handle(), before], timeout=60_000)
        moved = z1.inner_text()
        paragraph = page.evaluate(SAID_PARAGRAPH, SAID_WORDS)
    assert _number(moved) < _number(start), (start, moved)
    # A paragraph with computed numbers (course_lib.prose.say) reads as in the book: rendered
    # Markdown with its numbers and typeset maths, its code hidden.
    assert paragraph and paragraph["markdown"] and paragraph["input_hidden"], paragraph
    assert re.match(r"\d+% of the decoded box codes", paragraph["text"]), paragraph["text"]
    assert not any(raw in paragraph["text"] for raw in ("[[", "$Z$", "prose.say")), paragraph["text"]
    assert paragraph["math"], "the paragraph's maths is not typeset"
    assert not outside, f"requests left localhost: {outside}"


SAID_WORDS = "of the decoded box codes look like a digit"
# The output of the paragraph cell holding SAID_WORDS: its text, whether it is rendered
# Markdown, whether its maths is typeset, and whether the cell's input is hidden.
SAID_PARAGRAPH = """(words) => {
  const output = Array.from(document.querySelectorAll('.jp-OutputArea-output'))
      .find(o => o.innerText.includes(words));
  if (!output) return null;
  return {
    text: output.innerText.trim(),
    // rendered by jupyterlab-myst (MyST, maths by KaTeX) or by JupyterLab's own Markdown
    markdown: ['jp-RenderedMySTMarkdown', 'jp-RenderedMarkdown'].some(c => output.classList.contains(c)),
    math: !!output.querySelector('.katex, mjx-container, .MathJax'),
    input_hidden: !!output.closest('.jp-Cell').querySelector('.jp-InputPlaceholder'),
  };
}"""


RENDERED_MYST = """() => {
  const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'));
  const outputs = cells.map(c => c.querySelector('.myst')).filter(o => o);  // jupyterlab-myst's
  const panel = window.jupyterapp.shell.currentWidget;
  const model = panel.context.model;
  return {
    markdown: cells.length,
    rendered: outputs.length,
    text: outputs.map(o => o.innerText).join('\\n'),
    admonitions: Array.from(document.querySelectorAll('.jp-Notebook aside.myst-admonition'))
        .map(a => a.innerText.split('\\n')[0]),
    dropdowns: Array.from(document.querySelectorAll('.jp-Notebook details.myst-admonition summary'))
        .map(s => s.innerText.trim()),
    trusted: Array.from({length: model.cells.length}, (_, k) => model.cells.get(k))
        .some(c => c.type === 'code' && c.trusted),
  };
}"""


def test_myst_markup_renders_live_in_jupyterlab(lab, chromium):
    from playwright.sync_api import sync_playwright

    url, token = lab
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        outside = _local_only(page, url)
        page.goto(f"{url}/lab/tree/{MYST_NOTEBOOK}?token={token}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                               timeout=60_000)
        # jupyterlab-myst renders each markdown cell into a `.myst` element
        page.wait_for_function("() => { const c = document.querySelectorAll('.jp-Notebook .jp-MarkdownCell');"
                               " return c.length > 5 && Array.from(c).every(x => x.querySelector('.myst')); }",
                               timeout=90_000)
        page.wait_for_function("() => document.querySelector('.jp-Notebook aside.myst-admonition')",
                               timeout=30_000)
        found = page.evaluate(RENDERED_MYST)
        browser.close()
    assert found["rendered"] == found["markdown"], found
    assert any(title.strip() == "Tip" for title in found["admonitions"]), found["admonitions"]
    assert DROPDOWN_TITLE in found["dropdowns"], found["dropdowns"]
    # a citation shows its key (jupyterlab-myst has no bibliography), never the raw role
    assert CITED_KEY in found["text"]
    for raw in ("{tip}", "{admonition}", ":class: dropdown", "{cite}", "{bibliography}", "```"):
        assert raw not in found["text"], f"raw MyST shown live: {raw}"
    assert not found["trusted"], "the copied notebook should be untrusted: rendering must not need trust"
    assert not outside, f"requests left localhost: {outside}"
