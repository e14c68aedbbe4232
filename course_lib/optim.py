"""Section 2 of the lecture, optimisation: mini-batch SGD, the learning rate rho, momentum, Nesterov, Adam.

Mini-batch SGD (Rumelhart et al. 1986): choose theta and rho; for each epoch, split the training
set at random into N_B batches B of size b, and for each batch
    theta := theta - rho (1/b) sum_{i in B} grad_theta Loss(f(X_i, theta), Y_i).
The chapter's loss is a quadratic: the mean squared loss of a linear regression on penguins,
    Loss(theta) = (1/N_obs) sum_i (Y_i - <X_i, theta>)^2,  Hessian H = (2/N_obs) X'X,
on which full-batch gradient descent converges if and only if 0 < rho < 2 / lambda_max(H).
"""

from __future__ import annotations

from dataclasses import dataclass

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
