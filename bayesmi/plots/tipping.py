"""The tipping-point plot: a pooled estimate and its interval against delta."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from bayesmi.plots.style import IMPUTED_COLOR, OBSERVED_COLOR
from bayesmi.sensitivity.tipping import TABLE_COLUMNS

__all__ = ["plot_tipping_point"]

ESTIMATE_COLOR = OBSERVED_COLOR
"""The pooled estimate and its interval: the colour of what was observed."""
TIPPING_COLOR = IMPUTED_COLOR
"""The tipping point: the colour of what was imputed."""


def plot_tipping_point(
    table: pd.DataFrame, ax: Axes | None = None, label: str | None = None
) -> Axes:
    """Draw `tipping_point`'s table: estimate and interval against delta (or rho), tipping marked.

    Parameters
    ----------
    table : pandas.DataFrame
        What `bayesmi.tipping_point` returns (its ``attrs`` name the term, the reference, the
        level and the tipping delta).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure's when omitted.
    label : str, optional
        What the pooled term is, in words (``"mean popularity"``) for the title and the
        y axis; default the term's name, as the analysis' fit names it (``"Intercept"``).

    Returns
    -------
    matplotlib.axes.Axes
        Points and line of the pooled estimate, its interval as a band, the reference value as
        a horizontal line and the tipping point (if any) as a vertical line.

    Raises
    ------
    ValueError
        If `table` lacks the columns `tipping_point` writes.
    """
    attrs = table.attrs
    over = attrs.get("over", "delta")
    missing = [column for column in (over, *TABLE_COLUMNS) if column not in table.columns]
    if missing:
        raise ValueError(
            f"the table lacks {', '.join(missing)}: plot what bayesmi.tipping_point returns."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ordered = table.sort_values(over)
    level = attrs.get("level", 0.95)
    term = attrs.get("term", ordered["term"].iloc[0])
    ax.fill_between(
        ordered[over],
        ordered["conf_low"],
        ordered["conf_high"],
        color=ESTIMATE_COLOR,
        alpha=0.2,
        label=f"{level:.0%} interval",
    )
    ax.plot(ordered[over], ordered["estimate"], "o-", color=ESTIMATE_COLOR, label="pooled estimate")
    reference = attrs.get("reference", 0.0)
    ax.axhline(reference, color="grey", linestyle=":", label=f"reference {reference:g}")
    tipping = attrs.get("tipping_point")
    if tipping is not None:
        label = f"tipping {over} {tipping:g}"
        ax.axvline(tipping, color=TIPPING_COLOR, linestyle="--", label=label)
    variable = attrs.get("variable", "the variable")
    ax.set_xlabel(
        f"delta: shift of the imputed {variable} away from MAR"
        if over == "delta"
        else f"rho: error correlation of {variable}'s selection model, fixed (0 = MAR)"
    )
    named = label or term
    ax.set_ylabel(f"{named} (pooled)")
    ax.set_title(f"Tipping point of {named}")
    ax.legend(frameon=False, fontsize="small")
    return ax
