"""Tests of course_lib.data.simulated_cells: the simulation does what its docstring says."""

import numpy as np
import pytest

from course_lib import data


def test_shapes_labels_and_registration():
    cells = data.load("simulated_cells", n_cells=120, n_genes=20, n_types=4, seed=3)
    assert cells.x.shape == (120, 20) and cells.y.shape == (120,) and cells.time.shape == (120,)
    assert set(np.unique(cells.y)) == {0, 1, 2, 3} and cells.target_labels == ["type 0", "type 1", "type 2", "type 3"]
    assert ((cells.time >= 0) & (cells.time <= 1)).all()
    assert len(cells.feature_names) == 20 and sum(n.startswith("marker") for n in cells.feature_names) == 6
    assert np.isfinite(cells.x).all() and cells.x.dtype == np.float64


def test_seed_makes_it_reproducible():
    a, b, c = data.simulated_cells(seed=1), data.simulated_cells(seed=1), data.simulated_cells(seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.allclose(a.x, c.x)


def test_noise_is_added_last_with_the_given_std():
    clean = data.simulated_cells(n_cells=2000, noise_std=0.0, seed=0)
    noisy = data.simulated_cells(n_cells=2000, noise_std=0.5, seed=0)
    noise = noisy.x - clean.x
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.5, rel=0.01)


def test_markers_mark_their_type_and_waves_peak_once():
    cells = data.simulated_cells(n_cells=3000, noise_std=0.0, seed=0)
    for g, name in enumerate(cells.feature_names):
        if name.startswith("marker"):
            k = int(name.rsplit("_", 1)[1])
            inside, outside = cells.x[cells.y == k, g], cells.x[cells.y != k, g]
            assert 0.8 <= inside.mean() - outside.mean() <= 1.5  # s_g ~ U(0.8, 1.5)
            assert np.ptp(inside) < 1e-12  # a marker does not depend on time
        else:
            profile = cells.x[np.argsort(cells.time), g]  # a Gaussian wave in t: one peak
            top = np.argmax(profile)
            assert (np.diff(profile[:top + 1]) >= -1e-12).all() and (np.diff(profile[top:]) <= 1e-12).all(), name
            assert np.ptp(profile) > 0.5  # of height a_g ~ U(1, 3), unless it peaks outside [0, 1]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="noise_std must be >= 0"):
        data.simulated_cells(noise_std=-1.0)
    with pytest.raises(ValueError, match="n_genes must be an integer >= 6"):
        data.simulated_cells(n_genes=5, n_types=3)
    with pytest.raises(ValueError, match="n_cells must be an integer"):
        data.simulated_cells(n_cells=10.5)
