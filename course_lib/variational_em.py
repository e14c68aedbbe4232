"""Section 3 of the lecture: how q is fitted. Variational EM, amortisation, why reparametrise.

For one observation x and any distribution q(z), the ELBO is

    ELBO(q, theta) = E_q[log p(x | z; theta)] - KL(q || p(z))
                   = log p(x; theta) - KL(q || p(z | x; theta)).

Variational EM alternates  E step: q_i := argmax_q ELBO(q, theta), one q per observation,
                           M step: theta := argmax_theta sum_i ELBO(q_i, theta).
The VAE replaces the E step by an encoder, q_x = N(g(x), diag h(x)^2) for every x at once
(amortised inference), and takes gradient steps on the encoder and the decoder together.

On the linear model (pPCA, x = W z + mu + eps, eps ~ N(0, sigma2 I_n)) everything is explicit
(Tipping & Bishop 1999; Bishop 2006, section 12.2):

    p(z | x) = N(M^{-1} W'(x - mu), sigma2 M^{-1}),   M = W'W + sigma2 I_m,

and the best *diagonal* q for each x has the same mean and the variances sigma2 / M_jj, so
log p(x) - ELBO(encoder) splits into an approximation gap (the diagonal family) and an
amortisation gap (one encoder for all x) (Cremer, Li & Duvenaud 2018).

The gradient of E_q[f(z)] with respect to (mean, log_std) of q = N(mean, diag std^2) has two
Monte Carlo estimators, one value per draw xi ~ N(0, I_m), z = mean + std * xi:

    score function (REINFORCE):  (f(z) - b) * d log q(z) / d(mean, log_std)
                                 = (f(z) - b) * (xi / std, xi^2 - 1)       (any constant b)
    reparametrised:              d f(mean + std * xi) / d(mean, log_std)
                                 = (grad f(z), grad f(z) * std * xi)

Both have the same expectation; their variances differ (Kingma & Welling 2014, section 2.3).
This module computes and draws nothing: its figures are in ``variational_em_figures``.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from course_lib.linear import as_matrix
from course_lib.nn import one_thread
from course_lib.vae import LOG_2PI, PPCA, kl_to_standard_normal

__all__ = ["linear_elbo", "ppca_posterior", "best_diagonal_q", "inference_gaps", "variational_em",
           "score_function_gradient", "reparametrised_gradient"]


def _check_linear_model(x, W, mu, sigma2):
    """x (N, n), W (n, m), mu (n,), sigma2 > 0, as float64 arrays, or a ValueError saying why not."""
    x, W = as_matrix(x, "x"), as_matrix(W, "W")
    mu = np.asarray(mu, dtype=np.float64)
    n = x.shape[1]
    if W.shape[0] != n or W.shape[1] > n:
        raise ValueError(f"W must have shape (n, m) with n = {n} rows and m <= n columns, got {W.shape}")
    if mu.shape != (n,):
        raise ValueError(f"mu must have shape ({n},), got {mu.shape}")
    if isinstance(sigma2, bool) or not np.isscalar(sigma2) or not (float(sigma2) > 0 and math.isfinite(sigma2)):
        raise ValueError(f"sigma2 (a variance) must be a finite number > 0, got {sigma2!r}")
    return x, W, mu, float(sigma2)


def linear_elbo(x, W, mu, sigma2, q_mean, q_std) -> np.ndarray:
    """ELBO of each row of x under pPCA (W, mu, sigma2) with q = N(q_mean, diag q_std^2), exact.

    q_mean has shape (N, m); q_std shape (N, m) or (m,). Returns shape (N,), in nats:
    E_q log N(x; W z + mu, sigma2 I) = -(||x - mu - W q_mean||^2 + sum_j (W'W)_jj q_std_j^2) / (2 sigma2)
                                       - (n/2) log(2 pi sigma2),   minus KL(q || N(0, I_m)).
    """
    x, W, mu, sigma2 = _check_linear_model(x, W, mu, sigma2)
    q_mean = as_matrix(q_mean, "q_mean")
    q_std = np.array(np.broadcast_to(np.asarray(q_std, dtype=np.float64), q_mean.shape)) if np.ndim(q_std) < 2 \
        else as_matrix(q_std, "q_std")
    if q_mean.shape != (len(x), W.shape[1]) or q_std.shape != q_mean.shape:
        raise ValueError(f"q_mean and q_std must have shape (N, m) = {(len(x), W.shape[1])} "
                         f"(q_std may be (m,)), got {q_mean.shape} and {q_std.shape}")
    if not np.all(q_std > 0):
        raise ValueError("q_std holds standard deviations: every entry must be > 0")
    residual = x - mu - q_mean @ W.T
    trace = q_std**2 @ np.sum(W**2, axis=0)  # sum_j (W'W)_jj q_std_j^2: the spread of z under q
    expected = -((residual**2).sum(axis=1) + trace) / (2 * sigma2) - 0.5 * x.shape[1] * (LOG_2PI + math.log(sigma2))
    with one_thread():  # a tiny tensor: waiting for a second thread on a busy machine costs 100x the work
        kl = kl_to_standard_normal(torch.from_numpy(q_mean), torch.from_numpy(q_std)).numpy()
    return expected - kl


def ppca_posterior(x, W, mu, sigma2) -> tuple[np.ndarray, np.ndarray]:
    """p(z | x) = N(M^{-1} W'(x - mu), sigma2 M^{-1}), M = W'W + sigma2 I_m (Bishop 2006, eq. 12.42).

    Returns the posterior means, shape (N, m), and the covariance shared by all rows, (m, m).
    """
    x, W, mu, sigma2 = _check_linear_model(x, W, mu, sigma2)
    M = W.T @ W + sigma2 * np.eye(W.shape[1])
    return np.linalg.solve(M, W.T @ (x - mu).T).T, sigma2 * np.linalg.inv(M)


def best_diagonal_q(x, W, mu, sigma2) -> tuple[np.ndarray, np.ndarray]:
    """The E step in the diagonal family: argmax over N(a, diag s^2) of the ELBO of each row.

    ELBO = log p(x) - KL(q || p(z | x)), and for a Gaussian posterior with precision
    P = M / sigma2 the closest diagonal Gaussian keeps its mean and takes s_j^2 = 1 / P_jj.
    Returns q_mean (N, m) and q_std (m,), the same for every row.
    """
    posterior_mean, _ = ppca_posterior(x, W, mu, sigma2)
    M = W.T @ W + sigma2 * np.eye(W.shape[1])
    return posterior_mean, np.sqrt(sigma2 / np.diag(M))


def inference_gaps(x, W, mu, sigma2, q_mean, q_std) -> dict:
    """Where log p(x) - ELBO goes, as means over rows in nats, for a q given by an encoder.

    Returns "log_likelihood" (exact), "elbo" (of the given q), "elbo_best" (best diagonal q per
    row), "approximation_gap" = log_likelihood - elbo_best (the diagonal family) and
    "amortisation_gap" = elbo_best - elbo (one encoder for all rows); both gaps are >= 0.
    """
    x, W, mu, sigma2 = _check_linear_model(x, W, mu, sigma2)
    log_likelihood = PPCA(W=W, sigma2=sigma2, mean=mu).log_likelihood(x)
    elbo = float(linear_elbo(x, W, mu, sigma2, q_mean, q_std).mean())
    elbo_best = float(linear_elbo(x, W, mu, sigma2, *best_diagonal_q(x, W, mu, sigma2)).mean())
    return {"log_likelihood": log_likelihood, "elbo": elbo, "elbo_best": elbo_best,
            "approximation_gap": log_likelihood - elbo_best, "amortisation_gap": elbo_best - elbo}


def variational_em(x, latent_dim: int, n_iter: int = 50, seed: int = 0) -> dict:
    """Variational EM for pPCA with a diagonal q per observation, from a random W.

    E step: q_i = best_diagonal_q. M step (closed form, Tipping & Bishop 1999, eqs. 27-28, with
    E[z_i] = a_i and E[z_i z_i'] = a_i a_i' + diag(s^2)):
        W = (sum_i (x_i - mu) a_i') (sum_i E[z_i z_i'])^{-1},
        sigma2 = 1/(N n) sum_i (||x_i - mu||^2 - 2 a_i' W'(x_i - mu) + tr(E[z_i z_i'] W'W)).
    Returns {"W", "mu", "sigma2", "elbo"}: "elbo" lists the mean ELBO after each E step; EM
    never lets it decrease.
    """
    x = as_matrix(x)
    n_obs, n = x.shape
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or not 1 <= latent_dim < n:
        raise ValueError(f"latent_dim must be an integer with 1 <= m < n = {n}, got {latent_dim!r}")
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    mu = x.mean(axis=0)  # the maximum-likelihood mean; then the posterior means sum to 0
    centred = x - mu
    W = np.random.default_rng(seed).normal(size=(n, latent_dim))
    sigma2 = float(centred.var(axis=0).mean())
    elbos = []
    for _ in range(n_iter):
        q_mean, q_std = best_diagonal_q(x, W, mu, sigma2)  # E step
        elbos.append(float(linear_elbo(x, W, mu, sigma2, q_mean, q_std).mean()))
        second_moment = q_mean.T @ q_mean + n_obs * np.diag(q_std**2)  # sum_i E[z_i z_i']
        W = np.linalg.solve(second_moment, q_mean.T @ centred).T  # M step
        sigma2 = float(((centred**2).sum() - 2 * np.sum((q_mean @ W.T) * centred)
                        + np.trace(second_moment @ W.T @ W)) / (n_obs * n))
    return {"W": W, "mu": mu, "sigma2": sigma2, "elbo": elbos}


def _check_gradient_inputs(mean, std, n_draws):
    mean, std = torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(std, dtype=torch.float64)
    if mean.ndim != 1 or std.shape != mean.shape:
        raise ValueError(f"mean and std must be 1-D of the same length m, got {tuple(mean.shape)} and {tuple(std.shape)}")
    if not torch.all(std > 0):
        raise ValueError("std holds standard deviations: every entry must be > 0")
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer >= 2 (a variance needs two draws), got {n_draws!r}")
    return mean, std


def _values(f: Callable, z: torch.Tensor) -> torch.Tensor:
    values = f(z)
    if not isinstance(values, torch.Tensor) or values.shape != z.shape[:1]:
        raise ValueError(f"f must map z of shape (S, m) to a tensor of shape (S,), got "
                         f"{getattr(values, 'shape', type(values).__name__)}")
    return values.double()


def score_function_gradient(f: Callable, mean, std, n_draws: int = 1000, seed: int = 0,
                            baseline: float = 0.0) -> np.ndarray:
    """One-draw score-function estimates of d E_q[f(z)] / d(mean, log_std), q = N(mean, diag std^2).

    f maps z of shape (S, m) to shape (S,) (no gradient needed). Returns an array of shape
    (n_draws, 2m): each row (f(z) - baseline) * (xi / std, xi^2 - 1), whose mean estimates the
    gradient; a constant ``baseline`` leaves the mean unchanged, since E_q[d log q] = 0.
    """
    mean, std = _check_gradient_inputs(mean, std, n_draws)
    xi = torch.randn((n_draws, len(mean)), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    with torch.no_grad(), one_thread():
        values = _values(f, mean + std * xi)[:, None] - baseline  # (S, 1)
    score = torch.cat([xi / std, xi**2 - 1.0], dim=1)  # d log q(z) / d(mean, log_std) at z = mean + std xi
    return (values * score).numpy()


def reparametrised_gradient(f: Callable, mean, std, n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """One-draw reparametrised estimates of d E_q[f(z)] / d(mean, log_std), z = mean + std * xi.

    f maps z of shape (S, m) to shape (S,) and must be differentiable in z (torch autograd).
    Returns an array of shape (n_draws, 2m): each row (grad f(z), grad f(z) * std * xi).
    """
    mean, std = _check_gradient_inputs(mean, std, n_draws)
    xi = torch.randn((n_draws, len(mean)), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z = (mean + std * xi).requires_grad_(True)
    with one_thread():
        (grad_z,) = torch.autograd.grad(_values(f, z).sum(), z)  # row s: grad f at z_s (draws are independent)
    return torch.cat([grad_z, grad_z * std * xi], dim=1).detach().numpy()  # chain rule: dz/dlog_std = std xi
