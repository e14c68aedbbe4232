"""The explorer mechanism: parameters are validated, results cached, the static HTML holds
one slider per parameter and one frame per grid point, and the live widget recomputes."""

import base64
import json
import re

import matplotlib.figure
import numpy as np
import pytest

from course_lib.widgets import Explorer, Param


def _line_explorer(calls=None):
    def compute(slope, n_points):
        if calls is not None:
            calls.append((slope, n_points))
        x = np.linspace(0.0, 1.0, n_points)
        return x, slope * x

    def draw(fig, result, slope, n_points):
        ax = fig.subplots()
        ax.plot(*result, marker="o")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_ylim(0.0, 10.0)

    params = [Param("slope", "a", 0.1, 10.0, 1.0, scale="log", grid=(0.1, 1.0, 10.0), label="slope"),
              Param("n_points", "N", 2, 20, 5, integer=True, grid=(2, 5))]
    return Explorer(compute, draw, params, alt="a straight line", figsize=(3, 2))


def test_frames_cover_the_grid_and_results_are_cached():
    calls = []
    explorer = _line_explorer(calls)
    frames = explorer.precompute()
    assert len(frames) == 3 * 2
    assert all(f.startswith(b"\x89PNG") for f in frames)
    assert len(set(frames)) == 6  # every grid point draws a different figure
    assert sorted(calls) == sorted((s, n) for s in (0.1, 1.0, 10.0) for n in (2, 5))
    explorer.render(slope=1.0, n_points=5)
    assert len(calls) == 6  # a grid value already computed is not computed again
    explorer.render(slope=2.0, n_points=7)  # any value of the range is allowed live
    assert calls[-1] == (2.0, 7)
    assert explorer.precompute_seconds is not None


def test_static_html_has_one_slider_per_parameter_and_every_frame():
    explorer = _line_explorer()
    page = explorer.to_html()
    assert page.startswith('<div class="course-explorer"')
    sliders = re.findall(r'<input type="range" min="0" max="(\d+)" step="1" value="(\d+)" data-param="(\w+)"', page)
    assert sliders == [("2", "1", "slope"), ("1", "1", "n_points")]  # defaults 1.0 and 5
    assert page.count("<img ") == 1 and 'alt="a straight line"' in page
    data = json.loads(re.search(r'<script type="application/json">(.*?)</script>', page).group(1))
    assert data["sizes"] == [3, 2]
    assert data["labels"] == [["a = 0.1", "a = 1", "a = 10"], ["N = 2", "N = 5"]]
    # the image shown first is the default frame: slope index 1, n_points index 1 -> 1 * 2 + 1
    shown = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert shown == data["frames"][3]
    assert base64.b64decode(data["frames"][3]) == explorer.render()
    assert "http" not in page.replace('xmlns="http', "")  # the script loads nothing


def test_mimebundle_offers_widget_html_and_png():
    bundle = _line_explorer()._repr_mimebundle_()
    assert set(bundle) >= {"application/vnd.jupyter.widget-view+json", "text/html", "image/png", "text/plain"}
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_live_widget_recomputes_any_value_and_reports_it():
    explorer = _line_explorer()
    box = explorer.widget()
    controls, status, image = box.children
    slope_slider, n_slider = controls.children
    assert slope_slider.continuous_update is False and n_slider.continuous_update is False
    before = image.value
    slope_slider.value = 3.7  # not a grid value
    assert image.value != before
    assert image.value == explorer.render(slope=3.7)
    assert "updated in" in status.value


def test_log_parameters_get_log_sliders():
    import ipywidgets

    explorer = _line_explorer()
    controls = explorer.widget().children[0].children
    assert isinstance(controls[0], ipywidgets.FloatLogSlider)
    assert isinstance(controls[1], ipywidgets.IntSlider)


def test_draw_receives_an_empty_figure_and_nothing_leaks_into_pyplot():
    import matplotlib.pyplot as plt

    seen = []

    def draw(fig, result, a):
        seen.append((type(fig), len(fig.axes)))
        fig.subplots().plot([0, 1], [0, result])

    explorer = Explorer(lambda a: a, draw, [Param("a", "a", 0, 1, 0.5, grid=(0.5,))], alt="a line")
    n_open = len(plt.get_fignums())
    explorer.render()
    assert seen == [(matplotlib.figure.Figure, 0)]
    assert len(plt.get_fignums()) == n_open


def _blit_explorer(calls):
    """An explorer whose draw lays out the axes once and returns the artists of each frame."""

    def draw(fig, result, slope):
        calls.append(len(fig.axes))
        if not fig.axes:
            ax = fig.subplots()
            ax.set(xlabel="x", ylabel="y", xlim=(0, 1), ylim=(0, 10))
        ax = fig.axes[0]
        line, = ax.plot([0, 1], [0, result], color="C0", animated=True)  # a fixed colour: the cycle moves on
        title = ax.set_title(f"slope {slope:g}")
        title.set_animated(True)
        return [line, title]

    return Explorer(lambda slope: slope, draw, [Param("slope", "a", 0.1, 10, 1, grid=(0.1, 1, 5, 10))],
                    alt="a line", figsize=(3, 2))


