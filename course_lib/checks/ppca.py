"""Checks of the exercises of chapter 3.3, the linear VAE is probabilistic PCA."""

from __future__ import annotations

import numpy as np

from course_lib import vae
from course_lib import variational_em as vem
from course_lib.checks._core import Case, check_function

__all__ = ["ppca_covariance", "ppca_log_likelihood", "ppca_posterior"]


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


def ppca_posterior(student) -> None:
    """Check ``student(x, W, mean, sigma2)`` = (M^{-1} W'(x - mean) per row, sigma2 M^{-1}), M = W'W + sigma2 I."""
    cases = []
    for seed, (n_obs, n, m) in [(25, (1, 3, 1)), (26, (5, 6, 2)), (27, (8, 10, 3))]:
        x = _ppca_data(seed, n_obs + 20, n, m)
        fitted = vae.ppca(x, m)
        W = fitted.W @ np.linalg.qr(np.random.default_rng(seed).normal(size=(m, m)))[0]  # any rotation R
        cases.append(Case((x[:n_obs], W, fitted.mean, fitted.sigma2), description=f"{n_obs} rows, n = {n}, m = {m}"))

    def no_sigma2_in_cov(x, W, mu, s2):
        mean, cov = vem.ppca_posterior(x, W, mu, s2)
        return mean, cov / s2

    def no_sigma2_in_m(x, W, mu, s2):
        M = W.T @ W
        return np.linalg.solve(M, W.T @ (x - mu).T).T, s2 * np.linalg.inv(M)

    hints = {"the covariance is sigma2 M^{-1}, not M^{-1}": no_sigma2_in_cov,
             "M = W'W + sigma2 I: the prior N(0, I) adds sigma2 I": no_sigma2_in_m,
             "centre x: the posterior mean is M^{-1} W'(x - mean)":
                 lambda x, W, mu, s2: vem.ppca_posterior(x, W, np.zeros_like(mu), s2),
             "the posterior mean is M^{-1} W'(x - mean), not W'(x - mean) / sigma2":
                 lambda x, W, mu, s2: ((x - mu) @ W / s2, vem.ppca_posterior(x, W, mu, s2)[1])}
    check_function(student, vem.ppca_posterior, cases, name="ppca_posterior",
                   what="mean M^{-1} W'(x - mean), covariance sigma2 M^{-1}, M = W'W + sigma2 I", hints=hints)
