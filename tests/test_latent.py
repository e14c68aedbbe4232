"""course_lib.latent: distances to the training codes and the share of codes in holes."""

import numpy as np
import pytest

from course_lib import latent


def test_nearest_distance_and_holes():
    rng = np.random.default_rng(0)
    points, reference = rng.normal(size=(7, 3)), rng.normal(size=(11, 3))
    brute = np.array([min(np.linalg.norm(p - r) for r in reference) for p in points])
    np.testing.assert_allclose(latent.nearest_distance(points, reference), brute, rtol=1e-10)
    train, test = rng.uniform(0, 1, size=(500, 2)), rng.uniform(0, 1, size=(200, 2))
    assert latent.fraction_in_holes(test, train, test) == pytest.approx(0.05, abs=0.006)
    assert latent.fraction_in_holes(train + 5.0, train, test) == 1.0  # far from every code


def test_mistakes_say_what_was_wrong():
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        latent.fraction_in_holes(np.zeros((2, 2)), np.zeros((3, 2)), np.zeros((3, 2)), level=1.0)


def test_random_codes_are_drawn_in_the_order_of_section_3_1():
    train = np.random.default_rng(1).normal(size=(50, 2)) * [1.0, 3.0]
    shown, many = latent.random_codes(train, n_shown=16, n=100, seed=0)
    rng = np.random.default_rng(0)  # the page's order: the figure's codes, then the box, then N(0, I)
    low, high = train.min(axis=0), train.max(axis=0)
    np.testing.assert_array_equal(shown, rng.uniform(low, high, size=(16, 2)))
    np.testing.assert_array_equal(many["box"], rng.uniform(low, high, size=(100, 2)))
    np.testing.assert_array_equal(many["gaussian"], rng.normal(size=(100, 2)))
    assert np.all((many["box"] >= low) & (many["box"] <= high))
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        latent.random_codes(train, n=0)
