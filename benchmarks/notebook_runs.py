"""Part `notebooks`: every notebook of _toc.yml executed cold in a fresh kernel: time, peak memory."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from common import NOTEBOOK_BUDGET, mark


def run_notebook(path: Path) -> tuple[float, float]:
    """Execute a notebook in a fresh kernel; return (seconds, peak kernel memory in MiB)."""
    import nbformat
    import psutil
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            try:
                process = psutil.Process(client.km.provisioner.process.pid)
                rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                peak[0] = max(peak[0], rss)
            except Exception:  # the kernel is not up yet, or already gone
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    sampler.start()
    try:
        client.execute()
    finally:
        done.set()
    return time.perf_counter() - start, peak[0] / 2**20


def notebooks_table() -> tuple[list[str], list[str]]:
    """The table's lines, and the alarms (a notebook over twice its budget)."""
    from conftest import toc_notebooks  # the tests' reading of _toc.yml: every page of the book

    lines = ["| notebook | cold run (s) | peak memory (MiB) | budget |", "|---|---:|---:|---|"]
    alarms = []
    for path in toc_notebooks():
        seconds, memory = run_notebook(path)
        print(f"{path.name}: {seconds:.1f} s, {memory:.0f} MiB", flush=True)
        lines.append(f"| {path.stem} | {seconds:.1f} | {memory:.0f} | {mark(seconds, NOTEBOOK_BUDGET)} |")
        if seconds > 2 * NOTEBOOK_BUDGET:
            alarms.append(f"- **{path.stem} took {seconds:.0f} s, over twice its {NOTEBOOK_BUDGET:.0f} s budget**")
    return lines, alarms
