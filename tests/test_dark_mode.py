"""Light and dark mode: every page of the built book is shown in both (the book follows the
reader's system setting, ``default_mode: auto``), and each figure, explorer frame and
diagram is photographed as the reader sees it.

A figure's background is the median luminance of its edge (a frame 4 pixels wide: the
margin around the axes): a heatmap or a filled band may be mid-grey on the whole, but its
margin shows whether it sits in a light box. In dark mode the background must be at most
DARK_MAX_BACKGROUND and some ink must be light (at least INK_SHARE of the pixels above
BRIGHT); in light mode the background must be at least LIGHT_MIN_BACKGROUND with dark ink
(pixels below DARK). The mean luminance is reported. Text of code cells, explorer
controls and quizzes must keep a contrast ratio of at least 4.5 (WCAG AA).
"""

from __future__ import annotations

import io
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image

from test_book import _pages, browser, served_book  # noqa: F401  (fixtures)

DARK_MAX_BACKGROUND = 0.25   # the dark page is about 0.08; a white box, even dimmed, 0.8
LIGHT_MIN_BACKGROUND = 0.75  # a white figure is about 1
BRIGHT, DARK = 0.55, 0.45
INK_SHARE = 0.002      # at least 0.2 % of a figure's pixels are ink (lines, text)

FIGURES = "div.cell_output img, .course-explorer img, img.course-diagram"

# Every figure finished loading (images may be lazy), with its kind for the messages.
LOAD_FIGURES = """async (selector) => {
  const images = Array.from(document.querySelectorAll(selector));
  for (const i of images) i.loading = 'eager';
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  return images.map(i => ({alt: (i.alt || i.src).slice(0, 70), shown: i.offsetWidth > 30 && i.offsetHeight > 30}));
}"""

# Contrast ratio (WCAG) of the text of code cells and outputs against what lies behind it.
TEXT_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
                                 .reduce((s, v, k) => s + v * [0.2126, 0.7152, 0.0722][k], 0);
  const background = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                              if (c.length === 3 || c[3] > 0.5) return c.slice(0, 3); } return [255, 255, 255]; };
  const selector = 'div.cell_input pre, div.cell_output pre, .course-explorer-param, .course-quiz';
  return Array.from(document.querySelectorAll(selector)).filter(e => e.offsetHeight > 0).map(e => {
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(background(e));
    return {what: e.className + ': ' + e.textContent.trim().slice(0, 40),
            ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""


def _luminance(png: bytes) -> np.ndarray:
    """Per-pixel luminance in [0, 1] of a screenshot (Rec. 709 weights on sRGB values)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64) / 255
    return pixels @ np.array([0.2126, 0.7152, 0.0722])


def _background(luminance: np.ndarray, width: int = 4) -> float:
    edge = np.concatenate([luminance[:width].ravel(), luminance[-width:].ravel(),
                           luminance[:, :width].ravel(), luminance[:, -width:].ravel()])
    return float(np.median(edge))


def _judge(luminance: np.ndarray, mode: str) -> str | None:
    background = _background(luminance)
    if mode == "dark":
        if background > DARK_MAX_BACKGROUND:
            return f"a light box in dark mode (background luminance {background:.2f} > {DARK_MAX_BACKGROUND})"
        if (luminance > BRIGHT).mean() < INK_SHARE:
            return f"no light lines or text in dark mode ({(luminance > BRIGHT).mean():.4f} of pixels > {BRIGHT})"
    else:
        if background < LIGHT_MIN_BACKGROUND:
            return f"a dark box in light mode (background luminance {background:.2f} < {LIGHT_MIN_BACKGROUND})"
        if (luminance < DARK).mean() < INK_SHARE:
            return f"no dark lines or text in light mode ({(luminance < DARK).mean():.4f} of pixels < {DARK})"
    return None


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_figures_look_native_in_light_and_dark_mode(built_book, served_book, browser, mode):
    context = browser.new_context(color_scheme=mode, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems, means, backgrounds, checked = [], [], [], 0
    for path in _pages(built_book):
        name = path.relative_to(built_book).as_posix()
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8").lower():
            continue
        page.goto(urljoin(served_book, name), wait_until="load")
        theme = page.evaluate("() => document.documentElement.dataset.theme")
        assert theme == mode, f"{name}: the page is in {theme!r} mode, not {mode!r}"
        figures = page.evaluate(LOAD_FIGURES, FIGURES)
        locator = page.locator(FIGURES)
        for k, figure in enumerate(figures):
            if not figure["shown"]:
                continue
            luminance = _luminance(locator.nth(k).screenshot(animations="disabled"))
            checked += 1
            means.append(luminance.mean())
            backgrounds.append(_background(luminance))
            verdict = _judge(luminance, mode)
            if verdict:
                problems.append(f"{name}: {figure['alt']}: {verdict}")
        for text in page.evaluate(TEXT_CONTRAST):
            if text["ratio"] < 4.5:
                problems.append(f"{name}: text with contrast {text['ratio']:.1f} < 4.5: {text['what']}")
    context.close()
    print(f"{mode} mode: {checked} figures; background luminance {min(backgrounds):.3f} to "
          f"{max(backgrounds):.3f}; mean luminance {min(means):.3f} to {max(means):.3f}")
    assert checked >= 20, f"only {checked} figures found in the book"
    assert not problems, "\n".join(problems)


def test_the_judge_tells_a_light_box_from_a_dark_figure():
    white_box = np.full((100, 100), 0.8)
    white_box[40:60, :] = 0.1  # dark text on a dimmed white box
    dark_figure = np.full((100, 100), 0.08)
    dark_figure[40:60, :] = 0.85  # light text on the page's dark
    assert "light box" in _judge(white_box, "dark")
    assert _judge(dark_figure, "dark") is None
    assert "dark box" in _judge(dark_figure, "light")
    assert _judge(white_box, "light") is None
    assert "no dark lines" in _judge(np.full((10, 10), 0.9), "light")
    assert "no light lines" in _judge(np.full((10, 10), 0.05), "dark")
