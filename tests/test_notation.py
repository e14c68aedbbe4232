"""Every Greek or calligraphic symbol a page's mathematics uses is defined on the notation
page (book/notation.md), so a student can always look a symbol up."""

import json
import re

from conftest import ROOT, toc_files

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu "
         "nu xi pi varpi rho varrho sigma tau upsilon phi varphi chi psi omega "
         "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
# Symbols of ordinary mathematics that need no entry: the reals, expectations, the Gaussian.
COMMON = {r"\mathbb{R}", r"\mathbb{E}", r"\mathcal{N}", r"\mathbf{E}"}


def _math(text: str) -> str:
    """The TeX inside $...$ and $$...$$ of a Markdown text."""
    return " ".join(m.group(1) or m.group(2) for m in re.finditer(r"\$\$(.+?)\$\$|\$(.+?)\$", text, re.S))


def _symbols(tex: str) -> set[str]:
    found = {f"\\{g}" for g in GREEK if re.search(rf"\\{g}(?![a-zA-Z])", tex)}
    found |= set(re.findall(r"\\math(?:cal|bb|bf)\{[A-Za-z]\}", tex))
    return found


def _page_text(path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def test_every_symbol_of_the_book_is_on_the_notation_page():
    notation = _symbols(_math((ROOT / "book" / "notation.md").read_text()))
    missing = {}
    for name in toc_files():
        for suffix in (".ipynb", ".md"):
            path = ROOT / f"{name}{suffix}"
            if path.exists():
                for symbol in _symbols(_math(_page_text(path))) - notation - COMMON:
                    missing.setdefault(symbol, []).append(path.name)
    assert not missing, f"symbols used but not defined on the notation page: {missing}"


def test_the_notation_page_resolves_the_lecture_clashes():
    text = (ROOT / "book" / "notation.md").read_text()
    section = text.split("## Letters the lecture uses twice", 1)[1]
    for symbol in ("$h$", r"$\varphi$", r"$\rho$"):
        assert symbol in section, f"the notation page should explain the two meanings of {symbol}"
