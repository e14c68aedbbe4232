"""The course's benchmark: `make benchmark` (or `python benchmarks/run.py`).

Measures, on the machine it runs on, and writes a dated Markdown table to
benchmarks/results.md (newest run first, earlier runs kept below):

1. each notebook of the book executed cold (a fresh kernel each): wall time and the
   kernel's peak memory, against the 20 s budget;
2. the whole book built cold (a fresh output folder, no execution cache), then rebuilt with
   nothing changed;
3. the training throughput of the course's VAE and Bayes-by-backprop loops against the
   plain PyTorch recipe for the same model and loss (a DataLoader over a TensorDataset,
   torch.optim.Adam), the median of three interleaved runs of each;
4. each explorer's precompute time and page weight, and the live update time of the
   analytic ones.

It is a benchmark, not a test: nothing fails on a slow machine, but a notebook over twice
its budget is reported at the top of the table.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"
NOTEBOOK_BUDGET = 20.0  # seconds, cold
BOOK_BUDGET = 180.0
REBUILD_BUDGET = 15.0
THROUGHPUT_TARGET = 1.5  # course loop / plain recipe, samples per second
LIVE_BUDGET = 1.0
PRECOMPUTE_BUDGET = 10.0
PAGE_WEIGHT_BUDGET = 2_000_000


# --- the machine -----------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    memory = psutil.virtual_memory().total / 2**30
    return (f"{cpu}, {os.cpu_count()} logical cores, {memory:.0f} GiB; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; torch {torch.__version__}")


# --- 1. notebooks ----------------------------------------------------------------------
def toc_notebooks() -> list[Path]:
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' reading of _toc.yml
    from conftest import toc_notebooks as listed

    return listed()


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
                pid = client.km.provisioner.process.pid
                process = psutil.Process(pid)
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


# --- 2. the book ------------------------------------------------------------------------
def build_book(output: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
                    "--builder", "html", "--path-output", str(output), "-W", "-n", "--keep-going"],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


# --- 3. training throughput ---------------------------------------------------------------
def plain_recipe(model, x: torch.Tensor, loss_fn, epochs: int, batch_size: int, lr: float) -> float:
    """The PyTorch examples' recipe: a DataLoader over a TensorDataset, Adam; samples/s."""
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(x), batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(epochs):
        for (batch,) in loader:
            optimizer.zero_grad()
            loss_fn(batch).backward()
            optimizer.step()
    return epochs * len(x) / (time.perf_counter() - start)


def compare(course_run, plain_run, repeats: int = 3) -> tuple[float, float]:
    """Median samples/s of each loop over ``repeats`` runs, interleaved so that both see the
    same machine (a single run of each varies by +-20 % on a laptop)."""
    ours, plain = [], []
    for _ in range(repeats):
        ours.append(course_run())
        plain.append(plain_run())
    return statistics.median(ours), statistics.median(plain)


def vae_throughput(course_batch: int | None = 128, plain_batch: int = 128,
                   epochs: int = 30) -> tuple[float, float]:
    """The VAE of the digits chapter; ``course_batch=None`` is full batch, as the chapter trains."""
    from course_lib import data, vae

    x = torch.as_tensor(data.digits().x, dtype=vae.DTYPE)

    def course_run():
        model = vae.VAE(64, 2, hidden=(64,), sigma2=0.1)
        start = time.perf_counter()
        vae.fit(model, x, epochs=epochs, lr=1e-3, batch_size=course_batch, tol=None)  # equal epochs
        return epochs * len(x) / (time.perf_counter() - start)

    def plain_run():
        model = vae.VAE(64, 2, hidden=(64,), sigma2=0.1)

        def loss(batch):
            xi = torch.randn(1, len(batch), model.latent_dim, dtype=vae.DTYPE)
            reconstruction, kl = model.elbo_terms(batch, xi)
            return -(reconstruction - kl).mean()

        return plain_recipe(model, x, loss, epochs, plain_batch, 1e-3)

    return compare(course_run, plain_run)


