"""Light and dark mode: every page of the built book is shown in both (the book follows the
reader's system setting, ``default_mode: auto``), and each figure, explorer frame and
diagram is photographed as the reader sees it.

In dark mode a figure must not be a light box (mean luminance of its pixels at most
DARK_MAX_MEAN) and its lines and text must still show (a few pixels above BRIGHT); in light
mode a figure must be light (mean at least LIGHT_MIN_MEAN) with dark ink (a few pixels below
DARK). Text of code cells and outputs must keep a contrast ratio of at least 4.5 (WCAG AA).
"""

from __future__ import annotations

import io
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image

from test_book import _pages, browser, served_book  # noqa: F401  (fixtures)

DARK_MAX_MEAN = 0.30   # a dark page is about 0.08; a white box about 0.8 even dimmed
LIGHT_MIN_MEAN = 0.60  # a white figure is about 0.95
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


def _judge(luminance: np.ndarray, mode: str) -> str | None:
    mean = luminance.mean()
    if mode == "dark":
        if mean > DARK_MAX_MEAN:
            return f"a light box in dark mode (mean luminance {mean:.2f} > {DARK_MAX_MEAN})"
        if (luminance > BRIGHT).mean() < INK_SHARE:
            return f"no light lines or text in dark mode ({(luminance > BRIGHT).mean():.4f} of pixels > {BRIGHT})"
    else:
        if mean < LIGHT_MIN_MEAN:
            return f"a dark box in light mode (mean luminance {mean:.2f} < {LIGHT_MIN_MEAN})"
        if (luminance < DARK).mean() < INK_SHARE:
            return f"no dark lines or text in light mode ({(luminance < DARK).mean():.4f} of pixels < {DARK})"
    return None


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_figures_look_native_in_light_and_dark_mode(built_book, served_book, browser, mode):
    context = browser.new_context(color_scheme=mode, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems, means, checked = [], [], 0
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
            verdict = _judge(luminance, mode)
            if verdict:
                problems.append(f"{name}: {figure['alt']}: {verdict}")
        for text in page.evaluate(TEXT_CONTRAST):
            if text["ratio"] < 4.5:
                problems.append(f"{name}: text with contrast {text['ratio']:.1f} < 4.5: {text['what']}")
    context.close()
    print(f"{mode} mode: {checked} figures, mean luminance from {min(means):.3f} to {max(means):.3f}")
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
