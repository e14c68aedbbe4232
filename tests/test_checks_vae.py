"""The checks of section 3 (pages 3.1-3.4) accept right answers written independently and
reject typical wrong ones, with the expected hint where there is one."""

import numpy as np
import pytest
import torch
from scipy.stats import rankdata
from torch.distributions import Independent, Normal, kl_divergence

from course_lib import checks


# --- right answers, written as a student would (not the references of course_lib) ------
def nearest_distance(points, reference):
    return np.array([np.min(np.linalg.norm(reference - p, axis=1)) for p in points])


def gaussian_mean_posterior(y, sigma2, prior_var):
    variance = 1.0 / (len(y) / sigma2 + 1.0 / prior_var)
    return np.array([variance * np.sum(y) / sigma2, variance])


def reparametrize_z(z_mean, z_std, xi):
    return torch.addcmul(z_mean, z_std, xi)


def kl_to_standard_normal(z_mean, z_std):
    q = Independent(Normal(z_mean, z_std), 1)
    p = Independent(Normal(torch.zeros_like(z_mean), torch.ones_like(z_std)), 1)
    return kl_divergence(q, p)


def elbo_per_row(x, x_hat, z_mean, z_std, sigma2):
    log_px = Normal(x_hat, sigma2**0.5).log_prob(x).sum(-1)
    return log_px - kl_to_standard_normal(z_mean, z_std)


def toy_elbo(x, w, sigma2, a, s):
    x, a, s = (torch.as_tensor(v, dtype=torch.float64) for v in (x, a, s))
    q = Normal(a, s)
    # E_q log N(x; wZ, sigma2): log N(x; wa, sigma2) minus the variance of wZ under q over 2 sigma2
    expected = Normal(w * a, sigma2**0.5).log_prob(x) - w**2 * s**2 / (2 * sigma2)
    return (expected - kl_divergence(q, Normal(torch.zeros_like(a), torch.ones_like(s)))).numpy()


def optimal_w2(lam, sigma2):
    return np.where(lam > sigma2, lam - sigma2, 0.0)


def ppca_posterior(x, W, mean, sigma2):
    # Bayes on the joint Gaussian of (z, x): cov(z, x) = W', var(x) = C = W W' + sigma2 I
    C = W @ W.T + sigma2 * np.eye(len(W))
    gain = np.linalg.solve(C, W).T  # W' C^{-1}
    return (x - mean) @ gain.T, np.eye(W.shape[1]) - gain @ W


