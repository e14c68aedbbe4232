"""Where codes lie in a latent space: the distance to the nearest training code, and the
share of codes that fall in the holes of the training codes' cloud (section 3.1).

A method module: numpy only, no figures (:mod:`course_lib.vae_figures` draws them).
"""

from __future__ import annotations

import numpy as np

from course_lib.core import as_array


def nearest_distance(points, reference) -> np.ndarray:
    """Euclidean distance from each row of ``points`` to the nearest row of ``reference``."""
    points, reference = as_array(points, "points"), as_array(reference, "reference")
    squared = (points**2).sum(1)[:, None] - 2 * points @ reference.T + (reference**2).sum(1)[None, :]
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


def fraction_in_holes(codes, train_codes, test_codes, level: float = 0.95) -> float:
    """Fraction of ``codes`` lying farther from every training code than ``level`` of the test codes.

    Test images are encoded near training codes; a code farther away than 95% of them lies
    in a hole of the latent cloud, where the decoder never saw an image. By construction,
    5% of the test codes themselves are in holes.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    threshold = np.quantile(nearest_distance(test_codes, train_codes), level)
    return float(np.mean(nearest_distance(codes, train_codes) > threshold))
