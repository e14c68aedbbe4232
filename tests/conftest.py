"""Shared fixtures: the repository's paths, the built book, the system Chromium.

In CI (CI=true) a skipped test fails the run: a browser or notebook test that cannot run
there is a defect, not a pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build" / "html"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def toc_files() -> list[str]:
    """Every file of _toc.yml, as paths relative to the root without suffix (book/intro)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def toc_notebooks() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in toc_files() if (ROOT / f"{f}.ipynb").exists()]


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book once per session (warnings are errors) and return _build/html.

    Execution results are cached in _build/.jupyter_cache, so after `make book` this
    re-executes nothing.
    """
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
               "--builder", "html", "-W", "-n", "--keep-going"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        pytest.fail(f"the book build failed:\n{run.stdout[-6000:]}\n{run.stderr[-6000:]}")
    return BUILD


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium's path; never a browser downloaded by a test tool."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium is not installed (Debian: apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def pytest_sessionfinish(session, exitstatus):
    """In CI, turn any skipped test into a failed run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI=true and {skipped} test(s) were skipped: failing the run.", red=True)
        session.exitstatus = 1


def open_built_page(browser, served_book: str, name: str):
    """A new page of ``browser`` at the built page ``name`` (loaded), and the list that
    collects the page's JavaScript errors as they happen."""
    from urllib.parse import urljoin

    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(urljoin(served_book, name), wait_until="load")
    return page, errors