def bayes_throughput(course_batch: int | None = 32, plain_batch: int = 32,
                     epochs: int = 30) -> tuple[float, float]:
    """Bayes by backprop, one hidden layer, M = 1; ``course_batch=None`` is full batch."""
    from torch.utils.data import DataLoader, TensorDataset

    from course_lib import bayes, data

    dataset = data.diabetes()
    x, y = data.standardize(dataset.x), data.standardize(dataset.y)
    n_batches = math.ceil(len(x) / plain_batch)

    def course_run():
        model = bayes.BayesianRegression(10, hidden=(50,), sigma2=0.5)
        start = time.perf_counter()
        bayes.fit(model, x, y, epochs=epochs, lr=1e-2, n_mc=1, batch_size=course_batch, tol=None)  # equal epochs
        return epochs * len(x) / (time.perf_counter() - start)

    def plain_run():
        model = bayes.BayesianRegression(10, hidden=(50,), sigma2=0.5)
        xt, yt = torch.as_tensor(x, dtype=bayes.DTYPE), torch.as_tensor(y, dtype=bayes.DTYPE)
        loader = DataLoader(TensorDataset(xt, yt), batch_size=plain_batch, shuffle=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        start = time.perf_counter()
        for _ in range(epochs):
            for xb, yb in loader:
                optimizer.zero_grad()
                bayes.free_energy(model, xb, yb, n_mc=1, kl_weight=1 / n_batches)["free_energy"].backward()
                optimizer.step()
        return epochs * len(x) / (time.perf_counter() - start)

    return compare(course_run, plain_run)


# --- 4. explorers ---------------------------------------------------------------------------
def explorers() -> dict:
    """Each explorer of the book, built as its chapter builds it (the same settings objects)."""
    from course_lib import bayes_figures, data, demo_figures, optim_figures, vae_explorers

    digits = data.digits()
    x_train, x_test = data.split(digits.x, test_fraction=0.25, seed=0)
    return {
        "σ² demo (interactive figures)": (demo_figures.gaussian_nll_explorer, {"sigma2": 0.77}),
        "learning rate ρ and batch size b (optimisation)": (optim_figures.lr_explorer, {"lr": 0.0123}),
        "σ² (VAE)": (lambda: vae_explorers.sigma2_explorer(x_train, x_test, vae_explorers.SETTINGS), None),
        "latent dimension m (VAE)": (lambda: vae_explorers.latent_dim_explorer(x_train, x_test,
                                                                                vae_explorers.SETTINGS), None),
        "predictive bands (Bayes by backprop)": (bayes_figures.bands_explorer, None),
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


# --- the report ----------------------------------------------------------------------------
def mark(ok: bool) -> str:
    return "ok" if ok else "**over budget**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true", help="do not time the book builds")
    args = parser.parse_args()

    lines, alarms = [], []
    lines += ["| notebook | cold run (s) | peak memory (MiB) | budget 20 s |", "|---|---:|---:|---|"]
    for path in toc_notebooks():
        seconds, memory = run_notebook(path)
        print(f"{path.name}: {seconds:.1f} s, {memory:.0f} MiB", flush=True)
        lines.append(f"| {path.stem} | {seconds:.1f} | {memory:.0f} | {mark(seconds <= NOTEBOOK_BUDGET)} |")
        if seconds > 2 * NOTEBOOK_BUDGET:
            alarms.append(f"- **{path.stem} took {seconds:.0f} s, over twice its {NOTEBOOK_BUDGET:.0f} s budget**")

    if not args.skip_build:
        with tempfile.TemporaryDirectory() as folder:
            cold = build_book(Path(folder))
            again = build_book(Path(folder))
            size = sum(f.stat().st_size for f in (Path(folder) / "_build" / "html").rglob("*") if f.is_file())
        print(f"book: cold {cold:.0f} s, rebuild {again:.1f} s, {size / 2**20:.0f} MiB", flush=True)
        lines += ["", "| book | seconds | budget |", "|---|---:|---|",
                  f"| cold build, every notebook executed | {cold:.0f} | {mark(cold <= BOOK_BUDGET)} (180 s) |",
                  f"| rebuild, nothing changed | {again:.1f} | {mark(again <= REBUILD_BUDGET)} (15 s) |",
                  f"| size of _build/html | {size / 2**20:.1f} MiB | |"]

    lines += ["", "| training loop (course loop vs DataLoader recipe) | course (samples/s) | "
              "DataLoader recipe (samples/s) | ratio | target 1.5 |", "|---|---:|---:|---:|---|"]
    for name, measure, kwargs in (
            ("VAE on digits, both batch 128 (loop overhead only)", vae_throughput, {}),
            ("VAE on digits, course full batch (as in the chapter) vs recipe batch 128", vae_throughput,
             {"course_batch": None, "epochs": 100}),
            ("Bayes by backprop on diabetes, both batch 32 (loop overhead only)", bayes_throughput, {}),
            ("Bayes by backprop, course full batch (as in the chapter) vs recipe batch 32", bayes_throughput,
             {"course_batch": None, "epochs": 100})):
        ours, plain = measure(**kwargs)
        ratio = ours / plain
        print(f"{name}: {ours:.0f} vs {plain:.0f} samples/s ({ratio:.2f}x)", flush=True)
        verdict = "ok" if ratio >= THROUGHPUT_TARGET else "**below target**"
        lines.append(f"| {name} | {ours:.0f} | {plain:.0f} | {ratio:.2f} | {verdict} |")

    lines += ["", "| explorer | frames | precompute (s) | per frame (s) | page weight (kB) | live update (s) "
              "| budgets 10 s, 2 MB, 1 s |", "|---|---:|---:|---:|---:|---:|---|"]
    for name, (factory, live_values) in explorers().items():
        precompute, frames, size, live = measure_explorer(factory, live_values)
        ok = precompute <= PRECOMPUTE_BUDGET and size <= PAGE_WEIGHT_BUDGET and (live is None or live <= LIVE_BUDGET)
        live_text = f"{live:.2f}" if live is not None else "trains a model"
        print(f"{name}: {frames} frames, precompute {precompute:.1f} s, {size / 1e3:.0f} kB, live {live_text}",
              flush=True)
        lines.append(f"| {name} | {frames} | {precompute:.1f} | {precompute / frames:.2f} | {size / 1e3:.0f} "
                     f"| {live_text} | {mark(ok)} |")

    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = [f"## {stamp}", "", f"Machine: {machine()}.", ""]
    if alarms:
        header += ["Notebooks over twice their budget:", ""] + alarms + [""]
    previous = RESULTS.read_text().split("\n", 2)[2] if RESULTS.exists() else ""
    RESULTS.write_text("# Benchmark results\n\n" + "\n".join(header + lines) + "\n\n" + previous)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
