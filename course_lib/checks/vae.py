"""Checks of the exercises of section 3, pages 3.1-3.4 (motivations, VAE, sigma2 and m, linear VAE, biology)."""

from __future__ import annotations

import math

import numpy as np
import torch

from course_lib import vae
from course_lib import variational_em as vem
from course_lib import latent
from course_lib.checks._core import Case, check_function

__all__ = [
    "nearest_distance", "gaussian_mean_posterior",                  # 3.1 motivations
    "reparametrize_z", "kl_to_standard_normal", "elbo_per_row",     # 3.2 the VAE
    "toy_elbo",
    "optimal_w2",                                                   # 3.2b sigma2 and m
    "knn_type_accuracy", "best_rank_correlation",                   # 3.4 biology
]


def _t(a):
    return torch.as_tensor(a, dtype=torch.float64)


# --- 3.1 motivations ---------------------------------------------------------------------
def nearest_distance(student) -> None:
    """Check ``student(points, reference)``: distance from each point to its nearest reference row."""
    rng = np.random.default_rng(10)
    cases = [Case((np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [6.0, 8.0]])), description="3-4-5 triangle: 5"),
             Case((rng.normal(size=(6, 2)), rng.normal(size=(9, 2))), description="6 points, 9 codes in R^2"),
             Case((rng.normal(size=(4, 5)), rng.normal(size=(3, 5))), description="4 points, 3 codes in R^5")]
    hints = {"the squared distance: take the square root": lambda p, r: latent.nearest_distance(p, r) ** 2,
             "the distance to the farthest code, not the nearest":
                 lambda p, r: np.sqrt(((p[:, None] - r[None]) ** 2).sum(-1)).max(1)}
    check_function(student, latent.nearest_distance, cases, name="nearest_distance",
                   what="min_j ||p_i - r_j|| for each point", hints=hints)


def _posterior(y, sigma2, prior_var):
    precision = len(y) / sigma2 + 1.0 / prior_var
    return np.array([np.sum(y) / sigma2 / precision, 1.0 / precision])


def gaussian_mean_posterior(student) -> None:
    """Check ``student(y, sigma2, prior_var)`` = (mean, variance) of p(theta | y)."""
    rng = np.random.default_rng(11)
    cases = [Case((np.array([1.0]), 1.0, 1.0), description="one observation, sigma2 = prior_var = 1"),
             Case((rng.normal(2.0, 1.0, 20), 1.0, 10.0), description="20 observations, vague prior"),
             Case((rng.normal(-1.0, 2.0, 5), 4.0, 0.5), description="5 noisy observations, tight prior")]
    hints = {"the posterior precision is N / sigma2 + 1 / prior_var (precisions add, not variances)":
                 lambda y, s, p: np.array([np.mean(y), 1.0 / (1.0 / s + 1.0 / p)]),
             "the posterior mean without the prior: the prior pulls it towards 0":
                 lambda y, s, p: np.array([np.mean(y), _posterior(y, s, p)[1]])}
    check_function(student, _posterior, cases, name="gaussian_mean_posterior",
                   what="precision N/sigma2 + 1/tau2, mean (sum y / sigma2) / precision", hints=hints)


# --- 3.2 the VAE -------------------------------------------------------------------------
def _vae_cases(seed):
    rng = np.random.default_rng(seed)
    out = []
    for n_obs, m in [(1, 1), (4, 2), (6, 3)]:
        out.append((_t(rng.normal(size=(n_obs, m))), _t(rng.uniform(0.2, 2.0, size=(n_obs, m))),
                    _t(rng.normal(size=(n_obs, m)))))
    return out


def reparametrize_z(student) -> None:
    """Check ``student(z_mean, z_std, xi)`` = z_mean + z_std * xi (a draw from q_x)."""
    cases = [Case(args, description=f"{tuple(args[0].shape)} codes") for args in _vae_cases(12)]
    hints = {"a variance where a standard deviation is needed: z = g + h xi, with h the std":
                 lambda g, h, xi: g + h**2 * xi,
             "the square root of z_std: z_std is already a standard deviation":
                 lambda g, h, xi: g + h.sqrt() * xi}
    check_function(student, lambda g, h, xi: g + h * xi, cases, name="reparametrize_z",
                   what="Z = g(x) + diag(h(x)) xi", hints=hints)


