"""Traces of an imputation run: mice's ``plot(imp)`` and ArviZ's traces of the parameters.

The chain means and SDs of a variable's imputed cells per iteration, burn-in included (a 0/1
variable's proportion of ones; a categorical one's share of each category), and optionally
each model parameter's density and trace by `arviz.plot_trace`.
"""

from __future__ import annotations

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from bayesmi.diagnostics.summary import summary_variables
from bayesmi.plots.categories import draw_share_traces, is_categorical
from bayesmi.plots.style import KEPT_LINE, OBSERVED_COLOR, axes_for
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
    check_imputed(idata, variable)
    names = []
    if parameters:
        names = _scalar_parameters(idata, variable) if parameters is True else list(parameters)
    rows = 1 + len(names)
    if axes is None:
        _, created = plt.subplots(rows, 2, figsize=(11, 3.5 * rows), squeeze=False)
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
        az.plot_trace(window, compact=True, legend=True, axes=axes[2:].reshape(len(names), 2))
        _move_chain_legend(axes[1], axes[3])
        _name_parameter_axes(axes[2:], variable)
        for axis in axes[3::2]:  # the traces, over the iterations as the chain summaries
            axis.axvline(first_kept_iteration(idata), **KEPT_LINE)
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_xlabel("iteration")
    axes[0].figure.tight_layout()
    return axes


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
    kept_from = first_kept_iteration(idata)
    binary = is_zero_one(observed_frame(idata)[variable])
    if binary:
        keys, labels = ("missing_mean", "missing_mean"), ("proportion of ones", "zoomed")
    else:
        keys, labels = ("missing_mean", "missing_sd"), ("mean", "SD")
    for k, (axis, key, label) in enumerate(zip(axes, keys, labels, strict=True)):
        trace = iteration_trace(idata, f"{variable}::{key}")
        iterations = np.arange(1, trace.shape[1] + 1)
        for chain, values in enumerate(trace):
            axis.plot(iterations, values, lw=1, label=f"chain {chain}")
        axis.axvline(kept_from, **KEPT_LINE, label="first kept iteration")
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
        share = observed_proportion(idata, variable)
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


def _scalar_parameters(idata: az.InferenceData, variable: str) -> list[str]:
    """Return the parameters of a variable that have no cluster dimension."""
    prefix = f"{variable}::"
    return [
        name.removeprefix(prefix)
        for name in summary_variables(idata)
        if name.startswith(prefix)
        and not name.endswith(("missing_mean", "missing_sd", "missing_share"))
    ]
