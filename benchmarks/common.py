"""What the benchmark's parts share: the paths, the budgets of this 2-core machine, the marks."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"

# Budgets on a 2-core laptop (CONTRIBUTING.md): shown beside each number, never failing.
NOTEBOOK_BUDGET = 20.0  # seconds, one notebook run cold in a fresh kernel
BOOK_BUDGET = 90.0  # seconds, the cold build of the whole book (parallel execution, no cache)
REBUILD_BUDGET = 10.0  # seconds, a rebuild with nothing changed
PDF_BUDGET = 60.0  # seconds, `make pdf` after the build
THROUGHPUT_TARGET = 1.5  # course loop / plain recipe, samples per second
LIVE_BUDGET = 1.0  # seconds, a live update of an analytic explorer
PRECOMPUTE_BUDGET = 10.0  # seconds, every frame of one explorer
PAGE_WEIGHT_BUDGET = 2_000_000  # bytes of one explorer's static HTML
LATENT_BUDGET = 50.0  # milliseconds, one move of the latent plane decoded in the page


def use_this_checkout() -> None:
    """Import (and let kernels and builds import) this checkout's course_lib, not an installed one."""
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    for path in (str(ROOT), str(ROOT / "tests")):  # the tests' helpers: _toc.yml, the latent page
        if path not in sys.path:
            sys.path.insert(0, path)


def mark(value: float, budget: float, unit: str = "s") -> str:
    """ok / over budget, with the budget: 'ok (< 90 s)'."""
    return f"{'ok' if value <= budget else '**over budget**'} (≤ {budget:g} {unit})"


def machine() -> str:
    import psutil
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return (f"{cpu}, {os.cpu_count()} logical cores, {memory:.0f} GiB; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; torch {torch.__version__}")
