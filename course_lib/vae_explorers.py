"""The explorers of the VAE chapter: the noise variance sigma^2 and the latent dimension m.

Each explorer trains one VAE per value of its grid, all at once (:mod:`course_lib.vae_batch`),
then shows one frame per value: ``sigma2_frame`` / ``draw_sigma2_frame`` /
``sigma2_explorer`` and ``latent_dim_frame`` / ``draw_latent_dim_frame`` /
``latent_dim_explorer``. What they train (sizes, epochs, grids) is :class:`VAEFigureSettings`,
which the book and the benchmark both use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from course_lib.core import check_settings
from course_lib import vae
from course_lib.plotting import PALETTE
from course_lib.vae_batch import fit_together
from course_lib.vae_figures import (ACTIVE_KL, active_dimensions, draw_images, interleave_rows,
                                    linear_active_dimensions)


@dataclass(frozen=True)
class VAEFigureSettings:
    """What the chapter's explorers train: small enough to precompute every frame in the page."""

    n_train: int = 600  # training images (of the 1,347 of the split): all frames train in seconds
    hidden: tuple = (32,)  # a smaller network than the chapter's (64,), for the same reason
    lr: float = 2e-2
    seed: int = 0
    n_elbo_samples: int = 10  # draws of xi per test image for the held-out ELBO of a frame
    # sigma^2 every quarter decade from 0.01 (sharp, all coordinates used) to 1 (above every
    # eigenvalue of the pixel covariance: all collapse), with m = 8
    sigma2_grid: tuple = (0.01, 0.0178, 0.0316, 0.0562, 0.1, 0.178, 0.316, 0.562, 1.0)
    sigma2_default: float = 0.1
    sigma2_latent_dim: int = 8
    sigma2_epochs: int = 150
    # every m from 1 to 5, then larger ones up to 20; sigma^2 learned
    latent_dims: tuple = (1, 2, 3, 4, 5, 8, 12, 16, 20)
    latent_dim_default: int = 2
    latent_dim_epochs: int = 180


SETTINGS = VAEFigureSettings()


def _check_settings(settings) -> None:
    check_settings(settings, VAEFigureSettings)


def _check_data(x_train, x_test, settings):
    x_train, x_test = np.asarray(x_train, dtype=np.float64), np.asarray(x_test, dtype=np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train and x_test must be (N, n) arrays with the same n, got {x_train.shape} "
                         f"and {x_test.shape}")
    return x_train[:settings.n_train], x_test


def _summary(model, x_train, x_test, settings) -> dict:
    """What every frame shows of a trained VAE: held-out terms, KL per coordinate, images."""
    terms = model.elbo(x_test, n_samples=settings.n_elbo_samples, terms=True)
    kl = model.kl_per_dimension(x_test)
    return {
        "reconstruction": terms["reconstruction"], "kl": terms["kl"], "elbo": terms["elbo"],
        "sigma2": model.sigma2, "kl_per_dimension": np.sort(kl)[::-1], "active": active_dimensions(kl),
        "squared_error": float(np.mean(np.sum((x_test - model.reconstruct(x_test)) ** 2, axis=1))),
        "reconstructions": interleave_rows(x_test[:8], model.reconstruct(x_test[:8]), 4),
        "samples": model.sample(16, seed=settings.seed),
    }


# ---------------------------------------------------------------------------------------
# Explorer 1: the noise variance sigma^2 and posterior collapse
# ---------------------------------------------------------------------------------------
def sigma2_frames(sigma2s, x_train, x_test, settings: VAEFigureSettings = SETTINGS) -> dict:
    """Train one VAE (m fixed, sigma^2 fixed) per value of ``sigma2s``, all at once; {sigma2: frame}."""
    _check_settings(settings)
    x_train, x_test = _check_data(x_train, x_test, settings)
    m = settings.sigma2_latent_dim
    models = [vae.VAE(x_train.shape[1], m, hidden=settings.hidden, sigma2=s, seed=settings.seed) for s in sigma2s]
    fit_together(models, x_train, epochs=settings.sigma2_epochs, lr=settings.lr, seed=settings.seed)
    linear = linear_active_dimensions(x_train, list(sigma2s), m)
    return {s: {**_summary(model, x_train, x_test, settings), "linear_active": int(k)}
            for s, model, k in zip(sigma2s, models, linear)}


