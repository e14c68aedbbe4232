"""Figure style and small drawing helpers shared by every chapter.

Importing this module changes nothing: a notebook calls :func:`use_style` once.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

# Colour-blind-safe palette (Okabe & Ito 2008), used for classes and curves in every chapter.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


UNLABELLED = "an unlabelled axis"


def _label(ax, which: str) -> str:
    """The axis label of ``ax``, or that of an axis it shares (``sharey=True`` labels once)."""
    label = ax.get_xlabel() if which == "x" else ax.get_ylabel()
    if label:
        return label
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    for sibling in shared.get_siblings(ax):
        label = sibling.get_xlabel() if which == "x" else sibling.get_ylabel()
        if label:
            return label
    return ""


def describe_figure(fig) -> str:
    """A sentence describing a figure from its titles and axis labels (its alt text).

    Each panel gives "title: y-label against x-label"; a panel with a visible axis but no
    label says so (UNLABELLED), which the book's tests look for.
    """
    parts = []
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    for ax in fig.axes:
        if not ax.get_visible() or (not ax.has_data() and not ax.get_title()):
            continue
        title = ax.get_title() or ax.get_title(loc="left")
        if not ax.axison:  # an image panel (a digit, a grid of samples), named by its title
            parts.append(title or ax.get_label() or "image")  # or by its (unshown) label
            continue
        if ax.get_label() == "<colorbar>":
            continue
        xlabel = _label(ax, "x") or UNLABELLED
        ylabel = _label(ax, "y") or UNLABELLED
        parts.append(f"{title + ': ' if title else ''}{ylabel} against {xlabel}")
    text = "; ".join(dict.fromkeys(parts))  # repeated panels said once
    text = (f"{suptitle}. " if suptitle else "") + (text or "figure")
    return _plain(text)


def _plain(tex: str) -> str:
    """Matplotlib's TeX labels read as words: "$\\mathbb{E}_q \\log p(x \\mid z)$" -> "E_q log p(x | z)"."""
    import re

    words = {"mid": "|", "cdot": "·", "times": "×", "le": "≤", "ge": "≥", "approx": "≈", "quad": " ",
             "qquad": " ", ",": " ", "lVert": "||", "rVert": "||", "|": "||", "prime": "'"}
    tex = re.sub(r"\\(?:mathbb|mathcal|mathrm|mathbf|operatorname|text)\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"\\([a-zA-Z]+|[,|])", lambda m: words.get(m.group(1), m.group(1)), tex)
    return re.sub(r"\s+", " ", tex.replace("$", "").replace("{", "").replace("}", "")).strip()


def _png_with_description(fig) -> bytes:
    """The inline PNG of a figure, with its description in the PNG's text metadata."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight",
                metadata={"Description": describe_figure(fig)})
    return buffer.getvalue()


def use_style() -> None:
    """Set the course's matplotlib style: readable sizes, light grid, white background.

    The white figure background keeps figures readable when the book is in dark mode. In a
    notebook, figures are also sent with their description (:func:`describe_figure`), which
    the book uses as alt text for readers who cannot see them.
    """
    import matplotlib
    import matplotlib.figure
    import matplotlib.pyplot as plt

    # The inline backend registers its own PNG formatter when it loads, which pyplot does
    # on the first figure: load it now (an empty figure, closed) so that ours comes after.
    plt.close(plt.figure())

    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        formatter = shell.display_formatter.formatters["image/png"]
        formatter.for_type(matplotlib.figure.Figure, _png_with_description)
    # matplotlib warns when placing a legend at loc="best" took over a second: a matter of
    # the machine's load, not of the figure, and a build on a busy machine must not fail on it.
    warnings.filterwarnings("ignore", message='Creating legend with loc="best" can be slow')
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


def emptiest_corner(points) -> str:
    """The legend location ("upper left", ...) whose corner of the plot holds the fewest points.

    Matplotlib's loc="best" does the same by testing every position against every point,
    which takes seconds on a scatter of a thousand points (and then warns that it was slow).
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not len(points):
        raise ValueError(f"points must have shape (N_obs, 2) with N_obs >= 1, got {points.shape}")
    low, high = points.min(axis=0), points.max(axis=0)
    u = (points - low) / np.where(high > low, high - low, 1.0)  # in [0, 1]^2
    corners = {"upper left": (u[:, 0] < 0.4) & (u[:, 1] > 0.6), "upper right": (u[:, 0] > 0.6) & (u[:, 1] > 0.6),
               "lower left": (u[:, 0] < 0.4) & (u[:, 1] < 0.4), "lower right": (u[:, 0] > 0.6) & (u[:, 1] < 0.4)}
    return min(corners, key=lambda name: corners[name].sum())


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
    ax.legend(markerscale=1.5, loc=emptiest_corner(points))


def decision_regions(ax, predict_proba, points, labels, names, xlabel: str, ylabel: str,
                     resolution: int = 200) -> None:
    """Colour the plane by the class a classifier predicts, and scatter the data on top."""
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