def kl_to_standard_normal(student) -> None:
    """Check ``student(z_mean, z_std)`` = KL(N(g, diag h^2) || N(0, I)), one value per row."""
    cases = [Case((_t([[0.0, 0.0]]), _t([[1.0, 1.0]])), description="q = the prior: KL = 0")]
    cases += [Case(args[:2], description=f"{tuple(args[0].shape)} codes") for args in _vae_cases(13)]
    reference = vae.kl_to_standard_normal
    hints = {"a wrong sign: the KL is >= 0": lambda g, h: -reference(g, h),
             "the factor 1/2 is missing": lambda g, h: 2 * reference(g, h),
             "log h instead of log h^2": lambda g, h: 0.5 * (g**2 + h**2 - 1 - torch.log(h)).sum(-1),
             "one number for all rows: sum over the latent coordinates only (dim=-1)":
                 lambda g, h: reference(g, h).sum()}
    check_function(student, reference, cases, name="kl_to_standard_normal",
                   what="1/2 sum_j (g_j^2 + h_j^2 - 1 - log h_j^2)", hints=hints)


def _elbo_per_row(x, x_hat, z_mean, z_std, sigma2):
    return vae.gaussian_log_likelihood(x, x_hat, sigma2) - vae.kl_to_standard_normal(z_mean, z_std)


def elbo_per_row(student) -> None:
    """Check ``student(x, x_hat, z_mean, z_std, sigma2)`` = log N(x; x_hat, sigma2 I) - KL, per row."""
    rng = np.random.default_rng(14)
    cases = []
    for (n_obs, n, m), sigma2 in [((1, 2, 1), 1.0), ((5, 4, 2), 0.1), ((3, 8, 3), 2.5)]:
        cases.append(Case((_t(rng.normal(size=(n_obs, n))), _t(rng.normal(size=(n_obs, n))),
                           _t(rng.normal(size=(n_obs, m))), _t(rng.uniform(0.3, 1.5, (n_obs, m))), sigma2),
                          description=f"{n_obs} rows, n = {n}, m = {m}, sigma2 = {sigma2}"))

    def no_constant(x, x_hat, g, h, s):
        return -((x - x_hat) ** 2).sum(-1) / (2 * s) - vae.kl_to_standard_normal(g, h)

    hints = {"the constant -(n/2) log(2 pi sigma2) is missing": no_constant,
             "the KL is added: ELBO = reconstruction - KL": lambda x, xh, g, h, s:
                 vae.gaussian_log_likelihood(x, xh, s) + vae.kl_to_standard_normal(g, h),
             "the loss (= -ELBO) instead of the ELBO": lambda *a: -_elbo_per_row(*a),
             "sigma where sigma^2 is needed": lambda x, xh, g, h, s: _elbo_per_row(x, xh, g, h, math.sqrt(s))}
    check_function(student, _elbo_per_row, cases, name="elbo_per_row",
                   what="-||x - x_hat||^2/(2 sigma2) - (n/2) log(2 pi sigma2) - KL", hints=hints)


def _toy_elbo(x, w, sigma2, a, s):
    """ELBO of Z ~ N(0, 1), X | Z ~ N(wZ, sigma2), q = N(a, s^2): the linear ELBO with n = m = 1."""
    shape = np.shape(x)
    column = lambda v: np.reshape(np.asarray(v, dtype=np.float64), (-1, 1))  # noqa: E731
    return vem.linear_elbo(column(x), [[w]], [0.0], sigma2, column(a), column(s)).reshape(shape)


def toy_elbo(student) -> None:
    """Check ``student(x, w, sigma2, a, s)`` = E_q log N(x; wZ, sigma2) - KL(N(a, s^2) || N(0, 1))."""
    rng = np.random.default_rng(23)
    cases = [Case((np.array([1.0]), 2.0, 0.5, np.array([0.3]), np.array([0.4])), description="one entry"),
             Case((rng.normal(size=5), 1.5, 0.2, rng.normal(size=5), rng.uniform(0.1, 1, 5)), description="5 entries"),
             Case((rng.normal(size=4), -0.7, 2.0, rng.normal(size=4), rng.uniform(0.5, 2, 4)),
                  description="4 entries, negative w, sigma2 = 2")]

    def plug_in(x, w, s2, a, s):  # E_q (x - wZ)^2 replaced by (x - wa)^2
        return _toy_elbo(x, w, s2, a, s) + w**2 * s**2 / (2 * s2)

    hints = {"E_q (x - wZ)^2 = (x - wa)^2 + w^2 s^2: the variance of Z under q is missing": plug_in,
             "the constant -1/2 log(2 pi sigma2) is missing":
                 lambda x, w, s2, a, s: _toy_elbo(x, w, s2, a, s) + 0.5 * np.log(2 * np.pi * s2),
             "the KL is added: ELBO = E_q log p(x | Z) - KL": lambda x, w, s2, a, s:
                 _toy_elbo(x, w, s2, a, s) + (a**2 + s**2 - 1 - np.log(s**2)),
             "sigma where sigma^2 is needed": lambda x, w, s2, a, s: _toy_elbo(x, w, math.sqrt(s2), a, s),
             "log s instead of log s^2 in the KL": lambda x, w, s2, a, s:
                 _toy_elbo(x, w, s2, a, s) - 0.5 * np.log(s)}
    check_function(student, _toy_elbo, cases, name="toy_elbo",
                   what="-((x - wa)^2 + w^2 s^2)/(2 sigma2) - 1/2 log(2 pi sigma2) - 1/2 (a^2 + s^2 - 1 - log s^2)",
                   hints=hints)


