"""Section 1 of the lecture: the linear baselines (regression, classification, PCA).

Regression:      Y ~ f(X) = X beta + beta_0, minimising sum_i ||Y_i - f(X_i)||^2.
Classification:  p(Y = k | X) = softmax(X B + b)_k, minimising the cross-entropy.
Reduction:       encoder e(x) = P'(x - mean), decoder d(z) = mean + P z, P'P = I_m,
                 minimising sum_i ||X_i - d(e(X_i))||^2 (PCA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from course_lib.core import as_array, check_count, check_latent_dim, check_positive

as_matrix = as_array  # the name chapter 1 and the figure modules use: one converter, in core


# ---------------------------------------------------------------------------------------
# Regression with the squared loss
# ---------------------------------------------------------------------------------------
def fit_linear_regression(x, y) -> tuple[np.ndarray, float]:
    """Least squares: (beta, beta_0) minimising sum_i (y_i - x_i beta - beta_0)^2.

    Returns ``beta`` of shape (n,) and the intercept ``beta_0``.
    """
    x = as_matrix(x)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)} values; they must match")
    design = np.hstack([x, np.ones((len(x), 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[:-1], float(coef[-1])


def squared_loss(y, y_hat) -> float:
    """Mean squared loss (1/N_obs) sum_i ||y_i - y_hat_i||^2."""
    y, y_hat = np.asarray(y, dtype=np.float64), np.asarray(y_hat, dtype=np.float64)
    if y.shape != y_hat.shape:
        raise ValueError(f"y has shape {y.shape} but y_hat has shape {y_hat.shape}; they must match")
    return float(np.mean(np.sum((y - y_hat).reshape(len(y), -1) ** 2, axis=1)))


# ---------------------------------------------------------------------------------------
# Classification with the cross-entropy
# ---------------------------------------------------------------------------------------
def cross_entropy(labels, probabilities) -> float:
    """Mean cross-entropy -(1/N_obs) sum_i log p_i[y_i], in nats."""
    labels = np.asarray(labels)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise ValueError(
            f"probabilities must have shape (N_obs, n_classes) with N_obs = {len(labels)}, "
            f"got {probabilities.shape}"
        )
    if labels.min() < 0 or labels.max() >= probabilities.shape[1]:
        raise ValueError(f"labels must lie in 0..{probabilities.shape[1] - 1}")
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


def fit_softmax_regression(x, labels, epochs: int = 500, lr: float = 0.5, seed: int = 0):
    """Multinomial logistic regression by full-batch gradient descent on the cross-entropy.

    Returns a function ``predict_proba(x) -> (N_obs, n_classes)`` and the per-epoch losses.
    """
    x = as_matrix(x)
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({len(x)},), got {labels.dtype} {labels.shape}")
    lr, epochs = check_positive("lr", lr, "a learning rate"), check_count("epochs", epochs)
    n_classes = int(labels.max()) + 1
    gen = torch.Generator().manual_seed(seed)
    linear = torch.nn.Linear(x.shape[1], n_classes).double()
    with torch.no_grad():
        linear.weight.normal_(0.0, 0.01, generator=gen)
        linear.bias.zero_()
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    losses = []
    for _ in range(epochs):
        loss = torch.nn.functional.cross_entropy(linear(xt), yt)  # mean of -log softmax
        linear.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in linear.parameters():
                p -= lr * p.grad  # theta := theta - rho grad (torch.optim would cost 2 s to import)
        losses.append(loss.item())

    def predict_proba(x_new):
        with torch.no_grad():
            return torch.softmax(linear(torch.from_numpy(as_matrix(x_new))), dim=1).numpy()

    return predict_proba, np.array(losses)


# ---------------------------------------------------------------------------------------
# Dimension reduction: PCA as an encoder / decoder pair
# ---------------------------------------------------------------------------------------
@dataclass
class PCA:
    """PCA fitted on data: ``P`` (n, m) orthonormal, ``mean`` (n,), ``variances`` (n,) decreasing."""

    P: np.ndarray
    mean: np.ndarray
    variances: np.ndarray

    @property
    def latent_dim(self) -> int:
        return self.P.shape[1]

    def encode(self, x) -> np.ndarray:
        """e(x) = P'(x - mean) for each row: shape (N_obs, m)."""
        return (as_matrix(x) - self.mean) @ self.P

    def decode(self, z) -> np.ndarray:
        """d(z) = mean + P z for each row: shape (N_obs, n)."""
        z = as_matrix(z, "z")
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have {self.latent_dim} columns, got {z.shape[1]}")
        return self.mean + z @ self.P.T

    def reconstruction_error(self, x) -> float:
        """Mean over rows of ||x_i - d(e(x_i))||^2."""
        x = as_matrix(x)
        return squared_loss(x, self.decode(self.encode(x)))


def pca(x, latent_dim: int) -> PCA:
    """Fit PCA: the m leading eigenvectors of the covariance of ``x`` (1/N_obs normalisation)."""
    x = as_matrix(x)
    latent_dim = check_latent_dim(latent_dim, x.shape[1], full=True)  # m = n: the full rotation
    mean = x.mean(axis=0)
    covariance = (x - mean).T @ (x - mean) / len(x)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # increasing order
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    P = eigenvectors[:, :latent_dim]
    P = P * np.sign(P[np.argmax(np.abs(P), axis=0), np.arange(latent_dim)])  # fixed signs
    return PCA(P=P, mean=mean, variances=np.clip(eigenvalues, 0.0, None))


def principal_angles(a, b) -> np.ndarray:
    """Principal angles, in degrees and increasing, between the column spaces of a and b.

    The cosines of the angles are the singular values of Qa'Qb, with Qa, Qb orthonormal
    bases of the two spaces (Bjorck & Golub 1973).
    """
    a, b = as_matrix(a, "a"), as_matrix(b, "b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows, got {a.shape} and {b.shape}")
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
    return np.sort(np.degrees(np.arccos(cosines)))
