"""Checks of the exercises of section 3, pages 3.1-3.4 (motivations, VAE, linear VAE, biology)."""

from __future__ import annotations

import math

import numpy as np
import torch

from course_lib import vae
from course_lib import vae_explorers as ve
from course_lib.checks._core import Case, check_function

__all__ = [
    "nearest_distance", "gaussian_mean_posterior",                  # 3.1 motivations
    "reparametrize_z", "kl_to_standard_normal", "elbo_per_row",     # 3.2 the VAE
    "ppca_covariance", "ppca_log_likelihood",                       # 3.3 linear VAE = pPCA
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
    hints = {"the squared distance: take the square root": lambda p, r: ve.nearest_distance(p, r) ** 2,
             "the distance to the farthest code, not the nearest":
                 lambda p, r: np.sqrt(((p[:, None] - r[None]) ** 2).sum(-1)).max(1)}
    check_function(student, ve.nearest_distance, cases, name="nearest_distance",
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


# --- 3.3 linear VAE = pPCA ---------------------------------------------------------------
def _ppca_covariance(x, latent_dim):
    fitted = vae.ppca(x, latent_dim)
    return fitted.sigma2, fitted.covariance


def _ppca_data(seed, n_obs, n, m):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_obs, m)) @ rng.normal(size=(m, n)) + 0.5 * rng.normal(size=(n_obs, n))


def ppca_covariance(student) -> None:
    """Check ``student(x, latent_dim)`` = (sigma2, C = W W' + sigma2 I) of the pPCA maximum likelihood."""
    cases = [Case((_ppca_data(15, 50, 3, 1), 1), description="50 x 3, m = 1"),
             Case((_ppca_data(16, 200, 6, 2), 2), description="200 x 6, m = 2"),
             Case((_ppca_data(17, 30, 8, 4), 4), description="30 x 8, m = 4")]

    def unbiased(x, m):
        s = np.linalg.eigh(np.cov(x.T))  # 1/(N - 1): not the maximum likelihood
        lam, u = s[0][::-1], s[1][:, ::-1]
        sigma2 = lam[m:].mean()
        w = u[:, :m] * np.sqrt(lam[:m] - sigma2)
        return sigma2, w @ w.T + sigma2 * np.eye(len(lam))

    def no_subtraction(x, m):
        lam, u = np.linalg.eigh(np.cov(x.T, bias=True))
        lam, u = lam[::-1], u[:, ::-1]
        sigma2 = lam[m:].mean()
        w = u[:, :m] * np.sqrt(lam[:m])
        return sigma2, w @ w.T + sigma2 * np.eye(len(lam))

    hints = {"np.cov divides by N - 1; the maximum likelihood uses 1/N (bias=True)": unbiased,
             "W = U_m Lambda_m^{1/2}: subtract sigma2 from the eigenvalues, (Lambda_m - sigma2 I)^{1/2}": no_subtraction,
             "sigma2 averaged over all n eigenvalues: average only the discarded ones, j > m":
                 lambda x, m: _with_sigma2(x, m, np.linalg.eigvalsh(np.cov(x.T, bias=True)).mean())}
    check_function(student, _ppca_covariance, cases, name="ppca_covariance",
                   what="sigma2 = mean(lambda_{m+1..n}), W = U_m (Lambda_m - sigma2 I)^{1/2}", hints=hints)


def _with_sigma2(x, m, sigma2):
    lam, u = np.linalg.eigh(np.cov(x.T, bias=True))
    lam, u = lam[::-1], u[:, ::-1]
    w = u[:, :m] * np.sqrt(np.clip(lam[:m] - sigma2, 0, None))
    return sigma2, w @ w.T + sigma2 * np.eye(len(lam))


def _ppca_log_likelihood(x, mean, covariance):
    from scipy.stats import multivariate_normal  # imported here: scipy.stats takes ~1 s to import

    return multivariate_normal(mean, covariance).logpdf(x).mean()


def ppca_log_likelihood(student) -> None:
    """Check ``student(x, mean, C)`` = (1/N) sum_i log N_n(x_i; mean, C), in nats."""
    cases = []
    for seed, (n_obs, n, m) in [(18, (20, 3, 1)), (19, (100, 6, 2)), (20, (7, 10, 3))]:
        x = _ppca_data(seed, n_obs, n, m)
        fitted = vae.ppca(x, m)
        cases.append(Case((x, fitted.mean, fitted.covariance), description=f"{n_obs} x {n}, C of pPCA with m = {m}"))

    def quad(x, mean, c):
        d = x - mean
        return np.mean(np.sum(d @ np.linalg.inv(c) * d, axis=1))

    logdet = lambda c: np.linalg.slogdet(c)[1]
    hints = {"the -(n/2) log(2 pi) term is missing": lambda x, mu, c: -0.5 * (logdet(c) + quad(x, mu, c)),
             "log det C needs the factor 1/2": lambda x, mu, c:
                 -0.5 * (x.shape[1] * np.log(2 * np.pi) + quad(x, mu, c)) - logdet(c),
             "the sum over rows: the mean is asked": lambda x, mu, c: len(x) * _ppca_log_likelihood(x, mu, c)}
    check_function(student, _ppca_log_likelihood, cases, name="ppca_log_likelihood",
                   what="-1/2 (n log 2 pi + log det C + (x - mean)' C^{-1} (x - mean)), averaged", hints=hints)


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
