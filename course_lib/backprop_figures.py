"""Figures of chapter 2.4 (backpropagation), drawn on a given ax."""

from __future__ import annotations

import numpy as np


def draw_loss_curves(ax, curves: dict, title: str) -> None:
    """Loss per epoch of several runs of the same training (name -> losses of shape (epochs,)).

    The first curve is drawn wide and pale, the others dashed on top, so that curves that
    coincide stay visible.
    """
    curves = {name: np.asarray(losses, dtype=float) for name, losses in curves.items()}
    if not curves or any(losses.ndim != 1 or len(losses) == 0 for losses in curves.values()):
        raise ValueError("curves must map names to non-empty 1-D arrays of losses")
    for k, (name, losses) in enumerate(curves.items()):
        style = {"linewidth": 3, "alpha": 0.5} if k == 0 else {"linestyle": "--"}
        ax.plot(losses, label=name, **style)
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"mean squared loss $R / N_{obs}$ (standardised)")
    ax.set_title(title)
    ax.legend(loc="upper right")
