"""Figures of course_lib.variational_em: gradient estimators side by side, and variational EM.

Each function takes what the method module computed and returns a matplotlib figure.
"""

from __future__ import annotations

import numpy as np

from course_lib.plotting import PALETTE


def plot_gradient_draws(estimates: dict, component: int = 0, symbol: str = "g_1"):
    """Histograms of the one-draw estimates of one gradient component, one panel per estimator.

    ``estimates`` maps an estimator's name to its draws, shape (n_draws, 2m) as returned by
    ``score_function_gradient`` / ``reparametrised_gradient``. The panels share their x-axis,
    so the spreads compare at a glance; the dashed line is each estimator's mean.
    """
    import matplotlib.pyplot as plt

    if not estimates:
        raise ValueError("estimates must map at least one estimator's name to its draws")
    draws = {name: np.asarray(d, dtype=float) for name, d in estimates.items()}
    width = next(iter(draws.values())).shape[1]
    if any(d.ndim != 2 or d.shape[1] != width for d in draws.values()) or not 0 <= component < width:
        raise ValueError(f"every entry must have shape (n_draws, {width}) and component must lie in 0..{width - 1}")
    values = np.concatenate([d[:, component] for d in draws.values()])
    low, high = np.quantile(values, [0.005, 0.995])  # the far tails would squeeze every histogram
    bins = np.linspace(low, high, 60)
    fig, axes = plt.subplots(1, len(draws), figsize=(3.3 * len(draws), 2.8), sharex=True, squeeze=False)
    for ax, (name, d), colour in zip(axes[0], draws.items(), PALETTE):
        ax.hist(np.clip(d[:, component], low, high), bins=bins, color=colour)
        ax.axvline(d[:, component].mean(), color="black", ls="--", lw=1)
        ax.set(title=f"{name}\nvariance {d[:, component].var():.3g}", xlabel=f"one-draw estimate of ∂/∂{symbol}",
               ylabel="number of draws")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_em_history(elbo, log_likelihood: float):
    """ELBO of variational EM after each E step, against the exact maximum log-likelihood."""
    import matplotlib.pyplot as plt

    elbo = np.asarray(elbo, dtype=float)
    if elbo.ndim != 1 or len(elbo) < 1:
        raise ValueError(f"elbo must be a 1-D sequence with one value per iteration, got shape {elbo.shape}")
    fig, ax = plt.subplots(figsize=(5.5, 3.0))
    ax.plot(np.arange(1, len(elbo) + 1), elbo, color=PALETTE[0], label="ELBO after each E step")
    ax.axhline(log_likelihood, color=PALETTE[5], ls="--", label="exact maximum log-likelihood")
    ax.set(xscale="log", xlabel="EM iteration", ylabel="nats per observation", title="variational EM on pPCA")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.close(fig)
    return fig
