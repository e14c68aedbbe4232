"""Section 2 of the lecture, optimisation: mini-batch SGD, the learning rate rho, momentum, Nesterov, Adam.

Mini-batch SGD (Rumelhart et al. 1986): choose theta and rho; for each epoch, split the training
set at random into N_B batches B of size b, and for each batch
    theta := theta - rho (1/b) sum_{i in B} grad_theta Loss(f(X_i, theta), Y_i).
The chapter's loss is a quadratic: the mean squared loss of a linear regression on penguins,
    Loss(theta) = (1/N_obs) sum_i (Y_i - <X_i, theta>)^2,  Hessian H = (2/N_obs) X'X,
on which full-batch gradient descent converges if and only if 0 < rho < 2 / lambda_max(H).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import matplotlib.figure
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from course_lib import data
from course_lib.core import check_count, check_positive
from course_lib.training import OPTIMIZERS

# A run whose loss exceeds this multiple of its initial loss is stopped and flagged diverged:
# the iterates are then still finite, so nothing overflows and the figure can be drawn.
DIVERGENCE_FACTOR = 1e6
METHODS = OPTIMIZERS  # the update rules of training.Optimizer, here on a numpy quadratic


@dataclass
class LeastSquares:
    """Loss(theta) = (1/N_obs) sum_i (y_i - <x_i, theta>)^2 for x of shape (N_obs, p), y of shape (N_obs,)."""

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple = ()
    target_name: str = "y"
    _contours: dict = field(default_factory=dict, repr=False, compare=False)  # grids already evaluated

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=np.float64)
        self.y = np.asarray(self.y, dtype=np.float64)
        if self.x.ndim != 2 or self.y.shape != (len(self.x),):
            raise ValueError(f"x must be (N_obs, p) and y (N_obs,), got {self.x.shape} and {self.y.shape}")

    def loss(self, theta) -> np.ndarray:
        """Loss at theta of shape (..., p): vectorised over leading axes (for contour plots)."""
        theta = np.asarray(theta, dtype=np.float64)
        residual = self.y - theta @ self.x.T  # shape (..., N_obs)
        return np.mean(residual**2, axis=-1)

    def gradient(self, theta, rows=None) -> np.ndarray:
        """(1/b) sum_{i in rows} grad (y_i - <x_i, theta>)^2 = -(2/b) X_B'(y_B - X_B theta); shape (p,)."""
        x, y = (self.x, self.y) if rows is None else (self.x[rows], self.y[rows])
        return -2.0 * x.T @ (y - x @ theta) / len(y)

    @property
    def hessian(self) -> np.ndarray:
        """H = (2/N_obs) X'X, shape (p, p)."""
        return 2.0 * self.x.T @ self.x / len(self.x)

    @property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of H, increasing."""
        return np.linalg.eigvalsh(self.hessian)

    @property
    def lr_threshold(self) -> float:
        """2 / lambda_max: gradient descent converges for 0 < rho below it and diverges above."""
        return 2.0 / self.eigenvalues[-1]

    @property
    def theta_star(self) -> np.ndarray:
        """The minimiser (least squares), shape (p,)."""
        return np.linalg.solve(self.x.T @ self.x, self.x.T @ self.y)

    @property
    def loss_min(self) -> float:
        return float(self.loss(self.theta_star))


def penguin_quadratic() -> LeastSquares:
    """The chapter's quadratic: standardised bill length from standardised flipper length and body mass.

    The two inputs are strongly correlated (r = 0.87), so H has eigenvalues 2(1 +- r): an elongated
    valley where the learning rate matters.
    """
    penguins = data.penguins()
    x = data.standardize(penguins.x)
    return LeastSquares(x=x[:, [2, 3]], y=x[:, 0], feature_names=("flipper length", "body mass"),
                        target_name="bill length")


THETA_START = np.array([-1.0, 0.3])  # off the valley floor: both eigen-directions of H have to be travelled


def sgd(problem: LeastSquares, theta, lr: float, batch_size: int, epochs: int, seed: int = 0,
        lr_decay: float = 0.0) -> dict:
    """The lecture's mini-batch SGD on ``problem``, with rho_e = lr / (1 + lr_decay * e) in epoch e.

    Returns
    -------
    dict with "path" (n_updates + 1, p) every iterate, "loss" (epochs_run + 1,) the loss before
    the first epoch and after each one, "diverged" (bool: loss above DIVERGENCE_FACTOR times
    the initial loss, or not finite; the run stops there).
    """
    lr = check_positive("lr", lr, "a learning rate")
    epochs = check_count("epochs", epochs)
    n_obs = len(problem.y)
    batch_size = check_count("batch_size", batch_size)
    if batch_size > n_obs:
        raise ValueError(f"batch_size must be at most N_obs = {n_obs}, got {batch_size}")
    if not lr_decay >= 0:
        raise ValueError(f"lr_decay must be >= 0, got {lr_decay}")
    rng = np.random.default_rng(seed)
    theta = np.array(theta, dtype=np.float64)
    path, losses = [theta.copy()], [float(problem.loss(theta))]
    for epoch in range(epochs):
        lr_epoch = lr / (1.0 + lr_decay * epoch)  # rho_e
        perm = rng.permutation(n_obs)  # split the training set at random ...
        for k in range(0, n_obs, batch_size):  # ... into N_B batches of size b
            theta = theta - lr_epoch * problem.gradient(theta, rows=perm[k:k + batch_size])
            path.append(theta.copy())
        losses.append(float(problem.loss(theta)))
        if not losses[-1] <= DIVERGENCE_FACTOR * losses[0]:  # also catches NaN
            return {"path": np.array(path), "loss": np.array(losses), "diverged": True}
    return {"path": np.array(path), "loss": np.array(losses), "diverged": False}


def optimize(problem: LeastSquares, theta, method: str, lr: float, n_steps: int,
             momentum: float = 0.9, betas=(0.9, 0.999), adam_eps: float = 1e-8) -> dict:
    """Full-batch descent by one of METHODS; returns "path" (n_steps + 1, p), "loss", "diverged".

    gd:        theta := theta - rho g(theta)
    momentum:  v := mu v - rho g(theta);              theta := theta + v   (Polyak 1964)
    nesterov:  v := mu v - rho g(theta + mu v);       theta := theta + v   (Nesterov 1983)
    adam:      m, s := moving averages of g and g^2;  theta := theta - rho m_hat / (sqrt(s_hat) + eps)
               with bias corrections m_hat = m / (1 - beta1^t), s_hat = s / (1 - beta2^t) (Kingma & Ba 2015)
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    lr = check_positive("lr", lr, "a learning rate")
    n_steps = check_count("n_steps", n_steps)
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must lie in [0, 1), got {momentum}")
    theta = np.array(theta, dtype=np.float64)
    v, m, s = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    path, losses = [theta.copy()], [float(problem.loss(theta))]
    for t in range(1, n_steps + 1):
        if method == "gd":
            theta = theta - lr * problem.gradient(theta)
        elif method == "momentum":
            v = momentum * v - lr * problem.gradient(theta)
            theta = theta + v
        elif method == "nesterov":
            v = momentum * v - lr * problem.gradient(theta + momentum * v)  # gradient at the look-ahead point
            theta = theta + v
        else:
            g = problem.gradient(theta)
            m = betas[0] * m + (1 - betas[0]) * g
            s = betas[1] * s + (1 - betas[1]) * g**2
            m_hat, s_hat = m / (1 - betas[0] ** t), s / (1 - betas[1] ** t)
            theta = theta - lr * m_hat / (np.sqrt(s_hat) + adam_eps)
        path.append(theta.copy())
        losses.append(float(problem.loss(theta)))
        if not losses[-1] <= DIVERGENCE_FACTOR * losses[0]:
            return {"path": np.array(path), "loss": np.array(losses), "diverged": True}
    return {"path": np.array(path), "loss": np.array(losses), "diverged": False}