# --- 3.2b sigma2 and m -------------------------------------------------------------------
def _optimal_w2(lam, sigma2):
    # the clipped Lambda_m - sigma2 I of pPCA with sigma2 fixed (Tipping & Bishop 1999, eq. 7)
    return np.clip(np.asarray(lam, dtype=np.float64) - sigma2, 0.0, None)


def optimal_w2(student) -> None:
    """Check ``student(lam, sigma2)`` = max(lam - sigma2, 0), the maximiser of L(w^2) for w^2 >= 0."""
    rng = np.random.default_rng(24)
    cases = [Case((np.array([0.7, 0.3, 0.05]), 0.1), description="two directions survive, one collapses"),
             Case((np.array([0.5, 0.2]), 1.0), description="sigma2 above every eigenvalue: all collapse"),
             Case((np.sort(rng.uniform(0, 2, 6))[::-1], 0.6), description="6 eigenvalues, sigma2 = 0.6")]
    hints = {"a variance cannot be negative: where lambda <= sigma2 the maximum over w^2 >= 0 is at 0":
                 lambda lam, s: lam - s,
             "w, not w^2: no square root": lambda lam, s: np.sqrt(_optimal_w2(lam, s)),
             "sigma2 is part of the variance w^2 + sigma2 of the direction: subtract it": lambda lam, s: lam,
             "lambda - sigma2, not sigma2 - lambda": lambda lam, s: _optimal_w2(s, lam)}
    check_function(student, _optimal_w2, cases, name="optimal_w2", what="max(lambda - sigma2, 0)", hints=hints)


# --- 3.4 biology ---------------------------------------------------------------------------
def _knn_accuracy(z_train, type_train, z_test, type_test, k):
    distances = ((z_test[:, None, :] - z_train[None, :, :]) ** 2).sum(-1)
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :k]
    votes = [np.bincount(type_train[row], minlength=type_train.max() + 1).argmax() for row in neighbours]
    return float(np.mean(np.array(votes) == type_test))


def _knn_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for n_train, n_test, m, k, spread in [(30, 10, 2, 1, 0.5), (60, 20, 2, 5, 1.5), (90, 30, 3, 7, 1.0)]:
        types = rng.integers(0, 3, n_train + n_test)
        z = rng.normal(size=(n_train + n_test, m)) * spread + types[:, None] * np.arange(1, m + 1)
        cases.append(Case((z[:n_train], types[:n_train], z[n_train:], types[n_train:], k),
                          description=f"{n_train} training codes, {n_test} test codes, m = {m}, k = {k}"))
    return cases


def knn_type_accuracy(student) -> None:
    """Check ``student(z_train, type_train, z_test, type_test, k)``: the k-NN type accuracy."""
    hints = {"the test codes were compared with themselves: neighbours come from the training codes":
                 lambda zt, yt, zs, ys, k: _knn_accuracy(zs, ys, zs, ys, k),
             "the error rate: the accuracy is the fraction of correct types":
                 lambda *a: 1.0 - _knn_accuracy(*a)}
    check_function(student, _knn_accuracy, _knn_cases(21), name="knn_type_accuracy",
                   what="majority type of the k nearest training codes", hints=hints)


def _best_rank_correlation(z, time):
    from scipy.stats import spearmanr

    return max(abs(spearmanr(z[:, j], time)[0]) for j in range(z.shape[1]))


def best_rank_correlation(student) -> None:
    """Check ``student(z, time)`` = max_j |Spearman(z[:, j], time)|."""
    from scipy.stats import pearsonr, spearmanr

    rng = np.random.default_rng(22)
    time = rng.uniform(0, 1, 50)
    cases = [Case((np.column_stack([rng.normal(size=50), -np.exp(5 * time)]), time),
                  description="coordinate 2 is a decreasing function of time: 1"),
             Case((rng.normal(size=(50, 3)), time), description="codes independent of time"),
             Case((np.column_stack([time + rng.normal(0, 0.3, 50), time**3 + rng.normal(0, 0.1, 50)]), time),
                  description="two noisy increasing functions of time")]
    hints = {"Pearson's correlation: the rank correlation is Pearson's on the ranks":
                 lambda z, t: max(abs(pearsonr(z[:, j], t)[0]) for j in range(z.shape[1])),
             "the absolute value is missing: a decreasing coordinate follows time too":
                 lambda z, t: max(spearmanr(z[:, j], t)[0] for j in range(z.shape[1]))}
    check_function(student, _best_rank_correlation, cases, name="best_rank_correlation",
                   what="max_j |Spearman(z_j, t)|", hints=hints)
