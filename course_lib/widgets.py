"""Explorers: interactive figures that work live in JupyterLab and in the static HTML book.

An explorer joins three things: a pure ``compute(**values)`` (which may train a model), a
``draw(fig, result, **values)`` that draws on an empty matplotlib figure, and named
parameters (:class:`Param`). Displayed in a notebook, it offers

* live, in JupyterLab: ipywidgets sliders over the whole range; releasing a slider
  recomputes (results are cached by value) and updates a ``widgets.Image``;
* in the static book: the same sliders over each parameter's ``grid``, moving between
  frames precomputed at build time, with a small inline script and no network;
* anywhere else (GitHub, nbviewer): a PNG of the default setting.

It does so through ``_repr_mimebundle_``: the widget view, a ``text/html`` rendering and an
``image/png``. The book's ``_config.yml`` ranks ``text/html`` above the widget view for the
HTML builders, while JupyterLab renders the widget view.
"""

from __future__ import annotations

import base64
import html
import inspect
import io
import itertools
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import matplotlib.figure

# Explorers compress their frames to a palette of this many colours: figures are
# flat-coloured, and a palette PNG is about three times lighter than a true-colour one.
PALETTE_COLOURS = 128


@dataclass(frozen=True)
class Param:
    """One slider of an explorer.

    Parameters
    ----------
    name : the keyword passed to ``compute`` and ``draw``.
    symbol : the lecture's symbol shown in the label ("ρ", "σ²", "m").
    low, high : the range of the live slider.
    default : the value shown first; it must be one of ``grid``.
    scale : "linear" or "log" (a log slider moves by factors, for ρ and σ²).
    grid : the values precomputed for the static book, increasing, inside [low, high].
    integer : whether the parameter only takes whole values.
    label : words shown before the symbol ("learning rate").
    """

    name: str
    symbol: str
    low: float
    high: float
    default: float
    scale: str = "linear"
    grid: Sequence[float] = field(default_factory=tuple)
    integer: bool = False
    label: str = ""

    def __post_init__(self):
        where = f"parameter {self.name!r}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"a parameter name must be a Python identifier, got {self.name!r}")
        if self.scale not in ("linear", "log"):
            raise ValueError(f"{where}: scale must be 'linear' or 'log', got {self.scale!r}")
        for key in ("low", "high", "default"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{where}: {key} must be a finite number, got {value!r}")
        if not self.low < self.high:
            raise ValueError(f"{where}: low must be < high, got low={self.low}, high={self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"{where}: a log scale needs low > 0, got low={self.low}")
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"{where}: default {self.default} lies outside the range [{self.low}, {self.high}]"
            )
        grid = tuple(self.grid)
        if not grid:
            raise ValueError(f"{where}: the grid is empty; give the values to precompute")
        if any(not self.low <= g <= self.high for g in grid):
            raise ValueError(f"{where}: every grid value must lie in [{self.low}, {self.high}], got {grid}")
        if any(b <= a for a, b in zip(grid, grid[1:])):
            raise ValueError(f"{where}: grid values must be strictly increasing, got {grid}")
        if self.integer and any(g != int(g) for g in grid + (self.default,)):
            raise ValueError(f"{where}: an integer parameter needs whole grid and default values")
        if not any(math.isclose(g, self.default, rel_tol=1e-12) for g in grid):
            raise ValueError(f"{where}: the default {self.default} must be one of the grid values {grid}")
        object.__setattr__(self, "grid", grid)

    def clean(self, value) -> float | int:
        """Check a value given for this parameter and return it (an int if integer)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"parameter {self.name!r} must be a finite number, got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(
                f"parameter {self.name!r} = {value} lies outside its range [{self.low}, {self.high}]"
            )
        return int(round(value)) if self.integer else float(value)

    def text(self, value) -> str:
        """The label of a value, as shown beside a slider: "ρ = 0.03"."""
        return f"{self.symbol} = {value:d}" if self.integer else f"{self.symbol} = {value:.3g}"

    def slider(self):
        """An ipywidgets slider over the whole range, updating only on release."""
        import ipywidgets as widgets

        common = dict(description=self.symbol, continuous_update=False, tooltip=self.label,
                      style={"description_width": "initial"},
                      layout=widgets.Layout(width="340px"))
        if self.integer:
            return widgets.IntSlider(value=int(self.default), min=int(self.low), max=int(self.high),
                                     step=1, **common)
        if self.scale == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            return widgets.FloatLogSlider(value=self.default, base=10, min=lo, max=hi,
                                          step=(hi - lo) / 200, readout_format=".3g", **common)
        return widgets.FloatSlider(value=self.default, min=self.low, max=self.high,
                                   step=(self.high - self.low) / 200, readout_format=".3g", **common)


def _compress_png(png: bytes) -> bytes:
    """Re-encode a PNG with a palette of PALETTE_COLOURS colours (smaller, same look)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    quantized = image.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    quantized.save(out, format="PNG", optimize=True)
    return out.getvalue()


class Explorer:
    """An interactive figure: ``draw(fig, compute(**values), **values)`` under sliders.

    Parameters
    ----------
    compute : pure function of the parameters (keywords); its result is cached by value.
    draw : draws ``result`` on the empty ``fig`` it is given; returns nothing.
    params : the sliders, a list of :class:`Param`.
    alt : a sentence describing the figure, for readers who cannot see it.
    figsize : the figure size in inches; dpi : pixels per inch of the frames.
    """

    def __init__(self, compute: Callable[..., Any], draw: Callable[..., None],
                 params: Sequence[Param], *, alt: str, figsize=(8.0, 3.2), dpi: int = 72):
        if not callable(compute) or not callable(draw):
            raise TypeError("compute and draw must be functions")
        params = list(params)
        if not params or not all(isinstance(p, Param) for p in params):
            raise ValueError("params must be a non-empty list of Param")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"parameter names must be distinct, got {names}")
        for function, role in ((compute, "compute"), (draw, "draw")):
            signature = inspect.signature(function)
            takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
            missing = [n for n in names if n not in signature.parameters and not takes_any]
            if missing:
                raise ValueError(f"{role} does not accept the parameter(s) {missing}; "
                                 f"it takes {list(signature.parameters)}")
        if not isinstance(alt, str) or not alt.strip():
            raise ValueError("alt must be a sentence describing the figure (alt text)")
        if not (isinstance(dpi, int) and dpi > 0):
            raise ValueError(f"dpi must be a positive integer, got {dpi!r}")
        self.compute, self.draw, self.params = compute, draw, params
        self.alt, self.figsize, self.dpi = alt.strip(), tuple(figsize), dpi
        self._cache: dict[tuple, Any] = {}  # values -> compute(**values)
        self._pngs: dict[tuple, bytes] = {}  # values -> the PNG drawn from that result
        self._frames: list[bytes] | None = None
        self._widget = None
        self.precompute_seconds: float | None = None  # measured by precompute()

    # --- pure part: values -> result -> PNG ------------------------------------------
    def defaults(self) -> dict:
        return {p.name: p.clean(p.default) for p in self.params}

    def values(self, **values) -> dict:
        """The defaults updated with ``values``, each checked against its parameter."""
        by_name = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; this explorer has {sorted(by_name)}")
        out = self.defaults()
        out.update({name: by_name[name].clean(v) for name, v in values.items()})
        return out

    def result(self, **values):
        """compute(**values), cached: a value computed once is never computed again."""
        values = self.values(**values)
        key = tuple(values[p.name] for p in self.params)
        if key not in self._cache:
            self._cache[key] = self.compute(**values)
        return self._cache[key]

    def render(self, **values) -> bytes:
        """The PNG of the figure for ``values`` (defaults for the ones not given)."""
        values = self.values(**values)
        key = tuple(values[p.name] for p in self.params)
        if key not in self._pngs:
            result = self.result(**values)
            fig = matplotlib.figure.Figure(figsize=self.figsize)  # not pyplot: nothing leaks
            self.draw(fig, result, **values)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=self.dpi, facecolor="white", bbox_inches="tight")
            self._pngs[key] = _compress_png(buffer.getvalue())
        return self._pngs[key]

    def grid_values(self) -> list[dict]:
        """Every combination of the grids, the last parameter varying fastest."""
        names = [p.name for p in self.params]
        return [dict(zip(names, combo)) for combo in itertools.product(*(p.grid for p in self.params))]

    def precompute(self) -> list[bytes]:
        """Render every frame of the grid once (timed in ``precompute_seconds``)."""
        if self._frames is None:
            start = time.perf_counter()
            self._frames = [self.render(**v) for v in self.grid_values()]
            self.precompute_seconds = time.perf_counter() - start
        return self._frames

    # --- the three renderings ------------------------------------------------------
    def to_html(self) -> str:
        """The static explorer: range inputs over the grid, one <img>, an inline script."""
        frames = self.precompute()
        uid = "explorer-" + uuid.uuid4().hex[:8]
        default_index = [p.grid.index(next(g for g in p.grid if math.isclose(g, p.default)))
                         for p in self.params]
        controls = []
        for p, k in zip(self.params, default_index):
            text = p.text(p.clean(p.grid[k]))
            controls.append(
                f'<label class="course-explorer-param">{html.escape(p.label)} '
                f'<input type="range" min="0" max="{len(p.grid) - 1}" step="1" value="{k}" '
                f'data-param="{p.name}" aria-label="{html.escape(p.label or p.symbol)}"> '
                f'<output>{html.escape(text)}</output></label>'
            )
        labels = [[p.text(p.clean(g)) for g in p.grid] for p in self.params]
        flat_default = 0
        for p, k in zip(self.params, default_index):
            flat_default = flat_default * len(p.grid) + k
        data = {"frames": [base64.b64encode(f).decode("ascii") for f in frames],
                "sizes": [len(p.grid) for p in self.params], "labels": labels, "alt": self.alt}
        return (
            f'<div class="course-explorer" id="{uid}">'
            f'<div class="course-explorer-controls">{"".join(controls)}</div>'
            f'<img class="course-explorer-image" alt="{html.escape(self.alt)}" '
            f'src="data:image/png;base64,{data["frames"][flat_default]}">'
            f'<p class="course-explorer-note">Precomputed values: run the notebook to explore any value.</p>'
            f'<script type="application/json">{json.dumps(data)}</script>'
            f"<script>{_STATIC_SCRIPT}</script></div>"
        )

    def widget(self):
        """The live ipywidgets view: sliders, a status line and the figure."""
        if self._widget is None:
            import ipywidgets as widgets

            sliders = {p.name: p.slider() for p in self.params}
            first = self.render()
            # Shown at the PNG's own width (the IHDR chunk's first field), not stretched.
            image = widgets.Image(value=first, format="png", width=str(int.from_bytes(first[16:20], "big")))
            status = widgets.HTML(value="", layout=widgets.Layout(min_height="1.5em"))

            def update(_change=None):
                status.value = "<i>computing…</i>"
                start = time.perf_counter()
                image.value = self.render(**{n: s.value for n, s in sliders.items()})
                status.value = f"<small>updated in {time.perf_counter() - start:.2f} s</small>"

            for s in sliders.values():
                s.observe(update, names="value")
            self._widget = widgets.VBox([widgets.HBox(list(sliders.values())), status, image])
            self._widget.add_class("course-explorer-live")
            self._update = update  # kept for tests that move a slider without a browser
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget()._repr_mimebundle_() or {})
        bundle["text/html"] = self.to_html()
        bundle["image/png"] = base64.b64encode(self.render()).decode("ascii")
        bundle["text/plain"] = f"Explorer({', '.join(p.name for p in self.params)})"
        return bundle


