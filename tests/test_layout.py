"""The layout of course_lib (CONTRIBUTING.md): which module may import which, and module sizes.

Method modules compute and never draw: they import no matplotlib and no figures module.
Figures modules import method modules, never the reverse. No module is over 300 lines.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "course_lib"
METHOD_MODULES = ["core", "training", "data", "linear", "nn", "optim", "backprop", "vae", "bayes", "bayes_curves",
                  "counts", "pbmc", "vae_batch", "variational_em", "latent",
                  # the exercises' checks compute reference answers: no figures either
                  "checks/_core", "checks/basics", "checks/nn", "checks/backprop", "checks/vae",
                  "checks/ppca", "checks/biology", "checks/bayes", "checks/counts"]
FIGURE_MODULES = ["plotting", "widgets", "sliders", "vae_explorers", "vae_figures", "bayes_figures", "optim_figures",
                  "demo_figures", "latent_explorer", "diagrams", "linear_figures", "nn_figures", "backprop_figures",
                  "counts_figures", "variational_em_figures", "svg",
                  "prose"]
MAX_LINES = 300


def imported_modules(name: str) -> set[str]:
    """Top-level names imported by course_lib/<name>.py, anywhere in the file (also inside functions)."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "course_lib":
                names |= {f"course_lib.{alias.name}" for alias in node.names}
    return names


def test_the_lists_cover_every_module():
    present = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__", "quiz"}
    unknown = present - set(METHOD_MODULES) - set(FIGURE_MODULES)
    assert not unknown, f"add {sorted(unknown)} to METHOD_MODULES or FIGURE_MODULES (and to CONTRIBUTING.md)"


@pytest.mark.parametrize("name", METHOD_MODULES)
def test_method_modules_do_not_draw(name):
    assert (PACKAGE / f"{name}.py").exists(), f"{name}.py is listed but missing"
    imports = imported_modules(name)
    drawing = {m for m in imports if m.split(".")[0] == "matplotlib"}
    figures = {m for m in imports if m.startswith("course_lib.") and m.split(".")[1] in FIGURE_MODULES}
    assert not drawing and not figures, f"{name}.py imports {sorted(drawing | figures)}"


def test_core_imports_no_other_course_module():
    assert not {m for m in imported_modules("core") if m.startswith("course_lib")}


def test_private_helpers_are_not_imported_across_modules():
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib"):
                private = [a.name for a in node.names if a.name.startswith("_") and node.module != "course_lib.checks._core"
                           and a.name != "__future__"]
                assert not private, f"{path.name} imports private {private} from {node.module}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_every_module_is_under_300_lines(path):
    n_lines = len(path.read_text().splitlines())
    assert n_lines <= MAX_LINES, f"{path.name} has {n_lines} lines (at most {MAX_LINES})"
