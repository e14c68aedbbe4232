"""Figures of chapter 2.1 (neural networks) and 2.2 (PCA versus autoencoder), drawn on a given ax or fig.

The functions draw what a page computed and compute no model. Each chapter's set-up is one
frozen dataclass (:data:`NETWORK_SETTINGS`, :data:`AUTOENCODER_SETTINGS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib import backprop, plotting


@dataclass(frozen=True)
class NetworkSettings:
    """The set-up of chapter 2.1: the penguin networks."""

    seed: int = 0
    epochs: int = 150   # full-batch Adam: the held-out error has flattened by then (see the curve)
    lr: float = 3e-2
    width_depth: tuple = ((3, 2, 1), (3, 8, 1), (3, 32, 1), (3, 128, 1), (3, 32, 32, 1), (3, 32, 32, 32, 1))


@dataclass(frozen=True)
class AutoencoderSettings:
    """The set-up of chapter 2.2: PCA and autoencoders on the digits."""

    seed: int = 0
    latent_dim: int = 5
    linear_epochs: int = 300  # full-batch Adam in float64: the excess over PCA's error falls below 1e-6
    linear_lr: float = 0.03
    tied_epochs: int = 200    # the tied model e = W': ||W'W - I_m|| falls below 1e-4 by then
    hidden: tuple = (64,)
    epochs: int = 30          # mini-batches of 128 images: about 11 updates per epoch
    lr: float = 1e-2
    batch_size: int = 128


NETWORK_SETTINGS = NetworkSettings()
AUTOENCODER_SETTINGS = AutoencoderSettings()


def draw_activations(fig, names=backprop.HIDDEN_ACTIVATIONS, low: float = -4.0, high: float = 4.0) -> None:
    """Each activation phi (left) and its derivative phi' (right, closed forms) on [low, high]."""
    if not low < high:
        raise ValueError(f"low must be smaller than high, got {low} and {high}")
    a = np.linspace(low, high, 401)
    ax_phi, ax_dphi = fig.subplots(1, 2)
    for name in names:
        phi, dphi = backprop.activation_pair(name)
        ax_phi.plot(a, phi(a), label=name)
        ax_dphi.plot(a, dphi(a), label=name)
    for ax, what in ((ax_phi, "φ(a)"), (ax_dphi, "φ′(a)")):
        ax.set_xlabel("pre-activation a")
        ax.set_ylabel(what)
        ax.legend(loc="upper left")
    ax_phi.set_title("Activation functions")
    ax_dphi.set_title("Their derivatives (closed forms)")
    fig.tight_layout()


def draw_learning_curves(ax, history: dict, scale: float, baseline: float, title: str) -> None:
    """Root mean squared error (in the response's unit) per epoch, training and held-out, and a baseline.

    ``history`` is ``nn.fit``'s, with "loss" and "val_loss" (mean squared errors of the
    standardised response); ``scale`` converts back to the response's unit.
    """
    if "loss" not in history or "val_loss" not in history:
        raise ValueError("history must hold 'loss' and 'val_loss' (call nn.fit with validation=...)")
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    train, held_out = np.sqrt(history["loss"]) * scale, np.sqrt(history["val_loss"]) * scale
    ax.plot(train, label="training penguins")
    ax.plot(held_out, label="held-out penguins")
    ax.axhline(baseline, color="grey", linestyle="--", label="linear regression (held-out)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("root mean squared error (g)")
    ax.set_ylim(0.8 * min(train.min(), baseline), 1.3 * max(held_out[len(held_out) // 10], baseline))
    ax.set_title(title)
    ax.legend(loc="upper right")


def draw_width_depth(ax, rows, baseline: float) -> None:
    """Training and held-out error against the number of parameters, one point per architecture.

    ``rows`` holds (sizes, |theta|, training RMSE, held-out RMSE) per network.
    """
    if len(rows) == 0 or any(len(row) != 4 for row in rows):
        raise ValueError("rows must be a non-empty list of (sizes, n_parameters, train_rmse, test_rmse)")
    n_params = [row[1] for row in rows]
    train, test = [row[2] for row in rows], [row[3] for row in rows]
    ax.plot(n_params, train, marker="o", label="training penguins")
    ax.plot(n_params, test, marker="s", label="held-out penguins")
    ax.axhline(baseline, color="grey", linestyle="--", label="linear regression (held-out)")
    for sizes, p, _, error in rows:
        ax.annotate(str(list(sizes)), (p, error), textcoords="offset points", xytext=(0, 6), fontsize=7, ha="center")
    ax.set_xscale("log")
    ax.set_xlabel(r"number of parameters $|\theta|$")
    ax.set_ylabel("root mean squared error (g)")
    low, high = min(train), max(max(test), baseline)
    ax.set_ylim(low - 0.1 * (high - low), high + 0.1 * (high - low))
    ax.set_title("Wider and deeper: training error falls, held-out error does not")
    ax.legend(loc="lower left")


def draw_directions(fig, matrices: dict, title: str = "", shape=(8, 8)) -> None:
    """The columns of each n x m matrix as images, one row of panels per matrix (red +, blue -).

    Each column is scaled to [-1, 1] for display. ``matrices`` maps a name ("P") to a matrix.
    """
    matrices = {name: np.asarray(m, dtype=float) for name, m in matrices.items()}
    widths = {m.shape[1] for m in matrices.values() if m.ndim == 2}
    if len(widths) != 1 or any(m.ndim != 2 or m.shape[0] != shape[0] * shape[1] for m in matrices.values()):
        raise ValueError(f"matrices must all have shape ({shape[0] * shape[1]}, m) with the same m")
    m = widths.pop()
    axes = np.asarray(fig.subplots(len(matrices), m)).reshape(len(matrices), m)
    for row, (name, matrix) in zip(axes, matrices.items()):
        for k, ax in enumerate(row):
            column = matrix[:, k] / max(np.abs(matrix[:, k]).max(), np.finfo(float).tiny)
            ax.imshow(column.reshape(shape), cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_title(f"column {k + 1} of {name}", fontsize=8)
            ax.axis("off")
    if title:
        fig.suptitle(title)


def draw_reconstructions(fig, rows: dict, title: str = "") -> None:
    """One row of 8 x 8 images per entry of ``rows`` (name -> images of shape (k, 64)), clipped to [0, 1]."""
    rows = {name: np.asarray(images, dtype=float) for name, images in rows.items()}
    counts = {len(images) for images in rows.values()}
    if len(counts) != 1 or any(images.ndim != 2 or images.shape[1] != 64 for images in rows.values()):
        raise ValueError("rows must map names to arrays of the same shape (k, 64)")
    axes = np.asarray(fig.subplots(len(rows), counts.pop())).reshape(len(rows), -1)
    for number, ((name, images), row) in enumerate(zip(rows.items(), axes), start=1):
        plotting.show_images(row, np.clip(images, 0, 1))
        row[0].text(-1, 3.5, name, ha="right", va="center", fontsize=9)
        for ax in row:
            ax.set_label(f"row {number}: {name}")  # the alt text's words for the row
    if title:
        fig.suptitle(title)
