"""The missingness of the data, as mice's ``md.pattern`` draws it, and which clusters miss what."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from bayesmi.data.patterns import missing_pattern
from bayesmi.plots.style import IMPUTED_COLOR, OBSERVED_COLOR, axes_for

__all__ = ["plot_missing"]


def plot_missing(
    data: pd.DataFrame,
    cluster: str,
    columns: list[str] | None = None,
    max_labels: int = 30,
    axes: object = None,
) -> np.ndarray:
    """Plot the missingness pattern (mice's md.pattern) and which clusters miss what.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data.
    cluster : str
        The cluster column.
    columns : list of str, optional
        The columns to show; default those with missing values (complete columns and ids add
        nothing to the pattern; the title says how many are left out).
    max_labels : int, default=30
        Label at most this many clusters on the heat map's axis (every k-th, in the order
        shown); every cluster is drawn.
    axes : sequence of two matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[pattern, clusters]``. The pattern table as md.pattern draws it: one row per pattern
        (blue observed, red missing), its number of rows on the left, its number of missing
        variables on the right, each column's number of missing values under its name. The
        heat map: the fraction missing of each variable in each cluster, clusters sorted by
        their fraction missing (most first), crosses where a cluster misses a variable for
        every row (systematically).

    Raises
    ------
    ValueError
        If a column in `columns` is not in `data`, or no column has missing values.

    Examples
    --------
    >>> axes = bm.plot_missing(df, cluster="school")
    >>> axes[0].get_xticklabels()[0].get_text().split()
    ['popular', '848', 'missing']
    """
    shown = _missing_columns(data, cluster, columns)
    pattern = missing_pattern(data[[*shown, cluster]], cluster)
    axes = axes_for(axes, 2, (12, 4.5), width_ratios=[1, 1.6])
    patterns = pattern.patterns.drop(index="total").drop(columns=cluster)
    totals = pattern.patterns.loc["total"]
    left_out = len(data.columns) - 1 - len(shown)
    _draw_patterns(axes[0], patterns, totals, left_out)
    _draw_cluster_fractions(axes[1], *pattern.fractions(), cluster, max_labels)
    axes[0].figure.tight_layout()
    return axes


def _missing_columns(data: pd.DataFrame, cluster: str, columns: list[str] | None) -> list[str]:
    """Return the columns `plot_missing` shows: those asked for, or the incomplete ones."""
    if columns is not None:
        absent = [column for column in columns if column not in data.columns]
        if absent:
            raise ValueError(f"columns {absent} are not in data; its columns: {list(data)}.")
        return [column for column in columns if column != cluster]
    incomplete = [c for c in data.columns if c != cluster and data[c].isna().any()]
    if not incomplete:
        raise ValueError("no column of data has missing values: there is no pattern to plot.")
    return incomplete


def _draw_patterns(axis: Axes, patterns: pd.DataFrame, totals: pd.Series, left_out: int) -> None:
    columns = [c for c in patterns.columns if c not in ("count", "n_missing")]
    cells = patterns[columns].to_numpy(dtype=float)
    colors = ListedColormap([IMPUTED_COLOR, OBSERVED_COLOR])
    axis.imshow(cells, cmap=colors, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    labels = [f"{column}\n{int(totals[column])} missing" for column in columns]
    axis.set_xticks(range(len(columns)), labels, rotation=45 if len(columns) > 4 else 0)
    axis.set_yticks(range(len(cells)), [f"{int(n)} rows" for n in patterns["count"]])
    right = axis.secondary_yaxis("right")
    right.set_yticks(range(len(cells)), [str(int(n)) for n in patterns["n_missing"]])
    right.set_ylabel("variables missing")
    axis.set_ylabel("pattern")
    title = "Missingness patterns"
    if left_out:
        title += f" ({left_out} complete column{'s' if left_out > 1 else ''} not shown)"
    axis.set_title(title)
    axis.legend(
        handles=[
            Patch(color=OBSERVED_COLOR, label="observed"),
            Patch(color=IMPUTED_COLOR, label="missing"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18 if len(columns) <= 4 else -0.3),
        ncol=2,
        frameon=False,
    )


def _draw_cluster_fractions(
    axis: Axes, fractions: pd.DataFrame, systematic: pd.DataFrame, cluster: str, max_labels: int
) -> None:
    """Draw each variable's fraction missing per cluster, crosses where all are missing."""
    variables = list(fractions.columns)
    image = axis.imshow(
        fractions.to_numpy().T, cmap="Reds", vmin=0, vmax=1, aspect="auto", interpolation="nearest"
    )
    rows, cols = np.nonzero(systematic.to_numpy().T)
    if len(rows):
        axis.scatter(
            cols, rows, marker="x", color="black", s=25, label=f"missing for the whole {cluster}"
        )
        axis.legend(loc="upper right", fontsize="small")
    axis.set_yticks(range(len(variables)), variables)
    step = max(1, int(np.ceil(len(fractions) / max_labels)))
    ticks = np.arange(0, len(fractions), step)
    axis.set_xticks(ticks, [str(fractions.index[k]) for k in ticks], rotation=90)
    axis.tick_params(axis="x", labelsize=8)
    every = f", one in {step} labelled" if step > 1 else ""
    axis.set_xlabel(f"{cluster} ({len(fractions)}, most missing first{every})")
    axis.set_title(f"Fraction missing per {cluster}")
    colorbar = axis.figure.colorbar(image, ax=axis, fraction=0.03)
    colorbar.set_label("fraction missing")
