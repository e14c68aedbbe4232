"""Sphinx extension: execute the book's notebooks in parallel, and never show stale results.

Jupyter Book 1 (myst-nb, ``execute_notebooks: cache``) executes the notebooks one after the
other while it reads them, and keys each cached result on the notebook's own code only: a
change in ``course_lib`` would leave old outputs in the book. Before Sphinx reads anything
(``builder-inited``), this extension

1. finds, for every notebook of ``_toc.yml``, the ``course_lib`` modules it imports, directly
   or through other modules, and hashes their source;
2. drops the cached result of every notebook whose modules changed since it was cached
   (a notebook whose own code changed no longer matches the cache anyway);
3. executes every notebook without a cached result with jupyter-cache's ``local-parallel``
   executor, one process per core, into the cache myst-nb reads.

myst-nb then finds every notebook in the cache. A notebook that failed here is executed
again by myst-nb, which reports the failing cell in the build log as before.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import re
import time
from pathlib import Path

import yaml

HASHES_FILE = "course_lib_hashes.json"  # notebook -> hash of the course_lib code it uses


def _toc_notebooks(srcdir: Path) -> list[Path]:
    """The .ipynb files listed in _toc.yml (jb-book format), in the book's order."""
    toc = yaml.safe_load((srcdir / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    files.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    paths = [srcdir / (f if f.endswith(".ipynb") else f + ".ipynb") for f in files]
    return [p for p in dict.fromkeys(paths) if p.exists()]


def _imported_modules(source: str, package: str) -> set[str]:
    """Names of the package's modules imported by ``source`` ("course_lib.vae", ...)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: fall back to the import lines alone
        lines = [l for l in source.splitlines() if re.match(r"\s*(from|import)\s", l)]
        try:
            tree = ast.parse("\n".join(l.strip() for l in lines))
        except SyntaxError:
            return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == package}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative import inside the package: resolved by the caller
                found.add("." * node.level + node.module)
                found |= {"." * node.level + node.module + "." + a.name for a in node.names}
            elif node.module.split(".")[0] == package:
                found.add(node.module)
                found |= {node.module + "." + a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            found |= {"." * node.level + a.name for a in node.names}
    return found


def _module_file(name: str, root: Path) -> Path | None:
    """course_lib.checks.nn -> root/course_lib/checks/nn.py (or its __init__.py)."""
    path = root.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _public_names(path: Path) -> set[str] | None:
    """The names listed in the module's ``__all__`` (None if it has no literal ``__all__``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            try:
                return set(ast.literal_eval(node.value))
            except ValueError:
                return None
    return None


def _dependencies(source: str, root: Path, package: str = "course_lib") -> list[Path]:
    """Every file of the package that ``source`` uses, directly or through other modules.

    A package that imports its modules by name (``import_module``, as ``checks`` gathers its
    topics) makes the page depend on those of its modules whose ``__all__`` holds a name the
    page's code uses (``checks.kl_gaussian`` -> ``checks/bayes.py``), and on every module
    without an ``__all__``: editing one exercise's check re-executes only its pages.
    """
    words = set(re.findall(r"\w+", source))
    todo = [(source, package)]  # (code, the package its relative imports start from)
    seen: dict[Path, bool] = {}
    while todo:
        text, context = todo.pop()
        for name in _imported_modules(text, package):
            if name.startswith("."):
                level = len(name) - len(name.lstrip("."))
                base = context.split(".")[: len(context.split(".")) - (level - 1)]
                name = ".".join(base + [name.lstrip(".")])
            parts = name.split(".")
            for k in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__
                module = ".".join(parts[:k])
                path = _module_file(module, root)
                if path is None or path in seen:
                    continue
                seen[path] = True
                text = path.read_text(encoding="utf-8")
                context = module if path.name == "__init__.py" else ".".join(parts[: k - 1])
                todo.append((text, context))
                if "import_module(" in text:  # imports by name: the modules the page uses
                    for sibling in path.parent.glob("*.py"):
                        public = _public_names(sibling)
                        if sibling not in seen and (public is None or public & words):
                            seen[sibling] = True
                            todo.append((sibling.read_text(encoding="utf-8"), context))
    return sorted(seen)


def notebook_code_hash(notebook: Path, root: Path) -> str:
    """A hash of the source of every course_lib file that the notebook imports."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    digest = hashlib.sha256()
    for path in _dependencies(code, root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _prepare_cache(app) -> None:
    config = app.config
    if config.nb_execution_mode != "cache":
        return
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.executors import load_executor

    logger = logging.getLogger("parallel_execution")
    logger.setLevel(logging.INFO)  # the executor then reports one line per notebook
    srcdir = Path(app.srcdir)
    # myst-nb's default, which Jupyter Book keeps: _build/.jupyter_cache beside _build/html
    cache_path = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    cache = get_cache(str(cache_path))
    notebooks = _toc_notebooks(srcdir)
    hashes_file = cache_path / HASHES_FILE
    old = json.loads(hashes_file.read_text()) if hashes_file.exists() else {}
    new = {}
    for path in notebooks:
        key = path.relative_to(srcdir).as_posix()
        new[key] = notebook_code_hash(path, srcdir)
        if old.get(key) != new[key]:  # course_lib changed under this page (or first build)
            try:
                record = cache.match_cache_notebook(nbformat.read(str(path), nbformat.NO_CONVERT))
                cache.remove_cache(record.pk)
                print(f"[parallel_execution] course_lib changed under {key}: re-executing it")
            except KeyError:
                pass
        cache.add_nb_to_project(str(path))
    start = time.perf_counter()
    executor = load_executor("local-parallel", cache=cache, logger=logger)
    with _one_thread_per_kernel():
        result = executor.run_and_cache(filter_uris=[str(p) for p in notebooks],
                                        timeout=config.nb_execution_timeout,
                                        allow_errors=config.nb_execution_allow_errors)
    ran = len(result.succeeded) + len(result.excepted) + len(result.errored)
    if ran:
        print(f"[parallel_execution] executed {ran} notebook(s) in parallel in "
              f"{time.perf_counter() - start:.1f} s; failed: {result.excepted + result.errored}")
    hashes_file.parent.mkdir(parents=True, exist_ok=True)
    hashes_file.write_text(json.dumps({**old, **new}, indent=1, sort_keys=True))


# The thread pools of torch, OpenMP and BLAS, which a kernel sizes from these at start-up.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@contextlib.contextmanager
def _one_thread_per_kernel():
    """Kernels started inside run with one thread each. The executor runs one kernel per core
    already; a kernel that also spreads its tensors over every core competes with the others
    (measured on 2 cores: the cold build 82 s with a thread pool per kernel, 71 s with one
    thread). A value the reader set is kept."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def setup(app):
    app.connect("builder-inited", _prepare_cache)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
