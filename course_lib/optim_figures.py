"""Figures and the learning-rate explorer of the optimisation chapter, over course_lib.optim.

Contours of the chapter's quadratic with the iterates of several methods, the excess loss
after a fixed number of steps against rho, and the explorer of mini-batch SGD over the
learning rate rho and the batch size b (``lr_frame``, ``draw_lr_frame``, ``lr_explorer``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import matplotlib.figure
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from course_lib.core import check_settings
from course_lib.optim import THETA_START, LeastSquares, lr_sweep, penguin_quadratic, sgd
from course_lib.plotting import PALETTE


@dataclass(frozen=True)
class OptimFigureSettings:
    """What the chapter's explorer computes: SGD runs on the penguin quadratic."""

    epochs: int = 25
    lr_decay: float = 0.5  # the decreasing schedule rho_e = rho / (1 + 0.5 e): rho / 13 in the last epoch
    # rho from slow to diverging, 2 / lambda_max = 0.53; between 1 / lambda_max = 0.27 and
    # 0.53 full-batch descent oscillates across the valley while converging
    lr_grid: tuple = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0)
    lr_default: float = 0.1
    # b from very noisy to full batch (0 stands for N_obs, filled in by lr_explorer)
    batch_sizes: tuple = (4, 16, 64, 0)
    batch_size_default: int = 16
    half_width: float = 2.5  # the contour plot spans theta* +- 2.5 in both weights
    seed: int = 0


SETTINGS = OptimFigureSettings()


def _check_settings(settings) -> None:
    check_settings(settings, OptimFigureSettings)


def draw_contours(ax, problem: LeastSquares, half_width: float = 2.5, levels: int = 12) -> None:
    """Contours of Loss(theta) around theta* (log-spaced levels above the minimum), labelled axes."""
    centre = problem.theta_star
    t1 = np.linspace(centre[0] - half_width, centre[0] + half_width, 100)
    t2 = np.linspace(centre[1] - half_width, centre[1] + half_width, 100)
    excess = problem.loss(np.stack(np.meshgrid(t1, t2), axis=-1)) - problem.loss_min  # (100, 100)
    ax.contour(t1, t2, excess, levels=np.geomspace(1e-3, excess.max(), levels), colors="0.6", linewidths=0.7)
    ax.plot(*problem.theta_star, marker="*", color="k", markersize=10, linestyle="none", label="θ*")
    ax.set_xlim(t1[0], t1[-1])
    ax.set_ylim(t2[0], t2[-1])
    names = problem.feature_names or ("x_1", "x_2")
    ax.set_xlabel(f"θ₁ (weight of {names[0]})")
    ax.set_ylabel(f"θ₂ (weight of {names[1]})")


def _log_axis(ax, low: float, high: float) -> None:
    """A log y axis from low to high with a few plain-text ticks."""
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator(10.0 ** np.arange(np.ceil(np.log10(low)), np.log10(high) + 1, 2)))
    ax.yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"1e{round(np.log10(v)):d}"))


def draw_trajectories(problem: LeastSquares, runs: dict, title: str = "") -> matplotlib.figure.Figure:
    """Contour plot of the loss with one path per run ({label: result of optimize or sgd}) and the loss curves."""
    fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(9.0, 3.8), gridspec_kw={"width_ratios": [1.1, 1]})
    plt.close(fig)  # the notebook displays the returned figure once
    draw_contours(ax_path, problem)
    for label, run in runs.items():
        line, = ax_path.plot(*run["path"].T, marker=".", markersize=3, linewidth=1, label=label)
        excess = np.maximum(run["loss"] - problem.loss_min, 1e-16)
        ax_loss.semilogy(excess, color=line.get_color(), label=label + (" (diverged)" if run["diverged"] else ""))
    ax_path.legend(loc="upper right", fontsize=8)
    ax_path.set_title(title or "Iterates on the contours of the loss")
    ax_loss.set_xlabel("step (full-batch update)")
    ax_loss.set_ylabel(r"Loss$(\theta)$ − Loss$(\theta^*)$")
    ax_loss.set_title("Excess loss (log scale)")
    ax_loss.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_lr_sweep(problem: LeastSquares, lrs, n_steps: int) -> matplotlib.figure.Figure:
    """Excess loss after n_steps of gradient descent against rho (log-log), diverged runs marked, 2/lambda_max drawn."""
    lrs = np.asarray(lrs, dtype=np.float64)
    excess = lr_sweep(problem, lrs, n_steps)
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    plt.close(fig)  # the notebook displays the returned figure once
    finite = np.isfinite(excess)
    ax.loglog(lrs[finite], np.maximum(excess[finite], 1e-16), marker="o", markersize=3, label="converging")
    top = 10 ** np.ceil(np.log10(max(np.max(excess[finite]), 1.0)))
    ax.plot(lrs[~finite], np.full((~finite).sum(), top), "x", color=PALETTE[5], label="diverged")
    ax.axvline(problem.lr_threshold, color="k", linestyle="--", linewidth=1,
               label=f"2/λ_max = {problem.lr_threshold:.3f}")
    ax.set_xlabel("learning rate ρ")
    ax.set_ylabel(f"Loss − Loss(θ*) after {n_steps} steps")
    ax.set_title("Full-batch gradient descent on the chapter's quadratic")
    ax.legend(loc="lower left")
    return fig


