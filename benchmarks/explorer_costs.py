"""Parts `explorers` and `latent`: every explorer of the book built as its chapter builds it
(frames, precompute time, page weight, live update), and the latent plane's response in the
built pages (milliseconds per move, measured in the page with Playwright)."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

from common import LATENT_BUDGET, LIVE_BUDGET, PAGE_WEIGHT_BUDGET, PRECOMPUTE_BUDGET, ROOT, mark

CALL = re.compile(r"\b(\w+_explorer)\(")


def book_explorer_calls() -> dict[str, list[str]]:
    """{explorer function: pages calling it}, read from the code cells of every page."""
    from conftest import toc_notebooks

    calls: dict[str, list[str]] = {}
    for notebook in toc_notebooks():
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                for name in CALL.findall("".join(cell["source"])):
                    pages = calls.setdefault(name, [])
                    if notebook.stem not in pages:
                        pages.append(notebook.stem)
    return calls


def explorers() -> dict:
    """{function name: (row title, factory, live values or None)}: each explorer built with the
    same calls as its page (the chapters' SETTINGS objects, by default), none of our own."""
    from course_lib import bayes_figures, data, demo_figures, optim_figures, vae_explorers as ve

    @functools.lru_cache(maxsize=1)
    def digits_split():  # as 03_2b_sigma2_latent_dim does
        digits = data.digits()
        x_train, x_test, _, _ = data.split(digits.x, digits.y, test_fraction=0.25, seed=0)
        return x_train, x_test

    return {
        "gaussian_nll_explorer": ("σ² demo (interactive_figures)", demo_figures.gaussian_nll_explorer,
                                  {"sigma2": 0.77}),
        "lr_explorer": ("learning rate ρ and batch size b (02_3)", optim_figures.lr_explorer, {"lr": 0.0123}),
        "sigma2_explorer": ("σ² of the VAE (03_2b)", lambda: ve.sigma2_explorer(*digits_split()), None),
        "latent_dim_explorer": ("latent dimension m (03_2b)", lambda: ve.latent_dim_explorer(*digits_split()), None),
        "bands_explorer": ("predictive bands σ² and prior std (03_6)", bayes_figures.bands_explorer, None),
    }


def measure_explorer(factory, live_values) -> tuple[float, int, int, float | None]:
    """Precompute seconds, frames, page weight (bytes of the static HTML) and live update seconds."""
    explorer = factory()
    size = len(explorer.to_html().encode())
    live = None
    if live_values is not None:
        start = time.perf_counter()
        explorer.render(**live_values)
        live = time.perf_counter() - start
    return explorer.precompute_seconds, len(explorer.grid_values()), size, live


def explorers_table() -> list[str]:
    measured = explorers()
    lines = ["| explorer | frames | precompute (s) | per frame (s) | page weight (kB) | live update (s) | budgets |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, (title, factory, live_values) in measured.items():
        precompute, frames, size, live = measure_explorer(factory, live_values)
        verdicts = [mark(precompute, PRECOMPUTE_BUDGET), mark(size / 1e6, PAGE_WEIGHT_BUDGET / 1e6, "MB")]
        if live is not None:
            verdicts.append(mark(live, LIVE_BUDGET))
        live_text = f"{live:.2f}" if live is not None else "trains a model"
        print(f"{title}: {frames} frames, precompute {precompute:.1f} s, {size / 1e3:.0f} kB, live {live_text}",
              flush=True)
        lines.append(f"| {title} | {frames} | {precompute:.1f} | {precompute / frames:.2f} | {size / 1e3:.0f} "
                     f"| {live_text} | {', '.join(verdicts)} |")
    # The latent planes have no frames: the `latent` part measures them in the built pages.
    missing = {n: pages for n, pages in book_explorer_calls().items() if n not in measured and n != "latent_explorer"}
    for name, pages in missing.items():
        lines.append(f"| **{name} ({', '.join(pages)}) is not measured: add it to benchmarks/explorer_costs.py** "
                     "| | | | | | |")
    return lines


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def latent_table(html: Path, n_clicks: int = 24, n_keys: int = 24) -> list[str]:
    """In-page milliseconds per move (clicks then arrow keys) of every latent plane of ``html``."""
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM_FLAGS
    from latent_page import timed_moves

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return ["(latent plane not measured: the system Chromium is not installed)"]
    pages = sorted(p for p in html.rglob("*.html") if "course-latent-explorer" in p.read_text(encoding="utf-8"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    # judged on the 95th percentile: a rare move waits for the browser's garbage collector
    lines = [f"| latent plane ({n_clicks} clicks, {n_keys} arrow keys) | median (ms per move) | 95th percentile (ms) "
             "| max (ms) | page weight (kB) | budget (95th percentile) |", "|---|---:|---:|---:|---:|---|"]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS[1:])
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
                (base, "data:", "blob:", "about:")) else route.abort())
            for path in pages:
                name = path.relative_to(html).as_posix()
                page.goto(base + name, wait_until="load")
                for k, root in enumerate(page.locator("div.course-latent-explorer").all()):
                    root.scroll_into_view_if_needed()
                    times = timed_moves(root, n_clicks, n_keys)
                    weight = root.evaluate("(r) => r.outerHTML.length") / 1e3
                    median, worst = statistics.median(times), max(times)
                    p95 = statistics.quantiles(times, n=20)[-1]
                    print(f"latent plane {name} #{k}: {median:.2f} ms median, {p95:.2f} ms p95, "
                          f"{worst:.2f} ms max", flush=True)
                    lines.append(f"| {name} #{k + 1} | {median:.2f} | {p95:.2f} | {worst:.2f} | {weight:.0f} "
                                 f"| {mark(p95, LATENT_BUDGET, 'ms')} |")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if not pages:
        lines.append(f"| no page of {html} has a latent plane | | | | |")
    return lines
