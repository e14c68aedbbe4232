"""Checks of the exercises: one function per exercise, ``checks.<name>(your_function)``.

Each check runs your function on several inputs against a reference implementation and
explains the first difference it finds (see ``_core.check_function``). The checks of each
chapter live in one module (``basics``, ``nn``, ``backprop``, ``vae``, ``ppca``, ``biology``,
``bayes``, ``counts``), which lists them in its ``__all__``. ``checks.<name>`` imports only
the module that lists ``<name>``, the first time it is used: a page depends on the checks
it calls and on no other (the book's build re-executes a page when those change).
"""

import ast
from importlib import import_module
from pathlib import Path

_TOPICS = ("basics", "nn", "backprop", "vae", "ppca", "biology", "bayes", "counts")


def _listed(topic: str) -> list[str]:
    """The names in the ``__all__`` of checks/<topic>.py, read without importing it."""
    tree = ast.parse(Path(__file__).with_name(f"{topic}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise ImportError(f"course_lib/checks/{topic}.py must list its checks in a literal __all__")


_WHERE = {name: topic for topic in _TOPICS for name in _listed(topic)}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _TOPICS:  # a chapter's module of checks: checks.vae
        return import_module(f"{__name__}.{name}")
    if name not in _WHERE:
        raise AttributeError(f"course_lib.checks has no check {name!r}; the checks are: {', '.join(__all__)}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value  # later uses skip this function
    return value


def __dir__() -> list[str]:
    return __all__
