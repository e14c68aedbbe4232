"""Diagrams of the course's models, written as small SVG files into ``book/diagrams/``:
neuron, network (layers 0 ... L+1), autoencoder, backprop (forward and backward passes),
vae (shared first layer, Z = g(X) + h(X) (.) xi, two loss terms) and bayes_by_backprop
(theta = mu + softplus(rho) (.) xi, prior pi, F(eta)), drawn on course_lib.svg's canvas
with the notation page's symbols. Transparent, dark lines: in dark mode the book inverts
images of class ``course-diagram`` (``_static/course.css``).

An instructor changes a label here and runs ``python -m course_lib.diagrams`` to rewrite
the files (a test checks that the committed files are what this module writes).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from course_lib.svg import (BLUE, GREEN, GREY, INK, PURPLE, VERMILLION, Canvas,
                            arrow_between_circles, column, gaussian)

BOOK_DIAGRAMS = Path(__file__).resolve().parents[1] / "book" / "diagrams"


def neuron() -> Canvas:
    c = Canvas(620, 260, "One neuron j: inputs x^1 to x^n, weights w_j^1 to w_j^n, "
                         "bias b_j, sum then activation phi, output f_j(X)")
    inputs = [("x^1", 50), ("x^2", 105), ("x^n", 200)]
    box = (260, 95, 150, 70)  # x, y, width, height of the neuron
    for label, y in inputs:
        c.circle(60, y, 19)
        c.text(60, y + 5, label)
        c.line(79, y, box[0], 130, arrow=True, colour=BLUE)
    c.text(60, 158, "⋮", size=20)
    for (label, y), dy in zip(inputs, (-14, -12, 10)):
        weight = label.replace("x^", "w_j^")
        c.text(165, (y + 130) / 2 + dy + (y - 130) * 0.1, weight, colour=BLUE)
    c.rect(*box, fill=BLUE, opacity=0.08)
    c.line(box[0] + 90, box[1], box[0] + 90, box[1] + box[3], colour=INK, width=1)
    c.text(box[0] + 45, 139, "Σ", size=26)
    c.text(box[0] + 120, 139, "φ", size=26)
    c.line(box[0] + 45, 40, box[0] + 45, box[1], arrow=True)
    c.text(box[0] + 45, 32, "`bias` b_j")
    c.line(box[0] + box[2], 130, 500, 130, arrow=True)
    c.text(548, 135, "f_j(X)")
    c.text(box[0] + 75, 190, "neuron j: weighted sum, then activation", kind="t", colour=GREY)
    c.text(310, 232, "f_j(X) = φ(⟨w_j, X⟩ + b_j),   w_j = (w_j^1, …, w_j^n)")
    return c


def network() -> Canvas:
    c = Canvas(700, 400, "A network with layers l = 0 (input X, n_0 = n neurons) to L+1 "
                         "(output): hidden layers use activation phi, the output psi; neuron j "
                         "of layer l has weights w_j^l and bias b_j^l")
    columns = {0: (80, 3), 1: (230, 4), "L": (450, 4), "L+1": (600, 2)}
    nodes = {}
    for key, (x, count) in columns.items():
        ys = [170 + 50 * (k - (count - 1) / 2) for k in range(count)]
        nodes[key] = [(x, y) for y in ys]
    for p in nodes[0]:
        for k, q in enumerate(nodes[1]):
            arrow_between_circles(c, p, q, 15, colour=BLUE if k == 1 else "#9a9a9a",
                                   width=1.6 if k == 1 else 1, arrow=k == 1)
    for p in nodes["L"]:
        for q in nodes["L+1"]:
            arrow_between_circles(c, p, q, 15, colour="#9a9a9a", width=1, arrow=False)
    for p in nodes[1]:
        c.line(p[0] + 15, p[1], p[0] + 55, p[1], colour="#9a9a9a", width=1, dashed=True)
    for p in nodes["L"]:
        c.line(p[0] - 55, p[1], p[0] - 15, p[1], colour="#9a9a9a", width=1, dashed=True)
    c.text(340, 176, "⋯", size=24)
    for key, points in nodes.items():
        fill = {0: GREY, "L+1": VERMILLION}.get(key, BLUE)
        for x, y in points:
            c.circle(x, y, 15, colour=fill, fill=fill, opacity=0.15)
    c.text(80, 255, "⋮", size=20)
    c.text(232, 150, "j", size=14)
    c.text(150, 112, "w_j^1", colour=BLUE)
    c.text(258, 128, "b_j^1", colour=BLUE)
    c.text(80, 40, "input", kind="t")
    c.text(80, 60, "X = h^{(0)}")
    c.text(340, 40, "hidden layers, activation φ", kind="t")
    c.text(600, 40, "output, activation ψ", kind="t")
    c.text(600, 60, "f(X) = h^{(L+1)}")
    for key, label, size in ((0, "ℓ = 0", "n_0 = n"), (1, "ℓ = 1", "n_1"), ("L", "ℓ = L", "n_L"),
                             ("L+1", "ℓ = L + 1", "n_{L+1}")):
        c.text(columns[key][0], 292, label)
        c.text(columns[key][0], 314, size, colour=GREY)
    c.text(350, 352, "h_j^{(ℓ)} = φ(⟨w_j^ℓ, h^{(ℓ−1)}⟩ + b_j^ℓ),   w_j^ℓ ∈ ℝ^{n_{ℓ−1}},   "
                     "ψ instead of φ at ℓ = L + 1")
    c.text(350, 384, "number of parameters:  Σ_{ℓ=1}^{L+1} n_ℓ (n_{ℓ−1} + 1)")
    return c


def autoencoder() -> Canvas:
    c = Canvas(640, 290, "An autoencoder: the encoder e maps X in R^n to the bottleneck "
                         "Z = e(X) of dimension m < n, the decoder d maps Z back to d(e(X)); "
                         "the loss is the squared distance between X and d(e(X))")
    top, n_cells, m_cells, h = 50, 8, 3, 18
    z_top = top + (n_cells - m_cells) * h / 2
    column(c, 40, top, n_cells, GREY)
    c.polyline([(80, top), (240, z_top), (240, z_top + m_cells * h), (80, top + n_cells * h)],
               colour=BLUE, closed=True, fill=BLUE, opacity=0.1)
    c.text(160, 124, "encoder e", kind="t", colour=BLUE)
    column(c, 259, z_top, m_cells, GREEN)
    c.polyline([(300, z_top), (460, top), (460, top + n_cells * h), (300, z_top + m_cells * h)],
               colour=VERMILLION, closed=True, fill=VERMILLION, opacity=0.1)
    c.text(380, 124, "decoder d", kind="t", colour=VERMILLION)
    column(c, 478, top, n_cells, GREY)
    c.text(51, 36, "X ∈ ℝ^n")
    c.text(270, 66, "Z = e(X)", colour=GREEN)
    c.text(270, 166, "ℝ^m, m < n", colour=GREEN)
    c.text(489, 36, "d(e(X))")
    c.text(555, 124, "≈ X", size=18)
    bottom = top + n_cells * h + 12
    c.polyline([(51, bottom), (51, bottom + 24), (489, bottom + 24), (489, bottom)], colour=INK, width=1.2)
    c.text(270, bottom + 52, "Loss = ‖X − d(e(X))‖², minimised over the weights of e and d")
    c.text(270, bottom + 74, "the bottleneck Z keeps m numbers per observation", kind="t", colour=GREY)
    return c


def backprop() -> Canvas:
    c = Canvas(760, 380, "Backpropagation: a forward pass from layer 1 to layer L+1 computes "
                         "and stores a^(l) and h^(l); a backward pass from layer L+1 to 1 "
                         "carries delta^(l), from which the gradients follow")
    layers = [(60, "ℓ = 0", None), (185, "ℓ = 1", "1"), (300, None, None),
              (415, "layer ℓ", "ℓ"), (530, None, None), (645, "ℓ = L + 1", "L+1")]
    for x, title, index in layers:
        if index is None and title is None:
            c.text(x, 182, "⋯", size=24)
            continue
        if index is None:
            c.rect(x - 40, 110, 80, 150, colour=GREY)
            c.text(x, 180, "h^{(0)}")
            c.text(x, 202, "= X")
            c.text(x, 285, title)
            continue
        c.rect(x - 45, 110, 90, 150, colour=INK)
        c.text(x, 140, f"a^{{({index})}}", colour=BLUE)
        c.text(x, 162, f"h^{{({index})}}", colour=BLUE)
        c.line(x, 172, x, 215, colour=GREY, arrow=True, dashed=True, width=1)
        c.text(x, 240, f"δ^{{({index})}}", colour=VERMILLION)
        c.text(x, 285, title)
    c.text(730, 190, "R_i")
    for x1, x2 in ((100, 140), (230, 282), (318, 370), (460, 512), (548, 600), (690, 718)):
        c.line(x1, 92, x2, 92, colour=BLUE, arrow=True, width=2)
    for x1, x2 in ((718, 690), (600, 548), (512, 460), (370, 318), (282, 230)):
        c.line(x1, 300, x2, 300, colour=VERMILLION, arrow=True, width=2)
    c.text(20, 80, "`forward pass, ℓ = 1, …, L + 1: compute and store` a^{(ℓ)}, h^{(ℓ)}",
           colour=BLUE, anchor="start")
    c.text(20, 30, "a^{(ℓ)} = b^{(ℓ)} + w^{(ℓ)} h^{(ℓ−1)},   h^{(ℓ)} = φ(a^{(ℓ)})   "
                   "(ψ at ℓ = L + 1, f(X) = h^{(L+1)})", colour=BLUE, anchor="start")
    c.text(20, 54, "R_i = ‖Y_i − f(X_i)‖²", anchor="start")
    c.text(20, 322, "`backward pass, ℓ = L + 1, …, 1, reusing the stored` a^{(ℓ)}, h^{(ℓ−1)}",
           colour=VERMILLION, anchor="start")
    c.text(20, 346, "δ^{(L+1)} = −2 (Y_i − f(X_i)) ψ′(a^{(L+1)}),   "
                    "δ^{(ℓ)} = (w^{(ℓ+1)})′ δ^{(ℓ+1)} ⊙ φ′(a^{(ℓ)})", colour=VERMILLION, anchor="start")
    c.text(20, 370, "∂R_i / ∂w_{jm}^{(ℓ)} = δ_j^{(ℓ)} h_m^{(ℓ−1)},   ∂R_i / ∂b_j^{(ℓ)} = δ_j^{(ℓ)}",
           anchor="start")
    return c


def vae() -> Canvas:
    c = Canvas(760, 400, "The variational autoencoder: the encoder's first layer g_1 = h_1 is "
                         "shared by g and h; a draw xi ~ N_m(0, I_m) gives Z = g(X) + h(X) "
                         "(.) xi; the decoder d_theta maps Z back; the loss adds the "
                         "reconstruction term and the KL term")
    c.rect(15, 90, 40, 180, colour=GREY, fill=GREY, opacity=0.12)
    c.text(35, 185, "X")
    c.rect(85, 65, 270, 230, colour=BLUE, dashed=True, radius=10)
    c.text(95, 85, "encoder", kind="t", colour=BLUE, anchor="start")
    c.rect(100, 120, 70, 120, colour=BLUE, fill=BLUE, opacity=0.1)
    c.text(135, 176, "g_1 = h_1")
    c.text(135, 196, "shared", kind="t", colour=GREY, size=12)
    c.rect(205, 100, 50, 50, colour=BLUE, fill=BLUE, opacity=0.1)
    c.text(230, 131, "g_2")
    c.rect(205, 210, 50, 50, colour=BLUE, fill=BLUE, opacity=0.1)
    c.text(230, 241, "h_2")
    c.line(55, 180, 98, 180, arrow=True)
    c.line(170, 160, 203, 128, arrow=True)
    c.line(170, 200, 203, 232, arrow=True)
    c.line(255, 125, 275, 125)
    c.line(255, 235, 275, 235)
    c.text(305, 130, "g(X)", colour=BLUE)
    c.text(305, 150, "z_mean", kind="c", colour=GREY)
    c.text(305, 240, "h(X)", colour=BLUE)
    c.text(305, 260, "z_std", kind="c", colour=GREY)
    c.circle(420, 180, 22, colour=GREEN, fill=GREEN, opacity=0.15)
    c.text(420, 186, "Z", colour=GREEN)
    c.line(335, 135, 402, 167, arrow=True)
    c.line(335, 230, 402, 193, arrow=True)
    c.circle(420, 320, 18, colour=PURPLE, fill=PURPLE, opacity=0.12)
    c.text(420, 326, "ξ", colour=PURPLE)
    c.line(420, 302, 420, 204, arrow=True, colour=PURPLE)
    c.text(470, 336, "ξ ~ 𝒩_m(0, I_m)", colour=PURPLE, anchor="start")
    c.text(470, 356, "xi, drawn afresh at each step", kind="c", colour=GREY, anchor="start")
    c.text(430, 112, "Z = g(X) + h(X) ⊙ ξ", colour=GREEN)
    c.polyline([(470, 160), (600, 100), (600, 260), (470, 200)], colour=VERMILLION, closed=True,
               fill=VERMILLION, opacity=0.1)
    c.line(444, 180, 468, 180, arrow=True)
    c.text(548, 185, "decoder d_θ", kind="m", colour=VERMILLION)
    c.rect(615, 90, 40, 180, colour=GREY, fill=GREY, opacity=0.12)
    c.text(635, 80, "d_θ(Z)")
    c.line(600, 180, 613, 180, arrow=True)
    c.text(380, 22, "loss = −ELBO = reconstruction + KL, per observation:", kind="t", anchor="middle")
    c.text(380, 48, "‖X − d_θ(Z)‖² / (2σ²)  +  D_{KL}(𝒩_m(g(X), diag h²(X)), 𝒩_m(0, I_m))")
    c.text(712, 185, "≈ X", size=18)
    c.text(220, 318, "`KL term:` 𝒩_m(g(X), diag h²(X))", colour=GREY, size=14)
    c.text(220, 338, "`against the prior` 𝒩_m(0, I_m)", colour=GREY, size=14)
    c.polyline([(35, 272), (35, 382), (635, 382), (635, 272)], colour=GREY, width=1, dashed=True)
    c.text(230, 376, "`reconstruction term:` ‖X − d_θ(Z)‖² / (2σ²)", colour=GREY, size=14)
    return c


def bayes_by_backprop() -> Canvas:
    c = Canvas(780, 380, "Bayes by backprop: each weight is a distribution q_eta with "
                         "eta = (mu, rho); a draw theta = mu + softplus(rho) (.) xi feeds the "
                         "network; F(eta) adds the KL from q_eta to the prior pi and minus the "
                         "expected log-likelihood")
    inputs = [(40, 100), (40, 160), (40, 220)]
    hidden = [(160, 100), (160, 160), (160, 220)]
    output = (270, 160)
    edges = [(p, q) for p in inputs for q in hidden] + [(q, output) for q in hidden]
    for k, (p, q) in enumerate(edges):
        chosen = k == 0
        arrow_between_circles(c, p, q, 14, colour=PURPLE if chosen else "#9a9a9a",
                               width=1.6 if chosen else 1, arrow=False)
        mx, my = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
        if chosen or k % 4 == 2:
            c.polyline(gaussian(0, 1, mx, 2.6, my + 3, 10, steps=12),
                       colour=PURPLE if chosen else GREY, width=1.2)
    for x, y in inputs + hidden + [output]:
        c.circle(x, y, 14, colour=INK, fill=INK, opacity=0.06)
    c.text(40, 260, "X", size=15)
    c.text(270, 195, "f_θ(X)")
    c.text(150, 40, "every weight and bias is random:", kind="t")
    c.text(150, 62, "θ_j ~ q_η = 𝒩(μ_j, softplus(ρ_j)²)")
    # zoom on one weight: q_eta against the prior pi
    c.line(100, 100, 340, 120, colour=PURPLE, dashed=True, width=1)
    x0, base = 455, 230
    c.line(335, base, 575, base, colour=INK, width=1)
    c.polyline(gaussian(0, 1, x0, 38, base, 45), colour=GREY, dashed=True)
    c.polyline(gaussian(1.2, 0.45, x0, 38, base, 110), colour=PURPLE, width=2)
    c.text(370, 195, "π", colour=GREY)
    c.text(478, 150, "q_η", colour=PURPLE, anchor="end")
    mu_x = x0 + 38 * 1.2
    c.line(mu_x, base, mu_x, base - 110, colour=PURPLE, dashed=True, width=1)
    c.text(mu_x, base + 20, "μ_j", colour=PURPLE)
    half = base - 110 * math.exp(-0.5)
    c.line(mu_x, half, mu_x + 38 * 0.45, half, colour=PURPLE, arrow=True, width=1.2)
    c.text(mu_x + 30, half - 4, "softplus(ρ_j)", colour=PURPLE, anchor="start", size=14)
    theta_x = mu_x - 38 * 0.45 * 0.8
    c.circle(theta_x, base, 4, colour=INK, fill=INK, opacity=1)
    c.text(theta_x - 12, base + 20, "θ_j")
    c.text(455, 270, "`one weight` j`:` q_η `and the prior` π", colour=GREY, size=14)
    # one draw, step by step
    steps = [("ξ ~ 𝒩(0, I)", 50, "xi"), ("θ = μ + softplus(ρ) ⊙ ξ", 120, "reparametrize(xi, eta)"),
             ("f_θ(X)", 190, ""), ("log ℓ(Y | θ)", 250, "")]
    for k, (label, y, code) in enumerate(steps):
        c.text(680, y, label, colour=PURPLE if k < 2 else INK)
        if code:
            c.text(680, y + 18, code, kind="c", colour=GREY)
        if k:
            previous = steps[k - 1]
            c.line(680, previous[1] + (26 if previous[2] else 8), 680, y - 18, arrow=True)
    c.text(390, 318, "ℱ(η) = D_{KL}(q_η, π) − 𝔼_{q_η}[log ℓ(Y | θ)],   η = (μ, ρ)")
    c.text(390, 342, "`closeness of` q_η `to the prior` π `, minus the fit to the data (one draw` θ`, M = 1)`",
           colour=GREY, size=14)
    c.text(390, 368, "`minimised over` η`: a mean and a scale per weight (code: mean, rho)`",
           colour=GREY, size=14)
    return c


DIAGRAMS = {f.__name__: f for f in (neuron, network, autoencoder, backprop, vae, bayes_by_backprop)}


def diagram_svg(name: str) -> str:
    """The SVG text of the diagram ``name`` (one of :data:`DIAGRAMS`)."""
    if name not in DIAGRAMS:
        raise ValueError(f"unknown diagram {name!r}; choose one of {', '.join(DIAGRAMS)}")
    return DIAGRAMS[name]().svg()


def write_diagrams(folder=BOOK_DIAGRAMS, names=None) -> list[Path]:
    """Write ``NAME.svg`` for each name (default: all) into ``folder``; return the paths."""
    names = list(DIAGRAMS) if names is None else list(names)
    unknown = [n for n in names if n not in DIAGRAMS]
    if unknown:
        raise ValueError(f"unknown diagram(s) {unknown}; choose among {', '.join(DIAGRAMS)}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"folder must be a directory, got the file {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.svg").write_text(diagram_svg(name), encoding="utf-8")
    return [folder / f"{name}.svg" for name in names]


if __name__ == "__main__":
    for written in write_diagrams(*sys.argv[1:2]):
        print(f"{written} ({written.stat().st_size} bytes)")
