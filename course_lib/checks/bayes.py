"""Checks of the exercises of 03_5 (variational Bayes), 03_5b (the exact check) and 03_6 (a Bayesian network)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn.functional import softplus

from course_lib import bayes, bayes_curves
from course_lib.checks._core import Case, check_function

__all__ = [
    "free_energy_mc", "epoch_losses", "kl_gaussian",               # 3.5 variational Bayes
    "mean_field_std",                                              # 3.5b the exact check
    "predictive_moments", "linear_predictive_std", "interval_coverage",  # 3.6 Bayesian network
]


def _tensor(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _regression(rng, n_obs, n_features):
    x = rng.normal(size=(n_obs, n_features))
    y = x @ rng.normal(size=n_features) + 0.3 + rng.normal(scale=0.5, size=n_obs)
    return _tensor(x), _tensor(y)


# --- 3.5 variational Bayes ------------------------------------------------------------------
def _free_energy(xi, eta, x, y, sigma2, prior_std=1.0):
    """Reference: bayes.free_energy of the linear model at eta = (mean, rho), with the given xi."""
    model = bayes.BayesianRegression(x.shape[1], sigma2=sigma2, prior_std=prior_std)
    with torch.no_grad():
        model.eta.copy_(torch.stack(list(eta)))
        return bayes.free_energy(model, x, y, xi=xi)["free_energy"]


def _linear_nll(xi, eta, x, y, sigma2, std=None, sum_draws=False, constant=True, divide_by=None):
    """-(1/M) sum_m log l(Y | theta^(m)) and its typical variants, for the hints."""
    mean, rho = eta
    theta = mean + (softplus(rho) if std is None else std) * xi  # (M, D)
    residuals = y - (x @ theta[:, :-1].T + theta[:, -1]).T  # (M, N)
    per_draw = (residuals**2).sum(1) / (2 * (sigma2 if divide_by is None else divide_by))
    per_draw = per_draw + (len(y) / 2 * math.log(2 * math.pi * sigma2) if constant else 0.0)
    return per_draw.sum() if sum_draws else per_draw.mean()


def _kl(eta, prior_std):
    return bayes.kl_closed_form(eta[0], softplus(eta[1]), prior_std)


def free_energy_mc(student) -> None:
    """Check ``student(xi, eta, x, y, sigma2, prior_std)`` = F_hat(eta) of Bayesian linear regression."""
    rng = np.random.default_rng(3)
    cases = []
    for n_obs, n, m, prior_std in [(6, 1, 1, 1.0), (20, 3, 5, 1.0), (15, 2, 50, 0.5)]:
        x, y = _regression(rng, n_obs, n)
        eta = (_tensor(rng.normal(size=n + 1)), _tensor(rng.normal(size=n + 1) - 1.0))
        xi = _tensor(rng.normal(size=(m, n + 1)))
        cases.append(Case((xi, eta, x, y, 0.4), {"prior_std": prior_std},
                          description=f"N_obs={n_obs}, n={n}, M={m}, prior_std={prior_std}"))
    hints = {
        "KL + the log-likelihood: F is KL MINUS E log l, i.e. KL plus the negative log-likelihood":
            lambda xi, eta, x, y, s2, prior_std=1.0: _kl(eta, prior_std) - _linear_nll(xi, eta, x, y, s2),
        "a sum over the M draws: F_hat averages them (1/M)":
            lambda xi, eta, x, y, s2, prior_std=1.0: _kl(eta, prior_std) + _linear_nll(xi, eta, x, y, s2, sum_draws=True),
        "rho used as the standard deviation: the std is softplus(rho) = log(1 + exp(rho))":
            lambda xi, eta, x, y, s2, prior_std=1.0: bayes.kl_closed_form(eta[0], eta[1].abs(), prior_std)
            + _linear_nll(xi, eta, x, y, s2, std=eta[1]),
        "the constant (N_obs / 2) log(2 pi sigma2) of -log l is missing":
            lambda xi, eta, x, y, s2, prior_std=1.0: _kl(eta, prior_std) + _linear_nll(xi, eta, x, y, s2, constant=False),
        "a standard deviation in place of the variance sigma2 under the squares":
            lambda xi, eta, x, y, s2, prior_std=1.0: _kl(eta, prior_std)
            + _linear_nll(xi, eta, x, y, s2, divide_by=math.sqrt(s2)),
        "the KL term is missing":
            lambda xi, eta, x, y, s2, prior_std=1.0: _linear_nll(xi, eta, x, y, s2),
    }
    check_function(student, _free_energy, cases, name="free_energy_mc",
                   what="KL(q_eta, pi) + (1/M) sum_m -log l(Y | theta^(m)), theta = mean + softplus(rho) xi",
                   hints=hints, rtol=1e-6, atol=1e-8)


def _epoch_losses(kl, nll, batch_size):
    """Reference: the N_B batch losses KL / N_B + sum_{i in B_b} nll_i, batches in order."""
    n_batches = math.ceil(len(nll) / batch_size)
    return np.array([kl / n_batches + np.sum(nll[k:k + batch_size]) for k in range(0, len(nll), batch_size)])


def epoch_losses(student) -> None:
    """Check ``student(kl, nll, batch_size)``: one loss per batch, adding up to F over an epoch."""
    rng = np.random.default_rng(4)
    cases = [
        Case((12.0, rng.uniform(0, 2, 8), 4), description="N_obs=8, b=4: N_B=2"),
        Case((30.0, rng.uniform(0, 2, 10), 3), description="N_obs=10, b=3: N_B=4, the last batch has 1 row"),
        Case((5.0, rng.uniform(0, 2, 6), 6), description="one batch: the full F"),
        Case((100.0, rng.uniform(0, 2, 442), 111), description="diabetes: N_obs=442, b=111"),
    ]
    hints = {
        "the whole KL in every batch: divide it by N_B":
            lambda kl, nll, b: _epoch_losses(kl * math.ceil(len(nll) / b), nll, b),
        "the KL divided by the batch size b: divide it by the number of batches N_B":
            lambda kl, nll, b: _epoch_losses(kl * math.ceil(len(nll) / b) / b, nll, b),
        "a mean over the batch's rows: F needs the sum":
            lambda kl, nll, b: np.array([kl / math.ceil(len(nll) / b) + np.mean(nll[k:k + b])
                                         for k in range(0, len(nll), b)]),
        "N_B = N_obs // b, which forgets the last, smaller batch: use ceil(N_obs / b)":
            lambda kl, nll, b: np.array([kl / (len(nll) // b) + np.sum(nll[k:k + b])
                                         for k in range(0, len(nll), b)]),
    }
    check_function(student, _epoch_losses, cases, name="epoch_losses",
                   what="KL / N_B + sum of the batch's -log l_i; they add up to F", hints=hints)


def _kl_gaussian(mean, std, prior_std=1.0):
    """Reference: KL(N(mean, std^2) || N(0, prior_std^2)) per element, by torch.distributions."""
    mean, std = torch.as_tensor(mean, dtype=torch.float64), torch.as_tensor(std, dtype=torch.float64)
    q = torch.distributions.Normal(mean, std)
    prior = torch.distributions.Normal(torch.zeros_like(mean), torch.full_like(mean, float(prior_std)))
    return torch.distributions.kl_divergence(q, prior)


def kl_gaussian(student) -> None:
    """Check ``student(mean, std, prior_std)`` = log(prior_std / std) + (std^2 + mean^2) / (2 prior_std^2) - 1/2."""
    rng = np.random.default_rng(9)
    cases = [Case((np.array([0.0, 0.0]), np.array([1.0, 0.5])), {"prior_std": 1.0},
                  description="mean 0: only the spread counts"),
             Case((rng.normal(size=5), rng.uniform(0.05, 2.0, 5)), {"prior_std": 1.0}, description="5 weights"),
             Case((rng.normal(size=(2, 3)), rng.uniform(0.05, 2.0, (2, 3))), {"prior_std": 0.5},
                  description="shape (2, 3), prior_std=0.5"),
             Case((rng.normal(size=4), rng.uniform(0.05, 2.0, 4)), {"prior_std": 3.0}, description="prior_std=3")]
    hints = {
        "KL(pi, q), the divergence the other way round: the expectation is under q":
            lambda m, s, prior_std=1.0: np.log(s / prior_std) + (prior_std**2 + m**2) / (2 * s**2) - 0.5,
        "the mean's term is missing: E_q theta^2 = s^2 + mean^2":
            lambda m, s, prior_std=1.0: np.log(prior_std / s) + s**2 / (2 * prior_std**2) - 0.5,
        "the constant -1/2 is missing: E_q (theta - mean)^2 / (2 s^2) = 1/2":
            lambda m, s, prior_std=1.0: np.log(prior_std / s) + (s**2 + m**2) / (2 * prior_std**2),
        "a wrong sign on the log: it is log(prior_std / std)":
            lambda m, s, prior_std=1.0: np.log(s / prior_std) + (s**2 + m**2) / (2 * prior_std**2) - 0.5,
        "std where the variance std^2 is needed":
            lambda m, s, prior_std=1.0: np.log(prior_std / s) + (s + m**2) / (2 * prior_std**2) - 0.5,
        "prior_std where its square is needed in the denominator":
            lambda m, s, prior_std=1.0: np.log(prior_std / s) + (s**2 + m**2) / (2 * prior_std) - 0.5,
    }
    check_function(student, _kl_gaussian, cases, name="kl_gaussian",
                   what="log(prior_std / std) + (std^2 + mean^2) / (2 prior_std^2) - 1/2, element by element",
                   hints=hints)


# --- 3.5b the exact check --------------------------------------------------------------------
def _mean_field_std(x, sigma2, prior_std=1.0):
    """Reference: 1 / sqrt(diag Lambda), Lambda = A'A / sigma2 + I / prior_std^2, A = [x, 1]."""
    x = np.asarray(x, dtype=np.float64)
    a = np.hstack([x, np.ones((len(x), 1))])
    return 1 / np.sqrt(np.diag(a.T @ a / sigma2 + np.eye(a.shape[1]) / prior_std**2))


