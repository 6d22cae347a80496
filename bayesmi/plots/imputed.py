"""Observed against imputed values: mice's ``densityplot``, ``stripplot`` and ``bwplot``.

Per imputation (densities, points or boxes; a 0/1 variable's proportion of ones; a categorical
variable's shares) and per cluster (the clusters with the most imputed cells by default). The
numbers drawn are computed in `bayesmi.result.comparison`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from bayesmi.messages import show
from bayesmi.plots.categories import draw_category_shares, draw_cluster_shares, is_categorical
from bayesmi.plots.style import IMPUTED_COLOR, OBSERVED_COLOR, axes_for
from bayesmi.result.comparison import (
    ImputedValues,
    category_shares,
    category_values,
    chosen_clusters,
    cluster_category_shares,
    cluster_proportions,
    cluster_values,
    densities,
    imputed_values,
    proportions,
)
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import check_imputed, observed_frame

__all__ = ["plot_imputed"]

KINDS = ("density", "strip", "box")
"""The first panel's kinds (mice's densityplot, stripplot, bwplot)."""


@reads_result
def plot_imputed(
    idata: az.InferenceData,
    variable: str,
    kind: Literal["density", "strip", "box"] = "density",
    clusters: list | None = None,
    n_clusters: int = 12,
    axes: object = None,
    by: str | None = None,
) -> np.ndarray:
    """Compare observed and imputed values: per imputation, and per cluster.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    kind : {"density", "strip", "box"}, default="density"
        The first panel: the density of the observed values and of each imputation's
        imputed values (mice's ``densityplot``), or one column per imputation, 0 the observed
        values, as points (``stripplot``) or boxes (``bwplot``). A 0/1 variable shows the
        proportion of ones, a categorical one the share of each category, whatever the kind.
    clusters : list, optional
        Cluster labels for the second panel; default the `n_clusters` clusters with the most
        imputed cells (the title says so).
    n_clusters : int, default=12
        Number of clusters shown when `clusters` is not given.
    axes : sequence of matplotlib Axes, optional
        Where to draw (two, or with `by` one per group and one more); default a new figure.
    by : str, optional
        A complete column of the data with a few values (at most 6), e.g. the event status
        of a survival analysis: the first panel is drawn once per value, for its rows only
        (whether imputations follow the observed values within each group).

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[imputations, clusters]``: observed (blue) and imputed (red) values per imputation
        as `kind` says, then per cluster (all imputations; a 0/1 variable's proportion of
        ones, on the full 0-1 scale). With `by`, one first panel per group, then the clusters.

    Raises
    ------
    ValueError
        If `variable` was not imputed, `kind` is not one of the three, a cluster is not
        one of the run's, or `by` is not a complete column with at most 6 values.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> axes = bm.plot_imputed(idata, "popular")
    >>> len(axes[0].get_lines())  # the observed values and three imputations
    4
    >>> axes = bm.plot_imputed(idata, "popular", kind="box")
    >>> [label.get_text() for label in axes[0].get_xticklabels()]
    ['0', '1', '2', '3']
    """
    check_imputed(idata, variable)
    if kind not in KINDS:
        raise ValueError(f"kind must be 'density', 'strip' or 'box', got {kind!r}.")
    values = imputed_values(idata, variable)
    chosen = chosen_clusters(values, clusters, n_clusters)
    shown = ClustersShown(values.cluster, values.cluster_labels, chosen, clusters is None)
    groups = _groups(idata, variable, by)
    axes = axes_for(axes, len(groups) + 1, (5.5 * (len(groups) + 1), 3.8))
    categories = category_values(idata, values) if is_categorical(idata, variable) else None
    for axis, (label, rows) in zip(axes, groups, strict=False):
        part = values if rows is None else values.rows(rows)
        if categories is not None:
            own = categories if rows is None else categories.rows(rows, values.observed_mask)
            names = list(categories.names)
            draw_category_shares(axis, variable, names, *category_shares(part, own))
        elif values.zero_one:
            _draw_proportions(axis, part)
        else:
            draw = {"density": _draw_densities, "strip": _draw_strips, "box": _draw_boxes}[kind]
            draw(axis, part)
        if label is not None:
            axis.set_title(f"{axis.get_title()}\nrows with {by} = {label}")
    if len(groups) > 1:  # the groups on one scale, to be compared
        limits = np.array([axis.get_xlim() for axis in axes[:-1]])
        for axis in axes[:-1]:
            axis.set_xlim(limits[:, 0].min(), limits[:, 1].max())
    if categories is not None:
        per_cluster = cluster_category_shares(values, categories, chosen)
        draw_cluster_shares(axes[-1], variable, list(categories.names), per_cluster)
        shown.label(axes[-1], " (left bar observed, right bar hatched imputed)")
    elif values.zero_one:
        _draw_cluster_proportions(axes[-1], values, shown)
    else:
        _draw_cluster_values(axes[-1], values, shown)
    axes[0].figure.tight_layout()
    return axes


MAX_GROUPS = 6
"""Most values a `by` column of `plot_imputed` may have (one panel each)."""


def _groups(idata: az.InferenceData, variable: str, by: str | None) -> list[tuple]:
    """Return the first panels' groups: ``(label, rows)``, one ``(None, None)`` without `by`."""
    if by is None:
        return [(None, None)]
    frame = observed_frame(idata)
    if by not in frame.columns or by == variable:
        raise ValueError(
            f"by={by!r} must be another column of the imputed data; its columns are "
            f"{', '.join(map(str, frame.columns))}."
        )
    column = frame[by]
    if column.isna().any():
        raise ValueError(
            f"by={by!r} has missing values (rows {show(frame.index[column.isna()])}); group "
            "by a complete column, such as the event status."
        )
    levels = pd.unique(column)
    if len(levels) > MAX_GROUPS:
        raise ValueError(
            f"by={by!r} has {len(levels)} values; it draws one panel per value, at most "
            f"{MAX_GROUPS}: group by a column with few values (or cut this one into bands)."
        )
    levels = sorted(levels) if column.dtype.kind in "biuf" else list(levels)
    return [(level, (column == level).to_numpy()) for level in levels]


@dataclass(frozen=True)
class ClustersShown:
    """The clusters of the per-cluster panel, and how to label that panel."""

    name: str
    labels: np.ndarray
    chosen: np.ndarray
    by_default: bool

    def label(self, axis: Axes, note: str = "") -> None:
        """Name the cluster column on the x axis, and say which clusters the panel shows."""
        axis.set_xticks(
            range(len(self.chosen)), [str(self.labels[c]) for c in self.chosen], rotation=45
        )
        axis.set_xlabel(self.name + note)
        which = (
            f"the {len(self.chosen)} of {len(self.labels)} with the most imputed cells"
            if self.by_default
            else f"{len(self.chosen)} of {len(self.labels)}"
        )
        axis.set_title(f"{axis.get_title()} per {self.name}\n({which})")


def _draw_densities(axis: Axes, values: ImputedValues) -> None:
    """Draw the observed values' density and each imputation's (mice's densityplot)."""
    grid, observed, imputed = densities(values)
    axis.plot(grid, observed, color=OBSERVED_COLOR, lw=2.5, label="observed")
    for k, density in enumerate(imputed):
        label = "imputed (one line per imputation)" if k == 0 else None
        axis.plot(grid, density, color=IMPUTED_COLOR, lw=0.8, alpha=0.7, label=label)
    axis.set_ylabel("density")
    axis.set_ylim(0, 1.05 * max(observed.max(), imputed.max(initial=0.0)))
    note = _whole_number_note(values)
    axis.set_xlabel(values.variable + (f"\n{note}" if note else ""))
    # below the panel, off the densities' peaks
    axis.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3 if note else -0.18),
        ncol=2,
        fontsize="small",
        frameon=False,
    )
    axis.set_title(f"{values.variable}: observed and imputed ({len(imputed)} imputations)")