# The slider script of the static book. It finds its own explorer (the script's parent),
# maps the sliders' positions to a frame (last parameter fastest) and swaps the image.
_STATIC_SCRIPT = """(function () {
  var root = document.currentScript.parentElement;
  var data = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
  var inputs = root.querySelectorAll('input[type="range"]');
  var outputs = root.querySelectorAll('output');
  var image = root.querySelector('img');
  function show() {
    var index = 0, parts = [];
    for (var k = 0; k < inputs.length; k++) {
      var position = parseInt(inputs[k].value, 10);
      index = index * data.sizes[k] + position;
      outputs[k].textContent = data.labels[k][position];
      parts.push(data.labels[k][position]);
    }
    image.src = 'data:image/png;base64,' + data.frames[index];
    image.alt = data.alt + ' (' + parts.join(', ') + ')';
  }
  for (var k = 0; k < inputs.length; k++) { inputs[k].addEventListener('input', show); }
  show();
})();"""


# --- the demonstration explorer of the page "How the interactive figures work" ---------
def gaussian_nll(residual, sigma2: float):
    """-log N(x; x_hat, sigma2) as a function of the residual x - x_hat (per variable)."""
    import numpy as np

    if not sigma2 > 0:
        raise ValueError(f"sigma2 is a variance and must be > 0, got {sigma2}")
    import torch

    from course_lib.core import gaussian_log_likelihood

    residual = torch.as_tensor(np.asarray(residual, dtype=np.float64))[..., None]  # one variable: n = 1
    return -gaussian_log_likelihood(residual, 0.0, sigma2).numpy()


def gaussian_nll_explorer() -> Explorer:
    """An analytic explorer: the Gaussian negative log-likelihood under a σ² slider."""
    import numpy as np

    residual = np.linspace(-2.0, 2.0, 201)

    def compute(sigma2):
        return gaussian_nll(residual, sigma2)

    def draw(fig, nll, sigma2):
        ax = fig.subplots()
        ax.plot(residual, nll)
        ax.set_xlabel(r"residual $x - \hat{x}$")
        ax.set_ylabel(r"$-\log \mathcal{N}(x;\, \hat{x}, \sigma^2)$ (nats)")
        ax.set_ylim(-2.0, 12.0)
        ax.set_title(f"σ² = {sigma2:.3g}: a residual of 1 costs {gaussian_nll(1.0, sigma2):.2f} nats")

    sigma2 = Param("sigma2", "σ²", low=0.01, high=10.0, default=0.1, scale="log",
                   grid=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0), label="noise variance")
    return Explorer(compute, draw, [sigma2], figsize=(6.0, 3.0),
                    alt="Gaussian negative log-likelihood of a residual, a parabola that "
                        "flattens as the noise variance grows")
