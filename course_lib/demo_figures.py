"""The demonstration explorer of the page "How the interactive figures work".

The Gaussian negative log-likelihood of a residual, -log N(x; x_hat, sigma^2), under a
slider for sigma^2: an analytic explorer, so that the page shows the mechanism of
:mod:`course_lib.widgets` without training anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from course_lib.core import gaussian_log_likelihood, check_settings


@dataclass(frozen=True)
class DemoSettings:
    """What the demonstration explorer shows."""

    residual_range: float = 2.0  # residuals x - x_hat in [-2, 2]: a few noise standard deviations
    n_points: int = 201
    # sigma^2 every quarter decade from 0.01 to 10: 13 frames, enough to see the parabola flatten
    sigma2_grid: tuple = tuple(float(f"{v:.3g}") for v in np.geomspace(0.01, 10.0, 13))
    sigma2_default: float = 0.1


SETTINGS = DemoSettings()


def _check_settings(settings) -> None:
    check_settings(settings, DemoSettings)


def gaussian_nll(residual, sigma2: float) -> np.ndarray:
    """-log N(x; x_hat, sigma2) as a function of the residual x - x_hat, one value per residual."""
    if isinstance(sigma2, bool) or not isinstance(sigma2, (int, float, np.floating)) or not sigma2 > 0:
        raise ValueError(f"sigma2 is a variance and must be a number > 0, got {sigma2!r}")
    residual = torch.as_tensor(np.asarray(residual, dtype=np.float64)).reshape(-1, 1)  # (N, 1): n = 1
    # the lecture's log p(x | z) with n = 1, written once in course_lib.core
    return -gaussian_log_likelihood(residual, torch.zeros_like(residual), float(sigma2)).numpy()


def gaussian_nll_frame(sigma2: float, settings: DemoSettings = SETTINGS) -> dict:
    """The curve of one frame: residuals (n_points,) and their negative log-likelihood (n_points,)."""
    _check_settings(settings)
    residual = np.linspace(-settings.residual_range, settings.residual_range, settings.n_points)
    return {"residual": residual, "nll": gaussian_nll(residual, sigma2),
            "cost_of_one": float(gaussian_nll(1.0, sigma2)[0])}


def draw_gaussian_nll_frame(fig, result: dict, sigma2: float) -> list:
    """The parabola of this sigma^2 on fixed axes; returns the frame's artists (see widgets)."""
    if not fig.axes:  # the fixed part, drawn once
        ax = fig.subplots()
        ax.set_xlabel(r"residual $x - \hat{x}$")
        ax.set_ylabel(r"$-\log \mathcal{N}(x;\, \hat{x}, \sigma^2)$ (nats)")
        ax.set_xlim(result["residual"][0], result["residual"][-1])
        ax.set_ylim(-2.0, 12.0)
        fig.subplots_adjust(left=0.13, right=0.97, bottom=0.17, top=0.88)
    ax = fig.axes[0]
    line, = ax.plot(result["residual"], result["nll"], color="#0072B2", animated=True)
    title = ax.set_title(f"σ² = {sigma2:.3g}: a residual of 1 costs {result['cost_of_one']:.2f} nats")
    title.set_animated(True)
    return [line, title]


def gaussian_nll_explorer(settings: DemoSettings = SETTINGS):
    """An analytic explorer: the Gaussian negative log-likelihood under a σ² slider."""
    _check_settings(settings)
    from course_lib.widgets import Explorer, Param

    grid = settings.sigma2_grid
    sigma2 = Param("sigma2", "σ²", low=grid[0], high=grid[-1], default=settings.sigma2_default,
                   scale="log", grid=grid, label="noise variance")
    return Explorer(lambda sigma2: gaussian_nll_frame(sigma2, settings), draw_gaussian_nll_frame, [sigma2],
                    figsize=(6.0, 3.0),
                    alt="Gaussian negative log-likelihood of a residual, a parabola that "
                        "flattens as the noise variance grows")