def _whole_number_note(values: ImputedValues) -> str:
    """Say so when the observed values are whole numbers and the imputations are not.

    A normal model imputes numbers between the observed scores (their density then looks
    smoother than the observed one's); predictive mean matching imputes observed values.
    """
    observed = values.values[values.observed_mask]
    imputed = values.imputed[np.isfinite(values.imputed)]
    if values.factor is not None or not observed.size or not imputed.size:
        return ""
    if np.all(observed == np.round(observed)) and not np.all(imputed == np.round(imputed)):
        return "(observed whole numbers, imputed continuous; pmm=True imputes observed values)"
    return ""


def _draw_strips(axis: Axes, values: ImputedValues) -> None:
    """One column of points per imputation, 0 the observed values (mice's stripplot)."""
    rng = np.random.default_rng(0)
    for position, (column, colour) in enumerate(_columns(values)):
        jitter = rng.uniform(-0.2, 0.2, column.size)
        axis.scatter(position + jitter, column, s=4, color=colour, alpha=0.5)
    _label_columns(axis, values, "values")


def _draw_boxes(axis: Axes, values: ImputedValues) -> None:
    """One box per imputation, 0 the observed values (mice's bwplot)."""
    columns, colours = zip(*_columns(values), strict=True)
    boxes = axis.boxplot(columns, positions=range(len(columns)), widths=0.6, patch_artist=True)
    for patch, colour in zip(boxes["boxes"], colours, strict=True):
        patch.set(facecolor=colour, alpha=0.5)
    _label_columns(axis, values, "boxes")