def ppca_covariance(x, latent_dim):
    centred = x - x.mean(0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    lam = np.concatenate([singular**2 / len(x), np.zeros(x.shape[1] - len(singular))])
    sigma2 = lam[latent_dim:].sum() / (x.shape[1] - latent_dim)
    W = vt[:latent_dim].T * np.sqrt(lam[:latent_dim] - sigma2)
    return sigma2, W @ W.T + sigma2 * np.eye(x.shape[1])


def ppca_log_likelihood(x, mean, C):
    chol = np.linalg.cholesky(C)
    u = np.linalg.solve(chol, (x - mean).T)
    return np.mean(-0.5 * (u**2).sum(0) - np.log(np.diag(chol)).sum() - 0.5 * x.shape[1] * np.log(2 * np.pi))


def knn_type_accuracy(z_train, type_train, z_test, type_test, k):
    correct = 0
    for z, t in zip(z_test, type_test):
        nearest = np.argsort(np.linalg.norm(z_train - z, axis=1))[:k]
        values, counts = np.unique(type_train[nearest], return_counts=True)
        correct += values[np.argmax(counts)] == t
    return correct / len(type_test)


def best_rank_correlation(z, time):
    rt = rankdata(time)
    return max(abs(np.corrcoef(rankdata(z[:, j]), rt)[0, 1]) for j in range(z.shape[1]))


RIGHT = {name: globals()[name] for name in checks.vae.__all__}


@pytest.mark.parametrize("name", checks.vae.__all__)
def test_right_answers_pass(name, capsys):
    getattr(checks, name)(RIGHT[name])
    assert capsys.readouterr().out.startswith(f"{name}: correct on")


@pytest.mark.parametrize("name", checks.vae.__all__)
def test_stub_says_not_implemented(name, capsys):
    def stub(*args):
        raise NotImplementedError("write your code here")

    getattr(checks, name)(stub)
    assert "not implemented yet" in capsys.readouterr().out


def _first_row_only(f):
    return lambda *a: f(*a)[:1]


# name -> list of (wrong answer, hint fragment or None); at least three per check
WRONG = {
    "nearest_distance": [
        (lambda p, r: nearest_distance(p, r) ** 2, "squared distance"),
        (lambda p, r: np.array([np.max(np.linalg.norm(r - q, axis=1)) for q in p]), "farthest"),
        (lambda p, r: nearest_distance(p, r).mean(), None),  # wrong shape
    ],
    "gaussian_mean_posterior": [
        (lambda y, s, p: np.array([np.mean(y), 1 / (1 / s + 1 / p)]), "precisions add"),
        (lambda y, s, p: -gaussian_mean_posterior(y, s, p), None),
        (lambda y, s, p: gaussian_mean_posterior(y, s, p)[:1], None),
    ],
    "reparametrize_z": [
        (lambda g, h, xi: g + h**2 * xi, "a variance"),
        (lambda g, h, xi: g - h * xi * 2, None),
        (lambda g, h, xi: (g + h * xi).sum(-1), None),
    ],
    "kl_to_standard_normal": [
        (lambda g, h: -kl_to_standard_normal(g, h), "wrong sign"),
        (lambda g, h: 2 * kl_to_standard_normal(g, h), "1/2"),
        (lambda g, h: kl_to_standard_normal(g, h).sum(), "one number for all rows"),
        (lambda g, h: 0.5 * (g**2 + h**2 - 1 - torch.log(h)).sum(-1), "log h instead"),
    ],
    "elbo_per_row": [
        (lambda x, xh, g, h, s: -((x - xh) ** 2).sum(-1) / (2 * s) - kl_to_standard_normal(g, h), "constant"),
        (lambda *a: -elbo_per_row(*a), "the loss"),
        (lambda x, xh, g, h, s: elbo_per_row(x, xh, g, h, s) + 2 * kl_to_standard_normal(g, h), "the KL is added"),
        (lambda x, xh, g, h, s: elbo_per_row(x, xh, g, h, s ** 0.5), "sigma where"),
    ],
    "toy_elbo": [
        (lambda x, w, s2, a, s: toy_elbo(x, w, s2, a, s) + w**2 * s**2 / (2 * s2), "variance of Z"),
        (lambda x, w, s2, a, s: toy_elbo(x, w, s2, a, s) + 0.5 * np.log(2 * np.pi * s2), "constant"),
        (lambda x, w, s2, a, s: toy_elbo(x, w, s2, a, s ** 0.5), None),
        (lambda x, w, s2, a, s: toy_elbo(x, w, s2 ** 0.5, a, s), "sigma where"),
    ],
    "optimal_w2": [
        (lambda lam, s: lam - s, "cannot be negative"),
        (lambda lam, s: np.sqrt(optimal_w2(lam, s)), "no square root"),
        (lambda lam, s: lam, "subtract it"),
        (lambda lam, s: optimal_w2(lam, s).sum(), None),
    ],
    "ppca_posterior": [
        (lambda x, W, mu, s2: (ppca_posterior(x, W, mu, s2)[0], ppca_posterior(x, W, mu, s2)[1] / s2), "sigma2 M^{-1}"),
        (lambda x, W, mu, s2: ppca_posterior(x, W, np.zeros_like(mu), s2), "centre x"),
        (lambda x, W, mu, s2: ((x - mu) @ W / s2, ppca_posterior(x, W, mu, s2)[1]), "not W'(x - mean) / sigma2"),
        (lambda x, W, mu, s2: ppca_posterior(x, W, mu, s2)[0], None),  # one value instead of two
    ],
    "ppca_covariance": [
        (lambda x, m: (ppca_covariance(x, m)[0] * 2, ppca_covariance(x, m)[1]), None),
        (lambda x, m: ppca_covariance(x * np.sqrt(len(x) / (len(x) - 1)), m), "np.cov divides by N - 1"),
        (lambda x, m: ppca_covariance(x, m)[1], None),  # one value instead of two
    ],
    "ppca_log_likelihood": [
        (lambda x, mu, c: ppca_log_likelihood(x, mu, c) + 0.5 * x.shape[1] * np.log(2 * np.pi), "2 pi"),
        (lambda x, mu, c: len(x) * ppca_log_likelihood(x, mu, c), "the sum over rows"),
        (lambda x, mu, c: -ppca_log_likelihood(x, mu, c), None),
    ],
    "knn_type_accuracy": [
        (lambda *a: 1 - knn_type_accuracy(*a), "error rate"),
        (lambda zt, yt, zs, ys, k: knn_type_accuracy(zs, ys, zs, ys, k), None),
        (lambda zt, yt, zs, ys, k: np.array([knn_type_accuracy(zt, yt, zs, ys, k)] * 2), None),
    ],
    "best_rank_correlation": [
        (lambda z, t: max(abs(np.corrcoef(z[:, j], t)[0, 1]) for j in range(z.shape[1])), "Pearson"),
        (lambda z, t: max(np.corrcoef(rankdata(z[:, j]), rankdata(t))[0, 1] for j in range(z.shape[1])),
         "absolute value"),
        (lambda z, t: np.array([best_rank_correlation(z, t)] * z.shape[1]), None),
    ],
}


@pytest.mark.parametrize("name, k", [(n, k) for n, wrong in WRONG.items() for k in range(len(wrong))])
def test_wrong_answers_fail(name, k):
    wrong, hint = WRONG[name][k]
    with pytest.raises(AssertionError) as error:
        getattr(checks, name)(wrong)
    assert f"{name}: case" in str(error.value)
    if hint is not None:
        assert hint in str(error.value)


def test_every_check_has_three_wrong_answers():
    assert set(WRONG) == set(checks.vae.__all__) | set(checks.ppca.__all__)
    assert all(len(w) >= 3 for w in WRONG.values())
