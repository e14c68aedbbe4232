"""The VAE explorers: batched training equals one fit per model, and the frames of the grids."""

import inspect

import numpy as np
import pytest
from matplotlib.figure import Figure

from course_lib import data, vae, vae_batch, vae_explorers as ve


def _fit_alone(model, x, epochs, lr, seed=0):
    """vae.fit with a fixed number of epochs (the shared loop's convergence criterion off)."""
    fixed = {"tol": None} if "tol" in inspect.signature(vae.fit).parameters else {}
    return vae.fit(model, x, epochs=epochs, lr=lr, seed=seed, **fixed)


@pytest.fixture(scope="module")
def digits():
    x = data.digits().x
    return x[:120], x[120:180]


def _largest_difference(a, b):
    return max((p - q).abs().max().item() for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_batched_training_equals_one_fit_per_sigma2(digits):
    x, _ = digits
    sigma2s = (0.01, 0.1, 1.0)
    alone = [vae.VAE(64, 3, hidden=(8,), sigma2=s, seed=1) for s in sigma2s]
    histories = [_fit_alone(m, x, epochs=30, lr=0.02, seed=2) for m in alone]
    together = [vae.VAE(64, 3, hidden=(8,), sigma2=s, seed=1) for s in sigma2s]
    batched = vae_batch.fit_together(together, x, epochs=30, lr=0.02, seed=2)
    for a, b, h, hb in zip(alone, together, histories, batched):
        assert _largest_difference(a, b) < 1e-4  # float32: the sums are ordered differently
        np.testing.assert_allclose(hb["elbo"], h["elbo"], rtol=1e-4, atol=1e-3)
    assert _largest_difference(together[0], together[2]) > 1e-2  # the models did differ


def test_batched_training_equals_one_fit_per_latent_dim_with_learned_sigma2(digits):
    x, _ = digits
    dims = (1, 2, 5)
    alone = [vae.VAE(64, m, hidden=(8,), sigma2=0.05, learn_sigma2=True, seed=0) for m in dims]
    for m in alone:
        _fit_alone(m, x, epochs=20, lr=0.02)
    together = [vae.VAE(64, m, hidden=(8,), sigma2=0.05, learn_sigma2=True, seed=0) for m in dims]
    vae_batch.fit_together(together, x, epochs=20, lr=0.02)
    for a, b in zip(alone, together):
        assert _largest_difference(a, b) < 1e-4  # the smaller m were embedded in m = 5, unharmed
        assert a.sigma2 == pytest.approx(b.sigma2, rel=1e-5) and a.sigma2 != pytest.approx(0.05)


def test_batched_training_says_what_it_needs(digits):
    x, _ = digits
    with pytest.raises(ValueError, match="must share n_features, hidden and learn_sigma2"):
        vae_batch.fit_together([vae.VAE(64, 2, hidden=(8,)), vae.VAE(64, 2, hidden=(4,))], x, epochs=2)
    with pytest.raises(ValueError, match="epochs must be an even integer"):
        vae_batch.fit_together([vae.VAE(64, 2, hidden=(8,))], x, epochs=3)
    with pytest.raises(ValueError, match="non-empty list"):
        vae_batch.fit_together([], x, epochs=2)
    with pytest.raises(ValueError, match="lr must be > 0"):
        vae_batch.fit_together([vae.VAE(64, 2, hidden=(8,))], x, epochs=2, lr=0.0)


SMALL = ve.VAEFigureSettings(n_train=100, hidden=(8,), sigma2_grid=(0.03, 0.3), sigma2_default=0.03,
                             sigma2_latent_dim=3, sigma2_epochs=10, latent_dims=(1, 3), latent_dim_default=1,
                             latent_dim_epochs=10)


def test_the_book_grids_are_dense():
    s = ve.SETTINGS
    assert len(s.sigma2_grid) >= 9 and s.sigma2_grid[0] <= 0.01 and s.sigma2_grid[-1] >= 1.0
    assert np.allclose(np.diff(np.log(s.sigma2_grid)), np.log(10) / 4, rtol=0.01)  # a log grid
    assert set(range(1, 6)) <= set(s.latent_dims) and max(s.latent_dims) == 20 and len(s.latent_dims) >= 9


def test_sigma2_frames_and_drawing(digits):
    x_train, x_test = digits
    frames = ve.sigma2_frames(SMALL.sigma2_grid, x_train, x_test, SMALL)
    one = ve.sigma2_frame(0.3, x_train, x_test, SMALL)  # alone: the same model as in the grid
    assert one["elbo"] == pytest.approx(frames[0.3]["elbo"], abs=1e-3)
    result = frames[0.03]
    assert result["kl_per_dimension"].shape == (3,) and result["reconstructions"].shape == (16, 64)
    np.testing.assert_array_equal(result["reconstructions"][:4], x_test[:4])  # originals, then reconstructions
    assert result["linear_active"] == int(np.sum(np.linalg.eigvalsh(np.cov(x_train[:100].T, bias=True))[-3:] > 0.03))
    fig = Figure()
    artists = ve.draw_sigma2_frame(fig, result, sigma2=0.03)
    assert fig.axes[0].get_xlabel() and fig.axes[0].get_ylabel()
    assert len(artists) >= 3 + 4 and all(a.get_animated() for a in artists)
    explorer = ve.sigma2_explorer(x_train, x_test, SMALL)
    assert explorer.params[0].scale == "log" and explorer.params[0].default == 0.03
    assert len(explorer.precompute()) == 2


def test_latent_dim_frames_and_explorer(digits):
    x_train, x_test = digits
    frames = ve.latent_dim_frames(SMALL.latent_dims, x_train, x_test, SMALL)
    assert frames[3]["ppca"] == pytest.approx(vae.ppca(x_train[:100], 3).log_likelihood(x_test))
    assert frames[1]["grid_elbo"] == {1: frames[1]["elbo"], 3: frames[3]["elbo"]}
    explorer = ve.latent_dim_explorer(x_train, x_test, SMALL)
    assert [p.name for p in explorer.params] == ["latent_dim"]
    pngs = explorer.precompute()
    assert len(pngs) == 2 and pngs[0] != pngs[1] and pngs[0][:4] == b"\x89PNG"
    assert explorer.render(latent_dim=2)[:4] == b"\x89PNG"  # off the grid: trained live


def test_bad_data_and_settings_are_explained(digits):
    x_train, x_test = digits
    with pytest.raises(ValueError, match="settings must be a VAEFigureSettings"):
        ve.sigma2_explorer(x_train, x_test, settings={"n_train": 10})
    with pytest.raises(ValueError, match="the same n"):
        ve.sigma2_frames((0.1,), x_train, x_test[:, :10], SMALL)
