"""The explorer of the Bayesian network's predictive bands over sigma^2 and the prior's scale."""

import numpy as np
from matplotlib.figure import Figure

from course_lib import bayes_figures as bf

S = bf.SETTINGS


def _on_data(r):
    return r["std"][(r["x_grid"] >= 0) & (r["x_grid"] <= 0.5)].mean()


def _far(r):
    return r["std"][r["x_grid"] >= 0.8].mean()


def test_grids_are_dense_log_grids_holding_the_defaults():
    for grid, default in ((S.sigma2_grid, S.sigma2_default), (S.prior_std_grid, S.prior_std_default)):
        assert len(grid) >= 9 and default in grid
        assert np.allclose(np.diff(np.log(grid)), np.diff(np.log(grid))[0], rtol=0.02)


def test_bands_follow_sigma2_on_the_data_and_the_prior_away_from_it():
    results = {(s, p): bf.bands_frame(s, p) for s in S.sigma2_grid for p in (0.1, 1.0, 10.0)}
    for p in (0.1, 1.0, 10.0):  # a larger noise variance widens the band on the data
        widths = [_on_data(results[s, p]) for s in S.sigma2_grid]
        assert widths == sorted(widths)
        for s, width in zip(S.sigma2_grid, widths):
            assert width >= np.sqrt(s) * 0.99  # the noise alone gives sigma
    for s in S.sigma2_grid[:5]:  # a wider prior widens the band away from the data
        assert _far(results[s, 10.0]) > _far(results[s, 0.1])
    r = results[S.sigma2_default, 1.0]
    assert r["mean"].shape == r["std"].shape == r["x_grid"].shape and _far(r) > 2 * _on_data(r)


def test_frames_draw_and_the_explorer_builds():
    fig = Figure()
    artists = bf.draw_bands_frame(fig, bf.bands_frame(0.003, 1.0), sigma2=0.003, prior_std=1.0)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "y" and "σ²" in ax.get_title()
    assert all(a.get_animated() for a in artists)
    explorer = bf.bands_explorer()
    assert len(explorer.grid_values()) == len(S.sigma2_grid) * len(S.prior_std_grid) >= 81
    assert explorer.defaults() == {"sigma2": 0.003, "prior_std": 1.0}
    assert explorer.render(sigma2=0.003, prior_std=10.0) != explorer.render()
