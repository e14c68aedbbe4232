"""The build configuration itself: a failing cell, or a cell that prints a warning, fails
the book build (checked on a throw-away book that uses the course's _config.yml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import ROOT


def _build_one_page(tmp_path, code: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copytree(ROOT / "_ext", tmp_path / "_ext")
    shutil.copytree(ROOT / "_static", tmp_path / "_static")
    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "book" / "references.bib", tmp_path / "book" / "references.bib")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/page\n")
    notebook = new_notebook(cells=[new_markdown_cell("# A page"), new_code_cell(code)],
                            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "python"}})
    nbformat.write(notebook, tmp_path / "book" / "page.ipynb")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(tmp_path),
               "--builder", "html", "-W", "-n", "--keep-going"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)


@pytest.mark.parametrize("code, reason", [
    ("1 / 0", "ZeroDivisionError"),
    ("import warnings\nwarnings.warn('a deprecated call')", "stderr"),
])
def test_a_bad_cell_fails_the_build(tmp_path, code, reason):
    run = _build_one_page(tmp_path, code)
    assert run.returncode != 0, "the build should have failed"
    assert reason in run.stdout + run.stderr


def test_a_good_cell_builds(tmp_path):
    run = _build_one_page(tmp_path, "print(6 * 7)")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "42" in (tmp_path / "_build" / "html" / "book" / "page.html").read_text()
