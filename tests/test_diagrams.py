"""The diagrams of book/diagrams: what course_lib.diagrams writes, light, labelled with the
notation page's symbols, and with every label inside the picture once a browser draws it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from conftest import CHROMIUM_FLAGS, ROOT
from course_lib import diagrams, svg

SVG = "{http://www.w3.org/2000/svg}"
FOLDER = ROOT / "book" / "diagrams"

# Symbols each diagram must show (the text of its labels, sub/superscripts run together).
SYMBOLS = {
    "neuron": ["x1", "xn", "wj1", "wjn", "bj", "φ", "Σ", "fj(X)"],
    "network": ["ℓ = 0", "ℓ = L + 1", "n0 = n", "nL+1", "wj1", "bj1", "φ", "ψ",
                "number of parameters", "Σℓ=1L+1 nℓ (nℓ−1 + 1)"],
    "autoencoder": ["encoder e", "decoder d", "Z = e(X)", "m < n", "‖X − d(e(X))‖²"],
    "backprop": ["forward pass", "backward pass", "a(ℓ) = b(ℓ) + w(ℓ) h(ℓ−1)", "δ(L+1)",
                 "δ(ℓ) = (w(ℓ+1))′ δ(ℓ+1) ⊙ φ′(a(ℓ))", "ψ′(a(L+1))"],
    "vae": ["g1 = h1", "g2", "h2", "Z = g(X) + h(X) ⊙ ξ", "ξ ~ 𝒩m(0, Im)", "decoder dθ",
            "‖X − dθ(Z)‖² / (2σ²)", "DKL", "z_mean", "z_std"],
    "bayes_by_backprop": ["θ = μ + softplus(ρ) ⊙ ξ", "qη", "π", "η = (μ, ρ)",
                          "ℱ(η) = DKL(qη, π) − 𝔼qη[log ℓ(Y | θ)]", "reparametrize(xi, eta)"],
}


def _texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_the_committed_files_are_what_the_module_writes(tmp_path):
    written = diagrams.write_diagrams(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.svg" for n in diagrams.DIAGRAMS)
    stale = [p.name for p in written
             if not (FOLDER / p.name).exists() or (FOLDER / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"run `python -m course_lib.diagrams` and commit: {stale} differ"


def test_diagrams_are_light():
    total = sum((FOLDER / f"{n}.svg").stat().st_size for n in diagrams.DIAGRAMS)
    assert total < 200_000, f"the diagrams weigh {total} bytes together (budget 200 kB)"


@pytest.mark.parametrize("name", list(diagrams.DIAGRAMS))
def test_each_diagram_shows_the_lecture_symbols(name):
    svg = diagrams.diagram_svg(name)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.find(f"{SVG}title").text.strip(), "an SVG title (its own description) is missing"
    text = " | ".join(_texts(svg))
    missing = [s for s in SYMBOLS[name] if s not in text]
    assert not missing, f"{name} lacks {missing}; its labels read: {text}"


def test_sub_and_superscripts_return_to_the_baseline():
    # w_j^l then text: down 0.3 em for j, up to -0.42 em for l, back to 0 for the rest
    runs = svg._segments("w_j^{ℓ} + b", 0.0, 1.0, 10.0, False)
    assert [(t, round(s, 6)) for t, s, _, _ in runs] == [("w", 0), ("j", 3.0), ("ℓ", -4.2), (" + b", 0)]
    nested = svg._segments("ℝ^{n_{ℓ−1}}", 0.0, 1.0, 10.0, False)
    assert [t for t, *_ in nested] == ["ℝ", "n", "ℓ−1"]
    assert nested[2][1] == pytest.approx(-4.2 + 0.3 * 10 * 0.7) and nested[2][2] == pytest.approx(0.49)
    text = svg._rich("a_j b", 10)
    assert text == 'a<tspan dy="3" font-size="7px">j</tspan><tspan dy="-3"> b</tspan>'


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown diagram"):
        diagrams.diagram_svg("encoder")
    with pytest.raises(ValueError, match="unknown diagram"):
        diagrams.write_diagrams(tmp_path, names=["vae", "gan"])
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="directory"):
        diagrams.write_diagrams(tmp_path / "file")
    with pytest.raises(ValueError, match="kind"):
        svg.Canvas(10, 10, "t").text(0, 0, "x", kind="latex")
    with pytest.raises(ValueError, match="positive"):
        svg.Canvas(0, 10, "t")


# For each label drawn by the browser: its box, and the overlaps between labels.
LAYOUT = """() => {
  const svg = document.querySelector('svg');
  const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
  const boxes = Array.from(svg.querySelectorAll('text')).map(t => {
      const b = t.getBBox(); return {text: t.textContent, x: b.x, y: b.y, r: b.x + b.width, b: b.y + b.height}; });
  const outside = boxes.filter(b => b.x < 0 || b.y < 0 || b.r > w || b.b > h).map(b => b.text);
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const p = boxes[i], q = boxes[j];
      const dx = Math.min(p.r, q.r) - Math.max(p.x, q.x), dy = Math.min(p.b, q.b) - Math.max(p.y, q.y);
      if (dx > 2 && dy > 4) overlaps.push(p.text + ' / ' + q.text);
  }
  return {outside, overlaps, count: boxes.length};
}"""


def test_every_label_is_inside_its_picture_and_clear_of_the_others(chromium):
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=CHROMIUM_FLAGS[1:])
        page = browser.new_page()
        for name in diagrams.DIAGRAMS:
            page.set_content(diagrams.diagram_svg(name))
            layout = page.evaluate(LAYOUT)
            assert layout["count"] >= 5
            problems += [f"{name}: label outside the picture: {t}" for t in layout["outside"]]
            problems += [f"{name}: labels overlap: {t}" for t in layout["overlaps"]]
        browser.close()
    assert not problems, "\n".join(problems)
