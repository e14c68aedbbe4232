"""The checks of 03_5, 03_5b and 03_6 accept right answers and reject typical wrong ones with a hint."""

import math

import numpy as np
import pytest
import torch

from course_lib import checks


# --- right answers, written as a student would ---------------------------------------------
def free_energy_mc(xi, eta, x, y, sigma2, prior_std=1.0):
    mean, rho = eta
    std = torch.log1p(torch.exp(rho))
    theta = mean + std * xi                                  # (M, D)
    f = x @ theta[:, :-1].T + theta[:, -1]                   # (N, M)
    nll = ((y[:, None] - f) ** 2).sum(0) / (2 * sigma2) + len(y) / 2 * math.log(2 * math.pi * sigma2)
    kl = (torch.log(prior_std / std) + (std**2 + mean**2) / (2 * prior_std**2) - 0.5).sum()
    return kl + nll.mean()


def epoch_losses(kl, nll, batch_size):
    n_batches = math.ceil(len(nll) / batch_size)
    return np.array([kl / n_batches + nll[k:k + batch_size].sum() for k in range(0, len(nll), batch_size)])


def kl_gaussian(mean, std, prior_std=1.0):
    return np.log(prior_std / std) + (std**2 + mean**2) / (2 * prior_std**2) - 0.5


def mean_field_std(x, sigma2, prior_std=1.0):
    a = np.hstack([x, np.ones((len(x), 1))])
    precision = a.T @ a / sigma2 + np.eye(a.shape[1]) / prior_std**2
    return 1 / np.sqrt(np.diag(precision))


def predictive_moments(f_draws, sigma2):
    f = np.asarray(f_draws)
    return f.mean(axis=0), np.sqrt(f.var(axis=0) + sigma2)  # divisor S: accepted too


def linear_predictive_std(x, q_mean, q_std, sigma2):
    a = np.hstack([x, np.ones((len(x), 1))])
    return np.sqrt(sigma2 + (a**2) @ (q_std**2))


def interval_coverage(y, mean, std):
    return np.mean(np.abs(y - mean) <= 1.96 * std)


RIGHT = {"free_energy_mc": free_energy_mc, "epoch_losses": epoch_losses, "kl_gaussian": kl_gaussian,
         "mean_field_std": mean_field_std,
         "predictive_moments": predictive_moments, "linear_predictive_std": linear_predictive_std,
         "interval_coverage": interval_coverage}


def test_right_answers_pass_with_one_line(capsys):
    for name, function in RIGHT.items():
        getattr(checks, name)(function)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(RIGHT) and all("correct on" in line for line in lines)


