"""Tests of course_lib.optim against closed forms of gradient descent on quadratics and torch.optim."""

import warnings

import matplotlib.figure
import numpy as np
import pytest
import torch

from course_lib import optim


@pytest.fixture(scope="module")
def problem():
    return optim.penguin_quadratic()


def _small_problem(seed=0, n_obs=30):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_obs, 2)) @ np.array([[1.0, 0.6], [0.0, 0.5]])
    return optim.LeastSquares(x, x @ np.array([0.5, -1.0]) + 0.2 * rng.normal(size=n_obs))


def test_quadratic_against_autograd_and_least_squares(problem):
    theta = np.array([0.3, -0.7])
    t = torch.tensor(theta, requires_grad=True)
    loss = ((torch.from_numpy(problem.y) - torch.from_numpy(problem.x) @ t) ** 2).mean()
    loss.backward()
    assert problem.loss(theta) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(problem.gradient(theta), t.grad.numpy(), rtol=1e-12)
    hessian = torch.autograd.functional.hessian(
        lambda s: ((torch.from_numpy(problem.y) - torch.from_numpy(problem.x) @ s) ** 2).mean(), t.detach())
    np.testing.assert_allclose(problem.hessian, hessian.numpy(), rtol=1e-12)
    np.testing.assert_allclose(problem.theta_star, np.linalg.lstsq(problem.x, problem.y, rcond=None)[0], rtol=1e-10)
    grid = np.stack([theta, 2 * theta, problem.theta_star])
    np.testing.assert_allclose(problem.loss(grid), [problem.loss(g) for g in grid], rtol=1e-12)


def test_chapter_quadratic_eigenvalues_are_two_one_plus_minus_r(problem):
    r = np.corrcoef(problem.x.T)[0, 1]
    assert r == pytest.approx(0.873, abs=1e-3)
    np.testing.assert_allclose(problem.eigenvalues, [2 * (1 - r), 2 * (1 + r)], rtol=1e-10)
    assert problem.lr_threshold == pytest.approx(1 / (1 + r), rel=1e-10)


def test_full_batch_sgd_is_closed_form_gradient_descent():
    """b = N_obs: theta_e - theta* = prod_e (I - rho_e H) (theta_0 - theta*)."""
    problem = _small_problem()
    theta0 = np.array([2.0, 2.0])
    run = optim.sgd(problem, theta0, lr=0.2, batch_size=30, epochs=12, lr_decay=0.3)
    error = theta0 - problem.theta_star
    for epoch in range(12):
        error = (np.eye(2) - 0.2 / (1 + 0.3 * epoch) * problem.hessian) @ error
        np.testing.assert_allclose(run["path"][epoch + 1], problem.theta_star + error, rtol=1e-10)
    assert run["loss"].shape == (13,) and not run["diverged"]


def test_minibatch_sgd_epoch_uses_every_row_once():
    """b divides N: N_B = N/b updates per epoch, and to first order in rho an epoch moves theta by
    -rho sum_B (1/b) sum_{i in B} grad_i = -rho N_B grad(theta_0), whatever the shuffle."""
    problem = _small_problem()
    lr = 1e-6
    for seed in (0, 1):
        run = optim.sgd(problem, np.zeros(2), lr=lr, batch_size=6, epochs=3, seed=seed)
        assert len(run["path"]) == 1 + 3 * 5
        np.testing.assert_allclose(run["path"][5] - run["path"][0], -lr * 5 * problem.gradient(np.zeros(2)),
                                   rtol=1e-4)
    uneven = optim.sgd(problem, np.zeros(2), lr=lr, batch_size=8, epochs=2)
    assert len(uneven["path"]) == 1 + 2 * 4  # batches of 8, 8, 8 and 6 rows


def test_sgd_seed_reproducible():
    problem = _small_problem()
    a = optim.sgd(problem, np.zeros(2), lr=0.05, batch_size=5, epochs=2, seed=3)
    b = optim.sgd(problem, np.zeros(2), lr=0.05, batch_size=5, epochs=2, seed=3)
    c = optim.sgd(problem, np.zeros(2), lr=0.05, batch_size=5, epochs=2, seed=4)
    np.testing.assert_array_equal(a["path"], b["path"])
    assert not np.allclose(a["path"], c["path"])


def test_threshold_two_over_lambda_max(problem):
    threshold = problem.lr_threshold
    below = optim.optimize(problem, optim.THETA_START, "gd", 0.98 * threshold, 2000)
    above = optim.optimize(problem, optim.THETA_START, "gd", 1.02 * threshold, 2000)
    assert not below["diverged"] and below["loss"][-1] - problem.loss_min < 1e-8
    assert above["diverged"] and above["loss"][-1] > 1e5 * above["loss"][0]
    sweep = optim.lr_sweep(problem, [0.5 * threshold, 1.5 * threshold], n_steps=300)
    assert np.isfinite(sweep[0]) and sweep[1] == np.inf


def test_divergence_is_a_result_without_warnings(problem):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = optim.sgd(problem, optim.THETA_START, lr=50.0, batch_size=16, epochs=200)
        also = optim.optimize(problem, optim.THETA_START, "adam", 1e3, 50)
    assert run["diverged"] and len(run["loss"]) < 201 and np.all(np.isfinite(run["path"]))
    assert also["diverged"] and np.all(np.isfinite(also["path"]))


