"""A latent plane that decodes in the page: choose z with the mouse or the keys, see d(z) at once.

For a model with m = 2 (the autoencoder of 03_1, the VAE of 03_2), :class:`LatentExplorer`
shows the test images' codes coloured by digit (and, for the VAE, circles of the prior
N(0, I) at 1, 2 and 3 standard deviations). In the HTML book a small inline script decodes
the chosen z from the decoder's weights, embedded in the page as float32 (a few kB, no
library, no network), with the decoder's own formula h^(l) = phi(w^(l) h^(l-1) + b^(l)) in
float32; in JupyterLab the same view is a live ipywidget decoded by torch.

Markup: ``div.course-latent-explorer`` holds the plane (``data-role="plane"``, focusable, takes
clicks, drags and arrow keys), the decoded image (``canvas[data-role="decoded"]``, whose
``data-z`` and ``data-decoded`` attributes give the current z and d(z)), the current z as
numbers (``output[data-role="z"]``) and, when a path is given, a slider along the segment
between two test images (``input[data-role="path"]``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import uuid
from pathlib import Path

import numpy as np
import torch

from course_lib.nn import MLP

SCRIPT = (Path(__file__).parent / "latent_explorer.js").read_text(encoding="utf-8")
DECODED_PIXELS = 160  # the decoded 8 x 8 image is shown 20 times larger, pixelated


def _float32_base64(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()).decode()


def decoder_payload(decoder: MLP) -> dict:
    """The decoder's layers for the page: sizes, activations and float32 weights in base64."""
    if not isinstance(decoder, MLP):
        raise ValueError(f"decoder must be a course_lib.nn.MLP (model.decoder), got {type(decoder).__name__}")
    layers = decoder.layers
    names = [decoder.activation] * (len(layers) - 1) + [decoder.output_activation or "identity"]
    return {"layers": [{"n_in": layer.in_features, "n_out": layer.out_features, "activation": name,
                        "weight": _float32_base64(layer.weight), "bias": _float32_base64(layer.bias)}
                       for layer, name in zip(layers, names)]}


