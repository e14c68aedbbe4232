"""Checks of the exercises of 03_4 (a VAE for biology) that are about the simulated cells' model."""

from __future__ import annotations

import numpy as np

from course_lib.checks._core import Case, check_function

__all__ = ["marker_moments"]


def _marker_moments(beta, gamma, n_types, noise_std):
    """Reference: mean and variance over cells of a marker gene X = beta + gamma 1[c = c*] + eps.

    With c uniform among K types, 1[c = c*] is Bernoulli(1/K): mean 1/K, variance (1/K)(1 - 1/K);
    eps ~ N(0, noise_std^2) is independent of the type.
    """
    beta, gamma = np.asarray(beta, dtype=np.float64), np.asarray(gamma, dtype=np.float64)
    p = 1.0 / n_types
    return beta + gamma * p, gamma**2 * p * (1 - p) + noise_std**2


def marker_moments(student) -> None:
    """Check ``student(beta, gamma, n_types, noise_std)`` = (E X_ik, Var X_ik) of marker genes."""
    rng = np.random.default_rng(10)
    cases = [Case((np.array([1.0]), np.array([1.0]), 2, 0.3), description="one gene, 2 types"),
             Case((rng.normal(1.0, 0.5, 6), rng.uniform(0.8, 1.5, 6), 3, 0.5), description="6 genes, 3 types"),
             Case((rng.normal(1.0, 0.5, 4), rng.uniform(0.8, 1.5, 4), 5, 0.2), description="4 genes, 5 types")]
    hints = {
        "the noise's variance noise_std^2 is missing from the variance":
            lambda b, g, k, s: (b + g / k, g**2 / k * (1 - 1 / k)),
        "E[(gamma 1[c = c*])^2] = gamma^2 / K, not the variance: subtract the squared mean (gamma / K)^2":
            lambda b, g, k, s: (b + g / k, g**2 / k + s**2),
        "the standard deviation noise_std where its square, the variance, is needed":
            lambda b, g, k, s: (b + g / k, g**2 / k * (1 - 1 / k) + s),
        "a mean of beta + gamma: only the cells of one type in K are raised":
            lambda b, g, k, s: (b + g, g**2 / k * (1 - 1 / k) + s**2),
        "a standard deviation where the variance is asked":
            lambda b, g, k, s: (b + g / k, np.sqrt(g**2 / k * (1 - 1 / k) + s**2)),
    }
    check_function(student, _marker_moments, cases, name="marker_moments",
                   what="mean beta + gamma / K and variance gamma^2 (1/K)(1 - 1/K) + noise_std^2",
                   hints=hints)
