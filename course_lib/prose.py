"""Sentences with computed numbers that read the same in the book and in JupyterLab.

A number in the prose that a cell computes is inserted by that cell, never typed. myst-nb's
``glue`` does that in the book, but its roles show as raw text in JupyterLab. ``say`` does it
in both: a cell that computes a number keeps it under a name (``note``, as ``glue`` would),
and a later paragraph, written in MyST Markdown inside a code cell with each number as a
``[[name]]`` or ``[[name:format]]`` placeholder (a Python format spec: ``.0%``, ``.2f``), is
displayed as Markdown with the numbers filled in (``say``). The paragraph cell's input is
hidden in both places (``remove-input`` tag for the book, ``source_hidden`` metadata for
JupyterLab); myst-nb renders its Markdown as MyST (``nb_render_markdown_format: myst``)::

    prose.note("looks_box", share)          # in the cell that computes it
    prose.say(r'''
    [[looks_box:.0%]] of the decoded codes look like a digit.
    ''')                                   # in its own cell, where the sentence belongs

A placeholder without a value is an error, so a sentence cannot quote a number that is no
longer computed.
"""

from __future__ import annotations

import numbers
import re

from IPython.display import Markdown

# [[name]] or [[name:format spec]]; names are Python identifiers.
_PLACEHOLDER = re.compile(r"\[\[([A-Za-z_]\w*)(?::([^\]]*))?\]\]")


# The numbers kept by ``note`` in this kernel, by name.
_NOTED: dict[str, numbers.Real | str] = {}


def _check_value(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ValueError(f"{name} must be a number or a string, got {type(value).__name__}: "
                         f"{value!r}")


def note(name: str, value) -> None:
    """Keep ``value`` under ``name`` for the ``[[name]]`` placeholders of later paragraphs."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier such as 'active_kl', got {name!r}")
    _check_value(name, value)
    _NOTED[name] = value


def fill(text: str, **values) -> str:
    """The Markdown ``text`` with each ``[[name:format]]`` replaced by the value of ``name``,
    formatted: from ``values`` if given there, else as kept by ``note``."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string of Markdown, got {text!r}")
    for name, value in values.items():
        _check_value(name, value)
    values = {**_NOTED, **values}
    used = {match.group(1) for match in _PLACEHOLDER.finditer(text)}
    missing = sorted(used - set(values))
    if missing:
        raise ValueError(f"no value for the placeholder(s) {missing}: keep each with "
                         f"prose.note(name, value) in the cell that computes it, or pass it "
                         f"to say(); known names: {sorted(values) or 'none'}")

    def replace(match: re.Match) -> str:
        name, spec = match.group(1), match.group(2) or ""
        try:
            return format(values[name], spec)
        except (ValueError, TypeError) as error:
            raise ValueError(f"cannot format {name}={values[name]!r} with {spec!r}: {error}") from None

    return _PLACEHOLDER.sub(replace, text.strip())


def say(text: str, **values) -> Markdown:
    """The Markdown ``text`` with its ``[[name:format]]`` placeholders filled in, to display
    as a cell's last expression."""
    return Markdown(fill(text, **values))