def _columns(values: ImputedValues) -> list[tuple[np.ndarray, str]]:
    """Return the observed values in blue, then each imputation's in red."""
    observed = [(values.observed, OBSERVED_COLOR)]
    return observed + [(row, IMPUTED_COLOR) for row in values.imputed]


def _label_columns(axis: Axes, values: ImputedValues, name: str) -> None:
    count = 1 + len(values.imputed)
    axis.set_xticks(range(count), [str(k) for k in range(count)])
    axis.set_xlabel("imputation (0: observed values)")
    axis.set_ylabel(values.variable)
    axis.set_title(f"{values.variable}: observed (0, blue) and imputed (red) {name}")


def _draw_proportions(axis: Axes, values: ImputedValues) -> None:
    """Draw a 0/1 variable's proportion of ones, observed and per imputation, on 0-1."""
    observed, imputed = proportions(values)
    axis.plot([0], [observed], "o", color=OBSERVED_COLOR, label="observed")
    for k, share in enumerate(imputed):
        label = "imputed (one dot per imputation)" if k == 0 else None
        axis.plot([1], [share], "o", color=IMPUTED_COLOR, alpha=0.6, label=label)
    axis.set_xticks([0, 1], ["observed", "imputed"])
    axis.set_xlim(-0.5, 1.5)
    axis.set_ylim(0, 1)
    axis.set_ylabel(f"proportion of {values.variable} = {values.one}")
    axis.legend()
    axis.set_title(f"{values.variable}: observed and imputed ({len(imputed)} imputations)")


def _draw_cluster_proportions(axis: Axes, values: ImputedValues, shown: ClustersShown) -> None:
    """Draw a 0/1 variable's proportion of ones per cluster: observed, and per imputation."""
    for position, (own, cells) in enumerate(cluster_proportions(values, shown.chosen)):
        first = position == 0
        if own is not None:
            label = "observed" if first else None
            axis.plot(position - 0.15, own, "s", color=OBSERVED_COLOR, label=label)
        if cells is not None:
            axis.plot(
                np.full(len(cells), position + 0.15),
                cells,
                "o",
                color=IMPUTED_COLOR,
                alpha=0.5,
                label="imputed (one dot per imputation)" if first else None,
            )
    axis.set_ylim(0, 1)
    axis.set_ylabel(f"proportion of {values.variable} = {values.one}")
    axis.legend(fontsize="small")
    axis.set_title(values.variable)
    shown.label(axis)


def _draw_cluster_values(axis: Axes, values: ImputedValues, shown: ClustersShown) -> None:
    """Draw each chosen cluster's observed values and its imputed cells, as points."""
    rng = np.random.default_rng(0)
    for position, (own, cells) in enumerate(cluster_values(values, shown.chosen)):
        cells = cells.ravel()
        first = position == 0
        axis.scatter(
            position + rng.uniform(-0.15, 0.15, own.size) - 0.2,
            own,
            s=8,
            color=OBSERVED_COLOR,
            label="observed" if first else None,
        )
        axis.scatter(
            position + rng.uniform(-0.15, 0.15, cells.size) + 0.2,
            cells,
            s=4,
            color=IMPUTED_COLOR,
            alpha=0.4,
            label="imputed (all imputations)" if first else None,
        )
    axis.set_ylabel(values.variable)
    axis.legend(fontsize="small")
    axis.set_title(values.variable)
    shown.label(axis)
