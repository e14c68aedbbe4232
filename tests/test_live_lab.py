"""A live test in a real browser: JupyterLab runs a chapter notebook, a slider of its
explorer is moved, and the figure changes (the kernel recomputed it)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import CHROMIUM_FLAGS, ROOT

# A chapter whose explorer is analytic (the learning-rate explorer), so that the test is quick.
NOTEBOOK = "02_3_optimisation.ipynb"


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
    shutil.copy(ROOT / "book" / NOTEBOOK, tmp_path / NOTEBOOK)
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


def test_a_slider_recomputes_the_figure_in_jupyterlab(lab, chromium):
    from playwright.sync_api import sync_playwright

    url, token = lab
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith((url, "data:", "blob:")) else route.abort())
        page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
        page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-Notebook')",
                               timeout=60_000)
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        widget = page.locator(".course-explorer-live")
        widget.wait_for(timeout=90_000)
        image = widget.locator("img")
        image.wait_for(timeout=30_000)
        before = image.get_attribute("src")
        # The slider's readout is editable: typing a value there moves the slider.
        readout = widget.locator(".widget-readout").first
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("0.05")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "([selector, before]) => { const i = document.querySelector(selector);"
            " return i && i.getAttribute('src') !== before; }",
            arg=[".course-explorer-live img", before], timeout=60_000)
        status = widget.locator(".widget-html").first.inner_text()
        assert "updated in" in status
        assert readout.inner_text().strip().startswith("0.05")
        page.wait_for_function(KERNEL_IDLE, timeout=30_000)
        browser.close()
