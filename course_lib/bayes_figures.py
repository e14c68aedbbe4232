"""Figures, 1-D fits and the explorer of the chapters on variational Bayes.

The explorer: ``bands_frame`` / ``draw_bands_frame`` / ``bands_explorer``, with its settings in
:class:`BayesFigureSettings`.

The method itself (the model, F(eta), its Monte Carlo estimate and the training loop) is in
:mod:`course_lib.bayes`; this module applies it to the pages' data sets and draws the
results: predictive bands, coverage, the posterior of two weights, the explorer over sigma^2
and the prior's scale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from course_lib.core import check_settings
from course_lib.bayes_curves import CurveFit, coverage, fit_curve, fit_curves, fit_deterministic_curve  # noqa: F401


def draw_bands(ax, x_train, y_train, x_grid, mean, std, title=""):
    """Data, predictive mean and 95 % band (mean +- 1.96 std) on ``ax``."""
    ax.fill_between(x_grid, mean - 1.96 * std, mean + 1.96 * std, color="#56B4E9", alpha=0.4,
                    lw=0, label="95 % predictive interval")
    ax.plot(x_grid, mean, color="#0072B2", label="predictive mean")
    ax.plot(np.ravel(x_train), y_train, "k.", ms=3, label="training data")
    ax.set_title(title)


def plot_comparison(x_train, y_train, x_grid, point, mean, std, xlabel, ylabel, title):
    """Left: a deterministic network's point predictions; right: the Bayesian network's bands, titled
    with the ratio of their mean width off the shaded data range to that on it (the alt text)."""
    fig = plt.figure(figsize=(9.0, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    left.plot(np.ravel(x_train), y_train, "k.", ms=3, label="training data")
    left.plot(x_grid, point, color="#D55E00", label="prediction")
    left.set_title("Deterministic network\n(no band: equally sure everywhere)")
    inside = (x_grid >= np.min(x_train)) & (x_grid <= np.max(x_train))
    wider = (f"\n(band {np.mean(std[~inside]) / np.mean(std[inside]):.1f} times as wide off the data)"
             if inside.any() and not inside.all() else "")
    draw_bands(right, x_train, y_train, x_grid, mean, std, title=f"Bayesian network{wider}")
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
    block = cov[np.ix_([i, j], [i, j])]
    offsets = np.array([q_mean[i] - mean[i], q_mean[j] - mean[j]])[:, None] + np.diag([q_std[i], q_std[j]]) @ circle
    inside = np.all(np.sum(offsets * np.linalg.solve(block, offsets), axis=0) <= 4.0)  # within the 2-sd ellipse
    ax.set_title(f"2-sd ellipses, posterior correlation {block[0, 1] / np.sqrt(block[0, 0] * block[1, 1]):.2f}:\n"
                 f"the mean-field q is {'' if inside else 'not '}inside the exact posterior's")
    ax.legend()
    plt.close(fig)
    return fig


def _log_grid(low, high, n):
    return tuple(float(f"{v:.3g}") for v in np.geomspace(low, high, n))


@dataclass(frozen=True)
class BayesFigureSettings:
    """What the explorer of the Bayesian network trains: one fit per (sigma2, prior_std)."""

    n_obs: int = 40  # points of the toy curve, noise sd 0.02
    noise_std: float = 0.02
    # noise variance: 9 values from 0.0003 (sd 0.017, below the true 0.02) to 0.03 (sd 0.17)
    sigma2_grid: tuple = _log_grid(3e-4, 3e-2, 9)
    sigma2_default: float = 0.003
    # the prior's standard deviation: 9 values, a factor 10 either way from N(0, I)
    prior_std_grid: tuple = _log_grid(0.1, 10.0, 9)
    prior_std_default: float = 1.0
    x_range: tuple = (-0.4, 1.0)  # the data lie in [0, 0.5]: the bands are drawn well beyond
    seed: int = 0


SETTINGS = BayesFigureSettings()


def _check_settings(settings) -> None:
    check_settings(settings, BayesFigureSettings)


@functools.lru_cache(maxsize=4)
def _grid_fits(settings: BayesFigureSettings):
    """The fits of the explorer's grid, trained together (see :func:`fit_curves`)."""
    from course_lib import data

    toy = data.toy_curve(n_obs=settings.n_obs, noise_std=settings.noise_std, seed=settings.seed)
    grid = [(s, p) for s in settings.sigma2_grid for p in settings.prior_std_grid]
    return toy, dict(zip(grid, fit_curves(toy.x, toy.y, grid, seed=settings.seed)))


