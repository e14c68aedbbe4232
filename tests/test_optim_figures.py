"""The optimisation chapter's figures and its explorer over rho and the batch size b."""

import matplotlib.figure
import numpy as np
import pytest

from course_lib import optim, optim_figures as of


@pytest.fixture(scope="module")
def problem():
    return optim.penguin_quadratic()


def test_lr_frame_and_its_drawing(problem):
    result = of.lr_frame(lr=0.1)
    runs = result["runs"]
    assert len(runs) == 2 and result["problem"].loss_min == pytest.approx(problem.loss_min)
    for run in runs.values():
        assert len(run["loss"]) == of.SETTINGS.epochs + 1 and not run["diverged"]
    constant, decreasing = runs.values()
    n_batches = -(-len(problem.y) // of.SETTINGS.batch_size_default)
    first_epoch = slice(0, n_batches + 1)  # rho_0 = rho: the same first epoch, then they part
    np.testing.assert_array_equal(constant["path"][first_epoch], decreasing["path"][first_epoch])
    assert not np.array_equal(constant["path"][n_batches + 1], decreasing["path"][n_batches + 1])
    fig = matplotlib.figure.Figure()
    artists = of.draw_lr_frame(fig, result, lr=0.1)
    left, right = fig.axes
    assert left.get_xlabel() and left.get_ylabel() and right.get_xlabel() == "epoch" and right.get_ylabel()
    assert all(a.get_animated() for a in artists)  # only these change from frame to frame
    assert len(right.get_legend().get_texts()) == 2 and "diverged" not in right.get_title()
    diverged = of.lr_frame(lr=1.0)
    assert all(run["diverged"] for run in diverged["runs"].values())
    of.draw_lr_frame(fig, diverged, lr=1.0)  # the same figure: the next frame
    assert "diverged" in fig.axes[1].get_title()
    assert "DIVERGED" in fig.axes[1].get_legend().get_texts()[0].get_text()


def test_decreasing_lr_settles_closer_and_rescues_just_above_threshold(problem):
    """SGD with constant rho hovers at a distance ~ rho from theta*; rho_e = rho / (1 + 0.5 e) settles."""
    for lr in (0.1, 0.3):
        constant, decreasing = of.lr_frame(lr=lr)["runs"].values()
        assert decreasing["loss"][-1] - problem.loss_min < 0.2 * (constant["loss"][-1] - problem.loss_min)
    constant, decreasing = of.lr_frame(lr=0.6)["runs"].values()
    assert 0.6 > problem.lr_threshold and constant["diverged"] and not decreasing["diverged"]


def test_lr_grid_spans_slow_oscillating_and_diverging(problem):
    threshold = problem.lr_threshold
    grid = np.array(of.SETTINGS.lr_grid)
    assert len(grid) >= 9
    assert grid.min() < 0.02 * threshold and grid.max() > 1.5 * threshold
    oscillating = (grid > 0.5 * threshold) & (grid < threshold)  # 1/lambda_max < rho < 2/lambda_max
    assert oscillating.sum() >= 3
    outcomes = [of.lr_frame(lr=float(lr))["runs"]["constant ρ"]["diverged"] for lr in grid]
    assert outcomes == list(grid > threshold)  # b = 16 diverges exactly above 2 / lambda_max
    slow = of.lr_frame(lr=float(grid[0]))["runs"]["constant ρ"]
    start, end = (np.linalg.norm(slow["path"][k] - problem.theta_star) for k in (0, -1))
    assert end > 0.5 * start  # too small: after 25 epochs, still more than half-way from theta*
    full_batch = of.lr_frame(lr=0.4, batch_size=len(problem.y))["runs"]["constant ρ"]["path"]
    steps = np.diff(full_batch, axis=0) @ np.linalg.eigh(problem.hessian)[1][:, -1]
    assert np.all(steps[:-1] * steps[1:] < 0)  # along lambda_max, every step turns back: oscillation


def test_lr_explorer_has_dense_sliders_and_cheap_frames():
    explorer = of.lr_explorer()
    assert [p.name for p in explorer.params] == ["lr", "batch_size"]
    assert len(explorer.params[0].grid) >= 9 and explorer.params[1].grid[-1] == 333
    first = explorer.render(lr=0.3)
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.render(lr=0.3, batch_size=4) != first
    # blitting: a frame pasted over the kept background looks like the same frame drawn first
    pasted = _pixels(explorer.render(lr=0.3, batch_size=4))
    alone = _pixels(of.lr_explorer().render(lr=0.3, batch_size=4))
    assert pasted.shape == alone.shape
    assert np.mean(np.abs(pasted - alone).max(axis=-1) > 40) < 0.005  # < 0.5 % of the pixels differ


def _pixels(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def test_draw_trajectories(problem):
    runs = {m: optim.optimize(problem, optim.THETA_START, m, 0.05, 20) for m in optim.METHODS}
    fig = of.draw_trajectories(problem, runs)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].get_legend().get_texts()) == len(runs) + 1  # runs and theta*
    fig = of.plot_lr_sweep(problem, [0.01, 0.1, 1.0], n_steps=20)
    assert fig.axes[0].get_xlabel() == "learning rate ρ"