# ---------------------------------------------------------------------------------------
# Figures: contours of the quadratic with trajectories, and the learning-rate explorer
# ---------------------------------------------------------------------------------------
def draw_contours(ax, problem: LeastSquares, half_width: float = 2.5, levels: int = 12) -> None:
    """Contours of Loss(theta) around theta* (log-spaced levels above the minimum), labelled axes."""
    if half_width not in problem._contours:  # every frame of an explorer reuses the same grid
        centre = problem.theta_star
        t1 = np.linspace(centre[0] - half_width, centre[0] + half_width, 100)
        t2 = np.linspace(centre[1] - half_width, centre[1] + half_width, 100)
        excess = problem.loss(np.stack(np.meshgrid(t1, t2), axis=-1)) - problem.loss_min  # (100, 100)
        problem._contours[half_width] = (t1, t2, excess)
    t1, t2, excess = problem._contours[half_width]
    ax.contour(t1, t2, excess, levels=np.geomspace(1e-3, excess.max(), levels), colors="0.6", linewidths=0.7)
    ax.plot(*problem.theta_star, marker="*", color="k", markersize=10, linestyle="none", label="θ*")
    ax.set_xlim(t1[0], t1[-1])
    ax.set_ylim(t2[0], t2[-1])
    names = problem.feature_names or ("x_1", "x_2")
    ax.set_xlabel(f"θ₁ (weight of {names[0]})")
    ax.set_ylabel(f"θ₂ (weight of {names[1]})")


