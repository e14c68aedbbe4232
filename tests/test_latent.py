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
