"""A small SVG canvas for the course's diagrams (course_lib.diagrams): shapes, arrows and
maths labels with sub- and superscripts, written as SVG text (no plotting library), so that
a diagram stays crisp at any zoom and weighs a few kB. Text stays text: in a label, ``a_{j}``
and ``a^{j}`` are a subscript and a superscript, and words between backticks are upright.
"""

from __future__ import annotations

import math
from html import escape

# Okabe & Ito's colour-blind-safe colours (as course_lib.plotting.PALETTE); dark enough
# to read as lines and text on white, and still distinct once the page inverts them.
INK, GREY = "#222222", "#6b6b6b"
BLUE, VERMILLION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#A8527F"

STYLE = ("text{white-space:pre}.m{font:italic 16px 'STIX Two Text','Times New Roman',serif}"
         ".t{font:14px 'DejaVu Sans',Arial,sans-serif}"
         ".c{font:12px 'DejaVu Sans Mono',monospace}")


def _n(v: float) -> str:
    """A coordinate with at most one decimal, as short as possible (small, stable files)."""
    text = f"{v:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _segments(label: str, shift: float, scale: float, size: float, upright: bool):
    """Split a label into (text, baseline shift, scale, upright) runs; see :func:`_rich`."""
    runs, plain, i = [], "", 0
    while i < len(label):
        c = label[i]
        if c == "`":
            end = label.index("`", i + 1)
            runs += [(plain, shift, scale, upright)] if plain else []
            runs += _segments(label[i + 1:end], shift, scale, size, True)
            plain, i = "", end + 1
        elif c in "_^" and i + 1 < len(label):
            if label[i + 1] == "{":
                depth, end = 0, i + 1
                for end in range(i + 1, len(label)):
                    depth += {"{": 1, "}": -1}.get(label[end], 0)
                    if depth == 0:
                        break
                group, i = label[i + 2:end], end + 1
            else:
                group, i = label[i + 1], i + 2
            runs += [(plain, shift, scale, upright)] if plain else []
            offset = (0.3 if c == "_" else -0.42) * size * scale
            runs += _segments(group, shift + offset, scale * 0.7, size, upright)
            plain = ""
        else:
            plain += c
            i += 1
    return runs + ([(plain, shift, scale, upright)] if plain else [])


def _rich(label: str, size: float) -> str:
    """SVG text of a maths label: ``_x``, ``_{..}``, ``^x``, ``^{..}`` are sub/superscripts
    (nested groups allowed) and text between backticks is set upright, as words."""
    out, current = [], 0.0
    for text, shift, scale, upright in _segments(label, 0.0, 1.0, size, False):
        attributes = f' dy="{_n(shift - current)}"' if shift != current else ""
        attributes += f' font-size="{_n(size * scale)}px"' if scale != 1 else ""
        attributes += ' class="t"' if upright else ""
        if upright and scale == 1:
            attributes += f' font-size="{_n(size * 0.875)}px"'
        out.append(f"<tspan{attributes}>{escape(text)}</tspan>" if attributes else escape(text))
        current = shift
    return "".join(out)


