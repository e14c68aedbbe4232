"""Checks of the exercises: one function per exercise, ``checks.<name>(your_function)``.

Each check runs your function on several inputs against the reference implementation of
``course_lib`` and explains the first difference it finds (see ``_core.check_function``).
The checks of each chapter live in one module (``basics``, ``nn``, ``backprop``, ``vae``, ``ppca``, ``biology``,
``bayes``, ``counts``);
this package gathers the names listed in each module's ``__all__``.
"""

from importlib import import_module

_TOPICS = ("basics", "nn", "backprop", "vae", "ppca", "biology", "bayes", "counts")

__all__: list[str] = []
for _topic in _TOPICS:
    _module = import_module(f"{__name__}.{_topic}")
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
    __all__ += list(_module.__all__)