def mean_field_std(student) -> None:
    """Check ``student(x, sigma2, prior_std)`` = the mean-field optimum 1 / sqrt(Lambda_jj)."""
    rng = np.random.default_rng(5)
    cases = [Case((rng.normal(size=(30, 2)) @ np.array([[1.0, 0.9], [0.0, 0.4]]), 0.5),
                  {"prior_std": 1.0}, description="2 correlated variables"),
             Case((rng.normal(size=(10, 3)) + 2.0, 2.0), {"prior_std": 0.5}, description="uncentred x, prior_std=0.5"),
             Case((rng.normal(size=(5, 1)), 0.1), {"prior_std": 3.0}, description="one variable")]
    a_of = lambda x: np.hstack([x, np.ones((len(x), 1))])
    hints = {
        "the exact marginal posterior std sqrt((Lambda^-1)_jj), larger than the mean-field one":
            lambda x, s2, prior_std=1.0: np.sqrt(np.diag(np.linalg.inv(
                a_of(x).T @ a_of(x) / s2 + np.eye(x.shape[1] + 1) / prior_std**2))),
        "no intercept: add a column of ones to x (the intercept is the last parameter)":
            lambda x, s2, prior_std=1.0: 1 / np.sqrt(np.diag(x.T @ x / s2 + np.eye(x.shape[1]) / prior_std**2)),
        "the prior's precision I / prior_std^2 is missing from Lambda":
            lambda x, s2, prior_std=1.0: 1 / np.sqrt(np.diag(a_of(x).T @ a_of(x) / s2)),
        "a variance 1 / Lambda_jj: take its square root":
            lambda x, s2, prior_std=1.0: _mean_field_std(x, s2, prior_std) ** 2,
    }
    check_function(student, _mean_field_std, cases, name="mean_field_std",
                   what="1 / sqrt(diag(A'A / sigma2 + I / prior_std^2)), intercept last", hints=hints)


