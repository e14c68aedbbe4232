"""Explorers: interactive figures that work live in JupyterLab and in the static HTML book.

An explorer joins three things: a pure ``compute(**values)`` (which may train a model), a
``draw(fig, result, **values)`` that draws on a matplotlib figure, and named parameters
(:class:`Param`). Each chapter's figures module names them after its topic:
``<topic>_frame(**values)`` computes, ``draw_<topic>_frame(fig, result, **values)`` draws and
``<topic>_explorer()`` returns the :class:`Explorer`. Displayed in a notebook, it offers

* live, in JupyterLab: ipywidgets sliders over the whole range; releasing a slider
  recomputes (results are cached by value) and updates a ``widgets.Image``;
* in the static book: the same sliders over each parameter's ``grid``, moving between
  frames precomputed at build time, with a small inline script and no network;
* anywhere else (GitHub, nbviewer): a PNG of the default setting.

It does so through ``_repr_mimebundle_``: the widget view, a ``text/html`` rendering and an
``image/png``. The book's ``_config.yml`` ranks ``text/html`` above the widget view for the
HTML builders, while JupyterLab renders the widget view.

Cheap frames. Most of a frame (axes, ticks, labels, reference curves) is the same in every
frame, and rendering text is the slow part of matplotlib. A ``draw`` may therefore return
the list of artists that change from frame to frame, created with ``animated=True``: the
explorer then renders the rest once, keeps it as a background, and for each frame pastes
the background and draws only those artists (matplotlib's blitting). Such a ``draw`` is
called on the same figure for every frame: when ``fig.axes`` is empty it lays out the
panels and their fixed content, otherwise it reuses ``fig.axes`` (and gives its artists
fixed colours: the colour cycle moves on between frames). A ``draw`` that returns None gets
a fresh, empty figure for every frame instead.
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
from pathlib import Path
from typing import Any, Callable, Sequence

import matplotlib.figure

from course_lib.sliders import Param  # noqa: F401  (explorers are built from widgets.Explorer and widgets.Param)

# Explorers compress their frames to a palette of this many colours: figures are
# flat-coloured, and a palette PNG is about three times lighter than a true-colour one.
PALETTE_COLOURS = 128
_STATIC_SCRIPT = (Path(__file__).parent / "explorer.js").read_text(encoding="utf-8")


def _compress(image) -> bytes:
    """A PNG of a frame (PNG bytes or a PIL image) with a palette of PALETTE_COLOURS colours."""
    from PIL import Image

    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    # Octree quantisation and zlib's default level: 5x faster than median cut with optimize,
    # and smaller for these flat-coloured figures (measured on the learning-rate frames).
    quantized = image.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    quantized.save(out, format="PNG", compress_level=6)
    return out.getvalue()


class Explorer:
    """An interactive figure: ``draw(fig, compute(**values), **values)`` under sliders.

    Parameters
    ----------
    compute : pure function of the parameters (keywords); its result is cached by value.
    draw : draws ``result`` on ``fig``; returns None (it was given an empty figure), or the
        list of artists of this frame (``animated=True``; see "Cheap frames" above).
    params : the sliders, a list of :class:`Param`.
    alt : a sentence describing the figure, for readers who cannot see it.
    figsize : the figure size in inches; dpi : pixels per inch of the frames.
    """

    def __init__(self, compute: Callable[..., Any], draw: Callable[..., Any],
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
        self._canvas = None  # the reused figure's canvas, for a draw that returns its artists
        self._background = None  # the pixels of everything but those artists
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
            image = self._blit(result, values) if self._canvas is not None else self._draw_fresh(result, values)
            self._pngs[key] = _compress(image)
        return self._pngs[key]

    def _draw_fresh(self, result, values):
        """Draw on a new figure; keep it for the next frames if draw returned its artists."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = matplotlib.figure.Figure(figsize=self.figsize, dpi=self.dpi)  # not pyplot: nothing leaks
        canvas = FigureCanvasAgg(fig)
        artists = self.draw(fig, result, **values)
        if artists is None:  # a draw without blitting: the whole figure, trimmed to its content
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=self.dpi, facecolor="white", bbox_inches="tight")
            return buffer.getvalue()
        fig.set_facecolor("white")
        canvas.draw()  # renders everything but the animated artists
        self._canvas, self._background = canvas, canvas.copy_from_bbox(fig.bbox)
        return self._paint(artists)

    def _blit(self, result, values):
        fig = self._canvas.figure
        artists = self.draw(fig, result, **values)
        if artists is None:
            raise ValueError("draw returned its artists for the first frame but None now; "
                             "it must do one or the other for every frame")
        self._canvas.restore_region(self._background)
        return self._paint(artists)

    def _paint(self, artists):
        """Draw this frame's artists over the background; return the pixels, then remove them."""
        from PIL import Image

        fig = self._canvas.figure
        for artist in artists:
            fig.draw_artist(artist)
        pixels = Image.frombuffer("RGBA", self._canvas.get_width_height(), self._canvas.buffer_rgba())
        image = pixels.convert("RGB")  # a copy: the canvas is reused for the next frame
        for artist in artists:
            if artist.axes is not None and artist in (artist.axes.title, artist.axes._left_title,
                                                      artist.axes._right_title):
                continue  # an axes title is updated in place by set_title, never removed
            if artist is not getattr(fig, "_suptitle", None):
                artist.remove()
        return image
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
