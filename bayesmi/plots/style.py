"""The look every bayesmi plot shares: the colours of observed and imputed values, the axes.

Observed values are blue and imputed ones red in every plot (mice's convention), so a figure
reads the same whichever function drew it; a pooled estimate takes the observed colour and a
tipping point the imputed one.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

__all__ = [
    "IMPUTED_COLOR",
    "KEPT_LINE",
    "OBSERVED_COLOR",
    "axes_for",
    "category_colours",
    "chain_colours",
]

LEGEND_CHAINS = 10
"""Up to this many chains a trace names each in a legend; beyond, a colour bar numbers them."""

OBSERVED_COLOR = "#1f77b4"
"""Observed values (blue), and a pooled estimate."""
IMPUTED_COLOR = "#d62728"
"""Imputed values (red), and a tipping point."""
KEPT_LINE = {"color": "grey", "ls": ":", "lw": 1}
"""The vertical line at the first kept iteration of a trace."""


def chain_colours(count: int) -> list:
    """Return one colour per chain: matplotlib's ten up to ten chains, else viridis's range.

    Ten colours repeat past ten chains; a colour map keeps 20 or 50 chains apart and in order.
    """
    if count <= LEGEND_CHAINS:
        return [f"C{k}" for k in range(count)]
    return list(plt.get_cmap("viridis")(np.linspace(0.0, 0.95, count)))


def category_colours(count: int) -> list[str]:
    """Return one colour per category, from matplotlib's cycle."""
    return [f"C{k % 10}" for k in range(count)]


def axes_for(axes: object, count: int, figsize: tuple[float, float], **layout) -> np.ndarray:
    """Return the caller's axes (checked: `count` of them), or a new figure's row of them.

    Raises
    ------
    ValueError
        If `axes` are not `count` matplotlib Axes.
    """
    if axes is None:
        _, created = plt.subplots(1, count, figsize=figsize, **layout)
        return np.atleast_1d(created).ravel()
    flat = np.atleast_1d(np.asarray(axes, dtype=object)).ravel()
    if len(flat) != count or not all(isinstance(axis, Axes) for axis in flat):
        raise ValueError(
            f"axes must be {count} matplotlib Axes (e.g. plt.subplots(1, {count})[1]), got "
            f"{len(flat)} object(s)."
        )
    return flat
