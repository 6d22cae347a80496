"""Traces of an imputation run: mice's ``plot(imp)`` and the model parameters' traces.

The chain means and SDs of a variable's imputed cells per iteration, burn-in included (a 0/1
variable's proportion of ones; a categorical one's share of each category), and optionally
each model parameter's density and trace (`bayesmi.plots.parameter_traces`).
"""

from __future__ import annotations

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

from bayesmi.diagnostics.kernels import trace_rhat
from bayesmi.diagnostics.summary import summary_variables
from bayesmi.plots.categories import draw_share_traces, is_categorical
from bayesmi.plots.parameter_traces import draw_parameter
from bayesmi.plots.style import KEPT_LINE, LEGEND_CHAINS, OBSERVED_COLOR, axes_for, chain_colours
from bayesmi.result.comparison import is_zero_one, observed_proportion
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import (
    check_imputed,
    distinct_correlations,
    first_kept_iteration,
    iteration_dataset,
    iteration_trace,
    observed_frame,
)

__all__ = ["plot_trace"]


@reads_result
def plot_trace(
    idata: az.InferenceData,
    variable: str,
    parameters: bool | list[str] = False,
    axes: object = None,
) -> np.ndarray:
    """Plot the chain means and SDs of a variable's imputed cells per iteration (mice's plot).

    Each chain has its colour: matplotlib's ten up to ten chains, named in a legend below the
    panels; a colour map from 11 chains on (20 to 50, as m often is), numbered by a colour
    bar instead of a legend of 50 entries, with thinner lines. Each title gives the R-hat
    over the second half of the iterations.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    parameters : bool or list of str, default=False
        Also draw the model's parameters (True: its scalar and coefficient parameters; or a
        list such as ``["beta", "tau"]``), one row of two axes per parameter below the chain
        means and SDs: the density over the second half of the iterations and the trace, a
        scalar's chains in their colours, a vector's elements in one colour each
        (`bayesmi.plots.parameter_traces`).
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
    check_imputed(idata, variable)
    names = []
    if parameters:
        names = _scalar_parameters(idata, variable) if parameters is True else list(parameters)
    rows = 1 + len(names)
    if axes is None:
        _, created = plt.subplots(rows, 2, figsize=(11, 3.2 * rows + 0.8), squeeze=False)
        axes = created.ravel()
    axes = axes_for(axes, 2 * rows, (11, 3.5))
    if is_categorical(idata, variable):
        draw_share_traces(idata, variable, axes[:2])
    else:
        _draw_chain_summaries(idata, variable, axes[:2])
    if names:
        window = distinct_correlations(
            iteration_dataset(idata, [f"{variable}::{name}" for name in names])
        )
        kept_from = first_kept_iteration(idata)
        for row, name in enumerate(names, start=1):
            draw_parameter(
                window[f"{variable}::{name}"],
                name,
                axes[2 * row : 2 * row + 2],
                kept_from,
                variable,
            )
    axes[0].figure.tight_layout()
    return axes


def _draw_chain_summaries(idata: az.InferenceData, variable: str, axes: np.ndarray) -> None:
    """Chain means and SDs of the imputed cells per iteration; a 0/1 variable's proportion.

    A 0/1 variable's SD is a function of its mean, so its panels are the proportion of ones
    among the imputed cells on the full 0-1 scale (with the observed proportion) and the
    same proportion zoomed, to judge the mixing.
    """
    kept_from = first_kept_iteration(idata)
    binary = is_zero_one(observed_frame(idata)[variable])
    if binary:
        keys, labels = ("missing_mean", "missing_mean"), ("proportion of ones", "zoomed")
    else:
        keys, labels = ("missing_mean", "missing_sd"), ("mean", "SD")
    for k, (axis, key, label) in enumerate(zip(axes, keys, labels, strict=True)):
        trace = iteration_trace(idata, f"{variable}::{key}")
        iterations = np.arange(1, trace.shape[1] + 1)
        colours = chain_colours(trace.shape[0])
        many = trace.shape[0] > LEGEND_CHAINS
        for chain, values in enumerate(trace):
            axis.plot(
                iterations,
                values,
                lw=0.7 if many else 1.0,
                alpha=0.8 if many else 1.0,
                color=colours[chain],
                label=f"chain {chain}",
            )
        axis.axvline(kept_from, **KEPT_LINE, label="first kept iteration")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_xlabel("iteration")
        rhat = trace_rhat(trace)
        shown = f" (R-hat {rhat:.2f})" if np.isfinite(rhat) else ""
        if binary:
            axis.set_ylabel(f"proportion of {variable} = 1")
            title = "the same, zoomed" if k else "proportion of ones among the imputed values"
            axis.set_title(f"{variable}: {title}{shown}")
        else:
            axis.set_ylabel(f"{label} of imputed {variable}")
            axis.set_title(f"{variable}: {label} of the imputed values{shown}")
    if binary:
        share = observed_proportion(idata, variable)
        axes[0].axhline(share, color=OBSERVED_COLOR, ls="--", lw=1, label="observed proportion")
        axes[0].set_ylim(0, 1)
    _chain_key(axes, trace.shape[0])


def _chain_key(axes: np.ndarray, chains: int) -> None:
    """Name the chains: a legend below the first panel, or a colour bar past ten chains."""
    handles, labels = axes[0].get_legend_handles_labels()
    if chains > LEGEND_CHAINS:  # the marker lines only; the colour bar numbers the chains
        keep = [k for k, label in enumerate(labels) if not label.startswith("chain ")]
        handles, labels = [handles[k] for k in keep], [labels[k] for k in keep]
        scale = ScalarMappable(Normalize(0, chains - 1), cmap="viridis")
        bar = axes[1].figure.colorbar(scale, ax=axes[1], pad=0.02, fraction=0.05)
        bar.set_label(f"chain (0-{chains - 1})")
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    # below the panel, off the lines
    axes[0].legend(
        handles,
        labels,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        ncol=min(4, len(handles)),
        frameon=False,
    )


def _scalar_parameters(idata: az.InferenceData, variable: str) -> list[str]:
    """Return the parameters of a variable that have no cluster dimension."""
    prefix = f"{variable}::"
    return [
        name.removeprefix(prefix)
        for name in summary_variables(idata)
        if name.startswith(prefix)
        and not name.endswith(("missing_mean", "missing_sd", "missing_share"))
    ]
