"""One slider of an explorer (:class:`Param`): its range, its precomputed grid, its label.

Used by :class:`course_lib.widgets.Explorer`, which also exports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence


@dataclass(frozen=True)
class Param:
    """One slider of an explorer.

    Parameters
    ----------
    name : the keyword passed to ``compute`` and ``draw``.
    symbol : the lecture's symbol shown in the label ("ρ", "σ²", "m").
    low, high : the range of the live slider.
    default : the value shown first; it must be one of ``grid``.
    scale : "linear" or "log" (a log slider moves by factors, for ρ and σ²).
    grid : the values precomputed for the static book, increasing, inside [low, high].
    integer : whether the parameter only takes whole values.
    label : words shown before the symbol ("learning rate").
    """

    name: str
    symbol: str
    low: float
    high: float
    default: float
    scale: str = "linear"
    grid: Sequence[float] = field(default_factory=tuple)
    integer: bool = False
    label: str = ""

    def __post_init__(self):
        where = f"parameter {self.name!r}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"a parameter name must be a Python identifier, got {self.name!r}")
        if self.scale not in ("linear", "log"):
            raise ValueError(f"{where}: scale must be 'linear' or 'log', got {self.scale!r}")
        for key in ("low", "high", "default"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{where}: {key} must be a finite number, got {value!r}")
        if not self.low < self.high:
            raise ValueError(f"{where}: low must be < high, got low={self.low}, high={self.high}")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"{where}: a log scale needs low > 0, got low={self.low}")
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"{where}: default {self.default} lies outside the range [{self.low}, {self.high}]"
            )
        grid = tuple(self.grid)
        if not grid:
            raise ValueError(f"{where}: the grid is empty; give the values to precompute")
        if any(not self.low <= g <= self.high for g in grid):
            raise ValueError(f"{where}: every grid value must lie in [{self.low}, {self.high}], got {grid}")
        if any(b <= a for a, b in zip(grid, grid[1:])):
            raise ValueError(f"{where}: grid values must be strictly increasing, got {grid}")
        if self.integer and any(g != int(g) for g in grid + (self.default,)):
            raise ValueError(f"{where}: an integer parameter needs whole grid and default values")
        if not any(math.isclose(g, self.default, rel_tol=1e-12) for g in grid):
            raise ValueError(f"{where}: the default {self.default} must be one of the grid values {grid}")
        object.__setattr__(self, "grid", grid)

    def clean(self, value) -> float | int:
        """Check a value given for this parameter and return it (an int if integer)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"parameter {self.name!r} must be a finite number, got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(
                f"parameter {self.name!r} = {value} lies outside its range [{self.low}, {self.high}]"
            )
        return int(round(value)) if self.integer else float(value)

    def text(self, value) -> str:
        """The label of a value, as shown beside a slider: "ρ = 0.03"."""
        return f"{self.symbol} = {value:d}" if self.integer else f"{self.symbol} = {value:.3g}"

    def slider(self):
        """An ipywidgets slider over the whole range, updating only on release."""
        import ipywidgets as widgets

        common = dict(description=self.symbol, continuous_update=False, tooltip=self.label,
                      style={"description_width": "initial"},
                      layout=widgets.Layout(width="340px"))
        if self.integer:
            return widgets.IntSlider(value=int(self.default), min=int(self.low), max=int(self.high),
                                     step=1, **common)
        if self.scale == "log":
            lo, hi = math.log10(self.low), math.log10(self.high)
            return widgets.FloatLogSlider(value=self.default, base=10, min=lo, max=hi,
                                          step=(hi - lo) / 200, readout_format=".3g", **common)
        return widgets.FloatSlider(value=self.default, min=self.low, max=self.high,
                                   step=(self.high - self.low) / 200, readout_format=".3g", **common)
