"""The build's pre-execution (_ext/parallel_execution.py): a page is re-executed when the
course_lib code it imports changes, and only then."""

from __future__ import annotations

import json
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from parallel_execution import (THREAD_VARIABLES, _dependencies, _one_thread_per_kernel,  # noqa: E402
                                _toc_notebooks, notebook_code_hash)


def _package(tmp_path):
    lib = tmp_path / "course_lib"
    (lib / "checks").mkdir(parents=True)
    (lib / "__init__.py").write_text("")
    (lib / "core.py").write_text("X = 1\n")
    (lib / "vae.py").write_text("from .core import X\n")
    (lib / "linear.py").write_text("import numpy\n")
    (lib / "checks" / "__init__.py").write_text(
        "from importlib import import_module\n\ndef __getattr__(name):\n    return import_module(name)\n")
    (lib / "checks" / "nn.py").write_text("from ..linear import numpy\n")
    return lib


def _notebook(tmp_path, code):
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": ["# x"]},
                                          {"cell_type": "code", "source": [code]}]}))
    return path


def test_dependencies_follow_imports_through_modules_and_relative_imports(tmp_path):
    _package(tmp_path)
    names = lambda code: sorted(p.relative_to(tmp_path).as_posix() for p in _dependencies(code, tmp_path))
    assert names("from course_lib import vae") == [
        "course_lib/__init__.py", "course_lib/core.py", "course_lib/vae.py"]
    assert names("import course_lib.linear as linear\n%matplotlib inline") == [
        "course_lib/__init__.py", "course_lib/linear.py"]
    # a package that imports its modules by name: the page depends on those whose __all__
    # holds a name it uses, and on those without an __all__
    assert "course_lib/linear.py" in names("from course_lib.checks import nn")
    (tmp_path / "course_lib" / "checks" / "vae.py").write_text("__all__ = ['kl']\nfrom ..core import X\n")
    (tmp_path / "course_lib" / "checks" / "nn.py").write_text("__all__ = ['grad']\nfrom ..linear import numpy\n")
    uses_grad = names("from course_lib import checks\nchecks.grad(f)")
    assert "course_lib/checks/nn.py" in uses_grad and "course_lib/checks/vae.py" not in uses_grad
    assert "course_lib/checks/vae.py" in names("from course_lib import checks\nchecks.kl(f)")
    assert names("import numpy") == []


def test_the_hash_changes_with_the_code_a_page_uses_and_only_with_it(tmp_path):
    lib = _package(tmp_path)
    page = _notebook(tmp_path, "from course_lib import vae")
    before = notebook_code_hash(page, tmp_path)
    (lib / "linear.py").write_text("import numpy  # edited\n")
    assert notebook_code_hash(page, tmp_path) == before
    (lib / "core.py").write_text("X = 2\n")
    assert notebook_code_hash(page, tmp_path) != before


def test_a_page_depends_on_the_checks_it_calls_and_on_no_other():
    """Editing one exercise's check re-executes only the pages that call it."""
    deps = lambda page: {p.relative_to(ROOT).as_posix() for p in _dependencies(
        "\n".join("".join(c["source"]) for c in json.loads((ROOT / "book" / page).read_text())["cells"]
                  if c["cell_type"] == "code"), ROOT)}
    bayes_page = deps("03_5_variational_bayes.ipynb")
    assert "course_lib/checks/bayes.py" in bayes_page and "course_lib/checks/_core.py" in bayes_page
    assert "course_lib/checks/counts.py" not in bayes_page and "course_lib/checks/vae.py" not in bayes_page


def test_checks_are_imported_only_when_called():
    import subprocess

    code = ("import sys\nfrom course_lib import checks\nassert 'course_lib.checks.bayes' not in sys.modules\n"
            "checks.kl_gaussian\nassert 'course_lib.checks.bayes' in sys.modules\n"
            "assert 'course_lib.checks.counts' not in sys.modules\n"
            "assert len(checks.__all__) == len(set(checks.__all__)) == sum(len(checks._listed(t)) for t in checks._TOPICS)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_every_page_of_the_book_is_pre_executed():
    pages = _toc_notebooks(ROOT)
    assert pages and all(p.suffix == ".ipynb" and p.exists() for p in pages)
    assert len(pages) == len(list((ROOT / "book").glob("*.ipynb")))


def test_a_page_is_executed_once_and_again_only_when_its_course_lib_code_changes(tmp_path, capsys):
    from types import SimpleNamespace

    from parallel_execution import _prepare_cache

    lib = _package(tmp_path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    page = _notebook(tmp_path, "import course_lib.vae\nprint(course_lib.vae.X)")
    notebook = json.loads(page.read_text())
    notebook.update(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                             "language": "python"}}, nbformat=4, nbformat_minor=5)
    for k, cell in enumerate(notebook["cells"]):
        cell.update(id=f"cell{k}", metadata={})
        if cell["cell_type"] == "code":
            cell.update(outputs=[], execution_count=None)
    page.write_text(json.dumps(notebook))
    config = SimpleNamespace(nb_execution_mode="cache", nb_execution_cache_path="",
                             nb_execution_timeout=60, nb_execution_allow_errors=False)
    app = SimpleNamespace(config=config, srcdir=str(tmp_path), outdir=str(tmp_path / "_build" / "html"))

    def run():
        _prepare_cache(app)
        return capsys.readouterr().out

    assert "executed 1 notebook(s)" in run()
    assert (tmp_path / "_build" / ".jupyter_cache").is_dir()  # where myst-nb looks
    assert "executed" not in run()  # cached: nothing to do
    (lib / "linear.py").write_text("import numpy  # not used by the page\n")
    assert "executed" not in run()
    (lib / "core.py").write_text("X = 2\n")
    out = run()
    assert "course_lib changed under page.ipynb" in out and "executed 1 notebook(s)" in out


def test_kernels_started_in_the_parallel_run_get_one_thread_each(monkeypatch):
    import os

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # set by the reader: kept
    with _one_thread_per_kernel():
        assert os.environ["OMP_NUM_THREADS"] == os.environ["OPENBLAS_NUM_THREADS"] == "1"
        assert os.environ["MKL_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "3"
