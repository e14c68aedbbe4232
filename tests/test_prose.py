"""Prose with computed numbers (course_lib.prose), and the pages' prose: every paragraph that
quotes a number reads the same in the book and in JupyterLab, and no page is too long."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import ROOT
from course_lib import prose

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
MAX_WORDS = 1600  # of prose per page, maths excluded (the developers' guide)


def test_fill_formats_each_placeholder_with_its_own_spec():
    text = prose.fill(r"[[share:.0%]] of $\mathcal{N}(0, 1)$ draws, [[n]] images, [[x:.2f]]",
                      share=0.256, n=np.int64(12), x=np.float32(0.125))
    assert text == r"26% of $\mathcal{N}(0, 1)$ draws, 12 images, 0.12"


def test_a_noted_number_fills_a_later_paragraph_and_an_explicit_value_wins():
    prose.note("test_prose_value", 0.5)
    assert prose.fill("[[test_prose_value:.1f]]") == "0.5"
    assert prose.fill("[[test_prose_value:.1f]]", test_prose_value=2) == "2.0"


def test_say_returns_markdown_for_the_book_and_for_jupyterlab():
    bundle = prose.say("a [[k]] b", k=3)._repr_markdown_()
    assert "a 3 b" in (bundle[0] if isinstance(bundle, tuple) else bundle)


@pytest.mark.parametrize("call, message", [
    (lambda: prose.fill("[[never_noted_name]]"), "no value for the placeholder"),
    (lambda: prose.fill("[[a:.2f]]", a="text"), "cannot format a"),
    (lambda: prose.fill("[[a]]", a=[1, 2]), "a must be a number or a string"),
    (lambda: prose.fill("[[a]]", a=True), "a must be a number or a string"),
    (lambda: prose.fill("   "), "non-empty string"),
    (lambda: prose.note("not a name", 1.0), "Python identifier"),
])
def test_mistakes_say_what_was_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def _paragraph_cells(path):
    return [c for c in _cells(path) if c["cell_type"] == "code" and "prose.say(" in _source(c)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_glue_role_which_jupyterlab_would_show_raw(path):
    text = "\n".join(_source(c) for c in _cells(path))
    assert "{glue" not in text and "myst_nb import glue" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_paragraph_cells_show_only_their_sentence_in_the_book_and_in_jupyterlab(path):
    for cell in _paragraph_cells(path):
        assert "remove-input" in cell["metadata"].get("tags", []), _source(cell)[:80]
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True, _source(cell)[:80]
        assert _source(cell).lstrip().startswith("prose.say("), "a paragraph cell holds only say()"


def prose_words(path) -> int:
    """Words of prose: Markdown cells and say() paragraphs, display maths removed and each
    inline formula counted as one word."""
    parts = [_source(c) for c in _cells(path) if c["cell_type"] == "markdown"]
    parts += [_source(c) for c in _paragraph_cells(path)]
    text = re.sub(r"\$\$.*?\$\$", " ", " ".join(parts), flags=re.S)
    return len(re.sub(r"\$[^$]*\$", " x ", text).split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_page_is_read_in_one_sitting(path):
    assert prose_words(path) <= MAX_WORDS, f"{path.name}: {prose_words(path)} words of prose"
