"""Figures of section 3 (the variational autoencoder), over course_lib.vae.

Pure functions compute what a figure shows (``active_dimensions``, ``match_columns``,
``latent_scores``, ...); ``plot_*`` functions draw it and return the
figure. The explorers of the chapter are in :mod:`course_lib.vae_explorers`. Digit images
are tiled into one mosaic per panel: one ``imshow`` is much faster to render than one axis
per image.
"""

from __future__ import annotations

import numpy as np

from course_lib import vae
from course_lib.linear import as_matrix
from course_lib.plotting import PALETTE, emptiest_corner

ACTIVE_KL = 0.05  # nats: a latent coordinate whose mean KL stays below this carries no information


# ---------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------
def image_grid(images, n_cols: int, shape=(8, 8), gap: int = 1) -> np.ndarray:
    """Tile flattened images (rows of ``images``) into one array, ``n_cols`` per row, NaN gaps."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 2 or images.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"images must have shape (k, {shape[0] * shape[1]}), got {images.shape}")
    n_rows = -(-len(images) // n_cols)
    h, w = shape
    grid = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, n_cols)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image.reshape(shape)
    return grid


def active_dimensions(kl_per_dimension, threshold: float = ACTIVE_KL) -> int:
    """Number of latent coordinates whose mean KL exceeds ``threshold`` nats (the others collapsed)."""
    return int(np.sum(np.asarray(kl_per_dimension) > threshold))


def linear_active_dimensions(x, sigma2, latent_dim: int):
    """What the linear VAE (pPCA with sigma2 fixed) keeps: #{j <= m : lambda_j > sigma2}.

    With sigma2 fixed, the maximum-likelihood W = U_m (Lambda_m - sigma2 I)^{1/2} has a zero
    column, hence a collapsed latent coordinate, wherever lambda_j <= sigma2
    (Tipping & Bishop 1999; Lucas et al. 2019). ``sigma2`` may be a sequence: then an array
    of counts, one per value (the eigenvalues are computed once).
    """
    x = as_matrix(x)
    eigenvalues = np.linalg.eigvalsh(np.cov(x.T, bias=True))[::-1]
    counts = np.sum(eigenvalues[:latent_dim, None] > np.atleast_1d(np.asarray(sigma2, dtype=float)), axis=0)
    return int(counts[0]) if np.ndim(sigma2) == 0 else counts


def match_columns(W, W_ref) -> tuple[np.ndarray, np.ndarray]:
    """Reorder and flip the columns of W to face those of W_ref; return them and |cosines|.

    The pairing maximises the sum of |cos(W_k, W_ref_j)| (Hungarian algorithm), so that two
    decoders equal up to a signed permutation of the latent coordinates line up.
    """
    from scipy.optimize import linear_sum_assignment

    W, W_ref = as_matrix(W, "W"), as_matrix(W_ref, "W_ref")
    if W.shape != W_ref.shape:
        raise ValueError(f"W and W_ref must have the same shape, got {W.shape} and {W_ref.shape}")
    cosines = (W / np.linalg.norm(W, axis=0)).T @ (W_ref / np.linalg.norm(W_ref, axis=0))
    rows, cols = linear_sum_assignment(-np.abs(cosines))
    order = rows[np.argsort(cols)]  # the column of W facing column j of W_ref
    signs = np.sign(cosines[order, np.arange(W.shape[1])])
    return W[:, order] * signs, np.abs(cosines[order, np.arange(W.shape[1])])


def interleave_rows(x, x_hat, n_cols: int) -> np.ndarray:
    """Stack images for a mosaic: a row of originals, the row of their reconstructions, ..."""
    x, x_hat = np.asarray(x), np.asarray(x_hat)
    if x.shape != x_hat.shape or len(x) % n_cols:
        raise ValueError(f"x and x_hat must have the same shape with a multiple of {n_cols} rows, "
                         f"got {x.shape} and {x_hat.shape}")
    blocks = [np.vstack([x[k:k + n_cols], x_hat[k:k + n_cols]]) for k in range(0, len(x), n_cols)]
    return np.vstack(blocks)


def plot_random_codes(train_codes, labels, random_codes, decoded, title: str):
    """The latent cloud with random codes on it (crosses), and the images they decode to."""
    import matplotlib.pyplot as plt

    fig, (ax, ax_images) = plt.subplots(1, 2, figsize=(9.0, 3.6), gridspec_kw={"width_ratios": [1.3, 1.0]})
    points = ax.scatter(train_codes[:, 0], train_codes[:, 1], c=labels, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
    ax.scatter(random_codes[:, 0], random_codes[:, 1], marker="x", color="black", s=30, label="random codes")
    ax.set(xlabel="$z_1$", ylabel="$z_2$", title=title)
    ax.legend(loc="upper left", frameon=True, framealpha=0.9)
    fig.colorbar(points, ax=ax, ticks=range(10), label="digit")
    draw_images(ax_images, decoded, 4, "the random codes, decoded: d(z)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def draw_images(ax, images, n_cols, title, animated: bool = False):
    """A mosaic of flattened 8 x 8 images on ``ax`` (no axis); returns the image and the title."""
    image = ax.imshow(image_grid(images, n_cols), cmap="gray_r", vmin=0.0, vmax=1.0, animated=animated)
    title = ax.set_title(title, fontsize=9)
    title.set_animated(animated)
    ax.axis("off")
    return [image, title]


# ---------------------------------------------------------------------------------------
# Figures of the chapter
# ---------------------------------------------------------------------------------------
def _zoom(ax, values, reference=None):
    """y-limits on the last 90% of the epochs, so that the first steps do not flatten the curve."""
    tail = np.asarray(values[len(values) // 10:], dtype=float)
    tail = tail[np.isfinite(tail)]
    if reference is not None:
        tail = np.append(tail, reference)
    if len(tail):
        low, high = tail.min(), tail.max()
        margin = 0.1 * (high - low) + 1e-3
        ax.set_ylim(low - margin, high + margin)


def plot_history(history: dict, reference: float | None = None, reference_label: str = ""):
    """ELBO per epoch (with an optional reference line) and its two terms, one panel each."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10.0, 3.0))
    epochs = np.arange(1, len(history["elbo"]) + 1)
    panels = [("elbo", "ELBO (maximised)"), ("reconstruction", r"reconstruction $\mathbb{E}_q \log p(x \mid z)$"),
              ("kl", r"KL$(q_x, \mathcal{N}(0, I))$")]
    for ax, (key, title), colour in zip(axes, panels, PALETTE):
        ax.plot(epochs, history[key], color=colour, label="training (one draw of ξ)")
        ax.set(xlabel="epoch", ylabel="nats per observation", title=title)
        _zoom(ax, history[key], reference if key == "elbo" else None)
    if reference is not None:
        axes[0].axhline(reference, color=PALETTE[5], ls="--", label=reference_label)
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_loadings(W, W_ref, feature_names, labels=("linear VAE", "pPCA")):
    """The columns of two decoders side by side, one panel per latent coordinate."""
    import matplotlib.pyplot as plt

    W, cosines = match_columns(W, W_ref)
    m, position = W.shape[1], np.arange(len(feature_names))
    fig, axes = plt.subplots(1, m, figsize=(3.2 * m, 3.2), sharey=True, squeeze=False)
    for j, ax in enumerate(axes[0]):
        ax.barh(position - 0.2, W[:, j], height=0.4, label=labels[0], color=PALETTE[0])
        ax.barh(position + 0.2, W_ref[:, j], height=0.4, label=labels[1], color=PALETTE[1])
        ax.set(xlabel=f"column {j + 1} of W", title=f"|cos| = {cosines[j]:.4f}")
    axes[0, 0].set_yticks(position, feature_names)
    axes[0, 0].set_ylabel("variable")
    axes[0, 0].invert_yaxis()
    axes[0, -1].legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_digits(model, x, labels, seed: int = 0):
    """Four panels: test digits and their reconstructions, prior samples, the latent map."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10.0, 3.4))
    ax_rec, ax_samples, ax_map = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 0.8, 1.3]})
    labels = np.asarray(labels)
    first = [np.flatnonzero(labels == d)[0] for d in np.unique(labels)]  # one digit of each class
    shown = (first + [k for k in range(len(x)) if k not in first])[:12]
    draw_images(ax_rec, interleave_rows(x[shown], model.reconstruct(x[shown]), 6), 6,
                 "test digits, and below each row\ntheir reconstructions d(g(x))")
    draw_images(ax_samples, model.sample(16, seed=seed), 4, "samples d(z), z ~ N(0, I)")
    z_mean, _ = model.transform(x)
    scatter = ax_map.scatter(z_mean[:, 0], z_mean[:, 1], c=labels, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
    ax_map.set(xlabel="$z_1$ (posterior mean)", ylabel="$z_2$", title="latent map of the test digits")
    fig.colorbar(scatter, ax=ax_map, ticks=range(10), label="digit")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_interpolation(model, x_a, x_b, n_steps: int = 9):
    """Decode the segment between the posterior means of two images: d((1 - t) g(a) + t g(b))."""
    import matplotlib.pyplot as plt
    import torch

    z_mean, _ = model.transform(np.vstack([x_a, x_b]))
    t = np.linspace(0.0, 1.0, n_steps)[:, None]
    with torch.no_grad():
        path = model.decode(torch.tensor((1 - t) * z_mean[0] + t * z_mean[1], dtype=vae.DTYPE)).numpy()
    fig, ax = plt.subplots(figsize=(8.0, 1.4))
    draw_images(ax, np.vstack([x_a, path, x_b]), n_steps + 2,
                 "interpolation in Z: first and last are the data, between them d(z) on the segment")
    plt.close(fig)
    return fig


# ---------------------------------------------------------------------------------------
# A VAE for biology: is the known structure in the latent space?
# ---------------------------------------------------------------------------------------
def latent_scores(z_train, z_test, train, test, n_neighbors: int = 15) -> dict:
    """How well held-out codes predict the known structure, by k nearest neighbours in Z.

    ``train`` and ``test`` are (cell_type, time) pairs. Returns "type_accuracy" (fraction of
    test cells whose type is the majority type of their k nearest training codes) and
    "time_r2" (R^2 of the time predicted as the mean time of those neighbours). Both are
    unchanged by a rotation or a rescaling of Z, so different encoders compare fairly.
    """
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    z_train, z_test = as_matrix(z_train, "z_train"), as_matrix(z_test, "z_test")
    classifier = KNeighborsClassifier(n_neighbors).fit(z_train, train[0])
    regressor = KNeighborsRegressor(n_neighbors).fit(z_train, train[1])
    return {"type_accuracy": float(classifier.score(z_test, test[0])),
            "time_r2": float(regressor.score(z_test, test[1]))}


def plot_expression(cells):
    """The expression matrix as a heatmap: cells sorted by type then time, genes as simulated."""
    import matplotlib.pyplot as plt

    order = np.lexsort((cells.time, cells.y))
    n_markers = sum(name.startswith("marker") for name in cells.feature_names)
    n_waves = len(cells.feature_names) - n_markers
    # wave genes in the order of their peaks: the mean expression over 20 time bins peaks there
    bins = np.minimum((cells.time * 20).astype(int), 19)
    binned = np.array([cells.x[bins == b, :n_waves].mean(axis=0) for b in range(20) if np.any(bins == b)])
    genes = np.concatenate([np.argsort(binned.argmax(axis=0), kind="stable"), np.arange(n_waves, len(cells.feature_names))])
    fig, ax = plt.subplots(figsize=(9.0, 3.2))
    image = ax.imshow(cells.x[order][:, genes].T, aspect="auto", cmap="magma", interpolation="nearest")
    boundaries = np.flatnonzero(np.diff(cells.y[order])) + 0.5
    for b in boundaries:
        ax.axvline(b, color="white", lw=1)
    ax.axhline(n_waves - 0.5, color="white", lw=1)
    ax.set(xlabel="cells, sorted by type (white lines) then by time",
           ylabel="genes: waves by peak, markers", title="simulated log-expression")
    fig.colorbar(image, ax=ax, label="log-expression")
    plt.close(fig)
    return fig


def plot_latent_biology(codes: dict, cell_type, time, labels):
    """Latent codes of each method coloured by cell type (top) and by time (bottom)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, len(codes), figsize=(4.2 * len(codes), 6.4), squeeze=False, layout="constrained")
    type_colours = ListedColormap(PALETTE[:len(labels)])
    for j, (name, z) in enumerate(codes.items()):
        top, bottom = axes[0, j], axes[1, j]
        for k, label in enumerate(labels):
            top.scatter(z[cell_type == k, 0], z[cell_type == k, 1], s=8, color=type_colours(k), label=label)
        points = bottom.scatter(z[:, 0], z[:, 1], c=time, s=8, cmap="viridis", vmin=0, vmax=1)
        top.set(title=f"{name}: coloured by cell type", xlabel="$z_1$", ylabel="$z_2$")
        bottom.set(title=f"{name}: coloured by time", xlabel="$z_1$", ylabel="$z_2$")
    axes[0, 0].legend(markerscale=2, loc=emptiest_corner(next(iter(codes.values()))[:, :2]))
    fig.colorbar(points, ax=axes[1, :].tolist(), label="trajectory time t")
    plt.close(fig)
    return fig
