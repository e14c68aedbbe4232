"""The VAE chapter's figures and the pure functions behind them."""

import numpy as np
import pytest
import torch

from course_lib import vae, vae_figures as vf
from test_vae import ppca_data



def test_image_grid_places_each_image():
    images = np.arange(5 * 4, dtype=float).reshape(5, 4)
    grid = vf.image_grid(images, n_cols=3, shape=(2, 2))
    assert grid.shape == (2 * 2 + 1, 3 * 2 + 2)
    np.testing.assert_array_equal(grid[3:5, 3:5], images[4].reshape(2, 2))  # row 1, column 1
    assert np.isnan(grid[2]).all() and np.isnan(grid[3:, 6:]).all()
    with pytest.raises(ValueError, match="shape"):
        vf.image_grid(images, 3, shape=(3, 3))


def test_linear_model_predicts_collapse_where_variance_is_below_sigma2():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6)) * np.sqrt([4.0, 2.0, 0.5, 0.3, 0.2, 0.2])
    assert vf.linear_active_dimensions(x, sigma2=1.0, latent_dim=4) == 2
    assert vf.linear_active_dimensions(x, sigma2=0.1, latent_dim=4) == 4
    model = vae.VAE(6, 4, hidden=(), sigma2=1.0)  # a linear VAE with sigma2 fixed
    vae.fit(model, x, epochs=400, lr=5e-2)
    kl = model.kl_per_dimension(x)
    assert vf.active_dimensions(kl) == 2, kl  # what the training actually did


def test_plots_return_labelled_figures():
    x, _ = ppca_data(n_obs=30, n_features=64, latent_dim=2)
    model = vae.VAE(64, 2, hidden=(8,))
    history = vae.fit(model, x, epochs=3, tol=None)
    fig = vf.plot_history(history, reference=-10.0, reference_label="exact")
    assert len(fig.axes) == 3 and all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    fig = vf.plot_digits(model, x, labels=np.arange(30) % 10)
    assert fig.axes[2].get_xlabel().startswith("$z_1$")
    fig = vf.plot_interpolation(model, x[0], x[1], n_steps=5)
    shown = np.asarray(fig.axes[0].get_images()[0].get_array())
    z_a, z_b = model.transform(x[:2])[0]
    middle = model.decode(torch.tensor(0.5 * (z_a + z_b))[None].float()).detach().numpy()
    expected = vf.image_grid(np.vstack([x[0], model.reconstruct(x[:1]), x[1:2] * np.nan, middle,
                                        x[1:2] * np.nan, model.reconstruct(x[1:2]), x[1]]), 7)
    known = ~np.isnan(expected)  # data at both ends, d(g(a)), the midpoint and d(g(b))
    np.testing.assert_allclose(shown[known], expected[known], rtol=1e-5, atol=1e-6)


def test_latent_scores_know_structure_from_noise():
    rng = np.random.default_rng(0)
    cell_type, time = rng.integers(0, 3, 300), rng.uniform(0, 1, 300)
    informative = np.column_stack([cell_type * 5.0, time]) + 0.01 * rng.normal(size=(300, 2))
    noise = rng.normal(size=(300, 2))
    train, test = (cell_type[:200], time[:200]), (cell_type[200:], time[200:])
    good = vf.latent_scores(informative[:200], informative[200:], train, test)
    bad = vf.latent_scores(noise[:200], noise[200:], train, test)
    assert good["type_accuracy"] == 1.0 and good["time_r2"] > 0.95
    assert bad["type_accuracy"] < 0.5 and bad["time_r2"] < 0.2
    rotation = np.array([[0.6, -0.8], [0.8, 0.6]])  # invariant to a rotation of Z
    rotated = vf.latent_scores(informative[:200] @ rotation, informative[200:] @ rotation, train, test)
    assert rotated == pytest.approx(good)


def test_biology_plots():
    from course_lib import data

    cells = data.simulated_cells(n_cells=60, n_genes=12)
    assert vf.plot_expression(cells).axes[0].get_xlabel().startswith("cells")
    fig = vf.plot_latent_biology({"PCA": cells.x[:, :2], "VAE": cells.x[:, 2:4]}, cells.y, cells.time, cells.target_labels)
    assert len(fig.axes) == 5  # 2 x 2 panels and a colour bar


def test_linear_active_dimensions_takes_one_or_many_sigma2():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 5)) * np.sqrt([3.0, 1.0, 0.4, 0.1, 0.05])
    eigenvalues = np.linalg.eigvalsh(np.cov(x.T, bias=True))[::-1]  # numpy's, independently
    sigma2s = [0.01, 0.2, 0.7, 5.0]
    counts = vf.linear_active_dimensions(x, sigma2s, latent_dim=4)
    assert list(counts) == [int(np.sum(eigenvalues[:4] > s)) for s in sigma2s] == [4, 3, 2, 0]
    assert vf.linear_active_dimensions(x, 0.2, latent_dim=4) == 3


def test_match_columns_undoes_a_signed_permutation():
    rng = np.random.default_rng(4)
    W_ref = rng.normal(size=(10, 4))
    order, signs = np.array([2, 0, 3, 1]), np.array([1.0, -1.0, -1.0, 1.0])
    W = W_ref[:, order] * signs * np.array([2.0, 0.5, 1.0, 3.0]) + 0.01 * rng.normal(size=(10, 4))
    matched, cosines = vf.match_columns(W, W_ref)
    cos_ref = np.abs(np.sum(matched * W_ref, axis=0)) / np.linalg.norm(matched, axis=0) / np.linalg.norm(W_ref, axis=0)
    assert np.all(np.sum(matched * W_ref, axis=0) > 0)  # every column faces its reference
    np.testing.assert_allclose(cosines, cos_ref, rtol=1e-12)
    assert cosines.min() > 0.99
    np.testing.assert_allclose(matched / np.linalg.norm(matched, axis=0),
                               W_ref / np.linalg.norm(W_ref, axis=0), atol=0.02)
    with pytest.raises(ValueError, match="same shape"):
        vf.match_columns(W[:, :3], W_ref)


def test_plot_random_codes_labels_its_axes():
    rng = np.random.default_rng(0)
    train, test = rng.uniform(0, 1, size=(500, 2)), rng.uniform(0, 1, size=(200, 2))
    fig = vf.plot_random_codes(train, np.arange(500) % 10, test[:16], rng.uniform(size=(16, 64)), "codes")
    assert fig.axes[0].get_xlabel() == "$z_1$"
