"""Figures of chapter 1 (regression, classification, dimension reduction), drawn on a given ax or fig.

Each function draws what the page computed; it computes no model. The chapter's set-up is
:data:`SETTINGS`, used by the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib import plotting


@dataclass(frozen=True)
class LinearSettings:
    """The set-up of chapter 1."""

    test_fraction: float = 0.25  # a quarter of the penguins is held out
    seed: int = 0                # the same split and initialisation on every run
    softmax_epochs: int = 500    # full-batch gradient descent on a convex loss: converged well before
    softmax_lr: float = 0.5
    latent_dim: int = 2          # m = 2 so that the latent variable can be drawn in the plane


SETTINGS = LinearSettings()


def _vector(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {values.shape}")
    return values


def draw_regression_fit(ax, observed, predicted, unit: str = "g") -> None:
    """Predicted against observed responses, with the line f(X) = Y."""
    observed, predicted = _vector(observed, "observed"), _vector(predicted, "predicted")
    if observed.shape != predicted.shape:
        raise ValueError(f"observed and predicted must have the same shape, got {observed.shape} and {predicted.shape}")
    ax.scatter(observed, predicted, s=12)
    middle = float(np.median(observed))
    ax.axline((middle, middle), slope=1, color="grey", lw=1, label="$f(X) = Y$")
    ax.set_xlabel(f"observed body mass $Y$ ({unit})")
    ax.set_ylabel(f"predicted body mass $f(X)$ ({unit})")
    ax.set_title("Linear regression on test penguins")
    ax.legend(loc="upper left")


def draw_species_regions(ax, predict_proba, points, labels, names) -> None:
    """The plane coloured by the predicted species, with the test penguins on top."""
    if not callable(predict_proba):
        raise ValueError("predict_proba must be a function mapping points (N, 2) to probabilities (N, K)")
    plotting.decision_regions(ax, predict_proba, np.asarray(points), np.asarray(labels), names,
                              "bill length (standardised)", "bill depth (standardised)")
    ax.legend(loc="upper left", markerscale=1.5)  # a fixed place: "best" is slow to compute
    ax.set_title("Species predicted by a linear classifier (test penguins)")


def draw_latent_and_errors(fig, z, labels, names, errors) -> None:
    """Left: the latent variable Z = e(X) coloured by species; right: reconstruction error against m.

    ``errors[k]`` is the test error for m = k + 1.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must have shape (N_obs, 2), got {z.shape}")
    errors = _vector(errors, "errors")
    left, right = fig.subplots(1, 2)
    plotting.scatter_classes(left, z, np.asarray(labels), names, "$Z_1$", "$Z_2$")
    left.legend(loc="upper right", markerscale=1.5)
    left.set_title("Latent variable $Z = e(X)$ of test penguins")
    dims = np.arange(1, len(errors) + 1)
    right.plot(dims, errors, marker="o")
    right.set_xlabel("latent dimension $m$")
    right.set_ylabel("test error $\\|X - d(e(X))\\|^2$")
    right.set_xticks(dims)
    right.set_title("Reconstruction error against $m$")
    fig.tight_layout()
