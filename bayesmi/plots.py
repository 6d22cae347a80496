"""Plots of the missingness, the convergence and the imputations, drawn from the InferenceData.

mice users know ``md.pattern``, ``plot(imp)`` (chain means and SDs of the imputed values per
iteration), ``densityplot`` and ``stripplot``; these are their counterparts, with ArviZ's
``plot_trace`` for the model parameters. Every function returns its matplotlib axes.
"""

from __future__ import annotations

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde

from bayesmi.data import missing_pattern
from bayesmi.diagnostics import iteration_dataset, iteration_trace, summary_variables
from bayesmi.spec import spec_from_json

__all__ = ["plot_imputed", "plot_missing", "plot_trace"]

OBSERVED_COLOR = "#1f77b4"
IMPUTED_COLOR = "#d62728"


def plot_missing(data: pd.DataFrame, cluster: str, max_clusters: int = 60) -> np.ndarray:
    """Plot the missingness pattern and which clusters miss which variables.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data.
    cluster : str
        The cluster column.
    max_clusters : int, default=60
        Show at most this many clusters in the heat map, those with the most missing cells.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[pattern, clusters]``: the md.pattern table (rows are patterns with their counts,
        blue observed, red missing) and a cluster-by-variable heat map of the fraction
        missing, systematically missing cells (the whole cluster) marked with a cross.

    Examples
    --------
    >>> axes = bm.plot_missing(df, cluster="school")
    >>> axes[0].get_title()
    'Missingness patterns'
    """
    pattern = missing_pattern(data, cluster)
    patterns = pattern.patterns.drop(index="total")
    columns = [c for c in patterns.columns if c not in ("count", "n_missing")]
    counts = patterns["count"]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=[1, 1.6])
    cells = patterns[columns].to_numpy(dtype=float)
    axes[0].imshow(
        cells, cmap=_two_colors(), vmin=0, vmax=1, aspect="auto", interpolation="nearest"
    )
    axes[0].set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    axes[0].set_yticks(range(len(cells)), [str(n) for n in counts])
    axes[0].set_ylabel("rows with the pattern")
    axes[0].set_title("Missingness patterns")
    per_cluster = pattern.clusters
    variables = [c.removesuffix("_missing") for c in per_cluster if c.endswith("_missing")]
    fractions = per_cluster[[f"{v}_missing" for v in variables]].to_numpy(dtype=float)
    fractions = fractions / per_cluster["n"].to_numpy(dtype=float)[:, None]
    shown = np.argsort(-fractions.sum(axis=1), kind="stable")[:max_clusters]
    image = axes[1].imshow(
        fractions[shown].T, cmap="Reds", vmin=0, vmax=1, aspect="auto", interpolation="nearest"
    )
    systematic = per_cluster[[f"{v}_systematic" for v in variables]].to_numpy()[shown]
    rows, cols = np.nonzero(systematic.T)
    axes[1].scatter(cols, rows, marker="x", color="black", s=25, label="systematic")
    axes[1].set_yticks(range(len(variables)), variables)
    axes[1].set_xticks(range(len(shown)), [str(c) for c in per_cluster.index[shown]], rotation=90)
    axes[1].tick_params(axis="x", labelsize=6)
    axes[1].set_xlabel(f"{cluster} (most missing first)")
    axes[1].set_title("Fraction missing per cluster (x: systematically missing)")
    figure.colorbar(image, ax=axes[1], fraction=0.03)
    figure.tight_layout()
    return axes


def _two_colors():
    from matplotlib.colors import ListedColormap

    return ListedColormap([IMPUTED_COLOR, OBSERVED_COLOR])