def test_untouched_stubs_say_not_implemented(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError("write your code here")

    for name in RIGHT:
        getattr(checks, name)(stub)
    out = capsys.readouterr().out
    assert out.count("not implemented yet") == len(RIGHT) and "Traceback" not in out


def _softplus(rho):
    return torch.log1p(torch.exp(rho))


WRONG = [
    # free_energy_mc: sign, sum over draws, missing constant, std for variance, shape
    ("free_energy_mc", lambda xi, eta, x, y, s2, prior_std=1.0:  # KL + E log l, i.e. KL - nll
        2 * _kl(eta, prior_std) - free_energy_mc(xi, eta, x, y, s2, prior_std), "MINUS"),
    ("free_energy_mc", lambda xi, eta, x, y, s2, prior_std=1.0:
        _kl(eta, prior_std) + len(xi) * (free_energy_mc(xi, eta, x, y, s2, prior_std) - _kl(eta, prior_std)),
        "sum over the M draws"),
    ("free_energy_mc", lambda xi, eta, x, y, s2, prior_std=1.0:
        free_energy_mc(xi, eta, x, y, s2, prior_std) - len(y) / 2 * math.log(2 * math.pi * s2), "constant"),
    ("free_energy_mc", lambda xi, eta, x, y, s2, prior_std=1.0:
        free_energy_mc(xi, eta, x, y, s2, prior_std) - _kl(eta, prior_std), "KL term is missing"),
    ("free_energy_mc", lambda xi, eta, x, y, s2, prior_std=1.0:
        free_energy_mc(xi, eta, x, y, s2, prior_std).reshape(1), "shape"),
    # epoch_losses: whole KL per batch, mean instead of sum, floor division, shape
    ("epoch_losses", lambda kl, nll, b: np.array([kl + nll[k:k + b].sum() for k in range(0, len(nll), b)]),
     "whole KL"),
    ("epoch_losses", lambda kl, nll, b: np.array([kl / math.ceil(len(nll) / b) + nll[k:k + b].mean()
                                                  for k in range(0, len(nll), b)]), "mean over the batch"),
    ("epoch_losses", lambda kl, nll, b: np.array([kl / b + nll[k:k + b].sum() for k in range(0, len(nll), b)]),
     "batch size b"),
    ("epoch_losses", lambda kl, nll, b: np.array([kl + nll.sum()]), "shape"),
    # kl_gaussian: reversed KL, no mean term, no -1/2, sign of the log, std for variance, a tensor of
    # the summed KL where one value per weight is asked
    ("kl_gaussian", lambda m, s, prior_std=1.0:
        np.log(s / prior_std) + (prior_std**2 + m**2) / (2 * s**2) - 0.5, "the other way round"),
    ("kl_gaussian", lambda m, s, prior_std=1.0: kl_gaussian(m, s, prior_std) - m**2 / (2 * prior_std**2),
     "mean's term is missing"),
    ("kl_gaussian", lambda m, s, prior_std=1.0: kl_gaussian(m, s, prior_std) + 0.5, "-1/2 is missing"),
    ("kl_gaussian", lambda m, s, prior_std=1.0: kl_gaussian(m, s, prior_std) - 2 * np.log(prior_std / s),
     "sign on the log"),
    ("kl_gaussian", lambda m, s, prior_std=1.0: kl_gaussian(m, s, prior_std) + (s - s**2) / (2 * prior_std**2),
     "variance std^2"),
    ("kl_gaussian", lambda m, s, prior_std=1.0: kl_gaussian(m, s, prior_std).sum(), "shape"),
    # mean_field_std: exact marginal, no intercept, variance instead of std
    ("mean_field_std", lambda x, s2, prior_std=1.0: np.sqrt(np.diag(np.linalg.inv(
        np.hstack([x, np.ones((len(x), 1))]).T @ np.hstack([x, np.ones((len(x), 1))]) / s2
        + np.eye(x.shape[1] + 1) / prior_std**2))), "exact marginal"),
    ("mean_field_std", lambda x, s2, prior_std=1.0: 1 / np.sqrt(np.diag(x.T @ x / s2 + np.eye(x.shape[1]) / prior_std**2)),
     "shape"),
    ("mean_field_std", lambda x, s2, prior_std=1.0: mean_field_std(x, s2, prior_std) ** 2, "a variance"),
    ("mean_field_std", lambda x, s2, prior_std=1.0: 3 * mean_field_std(x, s2, prior_std), None),
    # predictive_moments: no sigma2, sigma added to the std, wrong axis
    ("predictive_moments", lambda f, s2: (f.mean(0), f.std(0)), "sigma2 is missing"),
    ("predictive_moments", lambda f, s2: (f.mean(0), f.std(0) + math.sqrt(s2)), "sigma added"),
    ("predictive_moments", lambda f, s2: (f.mean(0), f.var(0) + s2), "a variance"),
    ("predictive_moments", lambda f, s2: (f.mean(1), torch.sqrt(f.var(1) + s2)), "shape"),
    # linear_predictive_std: no sigma2, no intercept, variance, factor
    ("linear_predictive_std", lambda x, m, s, s2: np.sqrt((np.hstack([x, np.ones((len(x), 1))]) ** 2) @ s**2),
     "sigma2 is missing"),
    ("linear_predictive_std", lambda x, m, s, s2: np.sqrt(s2 + x**2 @ s[:-1] ** 2), "intercept"),
    ("linear_predictive_std", lambda x, m, s, s2: linear_predictive_std(x, m, s, s2) ** 2, "a variance"),
    ("linear_predictive_std", lambda x, m, s, s2: 2 * linear_predictive_std(x, m, s, s2), None),
    # interval_coverage: outside, 1 std, count
    ("interval_coverage", lambda y, m, s: 1 - interval_coverage(y, m, s), "OUTSIDE"),
    ("interval_coverage", lambda y, m, s: np.mean(np.abs(y - m) <= s), "68 %"),
    ("interval_coverage", lambda y, m, s: np.sum(np.abs(y - m) <= 1.96 * s), "a count"),
]


def test_kl_gaussian_reference_is_the_closed_form_and_a_monte_carlo_estimate():
    # the check's reference (torch.distributions) against the formula and against sampling
    from course_lib.checks.bayes import _kl_gaussian

    mean, std, prior_std = np.array([0.3, -1.2]), np.array([0.4, 1.5]), 0.7
    assert np.allclose(_kl_gaussian(mean, std, prior_std).numpy(), kl_gaussian(mean, std, prior_std))
    rng = np.random.default_rng(0)
    theta = mean + std * rng.normal(size=(400_000, 2))
    log_ratio = (np.log(prior_std / std) - (theta - mean) ** 2 / (2 * std**2) + theta**2 / (2 * prior_std**2))
    assert np.allclose(log_ratio.mean(0), kl_gaussian(mean, std, prior_std), atol=0.02)


def _kl(eta, prior_std):
    mean, std = eta[0], _softplus(eta[1])
    return (torch.log(prior_std / std) + (std**2 + mean**2) / (2 * prior_std**2) - 0.5).sum()


@pytest.mark.parametrize("name, wrong, hint", WRONG)
def test_checks_reject_typical_mistakes(name, wrong, hint):
    with pytest.raises(AssertionError) as failure:
        getattr(checks, name)(wrong)
    message = str(failure.value)
    assert name in message and "expected" in message and "got" in message
    if hint:
        assert hint in message
