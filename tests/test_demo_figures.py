"""The demonstration explorer of the page on interactive figures."""

import time

import numpy as np
import pytest
from scipy.stats import norm

from course_lib import demo_figures


def test_gaussian_nll_matches_scipy():
    r = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(demo_figures.gaussian_nll(r, 0.3), -norm.logpdf(r, scale=np.sqrt(0.3)), rtol=1e-12)


def test_the_frame_reports_the_cost_of_a_unit_residual():
    frame = demo_figures.gaussian_nll_frame(0.5)
    assert frame["cost_of_one"] == pytest.approx(-norm.logpdf(1.0, scale=np.sqrt(0.5)))
    assert frame["nll"].shape == frame["residual"].shape == (demo_figures.SETTINGS.n_points,)


def test_the_demo_explorer_is_dense_light_and_quick():
    explorer = demo_figures.gaussian_nll_explorer()
    grid = explorer.params[0].grid
    assert len(grid) >= 9 and grid[0] <= 0.01 and grid[-1] >= 1.0
    page = explorer.to_html()
    assert len(page.encode()) < 2_000_000
    assert explorer.precompute_seconds < 10
    start = time.perf_counter()
    explorer.render(sigma2=0.77)
    assert time.perf_counter() - start < 1.0  # an analytic explorer updates live within 1 s


def test_bad_sigma2_is_explained():
    with pytest.raises(ValueError, match="sigma2 is a variance and must be a number > 0"):
        demo_figures.gaussian_nll(1.0, 0.0)


def test_settings_must_be_the_settings_class():
    with pytest.raises(ValueError, match="settings must be a DemoSettings"):
        demo_figures.gaussian_nll_explorer({"sigma2_grid": (0.1,)})