def plot_trace(
    idata: az.InferenceData, variable: str, parameters: bool | list[str] = False
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
        scalar and coefficient parameters; or a list such as ``["beta", "tau"]``).

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[mean, sd]``, one line per chain over every iteration, burn-in included (a dotted
        line marks where the kept draws start); with `parameters`, a tuple of these and the
        axes of `arviz.plot_trace`.

    Raises
    ------
    ValueError
        If `variable` was not imputed in this run.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=3, iterations=6, tune=50,
    ...                   seed=1, progressbar=False)
    >>> axes = bm.plot_trace(idata, "popular")
    >>> len(axes[0].get_lines())  # three chains and the start of the kept draws
    4
    """
    _check_imputed(idata, variable)
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.5))
    kept_from = idata.attrs["iterations"] - idata.attrs["draws"] + 1
    for axis, key, label in zip(axes, ("missing_mean", "missing_sd"), ("mean", "SD"), strict=True):
        trace = iteration_trace(idata, f"{variable}::{key}")
        iterations = np.arange(1, trace.shape[1] + 1)
        for chain, values in enumerate(trace):
            axis.plot(iterations, values, lw=1, label=f"chain {chain}")
        axis.axvline(kept_from, color="grey", ls=":", lw=1)
        axis.set_xlabel("iteration")
        axis.set_ylabel(f"{label} of imputed {variable}")
        axis.set_title(f"{variable}: {label} of the imputed values")
    figure.tight_layout()
    if not parameters:
        return axes
    names = _scalar_parameters(idata, variable) if parameters is True else parameters
    window = iteration_dataset(idata, [f"{variable}::{name}" for name in names])
    return axes, az.plot_trace(window, compact=True)


def _check_imputed(idata: az.InferenceData, variable: str) -> None:
    spec = spec_from_json(idata.attrs["spec"])
    if variable not in spec:
        raise ValueError(f"{variable!r} was not imputed in this run; imputed: {list(spec)}.")


def _scalar_parameters(idata: az.InferenceData, variable: str) -> list[str]:
    """Return the parameters of a variable that have no cluster dimension."""
    prefix = f"{variable}::"
    return [
        name.removeprefix(prefix)
        for name in summary_variables(idata)
        if name.startswith(prefix) and not name.endswith(("missing_mean", "missing_sd"))
    ]


def plot_imputed(
    idata: az.InferenceData,
    variable: str,
    clusters: list | None = None,
    n_clusters: int = 12,
) -> np.ndarray:
    """Compare observed and imputed values: densities per imputation, strips per cluster.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    clusters : list, optional
        Cluster labels for the strips; default the `n_clusters` clusters with the most
        imputed cells.
    n_clusters : int, default=12
        Number of clusters shown when `clusters` is not given.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        ``[densities, strips]``: the density of the observed values (blue, thick) and of the
        imputed values of each imputation (red, thin; for a 0/1 variable, the proportion of
        ones); observed (blue) and imputed (red, all imputations) values per cluster.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=3, iterations=4, tune=50,
    ...                   seed=1, progressbar=False)
    >>> axes = bm.plot_imputed(idata, "popular")
    >>> len(axes[0].get_lines())  # the observed values and three imputations
    4
    """
    _check_imputed(idata, variable)
    observed_mask = idata.constant_data[f"{variable}::observed"].to_numpy()
    values = idata.observed_data[variable].to_numpy().astype(float)
    observed = values[observed_mask]
    imputed = idata.posterior[f"{variable}::missing"].to_numpy()
    imputed = imputed.reshape(-1, imputed.shape[-1])
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    binary = np.all(np.isin(observed, (0.0, 1.0)))
    if binary:
        axes[0].plot([0], [observed.mean()], "o", color=OBSERVED_COLOR, label="observed")
        for k, row in enumerate(imputed):
            axes[0].plot(
                [1],
                [row.mean()],
                "o",
                color=IMPUTED_COLOR,
                alpha=0.6,
                label="imputed" if k == 0 else None,
            )
        axes[0].set_xticks([0, 1], ["observed", "imputed"])
        axes[0].set_ylabel(f"proportion of {variable} = 1")
    else:
        grid = np.linspace(
            np.min([observed.min(), imputed.min()]), np.max([observed.max(), imputed.max()]), 200
        )
        axes[0].plot(
            grid, gaussian_kde(observed)(grid), color=OBSERVED_COLOR, lw=2.5, label="observed"
        )
        for k, row in enumerate(imputed):
            density = gaussian_kde(row)(grid) if np.ptp(row) > 0 else np.zeros_like(grid)
            axes[0].plot(
                grid,
                density,
                color=IMPUTED_COLOR,
                lw=0.8,
                alpha=0.7,
                label="imputed" if k == 0 else None,
            )
        axes[0].set_xlabel(variable)
        axes[0].set_ylabel("density")
    axes[0].legend()
    axes[0].set_title(f"{variable}: observed and imputed ({len(imputed)} imputations)")
    codes = idata.constant_data["cluster_code"].to_numpy()
    labels = idata.constant_data["cluster"].to_numpy()
    missing_codes = codes[~observed_mask]
    if clusters is None:
        counts = np.bincount(missing_codes, minlength=len(labels))
        chosen = np.argsort(-counts, kind="stable")[:n_clusters]
    else:
        index = {label: code for code, label in enumerate(labels)}
        unknown = [label for label in clusters if label not in index]
        if unknown:
            raise ValueError(f"clusters {unknown} are not clusters of this run.")
        chosen = np.array([index[label] for label in clusters])
    rng = np.random.default_rng(0)
    for position, code in enumerate(chosen):
        own = values[observed_mask & (codes == code)]
        cells = imputed[:, missing_codes == code].ravel()
        axes[1].scatter(
            position + rng.uniform(-0.15, 0.15, own.size) - 0.2,
            own,
            s=8,
            color=OBSERVED_COLOR,
            label="observed" if position == 0 else None,
        )
        axes[1].scatter(
            position + rng.uniform(-0.15, 0.15, cells.size) + 0.2,
            cells,
            s=4,
            color=IMPUTED_COLOR,
            alpha=0.4,
            label="imputed" if position == 0 else None,
        )
    axes[1].set_xticks(range(len(chosen)), [str(labels[c]) for c in chosen], rotation=45)
    axes[1].set_xlabel("cluster")
    axes[1].set_ylabel(variable)
    axes[1].legend()
    axes[1].set_title(f"{variable} per cluster")
    figure.tight_layout()
    return axes
