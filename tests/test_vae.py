"""Tests of course_lib.vae: every formula against an independent answer."""

import math
import warnings

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal
from torch.distributions import Independent, Normal, kl_divergence

from course_lib import core, vae
from course_lib.linear import principal_angles


def ppca_data(n_obs=400, n_features=8, latent_dim=2, noise_std=0.5, seed=0):
    """Data drawn from a pPCA model with a known subspace: returns x and the true W."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(n_features, latent_dim)) * np.linspace(3.0, 1.5, latent_dim)
    x = rng.normal(size=(n_obs, latent_dim)) @ W.T + 1.0 + noise_std * rng.normal(size=(n_obs, n_features))
    return x, W


def set_to_ppca_posterior(model, fitted):
    """Linear VAE with the pPCA decoder and the exact pPCA posterior as encoder.

    Tipping & Bishop (1999): z | x ~ N(M^{-1} W'(x - mean), sigma2 M^{-1}), M = W'W + sigma2 I,
    diagonal here because the closed-form W has orthogonal columns.
    """
    W, sigma2, mean = fitted.W, fitted.sigma2, fitted.mean
    M = W.T @ W + sigma2 * np.eye(W.shape[1])
    assert np.allclose(M, np.diag(np.diag(M)))
    A = np.linalg.solve(M, W.T)
    with torch.no_grad():
        model.z_mean_head.weight.copy_(torch.tensor(A))
        model.z_mean_head.bias.copy_(torch.tensor(-A @ mean))
        model.z_logvar_head.weight.zero_()
        model.z_logvar_head.bias.copy_(torch.tensor(np.log(sigma2 / np.diag(M))))
        model.decoder.layers[0].weight.copy_(torch.tensor(W))
        model.decoder.layers[0].bias.copy_(torch.tensor(mean))
        model.noise_logvar.copy_(torch.tensor(math.log(sigma2)))
    return model


# --------------------------------------------------------------------- formulas
def test_kl_matches_torch_distributions():
    gen = torch.Generator().manual_seed(0)
    z_mean = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    z_std = torch.rand(50, 3, generator=gen, dtype=torch.float64) * 2 + 0.05
    q = Independent(Normal(z_mean, z_std), 1)
    p = Independent(Normal(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)), 1)
    expected = kl_divergence(q, p)
    got = vae.kl_to_standard_normal(z_mean, z_std)
    assert got.shape == (50,)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_kl_matches_monte_carlo():
    gen = torch.Generator().manual_seed(1)
    z_mean, z_std = torch.tensor([[0.5, -1.0]], dtype=torch.float64), torch.tensor([[0.3, 2.0]], dtype=torch.float64)
    z = z_mean + z_std * torch.randn(200_000, 2, generator=gen, dtype=torch.float64)
    log_q = Normal(z_mean, z_std).log_prob(z).sum(-1)
    log_p = Normal(0.0, 1.0).log_prob(z).sum(-1)
    mc = (log_q - log_p).mean()
    stderr = (log_q - log_p).std() / math.sqrt(len(z))
    assert abs(mc - vae.kl_to_standard_normal(z_mean, z_std)[0]) < 4 * stderr


def test_gaussian_log_likelihood_matches_normal_log_prob():
    gen = torch.Generator().manual_seed(2)
    x, x_mean = torch.randn(2, 10, 6, generator=gen, dtype=torch.float64)
    sigma2 = torch.tensor(0.3, dtype=torch.float64)
    expected = Normal(x_mean, sigma2.sqrt()).log_prob(x).sum(-1)
    torch.testing.assert_close(vae.gaussian_log_likelihood(x, x_mean, sigma2), expected)


# --------------------------------------------------------------------- pPCA
def test_ppca_log_likelihood_matches_scipy_and_closed_form():
    x, _ = ppca_data()
    x_test, _ = ppca_data(seed=1)
    fitted = vae.ppca(x, 2)
    assert fitted.W.shape == (8, 2) and fitted.mean.shape == (8,) and isinstance(fitted.sigma2, float)
    C = fitted.W @ fitted.W.T + fitted.sigma2 * np.eye(8)
    for data in (x, x_test):
        expected = multivariate_normal(fitted.mean, C).logpdf(data).mean()
        assert fitted.log_likelihood(data) == pytest.approx(expected, rel=1e-10)
    # on the training data: -1/2 (n log 2 pi + log|C| + tr(C^{-1} S))
    S = np.cov(x.T, bias=True)
    closed = -0.5 * (8 * np.log(2 * np.pi) + np.linalg.slogdet(C)[1] + np.trace(np.linalg.solve(C, S)))
    assert fitted.log_likelihood(x) == pytest.approx(closed, rel=1e-10)


def test_ppca_is_the_maximum_likelihood():
    x, W_true = ppca_data()
    fitted = vae.ppca(x, 2)
    eigenvalues = np.linalg.eigvalsh(np.cov(x.T, bias=True))[::-1]
    assert fitted.sigma2 == pytest.approx(eigenvalues[2:].mean())
    # C reproduces the top-m variances of the data exactly (Tipping & Bishop 1999)
    assert np.allclose(np.linalg.eigvalsh(fitted.covariance)[::-1][:2], eigenvalues[:2])
    assert principal_angles(fitted.W, W_true).max() < 5.0
    best = fitted.log_likelihood(x)
    rng = np.random.default_rng(0)
    for _ in range(5):
        other = vae.PPCA(W=fitted.W + 0.05 * rng.normal(size=fitted.W.shape),
                         sigma2=fitted.sigma2 * rng.uniform(0.8, 1.2), mean=fitted.mean)
        assert other.log_likelihood(x) < best


# --------------------------------------------------------------------- VAE
def test_linear_vae_at_the_ppca_solution_has_exact_elbo_and_likelihood():
    x, _ = ppca_data()
    fitted = vae.ppca(x, 2)
    model = set_to_ppca_posterior(vae.VAE(8, 2, hidden=(), sigma2=None), fitted)
    exact = fitted.log_likelihood(x)
    # q = the true posterior: every importance weight equals p(x), so the estimate is exact
    assert model.log_likelihood(x, n_samples=5) == pytest.approx(exact, abs=1e-3)
    elbo = model.elbo(x, n_samples=200)
    assert abs(elbo - exact) < 0.02  # ELBO = log p(x) - KL(q || posterior) = log p(x)


def test_iwae_is_above_elbo_and_grows_with_k():
    x, _ = ppca_data()
    model = vae.VAE(8, 2, hidden=(16,), sigma2=0.5, seed=3)
    elbo = model.elbo(x, n_samples=100)
    iw_10 = model.log_likelihood(x, n_samples=10)
    iw_500 = model.log_likelihood(x, n_samples=500)
    assert elbo < iw_10 < iw_500


def test_elbo_terms_and_float_dtypes():
    x, _ = ppca_data(n_obs=30)
    model = vae.VAE(8, 3, hidden=(16,), sigma2=0.2)
    out = model.elbo(x, n_samples=4, terms=True)
    # the KL term against torch.distributions, the reconstruction against draws of torch's own
    z_mean, z_std = (torch.tensor(a, dtype=torch.float64) for a in model.transform(x))
    q = Independent(Normal(z_mean, z_std), 1)
    prior = Independent(Normal(torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)), 1)
    assert out["kl"] == pytest.approx(kl_divergence(q, prior).mean().item(), rel=1e-5)
    assert model.kl_per_dimension(x).sum() == pytest.approx(out["kl"], rel=1e-5)
    z = z_mean + z_std * torch.randn(4000, 30, 3, generator=torch.Generator().manual_seed(9),
                                                                      dtype=torch.float64)
    x_hat = torch.tensor(model.decode(z.float()).detach().numpy(), dtype=torch.float64)
    log_px_z = Normal(x_hat, math.sqrt(0.2)).log_prob(torch.tensor(x)).sum(-1)  # (4000, 30)
    draws = (log_px_z + prior.log_prob(z) - q.log_prob(z)).mean(dim=1)  # ELBO with a Monte Carlo KL
    many = model.elbo(x, n_samples=400, seed=3, terms=True)
    stderr = math.hypot(many["mc_stderr"], (draws.std() / math.sqrt(len(draws))).item())
    assert abs(many["elbo"] - draws.mean().item()) < 4 * stderr
    same = [model.elbo(a, n_samples=4) for a in (x.astype(np.float32), torch.tensor(x), torch.tensor(x).float())]
    assert np.allclose(same, out["elbo"], rtol=1e-5)
    # xi = 0: the reconstruction term is log N(x; d(g(x)), sigma2 I), checked against torch
    xt = core.as_tensor(x)
    reconstruction, _ = model.elbo_terms(xt, torch.zeros(1, 30, 3))
    x_hat = torch.tensor(model.reconstruct(x))
    expected = Normal(x_hat, math.sqrt(0.2)).log_prob(xt).sum(-1)
    torch.testing.assert_close(reconstruction.detach(), expected, rtol=1e-5, atol=1e-4)


def test_shared_encoder_shapes_and_sampling():
    model = vae.VAE(10, 3, hidden=(32, 16), sigma2=0.1)
    assert model.shared_layers.sizes == [10, 32, 16]  # g_1 = h_1, then two heads
    assert model.z_mean_head.in_features == 16 == model.z_logvar_head.in_features
    assert model.decoder.sizes == [3, 16, 32, 10]
    z_mean, z_std = model.transform(np.zeros((4, 10)))
    assert z_mean.shape == z_std.shape == (4, 3) and (z_std > 0).all()
    assert model.sample(7, seed=1).shape == (7, 10)
    assert np.array_equal(model.sample(7, seed=1), model.sample(7, seed=1))
    assert not np.array_equal(model.sample(7, seed=1), model.sample(7, seed=2))
    assert "noise_logvar" not in dict(model.named_parameters())
    assert "noise_logvar" in dict(vae.VAE(10, 3, sigma2=None).named_parameters())
    assert float(model.sigma2) == pytest.approx(0.1)


def test_gradients_are_finite_and_match_finite_differences():
    x, _ = ppca_data(n_obs=20)
    model = vae.VAE(8, 2, hidden=(8,), sigma2=None).double()
    xt = torch.tensor(x)
    xi = torch.randn(1, 20, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def elbo_of(weight):
        params = {"z_mean_head.weight": weight}
        reconstruction, kl = torch.func.functional_call(model, params, (xt, xi))
        return (reconstruction - kl).mean()

    weight = model.z_mean_head.weight.detach().clone().requires_grad_(True)
    assert torch.autograd.gradcheck(elbo_of, (weight,))
    model.zero_grad()
    reconstruction, kl = model.elbo_terms(xt, xi)
    (-(reconstruction - kl).mean()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


# --------------------------------------------------------------------- training
def test_fit_linear_vae_reaches_ppca_likelihood_and_subspace():
    x, W_true = ppca_data()
    x = (x - x.mean(0)) / x.std(0)
    fitted = vae.ppca(x, 2)
    model = vae.VAE(8, 2, hidden=(), sigma2=None)
    history = vae.fit(model, x)  # the defaults must get there, and say so
    assert set(history) == {"loss", "elbo", "reconstruction", "kl", "epochs", "converged", "stop_reason",
                            "diverged", "seconds"}
    assert history["converged"] and history["epochs"] == len(history["elbo"]) <= 1000
    # the last epoch's one-draw ELBO (lr is ~0 by then) is an estimate of the final model's ELBO
    final = model.elbo(x, n_samples=200, terms=True)
    one_draw_stderr = final["mc_stderr"] * math.sqrt(200)
    assert abs(history["elbo"][-1] - final["elbo"]) < 5 * one_draw_stderr
    gap = fitted.log_likelihood(x) - model.elbo(x, n_samples=200)
    assert -0.01 < gap < 0.05
    assert float(model.sigma2) == pytest.approx(fitted.sigma2, rel=0.02)
    assert principal_angles(model.decoder.layers[0].weight.detach().numpy(), fitted.W).max() < 3.0


def test_fit_is_deterministic_and_minibatches_work():
    x, _ = ppca_data(n_obs=100)
    runs = []
    for _ in range(2):
        model = vae.VAE(8, 2, hidden=(8,), seed=5)
        runs.append(vae.fit(model, x, epochs=5, lr=1e-2, batch_size=32, seed=7, tol=None)["elbo"])
    assert runs[0] == runs[1] and len(runs[0]) == 5
    other = vae.fit(vae.VAE(8, 2, hidden=(8,), seed=5), x, epochs=5, lr=1e-2, batch_size=32, seed=8, tol=None)
    assert other["elbo"] != runs[0]
    assert runs[0][-1] > runs[0][0]  # the ELBO is maximised


def test_divergence_is_flagged_not_raised():
    x, _ = ppca_data(n_obs=50)
    model = vae.VAE(8, 2, hidden=(8,), sigma2=1e-6)
    with pytest.warns(UserWarning, match="vae.fit diverged"):
        history = vae.fit(model, x * 1e3, epochs=50, lr=1e3)
    assert history["diverged"] and not history["converged"] and not math.isfinite(history["elbo"][-1])


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_features=5, latent_dim=0), "latent_dim must be an integer m with 1 <= m < n"),
        (dict(n_features=5, latent_dim=5), "1 <= m < n = 5, got 5"),
        (dict(n_features=5, latent_dim=2, sigma2=0.0), r"sigma2 must be > 0 \(a variance"),
        (dict(n_features=5, latent_dim=2, sigma2=-1.0), "sigma2"),
        (dict(n_features=5, latent_dim=2, hidden=(0,)), "each hidden size must be an integer >= 1"),
    ],
)
def test_vae_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        vae.VAE(**kwargs)


def test_bad_data_is_rejected():
    model = vae.VAE(4, 2)
    good = np.zeros((10, 4))
    with pytest.raises(ValueError, match="NaN"):
        vae.fit(model, np.full((10, 4), np.nan))
    with pytest.raises(ValueError, match="n = 4 columns"):
        model.elbo(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="2-D"):
        model.log_likelihood(np.zeros(4))
    with pytest.raises(ValueError, match="lr must be > 0"):
        vae.fit(model, good, lr=-0.1)
    with pytest.raises(ValueError, match="batch_size"):
        vae.fit(model, good, batch_size=11)
    with pytest.raises(ValueError, match="n_samples"):
        model.elbo(good, n_samples=0)
    with pytest.raises(TypeError, match="course_lib.vae.VAE"):
        vae.fit(torch.nn.Linear(4, 4), good)
    with pytest.raises(ValueError, match="latent_dim"):
        vae.ppca(good, 4)
    with pytest.raises(ValueError, match="NaN"):
        vae.ppca(np.array([[np.nan, 1.0, 2.0]] * 5), 1)
    with pytest.raises(ValueError, match="3 columns"):
        vae.ppca(np.random.default_rng(0).normal(size=(20, 3)), 1).log_likelihood(good)


# --------------------------------------------------------------------- figures and explorers
from matplotlib.figure import Figure  # noqa: E402

from course_lib import vae_explorers as ve  # noqa: E402


def test_image_grid_places_each_image():
    images = np.arange(5 * 4, dtype=float).reshape(5, 4)
    grid = ve.image_grid(images, n_cols=3, shape=(2, 2))
    assert grid.shape == (2 * 2 + 1, 3 * 2 + 2)
    np.testing.assert_array_equal(grid[3:5, 3:5], images[4].reshape(2, 2))  # row 1, column 1
    assert np.isnan(grid[2]).all() and np.isnan(grid[3:, 6:]).all()
    with pytest.raises(ValueError, match="shape"):
        ve.image_grid(images, 3, shape=(3, 3))


def test_linear_model_predicts_collapse_where_variance_is_below_sigma2():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)) * np.sqrt([4.0, 2.0, 0.5, 0.3, 0.2, 0.2])
    assert ve.linear_active_dimensions(x, sigma2=1.0, latent_dim=4) == 2
    assert ve.linear_active_dimensions(x, sigma2=0.1, latent_dim=4) == 4
    model = vae.VAE(6, 4, hidden=(), sigma2=1.0)  # a linear VAE with sigma2 fixed
    vae.fit(model, x, epochs=400, lr=5e-2)
    kl = model.kl_per_dimension(x)
    assert ve.active_dimensions(kl) == 2, kl  # what the training actually did


@pytest.mark.filterwarnings("ignore:vae.fit not converged")  # 5-epoch fits: shapes only
def test_explorer_frames_compute_and_draw():
    x, _ = ppca_data(n_obs=60, n_features=64, latent_dim=3, noise_std=0.1)
    x = (x - x.min()) / (x.max() - x.min())
    result = ve.sigma2_frame(0.1, x[:40], x[40:], latent_dim=3, hidden=(8,), epochs=5)
    assert result["kl_per_dimension"].shape == (3,) and result["reconstructions"].shape == (16, 64)
    np.testing.assert_array_equal(result["reconstructions"][:4], x[40:44])  # originals, then their reconstructions
    assert result["samples"].shape == (16, 64)
    fig = Figure()
    ve.draw_sigma2_frame(fig, result, sigma2=0.1)
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    result = ve.latent_dim_frame(2, x[:40], x[40:], hidden=(8,), epochs=5)
    assert result["ppca"] == pytest.approx(vae.ppca(x[:40], 2).log_likelihood(x[40:]))
    explorer = ve.make_latent_dim_explorer(x[:40], x[40:], grid=(1, 2))
    assert [p.name for p in explorer.params] == ["latent_dim"]
    assert explorer.render(latent_dim=1)[:4] == b"\x89PNG"
    explorer = ve.make_sigma2_explorer(x[:40], x[40:], latent_dim=2, grid=(0.1, 1.0))
    assert explorer.params[0].scale == "log" and explorer.params[0].default == 0.1


def test_sigma2_frame_is_vae_fit_with_the_same_settings():
    """The explorer's frame reports the model that vae.fit trains with the frame's settings."""
    x, _ = ppca_data(n_obs=60, n_features=64, latent_dim=3, noise_std=0.1)
    x = (x - x.min()) / (x.max() - x.min())
    settings = dict(epochs=40, lr=0.02, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the same warning, if any, in both runs
        result = ve.sigma2_frame(0.1, x[:40], x[40:], latent_dim=3, hidden=(8,), **settings)
        model = vae.VAE(64, 3, hidden=(8,), sigma2=0.1, seed=settings["seed"])
        vae.fit(model, x[:40], **settings)
    terms = model.elbo(x[40:], n_samples=10, terms=True)
    for key in ("elbo", "reconstruction", "kl"):
        assert result[key] == terms[key]
    np.testing.assert_array_equal(result["samples"], model.sample(16, seed=settings["seed"]))
    np.testing.assert_array_equal(result["reconstructions"][4:8], model.reconstruct(x[40:44]))


def test_elbo_standard_error_matches_the_spread_over_seeds():
    """mc_stderr, computed from the draws within one call, predicts how the estimate varies with the seed."""
    x, _ = ppca_data(n_obs=40)
    model = vae.VAE(8, 2, hidden=(8,), sigma2=0.3, seed=2)
    estimates = [model.elbo(x, n_samples=8, seed=seed, terms=True) for seed in range(200)]
    spread = np.std([e["elbo"] for e in estimates], ddof=1)
    stderr = np.mean([e["mc_stderr"] for e in estimates])
    assert 0.8 < spread / stderr < 1.25  # 200 seeds: the sample std is within ~10 % of the truth
    assert math.isnan(model.elbo(x, n_samples=1, terms=True)["mc_stderr"])


def test_match_columns_undoes_a_signed_permutation():
    rng = np.random.default_rng(4)
    W_ref = rng.normal(size=(10, 4))
    order, signs = np.array([2, 0, 3, 1]), np.array([1.0, -1.0, -1.0, 1.0])
    W = W_ref[:, order] * signs * np.array([2.0, 0.5, 1.0, 3.0]) + 0.01 * rng.normal(size=(10, 4))
    matched, cosines = ve.match_columns(W, W_ref)
    cos_ref = np.abs(np.sum(matched * W_ref, axis=0)) / np.linalg.norm(matched, axis=0) / np.linalg.norm(W_ref, axis=0)
    assert np.all(np.sum(matched * W_ref, axis=0) > 0)  # every column faces its reference
    np.testing.assert_allclose(cosines, cos_ref, rtol=1e-12)
    assert cosines.min() > 0.99
    np.testing.assert_allclose(matched / np.linalg.norm(matched, axis=0),
                               W_ref / np.linalg.norm(W_ref, axis=0), atol=0.02)
    with pytest.raises(ValueError, match="same shape"):
        ve.match_columns(W[:, :3], W_ref)


def test_plots_return_labelled_figures():
    x, _ = ppca_data(n_obs=30, n_features=64, latent_dim=2)
    model = vae.VAE(64, 2, hidden=(8,))
    history = vae.fit(model, x, epochs=3, tol=None)
    fig = ve.plot_history(history, reference=-10.0, reference_label="exact")
    assert len(fig.axes) == 3 and all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    fig = ve.plot_digits(model, x, labels=np.arange(30) % 10)
    assert fig.axes[2].get_xlabel().startswith("$z_1$")
    fig = ve.plot_interpolation(model, x[0], x[1], n_steps=5)
    shown = np.asarray(fig.axes[0].get_images()[0].get_array())
    z_a, z_b = model.transform(x[:2])[0]
    middle = model.decode(torch.tensor(0.5 * (z_a + z_b))[None].float()).detach().numpy()
    expected = ve.image_grid(np.vstack([x[0], model.reconstruct(x[:1]), x[1:2] * np.nan, middle,
                                        x[1:2] * np.nan, model.reconstruct(x[1:2]), x[1]]), 7)
    known = ~np.isnan(expected)  # data at both ends, d(g(a)), the midpoint and d(g(b))
    np.testing.assert_allclose(shown[known], expected[known], rtol=1e-5, atol=1e-6)


def test_latent_scores_know_structure_from_noise():
    rng = np.random.default_rng(0)
    cell_type, time = rng.integers(0, 3, 300), rng.uniform(0, 1, 300)
    informative = np.column_stack([cell_type * 5.0, time]) + 0.01 * rng.normal(size=(300, 2))
    noise = rng.normal(size=(300, 2))
    train, test = (cell_type[:200], time[:200]), (cell_type[200:], time[200:])
    good = ve.latent_scores(informative[:200], informative[200:], train, test)
    bad = ve.latent_scores(noise[:200], noise[200:], train, test)
    assert good["type_accuracy"] == 1.0 and good["time_r2"] > 0.95
    assert bad["type_accuracy"] < 0.5 and bad["time_r2"] < 0.2
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])  # invariant to a rotation of Z
    rotated = ve.latent_scores(informative[:200] @ rotation, informative[200:] @ rotation, train, test)
    assert rotated == pytest.approx(good)


def test_biology_plots():
    from course_lib import data

    cells = data.simulated_cells(n_cells=60, n_genes=12)
    assert ve.plot_expression(cells).axes[0].get_xlabel().startswith("cells")
    fig = ve.plot_latent_biology({"PCA": cells.x[:, :2], "VAE": cells.x[:, 2:4]}, cells.y, cells.time, cells.target_labels)
    assert len(fig.axes) == 5  # 2 x 2 panels and a colour bar


def test_nearest_distance_and_holes():
    rng = np.random.default_rng(0)
    points, reference = rng.normal(size=(7, 3)), rng.normal(size=(11, 3))
    brute = np.array([min(np.linalg.norm(p - r) for r in reference) for p in points])
    np.testing.assert_allclose(ve.nearest_distance(points, reference), brute, rtol=1e-10)
    train, test = rng.uniform(0, 1, size=(500, 2)), rng.uniform(0, 1, size=(200, 2))
    assert ve.fraction_in_holes(test, train, test) == pytest.approx(0.05, abs=0.006)
    assert ve.fraction_in_holes(train + 5.0, train, test) == 1.0  # far from every code
    fig = ve.plot_random_codes(train, np.arange(500) % 10, test[:16], rng.uniform(size=(16, 64)), "codes")
    assert fig.axes[0].get_xlabel() == "$z_1$"


def test_learn_sigma2_starts_from_the_given_value():
    model = vae.VAE(6, 2, sigma2=np.float32(0.05), learn_sigma2=True)
    assert model.sigma2 == pytest.approx(0.05) and model.learn_sigma2
    assert "noise_logvar" in dict(model.named_parameters())
    x, _ = ppca_data(n_obs=50, n_features=6)
    vae.fit(model, x, epochs=20, lr=0.05, tol=None)
    assert model.sigma2 != pytest.approx(0.05)  # it moved
    with pytest.raises(ValueError, match="sigma2"):
        vae.VAE(6, 2, sigma2=True)
