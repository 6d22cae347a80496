"""The plots of a categorical or ordinal variable: shares of its categories, not means.

`bayesmi.plots` calls these for a variable imputed by a categorical or ordinal model (or a
cluster-level one of those families): the trace of each category's share of the imputed cells
per iteration and chain, the shares of observed and imputed values per imputation (mice's
``densityplot`` has no meaning for categories), and the shares per cluster.
"""

from __future__ import annotations

import arviz as az
import numpy as np
from matplotlib.axes import Axes

from bayesmi.result.read import iteration_trace

__all__ = ["draw_category_shares", "draw_cluster_shares", "draw_share_traces", "is_categorical"]

OBSERVED_COLOR = "#1f77b4"
IMPUTED_COLOR = "#d62728"


def is_categorical(idata: az.InferenceData, variable: str) -> bool:
    """Whether the run traced a variable's category shares (a categorical or ordinal model)."""
    return f"{variable}::missing_share" in idata.posterior


def draw_share_traces(idata: az.InferenceData, variable: str, axes: np.ndarray) -> None:
    """Trace each category's share of the imputed cells: half the categories on each axis."""
    shares = iteration_trace(idata, f"{variable}::missing_share")
    labels = [str(label) for label in idata.posterior[f"{variable}::share"].to_numpy()]
    kept_from = idata.attrs["iterations"] - idata.attrs["draws"] + 1
    iterations = np.arange(1, shares.shape[1] + 1)
    half = (len(labels) + 1) // 2
    colours = [f"C{k % 10}" for k in range(len(labels))]
    for axis, chosen in zip(axes, (range(half), range(half, len(labels))), strict=True):
        for k in chosen:
            for chain, values in enumerate(shares[:, :, k]):
                label = f"{variable} = {labels[k]}" if chain == 0 else None
                axis.plot(iterations, values[:], lw=1, color=colours[k], label=label)
        axis.axvline(kept_from, color="grey", ls=":", lw=1, label="first kept iteration")
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
    share = np.array([np.mean(observed == label) for label in labels])
    axis.bar(positions - 0.2, share, width=0.35, color=OBSERVED_COLOR, label="observed")
    for k, row in enumerate(imputed):
        values = [np.mean(row == label) for label in labels]
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
    axis: Axes,
    variable: str,
    labels: list[str],
    observed: dict,
    imputed: dict,
    cluster_labels: list[str],
) -> None:
    """Per cluster, stacked shares of the categories: observed (left) and imputed (right)."""
    colours = [f"C{k % 10}" for k in range(len(labels))]
    for position, name in enumerate(cluster_labels):
        for offset, values, hatch in ((-0.2, observed[name], None), (0.2, imputed[name], "//")):
            bottom = 0.0
            for k, label in enumerate(labels):
                share = float(np.mean(values == label)) if values.size else 0.0
                axis.bar(
                    position + offset,
                    share,
                    width=0.35,
                    bottom=bottom,
                    color=colours[k],
                    hatch=hatch,
                    edgecolor="white",
                    label=label if position == 0 and offset < 0 else None,
                )
                bottom += share
    axis.set_ylabel(f"share of {variable}")
    axis.set_ylim(0, 1)
    axis.legend(title=variable, fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    axis.set_title(variable)