class Canvas:
    """An SVG drawing: shapes and labels added in order, then :meth:`svg` gives the file."""

    def __init__(self, width: int, height: int, title: str):
        if width <= 0 or height <= 0:
            raise ValueError(f"width and height must be positive, got {width} x {height}")
        self.width, self.height, self.title = width, height, title
        self.items: list[str] = []
        self.markers: set[str] = set()

    @staticmethod
    def _stroke(colour, width, dashed):
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        return f'stroke="{colour}" stroke-width="{_n(width)}"{dash}'

    def line(self, x1, y1, x2, y2, colour=INK, arrow=False, dashed=False, width=1.5):
        """A segment; with ``arrow`` an arrowhead at (x2, y2)."""
        end = ""
        if arrow:
            self.markers.add(colour)
            end = f' marker-end="url(#a{colour[1:]})"'
        self.items.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                          f'{self._stroke(colour, width, dashed)}{end}/>')

    def polyline(self, points, colour=INK, dashed=False, width=1.5, arrow=False, closed=False,
                 fill="none", opacity=0.0):
        """A path through ``points``; closed and filled (with ``fill`` at ``opacity``) if asked."""
        d = "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in points) + (" Z" if closed else "")
        end = ""
        if arrow:
            self.markers.add(colour)
            end = f' marker-end="url(#a{colour[1:]})"'
        paint = f'fill="{fill}" fill-opacity="{_n(opacity * 100)}%"' if fill != "none" else 'fill="none"'
        self.items.append(f'<path d="{d}" {paint} {self._stroke(colour, width, dashed)}{end}/>')

    def rect(self, x, y, w, h, colour=INK, fill="none", opacity=0.12, dashed=False, radius=6):
        paint = f'fill="{fill}" fill-opacity="{_n(opacity * 100)}%"' if fill != "none" else 'fill="none"'
        self.items.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
                          f'rx="{_n(radius)}" {paint} {self._stroke(colour, 1.5, dashed)}/>')

    def circle(self, x, y, r, colour=INK, fill="none", opacity=0.12):
        paint = f'fill="{fill}" fill-opacity="{_n(opacity * 100)}%"' if fill != "none" else 'fill="none"'
        self.items.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {paint} '
                          f'{self._stroke(colour, 1.5, False)}/>')

    def text(self, x, y, label, kind="m", size=None, anchor="middle", colour=INK, bold=False):
        """A label: ``kind`` "m" maths (italic serif, sub/superscripts), "t" words, "c" code."""
        if kind not in ("m", "t", "c"):
            raise ValueError(f"kind must be 'm' (maths), 't' (text) or 'c' (code), got {kind!r}")
        size = size or {"m": 16, "t": 14, "c": 12}[kind]
        body = _rich(label, size) if kind == "m" else escape(label)
        extra = "" if size == {"m": 16, "t": 14, "c": 12}[kind] else f' font-size="{_n(size)}px"'
        extra += "" if colour == INK else f' fill="{colour}"'
        extra += ' font-weight="bold"' if bold else ""
        extra += "" if anchor == "middle" else f' text-anchor="{anchor}"'
        self.items.append(f'<text x="{_n(x)}" y="{_n(y)}" class="{kind}"{extra}>{body}</text>')

    def svg(self) -> str:
        markers = "".join(
            f'<marker id="a{c[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
            for c in sorted(self.markers))
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
                f'width="{self.width}" height="{self.height}" role="img">\n'
                f"<title>{escape(self.title)}</title>\n"
                f"<style>{STYLE}</style>\n<defs>{markers}</defs>\n"
                # defaults of every label, which a label's own attributes override
                f'<g text-anchor="middle" fill="{INK}">\n'
                + "\n".join(self.items) + "\n</g>\n</svg>\n")


def arrow_between_circles(c: Canvas, p, q, r, colour=INK, width=1.2, arrow=True, dashed=False):
    """An arrow from the rim of the circle of radius r at p to the rim of the one at q."""
    (x1, y1), (x2, y2) = p, q
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    c.line(x1 + r * ux, y1 + r * uy, x2 - r * ux, y2 - r * uy, colour=colour, arrow=arrow,
           width=width, dashed=dashed)


def column(c: Canvas, x, y_top, cells, colour, width=22, height=18):
    for k in range(cells):
        c.rect(x, y_top + k * height, width, height, colour=colour, fill=colour, opacity=0.15,
               radius=2)


def gaussian(mean, std, x0, x_scale, y0, height, lo=-3.0, hi=3.0, steps=40):
    """Points of a bell curve with peak ``height`` (pixels) over the baseline y0."""
    points = []
    for k in range(steps + 1):
        t = lo + (hi - lo) * k / steps
        value = mean + std * t
        points.append((x0 + x_scale * value, y0 - height * math.exp(-0.5 * t * t)))
    return points
