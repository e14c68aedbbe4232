"""Figures, 1-D fits and the explorer of the chapters on variational Bayes.

The method itself (the model, F(eta), its Monte Carlo estimate and the training loop) is in
:mod:`course_lib.bayes`; this module applies it to the pages' data sets and draws the
results: predictive bands, coverage, the posterior of two weights, the explorer over sigma^2
and the prior's scale.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from course_lib.bayes_curves import CurveFit, coverage, fit_curve, fit_curves, fit_deterministic_curve  # noqa: F401


def draw_bands(ax, x_train, y_train, x_grid, mean, std, title=""):
    """Data, predictive mean and 95 % band (mean +- 1.96 std) on ``ax``."""
    ax.fill_between(x_grid, mean - 1.96 * std, mean + 1.96 * std, color="#56B4E9", alpha=0.4,
                    lw=0, label="95 % predictive interval")
    ax.plot(x_grid, mean, color="#0072B2", label="predictive mean")
    ax.plot(np.ravel(x_train), y_train, "k.", ms=3, label="training data")
    ax.set_title(title)


def plot_comparison(x_train, y_train, x_grid, point, mean, std, xlabel, ylabel, title):
    """Left: a deterministic network's point predictions; right: the Bayesian network's bands."""
    fig = plt.figure(figsize=(9.0, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    left.plot(np.ravel(x_train), y_train, "k.", ms=3, label="training data")
    left.plot(x_grid, point, color="#D55E00", label="prediction")
    left.set_title("Deterministic network")
    draw_bands(right, x_train, y_train, x_grid, mean, std, title="Bayesian network")
    for ax in (left, right):
        ax.axvspan(np.min(x_train), np.max(x_train), color="0.92", zorder=-1)
        ax.set_xlabel(xlabel)
        ax.legend(loc="upper left", fontsize=8)
    left.set_ylabel(ylabel)
    fig.suptitle(title)
    plt.close(fig)
    return fig


def plot_history(history, title="Training"):
    """F and -E_q log l (left) and the KL term (right), per epoch."""
    fig = plt.figure(figsize=(8.0, 3.0))
    left, right = fig.subplots(1, 2)
    left.plot(history["free_energy"], label="F = KL − E_q log ℓ")
    left.plot(history["nll"], label="−E_q log ℓ(Y | θ)")
    left.set_ylim(top=np.percentile(history["free_energy"], 99))  # the first epochs are off the scale
    right.plot(history["kl"], color="#009E73")
    for ax, name in ((left, f"{title}: F(η) and its data term"), (right, "KL(q_η, π)")):
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats")
        ax.set_title(name)
    left.legend()
    plt.close(fig)
    return fig


def plot_posterior_pair(mean, cov, q_mean, q_std, i, j, names):
    """2-std ellipses of the exact posterior and of the mean-field q for weights i and j."""
    fig = plt.figure(figsize=(4.8, 4.2))
    ax = fig.subplots()
    angle = np.linspace(0, 2 * np.pi, 200)
    circle = 2 * np.stack([np.cos(angle), np.sin(angle)])
    exact = np.linalg.cholesky(cov[np.ix_([i, j], [i, j])]) @ circle
    ax.plot(mean[i] + exact[0], mean[j] + exact[1], label="exact posterior")
    ax.plot(q_mean[i] + q_std[i] * circle[0], q_mean[j] + q_std[j] * circle[1], ls="--", label="mean-field q")
    ax.plot(mean[i], mean[j], "k+")
    ax.set_xlabel(f"weight of {names[i]}")
    ax.set_ylabel(f"weight of {names[j]}")
    ax.set_title("2-standard-deviation ellipses")
    ax.legend()
    plt.close(fig)
    return fig


EXPLORER_SIGMA2 = (0.0005, 0.003, 0.02)  # noise sd 0.02 to 0.14 around the curve
EXPLORER_PRIOR_STD = (0.3, 1.0, 3.0)


@functools.lru_cache(maxsize=1)
def _explorer_grid_fits():
    """The 9 fits of the explorer's grid, trained together (see :func:`fit_curves`)."""
    from course_lib import data

    toy = data.toy_curve(n_obs=40, noise_std=0.02, seed=0)
    settings = [(s, p) for s in EXPLORER_SIGMA2 for p in EXPLORER_PRIOR_STD]
    return toy, dict(zip(settings, fit_curves(toy.x, toy.y, settings)))


def explorer_compute(sigma2, prior_std):
    """Predictive bands of a Bayesian network (16 ReLU units) on 40 points of the toy curve."""
    toy, fits = _explorer_grid_fits()
    curve = fits.get((sigma2, prior_std))
    if curve is None:  # a value off the grid (live slider): one more fit
        curve = fit_curves(toy.x, toy.y, [(sigma2, prior_std)])[0]
    x_grid = np.linspace(-0.4, 1.0, 141)
    mean, std = curve.predict(x_grid)
    return {"x": toy.x[:, 0], "y": toy.y, "x_grid": x_grid, "mean": mean, "std": std}


def explorer_draw(fig, result, sigma2, prior_std):
    """Draw the bands of :func:`explorer_compute` on an empty figure."""
    ax = fig.subplots()
    draw_bands(ax, result["x"], result["y"], result["x_grid"], result["mean"], result["std"],
               title=f"σ² = {sigma2:.3g}, prior std = {prior_std:.3g}")
    ax.axvspan(0, 0.5, color="0.9", zorder=-1)
    ax.set_ylim(-1.5, 2.0)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left", fontsize=8)


def make_explorer():
    """Explorer of the predictive bands over sigma2 (3 values) and the prior's scale (3 values)."""
    from course_lib.widgets import Explorer, Param

    return Explorer(
        explorer_compute, explorer_draw,
        params=[
            Param("sigma2", "σ²", low=1e-4, high=0.1, default=0.003, scale="log",
                  grid=EXPLORER_SIGMA2, label="noise variance"),
            Param("prior_std", "prior std", low=0.1, high=10.0, default=1.0, scale="log",
                  grid=EXPLORER_PRIOR_STD, label="prior standard deviation"),
        ],
        alt="Predictive mean and 95 % band of a Bayesian network on the toy curve, for the "
            "chosen noise variance and prior scale; the band widens away from the data",
        figsize=(7.0, 3.4),
    )


def plot_gradient_variance(n_mc_values, variances, seconds=None):
    """Total gradient variance against M (log-log) per KL estimate, beside the 1/M slope."""
    fig = plt.figure(figsize=(7.0 if seconds else 4.8, 3.4))
    axes = fig.subplots(1, 2 if seconds else 1, squeeze=False)[0]
    m = np.asarray(n_mc_values, dtype=float)
    for label, v in variances.items():
        axes[0].loglog(m, v, "o-", label=label)
    first = list(variances.values())[0][0]
    axes[0].loglog(m, first / m, "k:", label="slope 1/M")
    axes[0].set_xlabel("M (draws per gradient)")
    axes[0].set_ylabel("total variance of the gradient")
    axes[0].set_title("Gradient noise falls like 1/M")
    axes[0].legend()
    if seconds:
        axes[1].semilogx(m, 1000 * np.asarray(seconds), "o-")
        axes[1].set_xlabel("M (draws per gradient)")
        axes[1].set_ylabel("time per gradient (ms)")
        axes[1].set_title("Cost of one gradient")
        axes[1].set_ylim(bottom=0)
    plt.close(fig)
    return fig