def sigma2_frame(sigma2: float, x_train, x_test, settings: VAEFigureSettings = SETTINGS) -> dict:
    """One frame: a VAE trained with fixed ``sigma2`` (the same model as in :func:`sigma2_frames`)."""
    return sigma2_frames([sigma2], x_train, x_test, settings)[sigma2]


def draw_sigma2_frame(fig, result: dict, sigma2: float) -> list:
    """KL per latent coordinate (active ones above the line), reconstructions and samples."""
    if not fig.axes:
        ax_kl, ax_rec, ax_samples = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.4, 1.0, 1.0]})
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.16, top=0.74, wspace=0.15)
        ax_kl.axhline(ACTIVE_KL, color=PALETTE[5], ls="--", lw=1)
        ax_kl.set(xlabel="latent coordinate (sorted)", ylabel="mean KL (nats)", ylim=(0, 2.5),
                  xticks=np.arange(1, len(result["kl_per_dimension"]) + 1))
    ax_kl, ax_rec, ax_samples = fig.axes
    kl = result["kl_per_dimension"]
    artists = list(ax_kl.bar(np.arange(1, len(kl) + 1), kl, color=PALETTE[0], animated=True).patches)
    artists.append(ax_kl.set_title(f"active: {result['active']} (network) vs {result['linear_active']} (linear)",
                                   fontsize=10))
    artists += draw_images(ax_rec, result["reconstructions"], 4,
                           f"test digits / reconstructions\nmean ||x - x̂||² = {result['squared_error']:.2f}", True)
    artists += draw_images(ax_samples, result["samples"], 4, "samples d(z), z ~ N(0, I)", True)
    artists.append(fig.suptitle(f"σ² = {sigma2:.3g}: reconstruction term {result['reconstruction']:.1f}, "
                                f"KL {result['kl']:.2f}, held-out ELBO {result['elbo']:.1f} nats per image",
                                fontsize=10, y=0.97))
    for artist in artists:
        artist.set_animated(True)
    return artists


def sigma2_explorer(x_train, x_test, settings: VAEFigureSettings = SETTINGS):
    """Explorer over sigma^2 (log grid) for a VAE with m = settings.sigma2_latent_dim."""
    _check_settings(settings)
    from course_lib.widgets import Explorer, Param

    grid = settings.sigma2_grid
    trained = {}  # the grid, trained together on the first frame asked for

    def compute(sigma2):
        if not trained:
            trained.update(sigma2_frames(grid, x_train, x_test, settings))
        return trained[sigma2] if sigma2 in trained else sigma2_frame(sigma2, x_train, x_test, settings)

    param = Param("sigma2", "σ²", low=grid[0], high=grid[-1], default=settings.sigma2_default,
                  scale="log", grid=grid, label="noise variance")
    return Explorer(compute, draw_sigma2_frame, [param], figsize=(10.0, 3.0),
                    alt="KL of each latent coordinate, test digits with their reconstructions and "
                        "samples from the prior, for a VAE trained with the chosen noise variance")


# ---------------------------------------------------------------------------------------
# Explorer 2: the latent dimension m
# ---------------------------------------------------------------------------------------
def ppca_curve(x_train, x_test, latent_dims) -> np.ndarray:
    """Exact held-out pPCA log-likelihood for each m in ``latent_dims`` (closed form, cheap)."""
    return np.array([vae.ppca(x_train, m).log_likelihood(x_test) for m in latent_dims])


