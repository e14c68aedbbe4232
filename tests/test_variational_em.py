"""course_lib.variational_em against independent answers: torch.distributions and Monte Carlo for
the ELBO, scipy for the likelihood and for a per-observation optimum, autograd of a closed-form
expectation for the two gradient estimators."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.stats import multivariate_normal
from torch.distributions import Independent, Normal, kl_divergence

from course_lib import vae
from course_lib import variational_em as vem


def _model(seed=0, n_obs=40, n=5, m=2):
    rng = np.random.default_rng(seed)
    W, mu, sigma2 = rng.normal(size=(n, m)), rng.normal(size=n), 0.3
    x = rng.normal(size=(n_obs, m)) @ W.T + mu + np.sqrt(sigma2) * rng.normal(size=(n_obs, n))
    return x, W, mu, sigma2


def test_linear_elbo_matches_torch_distributions_by_monte_carlo():
    x, W, mu, sigma2 = _model()
    rng = np.random.default_rng(1)
    q_mean, q_std = rng.normal(size=(len(x), 2)), rng.uniform(0.2, 1.0, size=(len(x), 2))
    q = Independent(Normal(torch.tensor(q_mean), torch.tensor(q_std)), 1)
    z = q.sample((20000,))  # (S, N, m)
    likelihood = Independent(Normal(z @ torch.tensor(W).T + torch.tensor(mu), sigma2**0.5), 1)
    prior = Independent(Normal(torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)), 1)
    draws = likelihood.log_prob(torch.tensor(x))  # (S, N)
    monte_carlo = (draws.mean(0) - kl_divergence(q, prior)).numpy()
    stderr = (draws.std(0) / np.sqrt(len(draws))).numpy()
    ours = vem.linear_elbo(x, W, mu, sigma2, q_mean, q_std)
    assert ours.shape == (len(x),)
    assert np.all(np.abs(ours - monte_carlo) < 5 * stderr)


def test_elbo_is_the_likelihood_at_the_exact_posterior_when_it_is_diagonal():
    x, W, mu, sigma2 = _model(2)
    W = np.linalg.qr(W)[0] * np.array([2.0, 1.0])  # orthogonal columns: W'W diagonal, so is the posterior
    mean, cov = vem.ppca_posterior(x, W, mu, sigma2)
    exact = multivariate_normal(mu, W @ W.T + sigma2 * np.eye(5)).logpdf(x)
    np.testing.assert_allclose(vem.linear_elbo(x, W, mu, sigma2, mean, np.sqrt(np.diag(cov))), exact, rtol=1e-10)


def test_posterior_is_bayes_rule_on_the_joint_gaussian():
    x, W, mu, sigma2 = _model(3)
    mean, cov = vem.ppca_posterior(x, W, mu, sigma2)
    C = W @ W.T + sigma2 * np.eye(5)  # joint Gaussian of (z, x): cov(z, x) = W'
    np.testing.assert_allclose(mean, (W.T @ np.linalg.solve(C, (x - mu).T)).T, atol=1e-10)
    np.testing.assert_allclose(cov, np.eye(2) - W.T @ np.linalg.solve(C, W), atol=1e-10)


def test_best_diagonal_q_maximises_the_elbo_of_each_row():
    x, W, mu, sigma2 = _model(4, n_obs=3)
    best_mean, best_std = vem.best_diagonal_q(x, W, mu, sigma2)
    for i in range(len(x)):
        def loss(p):
            return -vem.linear_elbo(x[i:i + 1], W, mu, sigma2, p[None, :2], np.exp(p[2:]))[0]
        found = minimize(loss, np.zeros(4), method="BFGS").x
        np.testing.assert_allclose(found[:2], best_mean[i], atol=1e-4)
        np.testing.assert_allclose(np.exp(found[2:]), best_std, atol=1e-4)


def test_gaps_are_nonnegative_and_add_up():
    x, W, mu, sigma2 = _model(5)
    rng = np.random.default_rng(0)
    best_mean, best_std = vem.best_diagonal_q(x, W, mu, sigma2)
    gaps = vem.inference_gaps(x, W, mu, sigma2, best_mean + 0.1 * rng.normal(size=best_mean.shape), 1.2 * best_std)
    exact = multivariate_normal(mu, W @ W.T + sigma2 * np.eye(5)).logpdf(x).mean()
    assert gaps["log_likelihood"] == pytest.approx(exact, rel=1e-10)
    assert gaps["approximation_gap"] > 1e-3  # W'W is not diagonal: the diagonal family misses
    assert gaps["amortisation_gap"] > 1e-3   # a perturbed q is worse than the best one
    assert gaps["approximation_gap"] + gaps["amortisation_gap"] == pytest.approx(exact - gaps["elbo"], rel=1e-10)


def test_variational_em_climbs_to_the_ppca_maximum():
    x, _, _, _ = _model(6, n_obs=300, n=6)
    result = vem.variational_em(x, 2, n_iter=300)
    assert np.all(np.diff(result["elbo"]) > -1e-9)  # EM never decreases its objective
    assert result["elbo"][-1] == pytest.approx(vae.ppca(x, 2).log_likelihood(x), abs=1e-3)


def _gaussian_case(seed=0):
    """f(z) = log N(x; W z + mu, sigma2 I), whose expectation under q is known in closed form."""
    rng = np.random.default_rng(seed)
    W, mu, x = (torch.tensor(rng.normal(size=s)) for s in [(4, 2), 4, 4])
    sigma2 = torch.tensor(0.5 + rng.uniform())
    mean = torch.tensor([0.3, -0.5], dtype=torch.float64, requires_grad=True)
    log_std = torch.tensor([-0.2, 0.1], dtype=torch.float64, requires_grad=True)

    def f(z):
        return Independent(Normal(z @ W.T + mu, sigma2.sqrt()), 1).log_prob(x)

    # E_q f = -(||x - mu - W mean||^2 + sum_j (W'W)_jj std_j^2) / (2 sigma2) - (n/2) log(2 pi sigma2)
    expected = (-(((x - mu - W @ mean) ** 2).sum() + ((W**2).sum(0) * torch.exp(2 * log_std)).sum()) / (2 * sigma2)
                - 2 * torch.log(2 * torch.pi * sigma2))
    exact = torch.cat(torch.autograd.grad(expected, [mean, log_std])).numpy()
    return f, mean.detach(), torch.exp(log_std).detach(), exact


@pytest.mark.parametrize("estimator", [vem.score_function_gradient, vem.reparametrised_gradient])
def test_both_estimators_are_unbiased(estimator):
    f, mean, std, exact = _gaussian_case()
    draws = estimator(f, mean, std, n_draws=200000, seed=1)
    assert draws.shape == (200000, 4)
    stderr = draws.std(0) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(0) - exact) < 5 * stderr + 1e-12)


def test_baseline_keeps_the_mean_and_reparametrisation_has_the_lowest_variance():
    f, mean, std, exact = _gaussian_case(1)
    plain = vem.score_function_gradient(f, mean, std, n_draws=100000)
    with_baseline = vem.score_function_gradient(f, mean, std, n_draws=100000, baseline=float(f(mean[None])))
    reparametrised = vem.reparametrised_gradient(f, mean, std, n_draws=100000)
    stderr = with_baseline.std(0) / np.sqrt(len(with_baseline))
    assert np.all(np.abs(with_baseline.mean(0) - exact) < 5 * stderr)
    assert np.all(reparametrised.var(0) < with_baseline.var(0)) and np.all(with_baseline.var(0) < plain.var(0))


def test_inputs_are_checked():
    x, W, mu, sigma2 = _model()
    f = lambda z: z.sum(1)  # noqa: E731
    with pytest.raises(ValueError, match="sigma2"):
        vem.linear_elbo(x, W, mu, 0.0, np.zeros((len(x), 2)), np.ones(2))
    with pytest.raises(ValueError, match="W must have shape"):
        vem.ppca_posterior(x, W.T, mu, sigma2)
    with pytest.raises(ValueError, match="q_std"):
        vem.linear_elbo(x, W, mu, sigma2, np.zeros((len(x), 2)), -np.ones(2))
    with pytest.raises(ValueError, match="latent_dim"):
        vem.variational_em(x, 5)
    with pytest.raises(ValueError, match="n_draws"):
        vem.reparametrised_gradient(f, torch.zeros(2), torch.ones(2), n_draws=1)
    with pytest.raises(ValueError, match="std"):
        vem.score_function_gradient(f, torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="shape \\(S,\\)"):
        vem.score_function_gradient(lambda z: z, torch.zeros(2), torch.ones(2))


def test_figures_are_described_and_check_their_inputs():
    from course_lib import plotting
    from course_lib import variational_em_figures as figures

    f, mean, std, _ = _gaussian_case()
    estimates = {"score function": vem.score_function_gradient(f, mean, std, n_draws=500),
                 "reparametrised": vem.reparametrised_gradient(f, mean, std, n_draws=500)}
    for fig in (figures.plot_gradient_draws(estimates, component=1),
                figures.plot_em_history([-3.0, -2.0, -1.5], -1.4)):
        assert plotting.UNLABELLED not in plotting.describe_figure(fig)
    with pytest.raises(ValueError, match="component"):
        figures.plot_gradient_draws(estimates, component=4)
    with pytest.raises(ValueError, match="1-D"):
        figures.plot_em_history(np.zeros((2, 2)), 0.0)
