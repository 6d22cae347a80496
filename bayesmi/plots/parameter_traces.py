"""A model parameter's density and trace per iteration, chains told apart by colour.

A scalar parameter (``tau``, Heckman's ``rho``) has one line per chain in the chains' colours
(`chain_colours`, the same as the chain means above it) and, beside it, its density over the
second half of the iterations, all chains pooled. A vector one (``beta``) has one colour per
element, named in the density's legend, each chain a thin line of that colour. The title
gives the R-hat over the second half of the iterations (the largest of a vector's).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from scipy.stats import gaussian_kde

from bayesmi.diagnostics.kernels import rhat_window, trace_rhat
from bayesmi.plots.style import KEPT_LINE, chain_colours

__all__ = ["draw_parameter"]


def draw_parameter(
    values: xr.DataArray, name: str, axes: np.ndarray, kept_from: int, variable: str
) -> None:
    """Draw one parameter's density (``axes[0]``) and trace (``axes[1]``).

    `values` has dims (chain, draw, ...) over every iteration (burn-in first); its elements
    are named by the coordinates of the other dims.
    """
    array = values.to_numpy()
    chains, iterations = array.shape[:2]
    flat = array.reshape(chains, iterations, -1)
    labels = _element_labels(values)
    density, trace = axes
    steps = np.arange(1, iterations + 1)
    first, _ = rhat_window(iterations)
    colours = chain_colours(chains)
    scalar = flat.shape[2] == 1
    width = 1.0 if chains <= 10 else 0.6
    for k in range(flat.shape[2]):
        element = flat[:, :, k]
        colour = None if scalar else f"C{k % 10}"
        _density(density, element[:, first:].ravel(), colour or "black", labels[k])
        for chain in range(chains):
            trace.plot(
                steps,
                element[chain],
                color=colour or colours[chain],
                lw=width if scalar else 0.6,
                alpha=1.0 if scalar or chains <= 3 else 0.6,
            )
    rhat = max(trace_rhat(flat[:, :, k]) for k in range(flat.shape[2]))
    shown = f" (R-hat {rhat:.2f})" if np.isfinite(rhat) else ""
    for axis in axes:
        axis.set_title(f"{variable}: {name}{shown}")
    density.set_xlabel(name)
    density.set_ylabel("density (iterations' 2nd half)")
    if values.ndim > 2:  # named elements (one factor's tau too): say which
        title = values.dims[2].partition("::")[2] or values.dims[2] if values.ndim == 3 else None
        density.legend(fontsize="small", title=title)
    trace.axvline(kept_from, **KEPT_LINE)
    trace.xaxis.set_major_locator(MaxNLocator(integer=True))
    trace.set_xlabel("iteration")
    trace.set_ylabel(name)


def _density(axis: Axes, sample: np.ndarray, colour: str, label: str) -> None:
    """Draw a kernel density of a sample (a vertical line if it does not vary)."""
    sample = sample[np.isfinite(sample)]
    if sample.size < 2 or np.ptp(sample) == 0:
        axis.axvline(sample[0] if sample.size else 0.0, color=colour, label=label)
        return
    grid = np.linspace(sample.min(), sample.max(), 200)
    axis.plot(grid, gaussian_kde(sample)(grid), color=colour, label=label)


def _element_labels(values: xr.DataArray) -> list[str]:
    """Names of a parameter's elements: the coordinates of its dims after (chain, draw)."""
    dims = values.dims[2:]
    if not dims:
        return [""]
    grids = np.meshgrid(*(values[dim].to_numpy() for dim in dims), indexing="ij")
    columns = [grid.ravel() for grid in grids]
    return [", ".join(str(part) for part in parts) for parts in zip(*columns, strict=True)]