class LatentExplorer:
    """The latent plane of a model with m = 2 and the image decoded at the chosen point.

    Parameters
    ----------
    decoder : the model's decoder d, a course_lib.nn.MLP from R^2 (``model.decoder``).
    codes : (N, 2) codes of the test images (e(x), or the posterior means g(x) of a VAE).
    labels : (N,) their digits, for the colours.
    prior : draw the circles of N(0, I) at 1, 2, 3 standard deviations (a VAE's prior).
    path : indices (a, b) of two test images: a slider walks the segment between their codes.
    image_shape : the shape of a decoded image.
    """

    def __init__(self, decoder: MLP, codes, labels, *, prior: bool = False, path=None,
                 image_shape=(8, 8), title: str = "latent plane"):
        self.payload = decoder_payload(decoder)
        if decoder.sizes[0] != 2:
            raise ValueError(f"the latent plane needs m = 2 (decoder input size), got m = {decoder.sizes[0]}")
        if decoder.sizes[-1] != image_shape[0] * image_shape[1]:
            raise ValueError(f"the decoder outputs {decoder.sizes[-1]} values, not an image of shape {image_shape}")
        codes = np.asarray(codes, dtype=np.float64)
        labels = np.asarray(labels)
        if codes.ndim != 2 or codes.shape[1] != 2 or not np.all(np.isfinite(codes)):
            raise ValueError(f"codes must be a finite (N, 2) array, got shape {codes.shape}")
        if labels.shape != (len(codes),):
            raise ValueError(f"labels must have shape ({len(codes)},) like the codes, got {labels.shape}")
        if path is not None and (len(path) != 2 or not all(0 <= int(k) < len(codes) for k in path)):
            raise ValueError(f"path must be two indices of codes (0..{len(codes) - 1}), got {path!r}")
        self.decoder, self.codes, self.labels, self.prior = decoder, codes, labels, bool(prior)
        self.path = None if path is None else (codes[int(path[0])], codes[int(path[1])])
        self.image_shape, self.title = tuple(image_shape), title
        low, high = np.percentile(codes, 0.5, axis=0), np.percentile(codes, 99.5, axis=0)
        if self.prior:
            low, high = np.minimum(low, -3.0), np.maximum(high, 3.0)
        margin = 0.08 * (high - low)
        self.z_range = np.stack([low - margin, high + margin], axis=1)  # [[z1 lo, z1 hi], [z2 lo, z2 hi]]
        self.start = self.path[0] if self.path is not None else codes.mean(axis=0)
        self._plane, self._axes_box = None, None

    def decode(self, z) -> np.ndarray:
        """d(z) by torch in float32, the reference the page must match: (k, 2) -> (k, n)."""
        z = torch.as_tensor(np.asarray(z, dtype=np.float64).reshape(-1, 2), dtype=torch.float32)
        with torch.no_grad():
            return self.decoder(z).numpy()

    # --- the plane, drawn once ----------------------------------------------------------
    def plane_png(self) -> bytes:
        """The plane as a PNG; its axes box (fractions of the image) is kept for the mapping."""
        if self._plane is None:
            import matplotlib.figure

            fig = matplotlib.figure.Figure(figsize=(4.4, 3.7), dpi=90)
            ax = fig.add_axes([0.15, 0.13, 0.66, 0.8])
            colour_axis = fig.add_axes([0.84, 0.13, 0.03, 0.8])
            points = ax.scatter(*self.codes.T, c=self.labels, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
            fig.colorbar(points, cax=colour_axis, ticks=range(10), label="digit")
            if self.prior:
                angle = np.linspace(0, 2 * np.pi, 200)
                for r in (1, 2, 3):
                    ax.plot(r * np.cos(angle), r * np.sin(angle), color="0.3", lw=0.8, ls="--")
                ax.plot([], [], color="0.3", lw=0.8, ls="--", label="prior N(0, I): 1, 2, 3 sd")
            if self.path is not None:
                ax.plot(*np.stack(self.path).T, color="k", lw=1.2, marker="o", ms=4, label="path between two test images")
            if self.prior or self.path is not None:
                ax.legend(loc="upper left", fontsize=7, frameon=True, framealpha=0.85)
            ax.set(xlim=self.z_range[0], ylim=self.z_range[1], xlabel="$z_1$", ylabel="$z_2$", title=self.title)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", facecolor="white")  # no trimming: the axes box stays known
            box = ax.get_position()
            self._axes_box = [box.x0, box.y0, box.x1, box.y1]
            self._plane = buffer.getvalue()
        return self._plane

    def alt(self) -> str:
        what = "test codes coloured by digit" + (", with circles of the prior N(0, I)" if self.prior else "")
        return (f"Latent plane (z_2 against z_1) of the {what}; choose a point to see the image it decodes to")

    # --- the static book ------------------------------------------------------------------
    def to_html(self) -> str:
        plane = base64.b64encode(self.plane_png()).decode()
        data = {**self.payload, "z_range": self.z_range.tolist(), "axes_box": self._axes_box,
                "shape": list(self.image_shape), "start": self.start.tolist(),
                "path": None if self.path is None else [p.tolist() for p in self.path]}
        uid = "latent-" + uuid.uuid4().hex[:8]
        path_control = ("" if self.path is None else
                        '<label class="course-latent-path">along the path: first image '
                        '<input type="range" min="0" max="100" step="1" value="0" data-role="path" '
                        'aria-label="position along the path between the two test images"> second image</label>')
        return (
            f'<div class="course-latent-explorer" id="{uid}" style="display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start">'
            f'<div data-role="plane" tabindex="0" role="application" aria-label="{html.escape(self.alt())}. '
            f'Click or drag to choose z; arrow keys move it (with Shift, faster)." '
            f'style="position:relative;display:inline-block;cursor:crosshair;touch-action:none;max-width:100%">'
            f'<img src="data:image/png;base64,{plane}" alt="{html.escape(self.alt())}" draggable="false" '
            f'style="display:block;max-width:100%;user-select:none">'
            f'<div class="course-latent-marker" style="position:absolute;width:12px;height:12px;margin:-7px 0 0 -7px;'
            f'border:2px solid #D55E00;border-radius:50%;pointer-events:none"></div></div>'
            f'<div style="display:flex;flex-direction:column;gap:0.4em">'
            f'<canvas data-role="decoded" width="{self.image_shape[1]}" height="{self.image_shape[0]}" '
            f'style="width:{DECODED_PIXELS}px;height:{DECODED_PIXELS * self.image_shape[0] // self.image_shape[1]}px;'
            f'image-rendering:pixelated;border:1px solid #999" role="img" aria-label="the decoded image d(z)"></canvas>'
            f'<output data-role="z" aria-live="polite"></output>{path_control}'
            f'<p class="course-explorer-note" style="margin:0;max-width:18em">d(z) is computed in this page from the '
            f'decoder\'s weights.</p></div>'
            f'<script type="application/json">{json.dumps(data)}</script>'
            f'<script>{SCRIPT}</script></div>'
        )

    # --- JupyterLab -------------------------------------------------------------------------
    def decoded_png(self, z) -> bytes:
        from PIL import Image

        pixels = np.clip(self.decode(z)[0].reshape(self.image_shape), 0.0, 1.0)
        image = Image.fromarray(np.uint8(np.round(255 * (1.0 - pixels))), mode="L")  # gray_r, as the plots
        out = io.BytesIO()
        image.resize((DECODED_PIXELS, DECODED_PIXELS * self.image_shape[0] // self.image_shape[1]),
                     Image.NEAREST).save(out, format="PNG")
        return out.getvalue()

    def widget(self):
        """The live view: the plane, sliders for z_1 and z_2 (and the path), d(z) by torch."""
        import ipywidgets as widgets

        def slider(k, symbol):
            low, high = self.z_range[k]
            return widgets.FloatSlider(value=float(self.start[k]), min=float(low), max=float(high),
                                       step=float(high - low) / 200, description=symbol, readout_format=".2f")

        z1, z2 = slider(0, "z₁"), slider(1, "z₂")
        decoded = widgets.Image(value=self.decoded_png(self.start), format="png")
        controls = [z1, z2]
        if self.path is not None:
            t = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.01, description="path t")

            def walk(_change):
                z1.value, z2.value = (1 - t.value) * self.path[0] + t.value * self.path[1]

            t.observe(walk, names="value")
            controls.append(t)

        def update(_change=None):
            decoded.value = self.decoded_png([z1.value, z2.value])

        for s in (z1, z2):
            s.observe(update, names="value")
        box = widgets.HBox([widgets.Image(value=self.plane_png(), format="png"),
                            widgets.VBox([decoded, *controls])])
        box.add_class("course-latent-explorer-live")
        return box

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget()._repr_mimebundle_() or {})
        bundle["text/html"] = self.to_html()
        bundle["image/png"] = base64.b64encode(self.plane_png()).decode("ascii")
        bundle["text/plain"] = f"LatentExplorer({self.title!r})"
        return bundle


def latent_explorer(decoder: MLP, codes, labels, **options) -> LatentExplorer:
    """The latent plane of a model with m = 2 that decodes in the page (see :class:`LatentExplorer`)."""
    return LatentExplorer(decoder, codes, labels, **options)