def _log_axis(ax, low: float, high: float) -> None:
    """A log y axis from low to high with a few plain-text ticks (fast to draw in every frame)."""
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


def lr_sweep(problem: LeastSquares, lrs, n_steps: int, theta=THETA_START) -> np.ndarray:
    """Excess loss after n_steps of full-batch gradient descent for each rho in lrs.

    inf marks a diverging run: its loss blew up, or ended above where it started.
    """
    out = []
    for lr in lrs:
        run = optimize(problem, theta, "gd", lr, n_steps)
        diverging = run["diverged"] or run["loss"][-1] > run["loss"][0]
        out.append(np.inf if diverging else run["loss"][-1] - problem.loss_min)
    return np.array(out)


def plot_lr_sweep(problem: LeastSquares, lrs, n_steps: int) -> matplotlib.figure.Figure:
    """Excess loss after n_steps of gradient descent against rho (log-log), diverged runs marked, 2/lambda_max drawn."""
    lrs = np.asarray(lrs, dtype=np.float64)
    excess = lr_sweep(problem, lrs, n_steps)
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    plt.close(fig)  # the notebook displays the returned figure once
    finite = np.isfinite(excess)
    ax.loglog(lrs[finite], np.maximum(excess[finite], 1e-16), marker="o", markersize=3, label="converging")
    top = 10 ** np.ceil(np.log10(max(np.max(excess[finite]), 1.0)))
    ax.plot(lrs[~finite], np.full((~finite).sum(), top), "x", color="#D55E00", label="diverged")
    ax.axvline(problem.lr_threshold, color="k", linestyle="--", linewidth=1,
               label=f"2/λ_max = {problem.lr_threshold:.3f}")
    ax.set_xlabel("learning rate ρ")
    ax.set_ylabel(f"Loss − Loss(θ*) after {n_steps} steps")
    ax.set_title("Full-batch gradient descent on the chapter's quadratic")
    ax.legend(loc="lower left")
    return fig


LR_EPOCHS = 25
LR_BATCH_SIZE = 16
LR_DECAY = 0.5  # the decreasing schedule rho_e = rho / (1 + 0.5 e): rho / 13 in the last epoch
LR_GRID = (0.001, 0.01, 0.03, 0.1, 0.3, 0.5, 0.6, 1.0)  # slow -> oscillating -> diverging (2/lambda_max = 0.53)
SCHEDULES = {"constant ρ": 0.0, f"decreasing ρ/(1 + {LR_DECAY:g} × epoch)": LR_DECAY}