# ---------------------------------------------------------------------------------------
# The explorer: mini-batch SGD over the learning rate rho and the batch size b
# ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _cached_penguin_quadratic() -> LeastSquares:
    return penguin_quadratic()  # read once per session: the explorer then recomputes in milliseconds


def schedules(settings: OptimFigureSettings = SETTINGS) -> dict:
    """{label: lr_decay} of the two schedules every frame compares."""
    return {"constant ρ": 0.0, f"decreasing ρ/(1 + {settings.lr_decay:g} × epoch)": settings.lr_decay}


def lr_frame(lr: float, batch_size: int = SETTINGS.batch_size_default, settings: OptimFigureSettings = SETTINGS) -> dict:
    """Mini-batch SGD on the chapter's quadratic from THETA_START, with a constant and a decreasing rho.

    Returns {"problem": the LeastSquares, "runs": {schedule label: result of :func:`sgd`},
    "batch_size"}; both runs use the same shuffles (same seed).
    """
    _check_settings(settings)
    problem = _cached_penguin_quadratic()
    runs = {label: sgd(problem, THETA_START, lr, batch_size, settings.epochs, seed=settings.seed, lr_decay=decay)
            for label, decay in schedules(settings).items()}
    return {"problem": problem, "runs": runs, "batch_size": batch_size}


def _lr_layout(fig, problem: LeastSquares, settings: OptimFigureSettings) -> None:
    """The fixed part of every frame: contours, start and theta*, the loss axes."""
    ax_path, ax_loss = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.25)
    draw_contours(ax_path, problem, settings.half_width)
    for axis in (ax_path.xaxis, ax_path.yaxis):
        axis.set_major_locator(matplotlib.ticker.MultipleLocator(1.0))
    ax_path.plot(*THETA_START, marker="o", color="k", markersize=4, linestyle="none")
    ax_loss.set_xlim(0, settings.epochs)
    ax_loss.set_xticks(np.arange(0, settings.epochs + 1, 5))
    _log_axis(ax_loss, 1e-8, 1e2)  # the same scale in every frame; a diverged run leaves it at the top
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("Loss(θ) − Loss(θ*)")


def draw_lr_frame(fig, result: dict, lr: float, batch_size: int = SETTINGS.batch_size_default,
                  settings: OptimFigureSettings = SETTINGS) -> list:
    """Left: the SGD iterates of both schedules on the loss contours; right: their excess loss per epoch.

    Returns the artists of this frame (the contours and axes are drawn once: see widgets).
    """
    problem = result["problem"]
    if not fig.axes:
        _lr_layout(fig, problem, settings)
    ax_path, ax_loss = fig.axes
    (x_low, x_high), (y_low, y_high) = ax_path.get_xlim(), ax_path.get_ylim()
    artists = []
    for (label, run), colour in zip(result["runs"].items(), PALETTE):
        path = run["path"]
        outside = ~((path[:, 0] >= x_low) & (path[:, 0] <= x_high) & (path[:, 1] >= y_low) & (path[:, 1] <= y_high))
        if outside.any():  # a diverging path is drawn until it leaves the plot, not across it
            path = path[: np.argmax(outside) + 1]
        artists += ax_path.plot(*path.T, color=colour, linewidth=0.8, animated=True)
        excess = np.maximum(run["loss"] - problem.loss_min, 1e-12)
        status = "DIVERGED" if run["diverged"] else f"{excess[-1]:.0e}"
        artists += ax_loss.plot(np.arange(len(excess)), excess, marker=".", color=colour,
                                label=f"{label}: {status}", animated=True)
    legend = ax_loss.legend(handles=artists[1::2], loc="lower left", fontsize=9.5,
                            title=f"excess loss after {settings.epochs} epochs", title_fontsize=9.5)
    titles = [ax_path.set_title(f"SGD iterates, b = {result['batch_size']}, ρ = {lr:.3g} (start: black dot)",
                                fontsize=10)]
    if any(run["diverged"] for run in result["runs"].values()):
        titles.append(ax_loss.set_title(f"diverged: the loss blew up, the run stopped "
                                        f"(2/λ_max = {problem.lr_threshold:.2f})", color=PALETTE[5], fontsize=9))
    else:
        titles.append(ax_loss.set_title(f"2/λ_max = {problem.lr_threshold:.2f}", color="k", fontsize=10))
    for artist in [legend, *titles]:
        artist.set_animated(True)
    return artists + [legend, *titles]


def lr_explorer(settings: OptimFigureSettings = SETTINGS):
    """The learning-rate explorer: a log slider for rho and one for the batch size b."""
    _check_settings(settings)
    from course_lib.widgets import Explorer, Param

    n_obs = len(_cached_penguin_quadratic().y)
    batch_sizes = tuple(b or n_obs for b in settings.batch_sizes)
    return Explorer(
        lambda lr, batch_size: lr_frame(lr, batch_size, settings),
        lambda fig, result, lr, batch_size: draw_lr_frame(fig, result, lr, batch_size, settings),
        params=[Param("lr", "ρ", low=1e-3, high=1.5, default=settings.lr_default, scale="log",
                      grid=settings.lr_grid, label="learning rate"),
                Param("batch_size", "b", low=1, high=n_obs, default=settings.batch_size_default,
                      integer=True, grid=batch_sizes, label="batch size")],
        alt=("Mini-batch SGD on the quadratic loss of a penguin regression, with a constant and a "
             "decreasing learning rate: iterates on the loss contours and excess loss per epoch"),
        figsize=(9.0, 3.6),
    )