def latent_dim_frames(latent_dims, x_train, x_test, settings: VAEFigureSettings = SETTINGS) -> dict:
    """Train one VAE per m of ``latent_dims`` (sigma^2 learned), all at once; {m: frame}.

    sigma2 starts at the mean variance of the columns of x_train: the noise of a decoder
    that would output the mean image, a neutral start that saves the steps from 1. Each
    frame holds the held-out ELBO of every m trained with it ("grid_elbo") and pPCA's.
    """
    _check_settings(settings)
    x_train, x_test = _check_data(x_train, x_test, settings)
    sigma2 = float(np.var(x_train, axis=0).mean())
    models = [vae.VAE(x_train.shape[1], m, hidden=settings.hidden, sigma2=sigma2, learn_sigma2=True,
                      seed=settings.seed) for m in latent_dims]
    fit_together(models, x_train, epochs=settings.latent_dim_epochs, lr=settings.lr, seed=settings.seed)
    frames = {m: _summary(model, x_train, x_test, settings) for m, model in zip(latent_dims, models)}
    grid_elbo = {m: frame["elbo"] for m, frame in frames.items()}
    for m, frame in frames.items():
        frame.update(ppca=vae.ppca(x_train, m).log_likelihood(x_test), grid_elbo=grid_elbo)
    return frames


def latent_dim_frame(latent_dim: int, x_train, x_test, settings: VAEFigureSettings = SETTINGS) -> dict:
    """One frame: a VAE with m = ``latent_dim`` (the same model as in :func:`latent_dim_frames`)."""
    return latent_dim_frames([latent_dim], x_train, x_test, settings)[latent_dim]


def draw_latent_dim_frame(fig, result: dict, latent_dim: int, curve=None) -> list:
    """Held-out ELBO of this m (blue) and of the others (grey) against pPCA's exact curve ``curve``
    ((m values, log-likelihoods)), with this model's reconstructions and samples."""
    if not fig.axes:
        ax, ax_rec, ax_samples = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.4, 1.0, 1.0]})
        fig.subplots_adjust(left=0.08, right=0.99, bottom=0.16, top=0.84, wspace=0.15)
        others = result["grid_elbo"]
        ax.plot(list(others), list(others.values()), "o", color="0.7", label="VAE, other m")
        values = list(others.values())
        if curve is not None:
            ax.plot(*curve, color=PALETTE[5], label="pPCA (exact)")
            values += list(curve[1])
        ax.plot([], [], "o", color=PALETTE[0], label="VAE (ELBO), this m")
        ax.set(xlabel="latent dimension m", ylabel="held-out nats per image",
               ylim=(min(values) - 5, max(values) + 5))
        ax.legend(loc="upper left")
    ax, ax_rec, ax_samples = fig.axes
    artists = ax.plot([latent_dim], [result["elbo"]], "o", color=PALETTE[0], animated=True)
    artists.append(ax.set_title(f"m = {latent_dim}: {result['active']} active, σ² = {result['sigma2']:.3f}",
                                fontsize=10))
    artists += draw_images(ax_rec, result["reconstructions"], 4, "test digits / reconstructions", True)
    artists += draw_images(ax_samples, result["samples"], 4, "samples d(z), z ~ N(0, I)", True)
    for artist in artists:
        artist.set_animated(True)
    return artists


def latent_dim_explorer(x_train, x_test, settings: VAEFigureSettings = SETTINGS):
    """Explorer over m: held-out ELBO against pPCA's exact held-out log-likelihood."""
    _check_settings(settings)
    from course_lib.widgets import Explorer, Param

    grid = settings.latent_dims
    dims = np.arange(1, grid[-1] + 1)
    curve = (dims, ppca_curve(x_train[:settings.n_train], x_test, dims))
    trained = {}

    def compute(latent_dim):
        if not trained:
            trained.update(latent_dim_frames(grid, x_train, x_test, settings))
        if latent_dim in trained:
            return trained[latent_dim]
        return {**latent_dim_frame(latent_dim, x_train, x_test, settings),
                "grid_elbo": trained[grid[0]]["grid_elbo"]}

    def draw(fig, result, latent_dim):
        return draw_latent_dim_frame(fig, result, latent_dim, curve)

    param = Param("latent_dim", "m", low=1, high=grid[-1], default=settings.latent_dim_default, integer=True,
                  grid=grid, label="latent dimension")
    return Explorer(compute, draw, [param], figsize=(10.0, 3.0),
                    alt="Held-out ELBO of a VAE with m latent coordinates against the exact "
                        "held-out log-likelihood of probabilistic PCA, with reconstructions and samples")