# --- 3.6 a Bayesian neural network ----------------------------------------------------------
def _predictive_moments(f_draws, sigma2):
    """Reference: mean over draws, and sqrt(Var_q f + sigma2) (either divisor S or S - 1 passes)."""
    f_draws = torch.as_tensor(f_draws, dtype=torch.float64)
    return f_draws.mean(0), torch.sqrt(f_draws.var(0) + sigma2)


def predictive_moments(student) -> None:
    """Check ``student(f_draws, sigma2)`` = (E_q f(x), sqrt(Var_q f(x) + sigma2)) from draws (S, N)."""
    rng = np.random.default_rng(6)
    cases = [Case((_tensor(rng.normal(1.0, 0.5, size=(400, 5))), 0.1), description="S=400 draws at N=5 inputs"),
             Case((_tensor(rng.normal(size=(1000, 3)) * np.array([0.1, 1.0, 3.0])), 0.01), description="S=1000, N=3"),
             Case((_tensor(np.tile([1.0, -2.0], (300, 1))), 0.25), description="all draws equal: std = sigma")]
    hints = {
        "the noise sigma2 is missing: Var[y | x] = Var_q f(x) + sigma2":
            lambda f, s2: (f.mean(0), f.std(0)),
        "sigma added to the standard deviation: add sigma2 to the variance, then take the root":
            lambda f, s2: (f.mean(0), f.std(0) + math.sqrt(s2)),
        "a variance where a standard deviation is asked":
            lambda f, s2: (f.mean(0), f.var(0) + s2),
        "moments over the inputs (axis 1) instead of over the draws (axis 0)":
            lambda f, s2: (f.mean(1), torch.sqrt(f.var(1) + s2)),
    }
    # rtol 1e-2 accepts the divisor S as well as S - 1 for the variance (S >= 300 draws)
    check_function(student, _predictive_moments, cases, name="predictive_moments",
                   what="mean over the draws and sqrt(variance over the draws + sigma2)",
                   hints=hints, rtol=1e-2, atol=1e-6)


