"""Where codes lie in a latent space: the distance to the nearest training code, the share
of codes that fall in the holes of the training codes' cloud, and the random codes and the
autoencoder of section 3.1 (whose page trains and judges them; the VAE page, 3.2, does the
same again to compare, with these very settings).

A method module: numpy only, no figures (:mod:`course_lib.vae_figures` draws them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import as_array, check_count


@dataclass(frozen=True)
class AutoencoderSettings:
    """The autoencoder of section 3.1: m = 2, one hidden layer, a fixed budget of epochs."""

    latent_dim: int = 2
    hidden: tuple = (64,)
    epochs: int = 500
    lr: float = 1e-2
    seed: int = 0


AUTOENCODER = AutoencoderSettings()


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


def random_codes(train_codes, n_shown: int = 16, n: int = 2000, seed: int = 0):
    """The random codes of section 3.1, drawn in this order from one generator: ``n_shown``
    uniform in the box of the training codes (the figure's), then ``n`` more uniform in the
    box and ``n`` from the standard normal. Returns (shown, {"box": ..., "gaussian": ...})."""
    train_codes = as_array(train_codes, "train_codes")
    check_count("n_shown", n_shown)
    check_count("n", n)
    rng = np.random.default_rng(seed)
    low, high = train_codes.min(axis=0), train_codes.max(axis=0)
    shown = rng.uniform(low, high, size=(n_shown, train_codes.shape[1]))
    many = {"box": rng.uniform(low, high, size=(n, train_codes.shape[1])),
            "gaussian": rng.normal(size=(n, train_codes.shape[1]))}
    return shown, many
