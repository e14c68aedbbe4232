"""Tests of course_lib.counts against independent answers: scipy, torch.distributions, autograd."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Poisson

from course_lib import counts, vae


def _grid():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, size=200).astype(float)
    mean = rng.uniform(0.01, 80.0, size=200)
    dispersion = rng.uniform(0.05, 200.0, size=200)
    return x, mean, dispersion


def test_negative_binomial_equals_scipy_in_float64():
    x, mean, dispersion = _grid()
    got = vae.negative_binomial_log_prob(torch.tensor(x), torch.tensor(mean), torch.tensor(dispersion))
    expected = stats.nbinom.logpmf(x, n=dispersion, p=dispersion / (dispersion + mean))
    assert got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-10)


def test_negative_binomial_zero_and_large_counts_are_finite_and_right():
    x = torch.tensor([0.0, 0.0, 1e4, 1e6, 3e6], dtype=torch.float64)
    mean = torch.tensor([1e-6, 500.0, 1e4, 1e6, 10.0], dtype=torch.float64)
    dispersion = torch.tensor([0.1, 3.0, 2.0, 50.0, 0.5], dtype=torch.float64)
    got = counts.negative_binomial_log_prob(x, mean, dispersion)
    assert torch.isfinite(got).all()
    expected = stats.nbinom.logpmf(x.numpy(), n=dispersion.numpy(), p=(dispersion / (dispersion + mean)).numpy())
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    # x = 0: log P(0) = theta log(theta / (theta + mu)), exactly
    np.testing.assert_allclose(got[:2].numpy(), (dispersion * torch.log(dispersion / (dispersion + mean)))[:2].numpy())


def test_negative_binomial_broadcasts_like_torch_and_tends_to_the_poisson():
    x = torch.arange(12.0, dtype=torch.float64).reshape(3, 4)
    mean = torch.tensor([0.5, 1.0, 4.0, 9.0], dtype=torch.float64)
    dispersion = torch.tensor(2.0, dtype=torch.float64)
    got = counts.negative_binomial_log_prob(x, mean, dispersion)
    assert got.shape == (3, 4)
    np.testing.assert_allclose(got[1].numpy(), counts.negative_binomial_log_prob(x[1], mean, dispersion).numpy())
    # theta = 1e7: the NB differs from the Poisson by O(x^2 / theta) = 1e-5 here
    near_poisson = counts.negative_binomial_log_prob(x, mean, torch.tensor(1e7, dtype=torch.float64))
    np.testing.assert_allclose(near_poisson.numpy(), Poisson(mean).log_prob(x).numpy(), atol=1e-4)
    assert not np.allclose(counts.negative_binomial_log_prob(x, mean, dispersion).numpy(),
                           Poisson(mean).log_prob(x).numpy(), atol=1e-2)


def test_negative_binomial_sums_to_one_with_the_stated_moments():
    k = torch.arange(0.0, 3000.0, dtype=torch.float64)
    mean, dispersion = 7.0, 0.8
    p = torch.exp(counts.negative_binomial_log_prob(k, torch.tensor(mean, dtype=torch.float64),
                                                     torch.tensor(dispersion, dtype=torch.float64)))
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-9)
    assert float((k * p).sum()) == pytest.approx(mean, rel=1e-8)
    variance = float((k**2 * p).sum()) - mean**2
    assert variance == pytest.approx(mean + mean**2 / dispersion, rel=1e-7)


def test_poisson_equals_torch_distributions():
    x, mean, _ = _grid()
    got = counts.poisson_log_prob(torch.tensor(x), torch.tensor(mean))
    np.testing.assert_allclose(got.numpy(), Poisson(torch.tensor(mean)).log_prob(torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("x, mean, dispersion, word", [
    ([1.0, -1.0], [1.0, 1.0], 1.0, "x \\(counts\\) must be >= 0"),
    ([1.0, 2.5], [1.0, 1.0], 1.0, "x \\(counts\\) must be whole numbers"),
    ([1.0, float("nan")], [1.0, 1.0], 1.0, "x \\(counts\\) contains NaN"),
    ([1.0, 2.0], [1.0, 0.0], 1.0, "mean .* must be finite and > 0"),
    ([1.0, 2.0], [1.0, -2.0], 1.0, "mean"),
    ([1.0, 2.0], [1.0, 1.0], 0.0, "dispersion .* must be finite and > 0"),
    ([1.0, 2.0], [1.0, 1.0], -3.0, "dispersion"),
])
def test_negative_binomial_refuses_bad_inputs_naming_them(x, mean, dispersion, word):
    with pytest.raises(ValueError, match=word):
        vae.negative_binomial_log_prob(torch.tensor(x), torch.tensor(mean), torch.tensor(dispersion))


def test_poisson_refuses_a_non_positive_rate():
    with pytest.raises(ValueError, match="rate"):
        counts.poisson_log_prob(torch.tensor([1.0]), torch.tensor([0.0]))


@pytest.mark.parametrize("first", ["course_lib.counts", "course_lib.vae", "course_lib.checks"])
def test_no_circular_import_whichever_module_comes_first(first):
    code = (f"import {first}; from course_lib.vae import negative_binomial_log_prob; "
            "from course_lib.counts import CountVAE")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_counts_imports_no_matplotlib():
    code = "import sys, course_lib.counts; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_log_normalize_matches_its_formula_for_arrays_and_tensors():
    x = np.array([[0, 1, 3], [2, 2, 0]])
    expected = np.log1p(1e4 * x / x.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(counts.log_normalize(x), expected)
    np.testing.assert_allclose(counts.log_normalize(torch.tensor(x, dtype=torch.float64)).numpy(), expected)
    with pytest.raises(ValueError, match="at least one count"):
        counts.log_normalize(np.array([[0, 0], [1, 2]]))
    with pytest.raises(ValueError, match="target_sum"):
        counts.log_normalize(x, target_sum=0)


def _small_counts(seed=0, n_obs=40, n_genes=12):
    rng = np.random.default_rng(seed)
    return rng.poisson(rng.uniform(0.5, 5.0, n_genes), size=(n_obs, n_genes)) + np.eye(n_obs, n_genes, dtype=int)


@pytest.mark.parametrize("likelihood", counts.LIKELIHOODS)
def test_count_vae_elbo_terms_match_an_independent_computation(likelihood):
    x = torch.tensor(_small_counts(), dtype=torch.float32)
    model = counts.CountVAE(12, 2, likelihood, hidden=(8,), seed=1)
    model.start_from(x)
    xi = torch.randn((3, len(x), 2), generator=torch.Generator().manual_seed(0))
    reconstruction, kl = model.elbo_terms(x, xi)
    # the same terms, from torch.distributions and the lecture's formulas
    normalised = (torch.log1p(1e4 * x / x.sum(1, keepdim=True)) - model.input_mean) / model.input_std
    hidden = model.shared_layers(normalised)
    z_mean, z_std = model.z_mean_head(hidden), torch.exp(0.5 * model.z_logvar_head(hidden))
    z = z_mean + z_std * xi
    mu = x.sum(1, keepdim=True) * torch.softmax(model.decoder(z.reshape(-1, 2)).reshape(3, len(x), 12), -1)
    if likelihood == "poisson":
        log_px = Poisson(mu).log_prob(x).sum(-1)
    else:
        theta = torch.exp(model.log_dispersion)
        # torch's NegativeBinomial(total_count=theta, logits) has mean theta exp(logits)
        nb = torch.distributions.NegativeBinomial(total_count=theta, logits=torch.log(mu) - torch.log(theta))
        log_px = nb.log_prob(x).sum(-1)
    kl_expected = torch.distributions.kl_divergence(torch.distributions.Normal(z_mean, z_std),
                                                    torch.distributions.Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(reconstruction, log_px.mean(0), rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(kl, kl_expected, rtol=1e-4, atol=1e-5)


def test_start_from_sets_the_average_cell():
    x = _small_counts()
    model = counts.CountVAE(12, 2, "poisson", hidden=(8,), seed=0)
    model.start_from(x)
    share = torch.softmax(model.decoder.layers[-1].bias.detach(), 0).numpy()
    np.testing.assert_allclose(share, (x.sum(0) + 0.5) / (x.sum() + 0.5 * 12), rtol=1e-5)  # +1/2 per gene
    np.testing.assert_allclose(model.input_mean.numpy(), counts.log_normalize(x).mean(0), rtol=1e-5)


def test_training_raises_the_heldout_elbo_and_the_nb_fits_overdispersed_counts_better():
    rng = np.random.default_rng(3)
    n_obs, n_genes = 300, 20
    cell_type = rng.integers(0, 2, n_obs)
    profile = rng.uniform(0.2, 6.0, size=(2, n_genes))
    mean = profile[cell_type] * rng.uniform(0.5, 1.5, size=(n_obs, 1))
    x = rng.negative_binomial(0.7, 0.7 / (0.7 + mean)) + (np.arange(n_genes) == 0)  # theta = 0.7
    train, test = x[:200], x[200:]
    elbo = {}
    for likelihood in counts.LIKELIHOODS:
        model = counts.CountVAE(n_genes, 2, likelihood, hidden=(16,), seed=0)
        model.start_from(train)
        before = model.elbo(test, n_samples=20)
        history = counts.fit(model, train, epochs=60, batch_size=50, lr=2e-2)
        elbo[likelihood] = model.elbo(test, n_samples=20)
        assert not history["diverged"] and elbo[likelihood] > before
    assert elbo["negative_binomial"] > elbo["poisson"] + 1.0
    theta = model.dispersion
    assert 0.3 < np.median(theta) < 1.5  # the true theta is 0.7


def test_zero_probability_matches_the_formulas():
    x = _small_counts()
    for likelihood in counts.LIKELIHOODS:
        model = counts.CountVAE(12, 2, likelihood, hidden=(8,), seed=0)
        model.start_from(x)
        mu = model.reconstruct(x)
        p0 = model.zero_probability(x)
        expected = np.exp(-mu) if likelihood == "poisson" else (1 / (1 + mu)) ** 1.0  # theta = 1 at start
        np.testing.assert_allclose(p0, expected, rtol=1e-5)


def test_count_vae_refuses_bad_inputs():
    with pytest.raises(ValueError, match="likelihood"):
        counts.CountVAE(5, 2, "gaussian")
    model = counts.CountVAE(5, 2, "poisson", hidden=(4,))
    with pytest.raises(ValueError, match="no count"):
        model.elbo(np.array([[0, 0, 0, 0, 0], [1, 0, 0, 0, 0]]))
    with pytest.raises(ValueError, match="whole numbers"):
        model.elbo(np.full((2, 5), 0.5))
    with pytest.raises(ValueError, match="shape"):
        model.elbo(np.ones((2, 4)))
    with pytest.raises(ValueError, match="dispersion"):
        model.dispersion
    with pytest.raises(ValueError, match="CountVAE"):
        counts.fit(vae.VAE(5, 2), np.ones((3, 5)))
    with pytest.raises(ValueError, match="CountsSettings"):
        counts.fit_decoders(np.ones((3, 5)), np.ones((3, 5)), 2, settings={})


def test_count_summary_and_figures():
    import matplotlib

    matplotlib.use("Agg")
    from course_lib import counts_figures as cf
    from course_lib.plotting import UNLABELLED, describe_figure

    x = _small_counts()
    summary = cf.count_summary(x)
    assert summary["zero_fraction"] == pytest.approx(np.mean(x == 0))
    np.testing.assert_allclose(summary["variance"], np.var(x, axis=0))
    np.testing.assert_allclose(summary["binned"], [np.mean(x == 0), np.mean(x == 1), np.mean(x == 2),
                                                   np.mean((x >= 3) & (x <= 9)), np.mean(x >= 10)])
    figures = [cf.plot_counts(summary),
               cf.plot_latent_maps({"a": x[:, :2], "b": x[:, 2:4]}, np.arange(40) % 3, ["u", "v", "w"])]
    for fig in figures:
        assert UNLABELLED not in describe_figure(fig)
    with pytest.raises(ValueError, match="count_summary"):
        cf.plot_counts({"mean": 1})
    with pytest.raises(ValueError, match="2 columns"):
        cf.plot_latent_maps({"a": x[:, :3]}, np.zeros(40, int), ["u"])
    with pytest.raises(ValueError, match=">= 0"):
        cf.count_summary(-x)
    # k-NN accuracy: two far-apart clusters are recovered exactly, and swapped labels never
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 2
    z = rng.normal(size=(40, 2)) + 10.0 * labels[:, None]
    assert cf.type_accuracy(z[:30], labels[:30], z[30:], labels[30:], 3) == 1.0
    assert cf.type_accuracy(z[:30], labels[:30], z[30:], 1 - labels[30:], 3) == 0.0
    predicted = cf.type_predictions(z[:30], labels[:30], z[30:], 3)
    assert np.mean(predicted == labels[30:]) == cf.type_accuracy(z[:30], labels[:30], z[30:], labels[30:], 3)


def test_mcnemar_p_against_the_binomial_by_hand():
    from course_lib import counts_figures as cf

    # 1 cell right only for A, 5 right only for B, 4 right for both: p = 2 (1 + 6) / 2^6
    a = np.array([1, 0, 0, 0, 0, 0, 1, 1, 1, 1], bool)
    b = np.array([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], bool)
    assert cf.mcnemar_p(a, b) == pytest.approx(14 / 64)
    assert cf.mcnemar_p(b, a) == pytest.approx(14 / 64)
    assert cf.mcnemar_p(a, a) == 1.0
    with pytest.raises(ValueError, match="same length"):
        cf.mcnemar_p(a, b[:5])
