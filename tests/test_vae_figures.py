"""The VAE chapter's figures and the pure functions behind them."""

import numpy as np
import pytest

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
    history = vae.fit(model, x, epochs=3)
    fig = vf.plot_history(history, reference=-10.0, reference_label="exact")
    assert len(fig.axes) == 3 and all(ax.get_xlabel() == "epoch" for ax in fig.axes)
    fig = vf.plot_digits(model, x, labels=np.arange(30) % 10)
    assert fig.axes[2].get_xlabel().startswith("$z_1$")
    x01 = (x[:2] - x.min()) / (x.max() - x.min())  # images in [0, 1]
    mosaic = np.asarray(vf.plot_interpolation(model, x01[0], x01[1], n_steps=5).axes[0].images[0].get_array())
    tiles = [mosaic[:, 9 * k:9 * k + 8].reshape(-1) for k in range(7)]  # 8 x 8 tiles, 1-pixel gaps
    np.testing.assert_allclose([tiles[0], tiles[-1]], x01, rtol=1e-6)  # the two images themselves
    np.testing.assert_allclose([tiles[1], tiles[-2]], model.reconstruct(x01), atol=1e-6)  # t = 0, 1: d(g(x))


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


def test_nearest_distance_and_holes():
    rng = np.random.default_rng(0)
    points, reference = rng.normal(size=(7, 3)), rng.normal(size=(11, 3))
    brute = np.array([min(np.linalg.norm(p - r) for r in reference) for p in points])
    np.testing.assert_allclose(vf.nearest_distance(points, reference), brute, rtol=1e-10)
    train, test = rng.uniform(0, 1, size=(500, 2)), rng.uniform(0, 1, size=(200, 2))
    assert vf.fraction_in_holes(test, train, test) == pytest.approx(0.05, abs=0.006)
    assert vf.fraction_in_holes(train + 5.0, train, test) == 1.0  # far from every code
    fig = vf.plot_random_codes(train, np.arange(500) % 10, test[:16], rng.uniform(size=(16, 64)), "codes")
    assert fig.axes[0].get_xlabel() == "$z_1$"


def test_linear_active_dimensions_takes_one_or_many_sigma2():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 5)) * np.sqrt([3.0, 1.0, 0.4, 0.1, 0.05])
    eigenvalues = np.linalg.eigvalsh(np.cov(x.T, bias=True))[::-1]  # numpy's, independently
    sigma2s = [0.01, 0.2, 0.7, 5.0]
    counts = vf.linear_active_dimensions(x, sigma2s, latent_dim=4)
    assert list(counts) == [int(np.sum(eigenvalues[:4] > s)) for s in sigma2s] == [4, 3, 2, 0]
    assert vf.linear_active_dimensions(x, 0.2, latent_dim=4) == 3


def test_match_columns_undoes_a_signed_permutation():
    rng = np.random.default_rng(2)
    W_ref = rng.normal(size=(10, 3))
    W = W_ref[:, [2, 0, 1]] * np.array([-1.0, 1.0, -1.0])
    matched, cosines = vf.match_columns(W, W_ref)
    np.testing.assert_allclose(matched, W_ref, rtol=1e-12)
    np.testing.assert_allclose(cosines, 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        vf.match_columns(W[:, :2], W_ref)
