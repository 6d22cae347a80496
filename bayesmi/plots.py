"""Plots of the missingness, the convergence and the imputations, drawn from the InferenceData.

mice users know ``md.pattern``, ``plot(imp)`` (chain means and SDs of the imputed values per
iteration), ``densityplot`` and ``stripplot``; these are their counterparts, with ArviZ's
``plot_trace`` for the model parameters. Every function accepts the axes to draw on
(``axes=``) and returns the axes it drew on, as a 1-d numpy array of matplotlib Axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from scipy.stats import gaussian_kde

from bayesmi.category_plots import (
    draw_category_shares,
    draw_cluster_shares,
    draw_share_traces,
    is_categorical,
)
from bayesmi.data.factors import factor_codes, factor_of, numeric_factor
from bayesmi.data.patterns import missing_pattern
from bayesmi.diagnostics.summary import summary_variables
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import iteration_dataset, iteration_trace, observed_frame, run_spec

__all__ = ["plot_imputed", "plot_missing", "plot_trace"]

OBSERVED_COLOR = "#1f77b4"
IMPUTED_COLOR = "#d62728"


def _axes(axes: object, count: int, figsize: tuple[float, float], **layout) -> np.ndarray:
    """Return the caller's axes (checked: `count` of them), or a new figure's row of them."""
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
    axes = _axes(axes, 2, (12, 4.5), width_ratios=[1, 1.6])
    patterns = pattern.patterns.drop(index="total").drop(columns=cluster)
    totals = pattern.patterns.loc["total"]
    left_out = len(data.columns) - 1 - len(shown)
    _draw_patterns(axes[0], patterns, totals, left_out)
    _draw_cluster_fractions(axes[1], pattern.clusters, cluster, max_labels)
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
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

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
    axis: Axes, per_cluster: pd.DataFrame, cluster: str, max_labels: int
) -> None:
    variables = [c.removesuffix("_missing") for c in per_cluster if c.endswith("_missing")]
    fractions = per_cluster[[f"{v}_missing" for v in variables]].to_numpy(dtype=float)
    fractions = fractions / per_cluster["n"].to_numpy(dtype=float)[:, None]
    order = np.argsort(-fractions.sum(axis=1), kind="stable")
    image = axis.imshow(
        fractions[order].T, cmap="Reds", vmin=0, vmax=1, aspect="auto", interpolation="nearest"
    )
    systematic = per_cluster[[f"{v}_systematic" for v in variables]].to_numpy()[order]
    rows, cols = np.nonzero(systematic.T)
    if len(rows):
        axis.scatter(
            cols, rows, marker="x", color="black", s=25, label=f"missing for the whole {cluster}"
        )
        axis.legend(loc="upper right", fontsize="small")
    axis.set_yticks(range(len(variables)), variables)
    step = max(1, int(np.ceil(len(order) / max_labels)))
    ticks = np.arange(0, len(order), step)
    axis.set_xticks(ticks, [str(per_cluster.index[order[k]]) for k in ticks], rotation=90)
    axis.tick_params(axis="x", labelsize=8)
    every = f", one in {step} labelled" if step > 1 else ""
    axis.set_xlabel(f"{cluster} ({len(order)}, most missing first{every})")
    axis.set_title(f"Fraction missing per {cluster}")
    colorbar = axis.figure.colorbar(image, ax=axis, fraction=0.03)
    colorbar.set_label("fraction missing")


@reads_result
def plot_trace(
    idata: az.InferenceData,
    variable: str,
    parameters: bool | list[str] = False,
    axes: object = None,
) -> np.ndarray:
    """Plot the chain means and SDs of a variable's imputed cells per iteration (mice's plot).

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    parameters : bool or list of str, default=False
        Also draw the traces of the model's parameters with `arviz.plot_trace` (True: its
        scalar and coefficient parameters; or a list such as ``["beta", "tau"]``), one row
        of two axes (density, trace) per parameter below the chain means and SDs.
    axes : array of matplotlib Axes, optional
        Where to draw: 2 axes, or ``(1 + k, 2)`` with ``k`` parameters; default a new figure.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[mean, sd]``, one line per chain over every iteration, burn-in included (a dotted
        line marks where the kept draws start); with `parameters`, followed by each
        parameter's density and trace axes.

    Raises
    ------
    ValueError
        If `variable` was not imputed in this run, or `axes` are not as many as needed.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> axes = bm.plot_trace(idata, "popular")
    >>> len(axes[0].get_lines())  # three chains and the start of the kept draws
    4
    """
    _check_imputed(idata, variable)
    names = []
    if parameters:
        names = _scalar_parameters(idata, variable) if parameters is True else list(parameters)
    rows = 1 + len(names)
    if axes is None:
        _, created = plt.subplots(rows, 2, figsize=(11, 3.5 * rows), squeeze=False)
        axes = created.ravel()
    axes = _axes(axes, 2 * rows, (11, 3.5))
    if is_categorical(idata, variable):
        draw_share_traces(idata, variable, axes[:2])
    else:
        _draw_chain_summaries(idata, variable, axes[:2])
    if names:
        window = _distinct_correlations(
            iteration_dataset(idata, [f"{variable}::{name}" for name in names])
        )
        az.plot_trace(window, compact=True, legend=True, axes=axes[2:].reshape(len(names), 2))
        _move_chain_legend(axes[1], axes[3])
        _name_parameter_axes(axes[2:], variable)
        kept_from = idata.attrs["iterations"] - idata.attrs["draws"] + 1
        for axis in axes[3::2]:  # the traces, over the iterations as the chain summaries
            axis.axvline(kept_from, color="grey", ls=":", lw=1)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_xlabel("iteration")
    axes[0].figure.tight_layout()
    return axes


def _distinct_correlations(window: xr.Dataset) -> xr.Dataset:
    """Keep each correlation matrix's pairs below the diagonal (the rest is 1 or repeated).

    A constant 1 has no density to draw (ArviZ's KDE fails on it); a pair's dim is named
    ``pair``, labelled ``"Intercept, x"``.
    """
    for name in [name for name in window.data_vars if name.endswith("::re_corr")]:
        values = window[name]
        rows = values.dims[2]
        labels = values.coords[rows].to_numpy()
        i, j = np.tril_indices(len(labels), k=-1)
        pairs = values.to_numpy()[:, :, i, j]
        pair_dim = f"{name.partition('::')[0]}::pair"
        window = window.drop_vars(name)
        window[name] = xr.DataArray(
            pairs,
            dims=(*values.dims[:2], pair_dim),
            coords={pair_dim: [f"{labels[a]}, {labels[b]}" for a, b in zip(i, j, strict=True)]},
        )
    return window


def _move_chain_legend(source: Axes, target: Axes) -> None:
    """Move ArviZ's legend of the chains' line styles to the first parameter's trace.

    ArviZ puts it on the figure's second axes, here the SD of the imputed values, whose lines
    are coloured per chain instead.
    """
    legend = source.get_legend()
    if legend is None or legend.get_title().get_text() != "chain":
        return
    handles, labels = legend.legend_handles, [text.get_text() for text in legend.get_texts()]
    legend.remove()
    target.legend(
        handles, labels, title="chain", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small"
    )


def _name_parameter_axes(axes: np.ndarray, variable: str) -> None:
    """Title each parameter's axes and legends without the ``<variable>::`` prefix.

    The density's legend names each line's coefficient or factor (``school``, ``classroom``
    for ``tau`` with several grouping factors), the trace's the chains.
    """
    prefix = f"{variable}::"
    for axis in axes:
        axis.set_title(f"{variable}: {axis.get_title().removeprefix(prefix)}")
        legend = axis.get_legend()
        if legend is not None:
            legend.set_title(legend.get_title().get_text().removeprefix(prefix))


def _draw_chain_summaries(idata: az.InferenceData, variable: str, axes: np.ndarray) -> None:
    """Chain means and SDs of the imputed cells per iteration; a 0/1 variable's proportion.

    A 0/1 variable's SD is a function of its mean, so its panels are the proportion of ones
    among the imputed cells on the full 0-1 scale (with the observed proportion) and the
    same proportion zoomed, to judge the mixing.
    """
    kept_from = idata.attrs["iterations"] - idata.attrs["draws"] + 1
    observed = observed_frame(idata)[variable]
    binary = _is_zero_one(observed)
    if binary:
        keys, labels = ("missing_mean", "missing_mean"), ("proportion of ones", "zoomed")
    else:
        keys, labels = ("missing_mean", "missing_sd"), ("mean", "SD")
    for k, (axis, key, label) in enumerate(zip(axes, keys, labels, strict=True)):
        trace = iteration_trace(idata, f"{variable}::{key}")
        iterations = np.arange(1, trace.shape[1] + 1)
        for chain, values in enumerate(trace):
            axis.plot(iterations, values, lw=1, label=f"chain {chain}")
        axis.axvline(kept_from, color="grey", ls=":", lw=1, label="first kept iteration")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel("iteration")
        if binary:
            axis.set_ylabel(f"proportion of {variable} = 1")
            title = "the same, zoomed" if k else "proportion of ones among the imputed values"
            axis.set_title(f"{variable}: {title}")
        else:
            axis.set_ylabel(f"{label} of imputed {variable}")
            axis.set_title(f"{variable}: {label} of the imputed values")
    if binary:
        share = float(np.nanmean(observed.to_numpy(dtype=float, na_value=np.nan)))
        axes[0].axhline(share, color=OBSERVED_COLOR, ls="--", lw=1, label="observed proportion")
        axes[0].set_ylim(0, 1)
    # below the panel, off the lines: ten chains' entries would cover a third of the traces
    axes[0].legend(
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=min(4, len(axes[0].get_lines())),
        frameon=False,
    )


def _is_zero_one(column: pd.Series) -> bool:
    """Whether a numeric column's observed values are all 0 or 1."""
    if factor_of(column) is not None:
        return False
    values = column.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    return bool(values.size) and bool(np.all(np.isin(values, (0.0, 1.0))))


def _check_imputed(idata: az.InferenceData, variable: str) -> None:
    spec = run_spec(idata)
    if variable not in spec:
        raise ValueError(f"{variable!r} was not imputed in this run; imputed: {list(spec)}.")


def _scalar_parameters(idata: az.InferenceData, variable: str) -> list[str]:
    """Return the parameters of a variable that have no cluster dimension."""
    prefix = f"{variable}::"
    return [
        name.removeprefix(prefix)
        for name in summary_variables(idata)
        if name.startswith(prefix)
        and not name.endswith(("missing_mean", "missing_sd", "missing_share"))
    ]


@reads_result
def plot_imputed(
    idata: az.InferenceData,
    variable: str,
    kind: Literal["density", "strip", "box"] = "density",
    clusters: list | None = None,
    n_clusters: int = 12,
    axes: object = None,
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
    axes : sequence of two matplotlib Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[imputations, clusters]``: observed (blue) and imputed (red) values per imputation
        as `kind` says, then per cluster (all imputations; a 0/1 variable's proportion of
        ones, on the full 0-1 scale).

    Raises
    ------
    ValueError
        If `variable` was not imputed, `kind` is not one of the three, or a cluster is not
        one of the run's.

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
    _check_imputed(idata, variable)
    if kind not in ("density", "strip", "box"):
        raise ValueError(f"kind must be 'density', 'strip' or 'box', got {kind!r}.")
    observed_mask = idata.constant_data[f"{variable}::observed"].to_numpy()
    column = observed_frame(idata)[variable]
    imputed = idata.posterior[f"{variable}::missing"].to_numpy()
    imputed = imputed.reshape(-1, imputed.shape[-1])
    codes = idata.constant_data["cluster_code"].to_numpy()
    labels = idata.constant_data["cluster"].to_numpy()
    chosen = _chosen_clusters(codes[~observed_mask], labels, clusters, n_clusters)
    clusters_shown = ClustersShown(
        idata.attrs.get("cluster", "cluster"), labels, chosen, clusters is None
    )
    axes = _axes(axes, 2, (11, 3.8))
    if is_categorical(idata, variable):
        _draw_categories(axes, variable, column, observed_mask, imputed, codes, labels, chosen)
        clusters_shown.label(axes[1], " (left bar observed, right bar hatched imputed)")
    else:
        factor = factor_of(column)  # a two-category factor (yes/no) is imputed as codes 0/1
        if factor is None:
            values = column.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = factor_codes(column, factor)
        one = "1" if factor is None else factor.label(1)
        observed = values[observed_mask]
        if np.all(np.isin(observed, (0.0, 1.0))):
            _draw_proportions(axes[0], variable, observed, imputed, one)
            _draw_cluster_proportions(
                axes[1], variable, values, observed_mask, imputed, codes, one, clusters_shown
            )
        else:
            if kind == "density":
                _draw_densities(axes[0], variable, observed, imputed)
            else:
                _draw_per_imputation(axes[0], variable, observed, imputed, kind)
            _draw_strips(axes[1], variable, values, observed_mask, imputed, codes, clusters_shown)
    axes[0].figure.tight_layout()
    return axes


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


def _draw_categories(axes, variable, column, observed_mask, imputed, codes, labels, chosen):
    """Shares of the categories: per imputation, and per chosen cluster."""
    factor = factor_of(column)
    if factor is None:  # a numeric column imputed as categories: its values are the labels
        factor = numeric_factor(column.to_numpy(dtype=float, na_value=np.nan))
        values = np.array(factor.categories, dtype=float)
        imputed = np.searchsorted(values, imputed)
        observed = np.searchsorted(values, column.to_numpy(dtype=float, na_value=np.nan))
    else:
        observed = np.array(
            [
                factor.categories.index(v) if v in factor.categories else -1
                for v in column.astype(object)
            ]
        )
        imputed = imputed.astype(int)
    names = np.array([factor.label(k) for k in range(factor.n_categories)])
    observed_labels = names[observed[observed_mask]]
    draw_category_shares(axes[0], variable, list(names), observed_labels, names[imputed])
    missing_codes = codes[~observed_mask]
    shown = [str(labels[code]) for code in chosen]
    own = {str(labels[c]): names[observed[observed_mask & (codes == c)]] for c in chosen}
    cells = {str(labels[c]): names[imputed[:, missing_codes == c].ravel()] for c in chosen}
    draw_cluster_shares(axes[1], variable, list(names), own, cells, shown)


def _chosen_clusters(
    missing_codes: np.ndarray, labels: np.ndarray, clusters: list | None, n_clusters: int
) -> np.ndarray:
    if clusters is None:
        counts = np.bincount(missing_codes, minlength=len(labels))
        return np.argsort(-counts, kind="stable")[:n_clusters]
    index = {label: code for code, label in enumerate(labels)}
    unknown = [label for label in clusters if label not in index]
    if unknown:
        raise ValueError(f"clusters {unknown} are not clusters of this run.")
    return np.array([index[label] for label in clusters])


def _draw_densities(axis: Axes, variable: str, observed: np.ndarray, imputed: np.ndarray) -> None:
    low = np.min([observed.min(), imputed.min()])
    grid = np.linspace(low, np.max([observed.max(), imputed.max()]), 200)
    density = gaussian_kde(observed)(grid)
    axis.plot(grid, density, color=OBSERVED_COLOR, lw=2.5, label="observed")
    for k, row in enumerate(imputed):
        density = gaussian_kde(row)(grid) if np.ptp(row) > 0 else np.zeros_like(grid)
        label = "imputed (one line per imputation)" if k == 0 else None
        axis.plot(grid, density, color=IMPUTED_COLOR, lw=0.8, alpha=0.7, label=label)
    axis.set_xlabel(variable)
    axis.set_ylabel("density")
    axis.legend()
    axis.set_title(f"{variable}: observed and imputed ({len(imputed)} imputations)")


def _draw_per_imputation(
    axis: Axes, variable: str, observed: np.ndarray, imputed: np.ndarray, kind: str
) -> None:
    """One column per imputation, 0 the observed values: points (stripplot) or boxes (bwplot)."""
    columns = [observed, *imputed]
    colours = [OBSERVED_COLOR, *[IMPUTED_COLOR] * len(imputed)]
    if kind == "box":
        boxes = axis.boxplot(columns, positions=range(len(columns)), widths=0.6, patch_artist=True)
        for patch, colour in zip(boxes["boxes"], colours, strict=True):
            patch.set(facecolor=colour, alpha=0.5)
    else:
        rng = np.random.default_rng(0)
        for position, (values, colour) in enumerate(zip(columns, colours, strict=True)):
            jitter = rng.uniform(-0.2, 0.2, values.size)
            axis.scatter(position + jitter, values, s=4, color=colour, alpha=0.5)
    axis.set_xticks(range(len(columns)), [str(k) for k in range(len(columns))])
    axis.set_xlabel("imputation (0: observed values)")
    axis.set_ylabel(variable)
    name = {"box": "boxes", "strip": "values"}[kind]
    axis.set_title(f"{variable}: observed (0, blue) and imputed (red) {name}")


def _draw_proportions(
    axis: Axes, variable: str, observed: np.ndarray, imputed: np.ndarray, one: str
) -> None:
    """Draw a 0/1 variable's proportion of ones, observed and per imputation, on 0-1."""
    axis.plot([0], [observed.mean()], "o", color=OBSERVED_COLOR, label="observed")
    for k, row in enumerate(imputed):
        label = "imputed (one dot per imputation)" if k == 0 else None
        axis.plot([1], [row.mean()], "o", color=IMPUTED_COLOR, alpha=0.6, label=label)
    axis.set_xticks([0, 1], ["observed", "imputed"])
    axis.set_xlim(-0.5, 1.5)
    axis.set_ylim(0, 1)
    axis.set_ylabel(f"proportion of {variable} = {one}")
    axis.legend()
    axis.set_title(f"{variable}: observed and imputed ({len(imputed)} imputations)")


def _draw_cluster_proportions(
    axis, variable, values, observed_mask, imputed, codes, one, shown: ClustersShown
) -> None:
    """Draw a 0/1 variable's proportion of ones per cluster: observed, and per imputation."""
    missing_codes = codes[~observed_mask]
    for position, code in enumerate(shown.chosen):
        own = values[observed_mask & (codes == code)]
        cells = imputed[:, missing_codes == code]
        first = position == 0
        if own.size:
            axis.plot(
                position - 0.15,
                own.mean(),
                "s",
                color=OBSERVED_COLOR,
                label="observed" if first else None,
            )
        if cells.shape[1]:
            axis.plot(
                np.full(len(cells), position + 0.15),
                cells.mean(axis=1),
                "o",
                color=IMPUTED_COLOR,
                alpha=0.5,
                label="imputed (one dot per imputation)" if first else None,
            )
    axis.set_ylim(0, 1)
    axis.set_ylabel(f"proportion of {variable} = {one}")
    axis.legend(fontsize="small")
    axis.set_title(variable)
    shown.label(axis)


def _draw_strips(
    axis, variable, values, observed_mask, imputed, codes, shown: ClustersShown
) -> None:
    rng = np.random.default_rng(0)
    missing_codes = codes[~observed_mask]
    for position, code in enumerate(shown.chosen):
        own = values[observed_mask & (codes == code)]
        cells = imputed[:, missing_codes == code].ravel()
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
    axis.set_ylabel(variable)
    axis.legend(fontsize="small")
    axis.set_title(variable)
    shown.label(axis)
