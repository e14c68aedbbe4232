"""The course's benchmark: `make benchmark` (or `python benchmarks/run.py [--only PARTS]`).

Measures, on the machine it runs on, and prepends a dated Markdown table to
benchmarks/results.md (earlier runs kept below). Its parts, each in its module:

* notebooks (notebook_runs.py): every notebook of _toc.yml executed cold, in a fresh kernel:
  wall time and the kernel's peak memory;
* book (book_builds.py): the whole book built cold (a fresh output folder, no execution
  cache, the parallel execution of _ext/parallel_execution.py), rebuilt with nothing changed,
  and rebuilt after a one-line change in one course_lib module (how many notebooks the build
  re-executed, from its log);
* pdf (book_builds.py): `make pdf` (tools/pdf.py) on that build: time, pages, size;
* training (throughput.py): the course's training loops against the plain PyTorch recipe;
* explorers (explorer_costs.py): every explorer of the book, built as its page builds it:
  frames, precompute time, page weight, live update;
* latent (explorer_costs.py): the latent plane's decoder in the built pages, milliseconds
  per move (clicks and arrow keys), measured in the page with Playwright.

pdf and latent use the cold build of `book` when it runs, otherwise `make book`'s _build/html.
Budgets (common.py) are for a 2-core laptop. It is a benchmark, not a test: it never fails;
a notebook over twice its budget is reported at the top of the table.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
import traceback
from pathlib import Path

from common import RESULTS, ROOT, machine, use_this_checkout

PARTS = ("notebooks", "book", "pdf", "training", "explorers", "latent")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run, among {', '.join(PARTS)} (default: all)")
    parser.add_argument("--skip-build", action="store_true", help="leave out the part `book`")
    parser.add_argument("--dry-run", action="store_true", help="print the table instead of adding it to results.md")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose among {', '.join(PARTS)}")
    if args.skip_build:
        parts = [p for p in parts if p != "book"]
    return args, [p for p in PARTS if p in parts]


def run_parts(parts: list[str], folder: Path) -> tuple[list[str], list[str]]:
    """The tables of the chosen parts (a part that breaks says so in the table), and the alarms."""
    from book_builds import book_table, pdf_table
    from explorer_costs import explorers_table, latent_table
    from notebook_runs import notebooks_table
    from throughput import training_table

    html = folder / "_build" / "html" if "book" in parts else ROOT / "_build" / "html"
    lines, alarms = [], []
    for part in parts:
        try:
            if part == "notebooks":
                table, alarms = notebooks_table()
            elif part == "book":
                table = book_table(folder)
            elif part == "pdf":
                table = pdf_table(html, folder / "book.pdf")
            elif part == "training":
                table = training_table()
            elif part == "explorers":
                table = explorers_table()
            else:
                table = latent_table(html)
        except Exception as error:  # a benchmark never fails: the table says what broke
            traceback.print_exc()
            table = [f"Part `{part}` failed: {type(error).__name__}: {str(error).splitlines()[0][:200]}"]
        lines += table + [""]
    return lines, alarms


def main(argv=None) -> None:
    args, parts = parse_args(argv)
    use_this_checkout()
    with tempfile.TemporaryDirectory() as folder:
        lines, alarms = run_parts(parts, Path(folder))
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = [f"## {stamp}", "", f"Machine: {machine()}.", f"Parts: {', '.join(parts)}.", ""]
    if alarms:
        header += ["Notebooks over twice their budget:", ""] + alarms + [""]
    table = "\n".join(header + lines).rstrip() + "\n"
    if args.dry_run:
        print(table)
        return
    previous = RESULTS.read_text().split("\n", 2)[2] if RESULTS.exists() else ""
    RESULTS.write_text("# Benchmark results\n\n" + table + "\n" + previous)
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
