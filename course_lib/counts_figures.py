"""Figures of page 3.4b (a VAE for counts), over course_lib.counts.

``count_summary`` computes what the first figure shows; ``plot_*`` functions draw and
return the figure. The k-nearest-neighbour accuracy is the one of page 3.4.
"""

from __future__ import annotations

import numpy as np

from course_lib.core import as_array


def count_summary(counts) -> dict:
    """What the counts look like, as arrays.

    Returns "zero_fraction" (a float), "binned" (fractions of the counts equal to 0, 1, 2,
    in 3..9 and >= 10, shape (5,)), per-gene "mean" and "variance" (n,), "library" (N_obs,).
    """
    counts = as_array(counts, "counts")
    if (counts < 0).any():
        raise ValueError("counts must be >= 0")
    binned = np.histogram(counts, bins=[0, 1, 2, 3, 10, np.inf])[0] / counts.size
    return {"zero_fraction": float(np.mean(counts == 0)), "binned": binned, "mean": counts.mean(axis=0),
            "variance": counts.var(axis=0), "library": counts.sum(axis=1)}


def type_accuracy(z_train, type_train, z_test, type_test, n_neighbors: int = 15) -> float:
    """Fraction of test cells whose type is the majority type of their k nearest training codes."""
    from course_lib.vae_figures import latent_scores

    # latent_scores also scores a continuous label (page 3.4's time); here there is none, and
    # the type index stands in for it: that second score is not used.
    type_train, type_test = np.asarray(type_train), np.asarray(type_test)
    scores = latent_scores(z_train, z_test, (type_train, type_train.astype(float)),
                           (type_test, type_test.astype(float)), n_neighbors)
    return scores["type_accuracy"]


def type_predictions(z_train, type_train, z_test, n_neighbors: int = 15) -> np.ndarray:
    """The majority type of each test code's k nearest training codes (the vote of
    :func:`type_accuracy`), shape (N_test,): per cell, for a paired comparison of two methods."""
    from sklearn.neighbors import KNeighborsClassifier

    z_train, z_test = as_array(z_train, "z_train"), as_array(z_test, "z_test")
    return KNeighborsClassifier(n_neighbors).fit(z_train, np.asarray(type_train)).predict(z_test)


def mcnemar_p(right_a, right_b) -> float:
    """Exact two-sided McNemar p-value for two methods scored on the same cells.

    ``right_a`` and ``right_b`` are booleans per cell (the method got it right). Only the
    discordant cells count: under "equally accurate", the b cells right only for A among the
    b + c discordant ones are Binomial(b + c, 1/2).
    """
    from scipy.stats import binomtest

    right_a, right_b = np.asarray(right_a, bool), np.asarray(right_b, bool)
    if right_a.shape != right_b.shape or right_a.ndim != 1:
        raise ValueError("right_a and right_b must be 1-D and of the same length (the same cells)")
    only_a, only_b = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    return 1.0 if only_a + only_b == 0 else float(binomtest(only_a, only_a + only_b, 0.5).pvalue)


def plot_counts(summary: dict):
    """Three panels: the distribution of the counts, variance against mean per gene, library sizes."""
    import matplotlib.pyplot as plt

    needed = {"zero_fraction", "binned", "mean", "variance", "library"}
    if not isinstance(summary, dict) or not needed <= set(summary):
        raise ValueError(f"summary must be the dict of count_summary, with keys {sorted(needed)}")
    fig, axes = plt.subplots(1, 3, figsize=(11.0, 3.4), layout="constrained")
    mean, variance = summary["mean"], summary["variance"]
    axes[0].bar(["0", "1", "2", "3-9", "≥ 10"], summary["binned"], color="#0072B2")
    axes[0].set(title=f"{summary['zero_fraction']:.0%} of the counts are 0", xlabel="count x_ik",
                ylabel="fraction of all counts")
    axes[1].loglog(mean, variance, ".", ms=3, color="#0072B2", label="one gene")
    line = np.array([mean.min(), mean.max()])
    axes[1].loglog(line, line, color="#D55E00", label="Poisson: variance = mean")
    axes[1].set(title="overdispersion", xlabel="mean count of the gene", ylabel="variance of the gene")
    axes[1].legend()
    axes[2].hist(summary["library"], bins=30, color="#009E73")
    axes[2].set(title="library sizes", xlabel="library size l_i (counts in the cell)", ylabel="number of cells")
    plt.close(fig)
    return fig


def plot_latent_maps(codes: dict, cell_type, labels, title: str = ""):
    """One panel per model: 2-D codes of the held-out cells coloured by cell type."""
    import matplotlib.pyplot as plt

    colours = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(codes), figsize=(3.1 * len(codes) + 2.4, 3.3), layout="constrained")
    for ax, (name, z) in zip(np.atleast_1d(axes), codes.items()):
        z = as_array(z, "codes")
        if z.shape[1] != 2:
            raise ValueError(f"the codes of {name} must have 2 columns, got {z.shape[1]}")
        for k, label in enumerate(labels):
            chosen = cell_type == k
            ax.scatter(z[chosen, 0], z[chosen, 1], s=9, color=colours(k % 10), label=label)
        ax.set(title=name, xlabel="$z_1$", ylabel="$z_2$")
    axes[-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), markerscale=1.5, fontsize=8)
    if title:
        fig.suptitle(title)
    plt.close(fig)
    return fig