def _linear_predictive_std(x, q_mean, q_std, sigma2):
    """Reference: sqrt(sigma2 + sum_j a_j^2 std_j^2), a = (x, 1), one value per row of x."""
    x = np.asarray(x, dtype=np.float64)
    a = np.hstack([x, np.ones((len(x), 1))])
    return np.sqrt(sigma2 + a**2 @ np.asarray(q_std, dtype=np.float64) ** 2)


def linear_predictive_std(student) -> None:
    """Check ``student(x, q_mean, q_std, sigma2)`` = predictive std of Bayesian linear regression."""
    rng = np.random.default_rng(7)
    cases = []
    for n_obs, n in [(4, 1), (6, 3), (3, 5)]:
        cases.append(Case((rng.normal(size=(n_obs, n)), rng.normal(size=n + 1), rng.uniform(0.1, 1.0, n + 1),
                           0.3), description=f"{n_obs} inputs with n={n}"))
    a_of = lambda x: np.hstack([x, np.ones((len(x), 1))])
    hints = {
        "the noise sigma2 is missing":
            lambda x, m, s, s2: np.sqrt(a_of(x) ** 2 @ s**2),
        "the intercept's uncertainty is missing: a = (x, 1)":
            lambda x, m, s, s2: np.sqrt(s2 + x**2 @ s[:-1] ** 2),
        "stds added where variances add: sum a_j^2 std_j^2, not (sum |a_j| std_j)^2 or sum |a_j| std_j":
            lambda x, m, s, s2: np.sqrt(s2 + np.abs(a_of(x)) @ s),
        "a variance where a standard deviation is asked":
            lambda x, m, s, s2: s2 + a_of(x) ** 2 @ s**2,
    }
    check_function(student, _linear_predictive_std, cases, name="linear_predictive_std",
                   what="sqrt(sigma2 + sum_j a_j^2 std_j^2) with a = (x, 1)", hints=hints)


def interval_coverage(student) -> None:
    """Check ``student(y, mean, std)`` = fraction of y inside mean +- 1.96 std."""
    rng = np.random.default_rng(8)
    cases = [Case((np.array([0.0, 1.9, -1.9, 2.1, -3.0]), np.zeros(5), np.ones(5)), description="by hand: 3 of 5"),
             Case((rng.normal(size=200) * 2.0, np.zeros(200), np.full(200, 2.0)), description="200 Gaussian points"),
             Case((rng.normal(size=50) + 5.0, np.full(50, 5.0), np.full(50, 0.5)), description="too narrow intervals")]
    hints = {
        "the fraction OUTSIDE the intervals":
            lambda y, m, s: 1 - bayes_curves.coverage(y, m, s),
        "mean +- 1 std, a 68 % interval: use 1.96 std":
            lambda y, m, s: bayes_curves.coverage(y, m, s, level=0.6827),
        "a count, not a fraction":
            lambda y, m, s: len(y) * bayes_curves.coverage(y, m, s),
    }
    check_function(student, bayes_curves.coverage, cases, name="interval_coverage",
                   what="fraction of y with |y - mean| <= 1.96 std", hints=hints, rtol=1e-9, atol=1e-9)