def bands_frame(sigma2, prior_std, settings: BayesFigureSettings = SETTINGS) -> dict:
    """Predictive bands of a Bayesian network (16 ReLU units) on the toy curve, for one setting.

    Returns {"x", "y"} the data (n_obs,), and {"x_grid", "mean", "std"} (141,) the predictive
    mean and standard deviation along x_range.
    """
    _check_settings(settings)
    toy, fits = _grid_fits(settings)
    curve = fits.get((sigma2, prior_std))
    if curve is None:  # a value off the grid (live slider): one more fit
        curve = fit_curves(toy.x, toy.y, [(sigma2, prior_std)], seed=settings.seed)[0]
    x_grid = np.linspace(*settings.x_range, 141)
    mean, std = curve.predict(x_grid)
    return {"x": toy.x[:, 0], "y": toy.y, "x_grid": x_grid, "mean": mean, "std": std}


def draw_bands_frame(fig, result, sigma2, prior_std) -> list:
    """The bands of :func:`bands_frame` over the data; returns the frame's artists (see widgets)."""
    if not fig.axes:
        ax = fig.subplots()
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.15, top=0.9)
        ax.axvspan(0, 0.5, color="0.9", zorder=-1)
        ax.plot(result["x"], result["y"], "k.", ms=3, label="training data")
        ax.fill_between([], [], [], color="#56B4E9", alpha=0.4, lw=0, label="95 % predictive interval")
        ax.plot([], [], color="#0072B2", label="predictive mean")
        ax.set(xlim=(result["x_grid"][0], result["x_grid"][-1]), ylim=(-1.5, 2.0), xlabel="x", ylabel="y")
        ax.legend(loc="upper left", fontsize=8)
    ax = fig.axes[0]
    x, mean, std = result["x_grid"], result["mean"], result["std"]
    artists = [ax.fill_between(x, mean - 1.96 * std, mean + 1.96 * std, color="#56B4E9", alpha=0.4, lw=0),
               *ax.plot(x, mean, color="#0072B2"), *ax.plot(result["x"], result["y"], "k.", ms=3),
               ax.set_title(f"σ² = {sigma2:.3g}, prior std = {prior_std:.3g}")]
    for artist in artists:
        artist.set_animated(True)
    return artists


def bands_explorer(settings: BayesFigureSettings = SETTINGS):
    """Explorer of the predictive bands over sigma2 and the prior's scale (9 values each)."""
    _check_settings(settings)
    from course_lib.widgets import Explorer, Param

    return Explorer(
        lambda sigma2, prior_std: bands_frame(sigma2, prior_std, settings), draw_bands_frame,
        params=[
            Param("sigma2", "σ²", low=1e-4, high=0.1, default=settings.sigma2_default, scale="log",
                  grid=settings.sigma2_grid, label="noise variance"),
            Param("prior_std", "prior std", low=0.1, high=10.0, default=settings.prior_std_default, scale="log",
                  grid=settings.prior_std_grid, label="prior standard deviation"),
        ],
        alt="Predictive mean and 95 % band of a Bayesian network on the toy curve, for the "
            "chosen noise variance and prior scale; the band widens away from the data",
        figsize=(7.0, 3.4),
    )


def plot_gradient_variance(n_mc_values, variances, seconds=None):
    """Total gradient variance against M (log-log) per KL estimate, beside the 1/M slope; the
    titles state the measured gap between the estimates and the cost ratio (the alt text)."""
    fig = plt.figure(figsize=(7.0 if seconds else 4.8, 3.6), layout="constrained")
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
    if len(variances) > 1:
        curves = np.array(list(variances.values()))
        gap = np.max(np.abs(curves / curves[0] - 1))
        fig.suptitle(f"{' and '.join(variances)}: the curves overlap (within {gap:.1%})")
    if seconds:
        axes[1].semilogx(m, 1000 * np.asarray(seconds), "o-")
        axes[1].set_xlabel("M (draws per gradient)")
        axes[1].set_ylabel("time per gradient (ms)")
        axes[1].set_title(f"Cost of one gradient\n(M = {m[-1]:.0f}: {seconds[-1] / seconds[0]:.1f} times M = {m[0]:.0f})")
        axes[1].set_ylim(bottom=0)
    plt.close(fig)
    return fig
