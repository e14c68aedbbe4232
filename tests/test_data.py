import numpy as np
import pytest

from course_lib import data


@pytest.mark.parametrize("name, n_obs, n", [("penguins", 333, 4), ("digits", 1797, 64), ("diabetes", 442, 10)])
def test_bundled_sets_have_the_documented_sizes(name, n_obs, n):
    dataset = data.load(name)
    assert dataset.x.shape == (n_obs, n)
    assert dataset.y.shape == (n_obs,)
    assert np.all(np.isfinite(dataset.x))
    assert len(dataset.feature_names) == n
    assert dataset.description


def test_digits_pixels_lie_in_unit_interval():
    x = data.digits().x
    assert x.min() == 0.0 and x.max() == 1.0


def test_toy_curve_follows_its_formula_and_seed():
    a, b = data.toy_curve(50, seed=3), data.toy_curve(50, seed=3)
    np.testing.assert_array_equal(a.x, b.x)
    noiseless = data.toy_curve(50, noise_std=0.0, seed=3)
    x = noiseless.x[:, 0]
    np.testing.assert_allclose(noiseless.y, x + 0.3 * np.sin(2 * np.pi * x) + 0.3 * np.sin(4 * np.pi * x))
    assert 0.0 <= x.min() and x.max() <= 0.5


def test_split_is_a_seeded_partition():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    x_train, x_test, y_train, y_test = data.split(x, y, test_fraction=0.3, seed=1)
    assert len(x_test) == 3 and len(x_train) == 7
    np.testing.assert_array_equal(x_train[:, 0] / 2, y_train)  # rows stay paired
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    again = data.split(x, y, test_fraction=0.3, seed=1)
    np.testing.assert_array_equal(again[3], y_test)


def test_standardize_uses_training_statistics_only():
    x_train = np.array([[0.0, 1.0], [2.0, 1.0]])
    x_test = np.array([[4.0, 3.0]])
    scaled_train, scaled_test = data.standardize(x_train, x_test)
    np.testing.assert_allclose(scaled_train, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(scaled_test, [[3.0, 2.0]])


@pytest.mark.parametrize("call, error, match", [
    (lambda: data.load("iris"), ValueError, "unknown data set 'iris'.*penguins"),
    (lambda: data.toy_curve(-5), ValueError, "n_obs must be an integer >= 1"),
    (lambda: data.toy_curve(2.5), ValueError, "n_obs must be an integer"),
    (lambda: data.split(np.zeros(4), np.zeros(5)), ValueError, "same number of rows"),
    (lambda: data.split(np.zeros(4), test_fraction=1.5), ValueError, "strictly between 0 and 1"),
    (lambda: data.standardize(np.zeros((3, 2)), np.zeros((3, 4))), ValueError, "same number of columns"),
])
def test_bad_input_says_what_is_allowed(call, error, match):
    with pytest.raises(error, match=match):
        call()
