"""Checks of the exercises of chapter 1 (regression, classification, dimension reduction)."""

from __future__ import annotations

import numpy as np

from course_lib import linear
from course_lib.checks._core import Case, check_function

__all__ = ["cross_entropy", "pca_reconstruction"]


def _probabilities(rng, n_obs, n_classes):
    logits = rng.normal(size=(n_obs, n_classes))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def cross_entropy(student) -> None:
    """Check ``student(labels, probabilities)`` = -(1/N_obs) sum_i log p_i[labels_i]."""
    rng = np.random.default_rng(1)
    cases = [
        Case((np.array([0, 1, 2, 1]), _probabilities(rng, 4, 3)), description="4 rows, 3 classes"),
        Case((np.array([1, 0]), np.array([[0.5, 0.5], [0.9, 0.1]])), description="two classes, by hand"),
        Case((np.array([2]), np.array([[0.0, 0.0, 1.0]])), description="a certain, right prediction: loss 0"),
        Case((rng.integers(0, 5, 50), _probabilities(rng, 50, 5)), description="50 rows, 5 classes"),
    ]
    hints = {
        "a wrong sign (the cross-entropy is minus the mean log-probability)":
            lambda labels, p: -linear.cross_entropy(labels, p),
        "a sum over the rows instead of a mean":
            lambda labels, p: len(labels) * linear.cross_entropy(labels, p),
        "one value per row: average them":
            lambda labels, p: -np.log(p[np.arange(len(labels)), labels]),
        "the log of the mean probability instead of the mean of the logs":
            lambda labels, p: -np.log(np.mean(p[np.arange(len(labels)), labels])),
    }
    check_function(student, linear.cross_entropy, cases, name="cross_entropy",
                          what="mean of -log p_i[y_i], in nats", hints=hints)


def _reconstruct(x, P, mean):
    """Reference: d(e(x)) = mean + (x - mean) P P' for each row."""
    return mean + (x - mean) @ P @ P.T


def pca_reconstruction(student) -> None:
    """Check ``student(x, P, mean)`` = d(e(x)) = mean + P P'(x - mean), row by row."""
    rng = np.random.default_rng(2)
    cases = []
    for n_obs, n, m in [(5, 3, 1), (20, 6, 2), (8, 4, 4)]:
        x = rng.normal(size=(n_obs, n)) @ rng.normal(size=(n, n)) + 3.0
        fitted = linear.pca(x, m)
        cases.append(Case((x, fitted.P, fitted.mean), description=f"N_obs={n_obs}, n={n}, m={m}"))
    hints = {
        "the data were not centred: use x - mean, then add the mean back":
            lambda x, P, mean: x @ P @ P.T,
        "the mean was not added back after projecting":
            lambda x, P, mean: (x - mean) @ P @ P.T,
        "the latent code Z = e(X) only: decode it with P'":
            lambda x, P, mean: (x - mean) @ P,
    }
    check_function(student, _reconstruct, cases, name="pca_reconstruction",
                          what="d(e(x)) = mean + P P'(x - mean) for every row", hints=hints)
