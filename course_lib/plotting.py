"""Figure style and small drawing helpers shared by every chapter.

Importing this module changes nothing: a notebook calls :func:`use_style` once.
"""

from __future__ import annotations

import io

import matplotlib

# Colour-blind-safe palette (Okabe & Ito 2008), used for classes and curves in every chapter.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def use_style() -> None:
    """Set the course's matplotlib style: readable sizes, light grid, white background.

    The white figure background keeps figures readable when the book is in dark mode.
    """
    matplotlib.rcParams.update(
        {
            "figure.figsize": (7.0, 3.6),
            "figure.dpi": 90,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "savefig.bbox": "tight",
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "image.cmap": "viridis",
        }
    )


def figure_to_png(fig, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes (``dpi`` sets the size in pixels)."""
    if not isinstance(dpi, (int, float)) or dpi <= 0:
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def show_images(axes, images, shape=(8, 8), titles=None) -> None:
    """Draw flattened grey images (rows of ``images``) on ``axes``, one image per axis.

    Pixel values are shown on a fixed 0..1 scale, so that images can be compared.
    """
    axes = list(getattr(axes, "flat", axes))
    if len(images) > len(axes):
        raise ValueError(f"{len(images)} images but only {len(axes)} axes to draw them on")
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k].reshape(shape), cmap="gray_r", vmin=0.0, vmax=1.0)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)


def scatter_classes(ax, points, labels, names, xlabel: str, ylabel: str, size: float = 12) -> None:
    """Scatter 2-D ``points`` (N_obs, 2) coloured by integer ``labels``, with a legend of ``names``."""
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N_obs, 2), got {points.shape}")
    if len(labels) != len(points):
        raise ValueError(f"{len(points)} points but {len(labels)} labels")
    for k, name in enumerate(names):
        chosen = labels == k
        ax.scatter(points[chosen, 0], points[chosen, 1], s=size, color=PALETTE[k % len(PALETTE)],
                   label=name, alpha=0.8, edgecolors="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(markerscale=1.5)


def decision_regions(ax, predict_proba, points, labels, names, xlabel: str, ylabel: str,
                     resolution: int = 200) -> None:
    """Colour the plane by the class a classifier predicts, and scatter the data on top."""
    import numpy as np
    from matplotlib.colors import ListedColormap

    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.05 * (high - low)
    u = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    v = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    grid = np.stack(np.meshgrid(u, v), axis=-1).reshape(-1, 2)
    predicted = predict_proba(grid).argmax(axis=1).reshape(resolution, resolution)
    colours = ListedColormap(PALETTE[: len(names)])
    ax.pcolormesh(u, v, predicted, cmap=colours, alpha=0.18, shading="auto",
                  vmin=-0.5, vmax=len(names) - 0.5)
    scatter_classes(ax, points, labels, names, xlabel, ylabel)