@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov", "adam"])
def test_optimizers_match_torch(problem, method):
    """gd/momentum/adam iterates equal torch.optim's; torch's Nesterov tracks theta + mu v (Sutskever et al. 2013)."""
    lr, n_steps, mu = 0.05, 25, 0.9
    run = optim.optimize(problem, optim.THETA_START, method, lr, n_steps, momentum=mu)
    p = torch.tensor(optim.THETA_START, requires_grad=True)
    if method == "adam":
        opt = torch.optim.Adam([p], lr=lr)
    else:
        opt = torch.optim.SGD([p], lr=lr, momentum=0.0 if method == "gd" else mu, nesterov=method == "nesterov")
    x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y)
    torch_path = [p.detach().numpy().copy()]
    for _ in range(n_steps):
        opt.zero_grad()
        ((y - x @ p) ** 2).mean().backward()
        opt.step()
        torch_path.append(p.detach().numpy().copy())
    torch_path = np.array(torch_path)
    if method == "nesterov":
        velocity = np.diff(run["path"], axis=0)
        np.testing.assert_allclose(run["path"][1:] + mu * velocity, torch_path[1:], atol=1e-12)
    else:
        np.testing.assert_allclose(run["path"], torch_path, atol=1e-12)


def test_momentum_beats_gd_on_the_elongated_valley(problem):
    gd = optim.optimize(problem, optim.THETA_START, "gd", 0.05, 100)
    heavy = optim.optimize(problem, optim.THETA_START, "momentum", 0.05, 100)
    assert heavy["loss"][-1] - problem.loss_min < 1e-2 * (gd["loss"][-1] - problem.loss_min)


def test_lr_compute_and_draw(problem):
    result = optim.lr_compute(lr=0.1)
    runs = result["runs"]
    assert len(runs) == 2 and result["problem"].loss_min == pytest.approx(problem.loss_min)
    for run in runs.values():
        assert len(run["loss"]) == optim.LR_EPOCHS + 1 and not run["diverged"]
    constant, decreasing = runs.values()
    np.testing.assert_array_equal(constant["path"][:22], decreasing["path"][:22])  # same first epoch (rho_0 = rho)
    fig = matplotlib.figure.Figure()
    optim.lr_draw(fig, result, lr=0.1)
    left, right = fig.axes
    assert left.get_xlabel() and left.get_ylabel() and right.get_xlabel() == "epoch" and right.get_ylabel()
    assert len(right.get_legend().get_texts()) == 2 and "diverged" not in right.get_title()
    diverged = optim.lr_compute(lr=1.0)
    assert all(run["diverged"] for run in diverged["runs"].values())
    fig = matplotlib.figure.Figure()
    optim.lr_draw(fig, diverged, lr=1.0)
    assert "diverged" in fig.axes[1].get_title()
    assert "DIVERGED" in fig.axes[1].get_legend().get_texts()[0].get_text()


def test_decreasing_lr_settles_closer_and_rescues_just_above_threshold(problem):
    """SGD with constant rho hovers at a distance ~ rho from theta*; rho_e = rho / (1 + 0.5 e) settles."""
    for lr in (0.1, 0.3):
        constant, decreasing = optim.lr_compute(lr=lr)["runs"].values()
        assert decreasing["loss"][-1] - problem.loss_min < 0.2 * (constant["loss"][-1] - problem.loss_min)
    constant, decreasing = optim.lr_compute(lr=0.6)["runs"].values()
    assert 0.6 > problem.lr_threshold and constant["diverged"] and not decreasing["diverged"]


def test_lr_grid_spans_slow_to_diverging(problem):
    threshold = problem.lr_threshold
    grid = np.array(optim.LR_GRID)
    assert grid.min() < 0.02 * threshold and grid.max() > 1.5 * threshold
    assert np.any((grid > 0.5 * threshold) & (grid < threshold))  # oscillating but converging
    outcomes = [optim.lr_compute(lr=float(lr))["runs"]["constant ρ"]["diverged"] for lr in grid]
    assert not any(outcomes[:-2]) and all(outcomes[-2:])  # diverges exactly above 2 / lambda_max
    slow = optim.lr_compute(lr=float(grid[0]))["runs"]["constant ρ"]
    start, end = (np.linalg.norm(slow["path"][k] - problem.theta_star) for k in (0, -1))
    assert end > 0.5 * start  # too small: after 25 epochs, still more than half-way from theta*


def test_make_lr_explorer():
    explorer = optim.make_lr_explorer()
    assert [p.name for p in explorer.params] == ["lr"]
    assert 6 <= len(explorer.grid_values()) <= 10
    png = explorer.render(lr=0.3)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_trajectories(problem):
    runs = {m: optim.optimize(problem, optim.THETA_START, m, 0.05, 20) for m in optim.METHODS}
    fig = optim.draw_trajectories(problem, runs)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].get_legend().get_texts()) == len(runs) + 1  # runs and theta*


def test_errors_say_what_is_allowed(problem):
    with pytest.raises(ValueError, match=r"lr must be > 0 \(a learning rate\), got -0.1"):
        optim.sgd(problem, optim.THETA_START, lr=-0.1, batch_size=16, epochs=1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        optim.optimize(problem, optim.THETA_START, "gd", 0.0, 5)
    with pytest.raises(ValueError, match="batch_size must be at most N_obs"):
        optim.sgd(problem, optim.THETA_START, lr=0.1, batch_size=10_000, epochs=1)
    with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
        optim.sgd(problem, optim.THETA_START, lr=0.1, batch_size=16, epochs=0)
    with pytest.raises(ValueError, match="lr_decay must be >= 0"):
        optim.sgd(problem, optim.THETA_START, lr=0.1, batch_size=16, epochs=1, lr_decay=-1)
    with pytest.raises(ValueError, match="unknown method 'rmsprop'"):
        optim.optimize(problem, optim.THETA_START, "rmsprop", 0.1, 5)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        optim.optimize(problem, optim.THETA_START, "momentum", 0.1, 5, momentum=1.0)
    with pytest.raises(ValueError, match="x must be"):
        optim.LeastSquares(np.zeros(3), np.zeros(3))
