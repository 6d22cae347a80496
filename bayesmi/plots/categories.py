"""The plots of a categorical or ordinal variable: shares of its categories, not means.

`bayesmi.plot_trace` and `bayesmi.plot_imputed` draw these for a variable imputed by a
categorical or ordinal model (or a cluster-level one of those families): each category's share
of the imputed cells per iteration and chain, the shares among the observed values and in each
imputation (mice's ``densityplot`` has no meaning for categories), and the shares per cluster.
The shares are computed in `bayesmi.result.comparison`.
"""

from __future__ import annotations

import arviz as az
import numpy as np
from matplotlib.axes import Axes

from bayesmi.plots.style import IMPUTED_COLOR, KEPT_LINE, OBSERVED_COLOR, category_colours
from bayesmi.result.read import first_kept_iteration, iteration_trace

__all__ = ["draw_category_shares", "draw_cluster_shares", "draw_share_traces", "is_categorical"]


def is_categorical(idata: az.InferenceData, variable: str) -> bool:
    """Whether the run traced a variable's category shares (a categorical or ordinal model)."""
    return f"{variable}::missing_share" in idata.posterior


def draw_share_traces(idata: az.InferenceData, variable: str, axes: np.ndarray) -> None:
    """Trace each category's share of the imputed cells: half the categories on each axis."""
    shares = iteration_trace(idata, f"{variable}::missing_share")
    labels = [str(label) for label in idata.posterior[f"{variable}::share"].to_numpy()]
    iterations = np.arange(1, shares.shape[1] + 1)
    half = (len(labels) + 1) // 2
    colours = category_colours(len(labels))
    for axis, chosen in zip(axes, (range(half), range(half, len(labels))), strict=True):
        for k in chosen:
            for chain, values in enumerate(shares[:, :, k]):
                label = f"{variable} = {labels[k]}" if chain == 0 else None
                axis.plot(iterations, values[:], lw=1, color=colours[k], label=label)
        axis.axvline(first_kept_iteration(idata), **KEPT_LINE, label="first kept iteration")
        axis.set_xlabel("iteration")
        axis.set_ylabel("share of the imputed cells")
        names = ", ".join(labels[k] for k in chosen)
        axis.set_title(f"{variable}: share of {names} (one line per chain)")
        axis.legend(fontsize="small")


def draw_category_shares(
    axis: Axes, variable: str, labels: list[str], observed: np.ndarray, imputed: np.ndarray
) -> None:
    """Draw each category's share among the observed values and in every imputation."""
    positions = np.arange(len(labels))
    axis.bar(positions - 0.2, observed, width=0.35, color=OBSERVED_COLOR, label="observed")
    for k, values in enumerate(imputed):
        axis.plot(
            positions + 0.2,
            values,
            "o",
            color=IMPUTED_COLOR,
            alpha=0.6,
            label="imputed (one dot per imputation)" if k == 0 else None,
        )
    axis.set_xticks(positions, labels)
    axis.set_xlabel(variable)
    axis.set_ylabel("share")
    axis.set_ylim(0, 1)
    axis.legend()
    axis.set_title(f"{variable}: observed and imputed shares ({len(imputed)} imputations)")


def draw_cluster_shares(
    axis: Axes, variable: str, labels: list[str], shares: list[tuple[np.ndarray, np.ndarray]]
) -> None:
    """Per cluster, stacked shares of the categories: observed (left) and imputed (right)."""
    colours = category_colours(len(labels))
    for position, (observed, imputed) in enumerate(shares):
        for offset, values, hatch in ((-0.2, observed, None), (0.2, imputed, "//")):
            bottom = 0.0
            for k, label in enumerate(labels):
                axis.bar(
                    position + offset,
                    values[k],
                    width=0.35,
                    bottom=bottom,
                    color=colours[k],
                    hatch=hatch,
                    edgecolor="white",
                    label=label if position == 0 and offset < 0 else None,
                )
                bottom += values[k]
    axis.set_ylabel(f"share of {variable}")
    axis.set_ylim(0, 1)
    axis.legend(title=variable, fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    axis.set_title(variable)