@functools.lru_cache(maxsize=1)
def _cached_penguin_quadratic() -> LeastSquares:
    return penguin_quadratic()  # read once per session: the explorer then recomputes in milliseconds


def lr_compute(lr: float, batch_size: int = LR_BATCH_SIZE, epochs: int = LR_EPOCHS, seed: int = 0) -> dict:
    """Mini-batch SGD on the chapter's quadratic from THETA_START, with a constant and a decreasing rho.

    Returns {"problem": the LeastSquares, "runs": {schedule label: result of :func:`sgd`}}; both runs
    use the same shuffles (same seed).
    """
    problem = _cached_penguin_quadratic()
    runs = {label: sgd(problem, THETA_START, lr, batch_size, epochs, seed=seed, lr_decay=decay)
            for label, decay in SCHEDULES.items()}
    return {"problem": problem, "runs": runs, "batch_size": batch_size}


def lr_draw(fig, result: dict, lr: float) -> None:
    """Left: the SGD iterates of both schedules on the loss contours; right: their excess loss per epoch."""
    problem = result["problem"]
    ax_path, ax_loss = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.25)  # fixed: no tight_layout pass
    draw_contours(ax_path, problem)
    for axis in (ax_path.xaxis, ax_path.yaxis):
        axis.set_major_locator(matplotlib.ticker.MultipleLocator(1.0))  # few ticks: text is the slow part of a frame
    (x_low, x_high), (y_low, y_high) = ax_path.get_xlim(), ax_path.get_ylim()
    for (label, run), colour in zip(result["runs"].items(), ("#0072B2", "#E69F00")):
        path = run["path"]
        outside = ~((path[:, 0] >= x_low) & (path[:, 0] <= x_high) & (path[:, 1] >= y_low) & (path[:, 1] <= y_high))
        if outside.any():  # a diverging path is drawn until it leaves the plot, not across it
            path = path[: np.argmax(outside) + 1]
        ax_path.plot(*path.T, color=colour, linewidth=0.8, label=label)
        excess = np.maximum(run["loss"] - problem.loss_min, 1e-12)
        status = "DIVERGED" if run["diverged"] else f"{excess[-1]:.0e}"
        ax_loss.plot(np.arange(len(excess)), excess, marker=".", color=colour, label=f"{label}: {status}")
    ax_path.plot(*THETA_START, marker="o", color="k", markersize=4, linestyle="none")
    ax_path.set_xlim(x_low, x_high)
    ax_path.set_ylim(y_low, y_high)
    ax_path.set_title(f"SGD iterates, b = {result['batch_size']}, ρ = {lr:.3g} (start: black dot)", fontsize=10)
    ax_loss.set_xlim(0, LR_EPOCHS)
    ax_loss.set_xticks([0, 5, 10, 15, 20, 25])
    _log_axis(ax_loss, 1e-8, 1e2)  # the same scale in every frame; a diverged run leaves it at the top
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("Loss(θ) − Loss(θ*)")
    ax_loss.legend(loc="lower left", fontsize=9.5, title=f"excess loss after {LR_EPOCHS} epochs", title_fontsize=9.5)
    if any(run["diverged"] for run in result["runs"].values()):
        ax_loss.set_title(f"diverged: the loss blew up and the run stopped (2/λ_max = {problem.lr_threshold:.2f})",
                          color="#D55E00", fontsize=10)
    else:
        ax_loss.set_title(f"2/λ_max = {problem.lr_threshold:.2f}", fontsize=10)


def make_lr_explorer():
    """The learning-rate explorer: a log slider for rho (8 grid values); each frame shows both schedules."""
    from course_lib.widgets import Explorer, Param

    return Explorer(
        lr_compute, lr_draw,
        params=[Param("lr", "ρ", low=1e-3, high=1.5, default=0.1, scale="log", grid=LR_GRID,
                      label="learning rate")],
        alt=("Mini-batch SGD on the quadratic loss of a penguin regression, with a constant and a "
             "decreasing learning rate: iterates on the loss contours and excess loss per epoch"),
        figsize=(9.0, 3.6),
    )
