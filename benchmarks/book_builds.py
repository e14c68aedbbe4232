"""Parts `book` and `pdf`: the whole book built cold, rebuilt, rebuilt after a one-line change
in course_lib; then `make pdf` (tools/pdf.py) on that build."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from common import BOOK_BUDGET, PDF_BUDGET, REBUILD_BUDGET, ROOT, mark

# A method module that only some pages import (02_3 alone): the build must re-execute those only.
CHANGED_MODULE = ROOT / "course_lib" / "optim.py"
EXECUTED = re.compile(r"\[parallel_execution\] executed (\d+) notebook")


def build_book(output: Path) -> tuple[float, str]:
    """`jupyter-book build . --builder html -W -n --keep-going` into ``output``: (seconds, log)."""
    start = time.perf_counter()
    run = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                          "--builder", "html", "--path-output", str(output), "-W", "-n", "--keep-going"],
                         capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"the book build failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return seconds, run.stdout + run.stderr


def executed(log: str) -> int:
    """Notebooks executed by _ext/parallel_execution.py, read from the build log (none if silent)."""
    found = EXECUTED.search(log)
    return int(found.group(1)) if found else 0


def pages_importing(module: Path) -> list[str]:
    """The pages of the book that import ``module``, directly or not (as the build computes it)."""
    sys.path.insert(0, str(ROOT / "_ext"))
    from conftest import toc_notebooks
    from parallel_execution import _dependencies

    pages = []
    for notebook in toc_notebooks():
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        if module.resolve() in [p.resolve() for p in _dependencies(code, ROOT)]:
            pages.append(notebook.stem)
    return pages


@contextlib.contextmanager
def one_line_added(path: Path):
    """Append a comment line to ``path``; restore its exact bytes afterwards, whatever happens."""
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"# benchmark: a one-line change, removed after the rebuild\n")
        yield
    finally:
        path.write_bytes(original)


def book_table(output: Path) -> list[str]:
    """Build cold into ``output`` (a fresh folder), rebuild twice; the table's lines."""
    cold, log = build_book(output)
    print(f"book: cold build {cold:.0f} s, {executed(log)} notebooks executed", flush=True)
    again, log_again = build_book(output)
    print(f"book: rebuild with nothing changed {again:.1f} s", flush=True)
    expected = pages_importing(CHANGED_MODULE)
    with one_line_added(CHANGED_MODULE):
        changed, log_changed = build_book(output)
    module = CHANGED_MODULE.relative_to(ROOT).as_posix()
    print(f"book: rebuild after a change in {module} {changed:.1f} s, {executed(log_changed)} re-executed "
          f"(expected {len(expected)}: {', '.join(expected)})", flush=True)
    size = sum(f.stat().st_size for f in (output / "_build" / "html").rglob("*") if f.is_file())
    return ["| book | seconds | notebooks executed | budget |", "|---|---:|---:|---|",
            f"| cold build (fresh folder, no cache, parallel execution) | {cold:.0f} | {executed(log)} "
            f"| {mark(cold, BOOK_BUDGET)} |",
            f"| rebuild, nothing changed | {again:.1f} | {executed(log_again)} | {mark(again, REBUILD_BUDGET)} |",
            f"| rebuild after a one-line change in {module} (imported by {len(expected)} page(s): "
            f"{', '.join(expected)}) | {changed:.1f} | {executed(log_changed)} | |",
            f"| size of _build/html | {size / 2**20:.1f} MiB | | |"]


def pdf_table(html: Path, output: Path) -> list[str]:
    """`make pdf` (tools/pdf.py) on the HTML build ``html``: time, pages, size."""
    from pypdf import PdfReader

    start = time.perf_counter()
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "pdf.py"), "--html", str(html), "--output", str(output)],
                         capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"make pdf failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    pages, size = len(PdfReader(output).pages), output.stat().st_size
    print(f"pdf: {seconds:.0f} s, {pages} pages, {size / 1e6:.1f} MB", flush=True)
    return ["| make pdf | seconds | pages | size (MB) | budget |", "|---|---:|---:|---:|---|",
            f"| {html.relative_to(ROOT) if html.is_relative_to(ROOT) else 'the cold build above'} "
            f"| {seconds:.0f} | {pages} | {size / 1e6:.1f} | {mark(seconds, PDF_BUDGET)} |"]