def _pixels(png):
    from PIL import Image
    import io

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def test_a_draw_that_returns_its_artists_reuses_the_figure_and_matches_a_fresh_drawing():
    calls = []
    explorer = _blit_explorer(calls)
    frames = explorer.precompute()
    assert calls == [0, 1, 1, 1]  # axes laid out once, then reused
    assert len(set(frames)) == 4
    for k, slope in enumerate((0.1, 1, 5, 10)):
        fresh = _blit_explorer([]).render(slope=slope)  # the same frame drawn first, alone
        assert np.abs(_pixels(frames[k]) - _pixels(fresh)).max() < 60
        assert np.mean(np.abs(_pixels(frames[k]) - _pixels(fresh)) > 30) < 0.002
    # the line of the previous frame is gone: frames 0.1 and 10 differ where the lines differ
    assert np.mean(np.abs(_pixels(frames[0]) - _pixels(frames[3])) > 30) > 0.005


def test_a_draw_must_keep_to_one_protocol():
    state = {"n": 0}

    def draw(fig, result, a):
        state["n"] += 1
        if not fig.axes:
            fig.subplots().set(xlabel="x", ylabel="y")
        return [fig.axes[0].axhline(result, animated=True)] if state["n"] == 1 else None

    explorer = Explorer(lambda a: a, draw, [Param("a", "a", 0, 1, 0.5, grid=(0.5, 1.0))], alt="a line")
    explorer.render(a=0.5)
    with pytest.raises(ValueError, match="draw returned its artists for the first frame but None now"):
        explorer.render(a=1.0)


def _compute(a):
    return a


def _draw(fig, result, a):
    fig.subplots()


@pytest.mark.parametrize("make, match", [
    (lambda: Param("lr", "ρ", 0.1, 1.0, 0.5, grid=()), "parameter 'lr': the grid is empty"),
    (lambda: Param("lr", "ρ", 1.0, 1.0, 1.0, grid=(1.0,)), "parameter 'lr': low must be < high"),
    (lambda: Param("lr", "ρ", 2.0, 1.0, 1.5, grid=(1.5,)), "parameter 'lr': low must be < high"),
    (lambda: Param("lr", "ρ", 0.0, 1.0, 0.5, scale="log", grid=(0.5,)), "parameter 'lr': a log scale needs low > 0"),
    (lambda: Param("lr", "ρ", -1.0, 1.0, 0.5, scale="log", grid=(0.5,)), "parameter 'lr': a log scale needs low > 0"),
    (lambda: Param("lr", "ρ", 0.1, 1.0, 2.0, grid=(0.5,)), "parameter 'lr': default 2.0 lies outside the range"),
    (lambda: Param("lr", "ρ", 0.1, 1.0, 0.5, grid=(0.2,)), "parameter 'lr': the default 0.5 must be one of the grid"),
    (lambda: Param("lr", "ρ", 0.1, 1.0, 0.5, grid=(0.5, 3.0)), r"parameter 'lr': every grid value must lie in \[0.1, 1.0\]"),
    (lambda: Param("lr", "ρ", 0.1, 1.0, 0.5, grid=(0.5, 0.2)), "parameter 'lr': grid values must be strictly increasing"),
    (lambda: Param("lr", "ρ", 0.1, 1.0, 0.5, scale="cubic", grid=(0.5,)), "parameter 'lr': scale must be 'linear' or 'log'"),
    (lambda: Param("m", "m", 1, 20, 2.5, integer=True, grid=(2.5,)), "parameter 'm': an integer parameter"),
    (lambda: Explorer(_compute, _draw, [Param("b", "b", 0, 1, 0.5, grid=(0.5,))], alt="x"),
     r"compute does not accept the parameter\(s\) \['b'\]"),
    (lambda: Explorer(_compute, _draw, [], alt="x"), "params must be a non-empty list"),
    (lambda: Explorer(_compute, _draw, [Param("a", "a", 0, 1, 0.5, grid=(0.5,))], alt=""), "alt must be a sentence"),
    (lambda: Explorer(_compute, _draw, [Param("a", "a", 0, 1, 0.5, grid=(0.5,))], alt="x").render(b=1),
     r"unknown parameter\(s\) \['b'\]; this explorer has \['a'\]"),
    (lambda: Explorer(_compute, _draw, [Param("a", "a", 0, 1, 0.5, grid=(0.5,))], alt="x").render(a=3),
     r"parameter 'a' = 3 lies outside its range \[0, 1\]"),
])
def test_bad_input_names_the_parameter(make, match):
    with pytest.raises(ValueError, match=match):
        make()
