"""Spaghetti plot of persons' trajectories: observed occasions against imputed ones."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from bayesmi.messages import label_of, show
from bayesmi.plots.style import IMPUTED_COLOR, OBSERVED_COLOR, axes_for
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import observed_frame
from bayesmi.result.trajectories import trajectories

__all__ = ["plot_trajectories"]

MAX_PANELS = 6
"""At most this many panels (values of ``by=``)."""


@reads_result
def plot_trajectories(
    idata: az.InferenceData,
    variable: str,
    time: str | None = None,
    persons: list | None = None,
    n_persons: int = 8,
    imputations: int = 5,
    by: str | None = None,
    axes: object = None,
) -> np.ndarray:
    """Draw persons' trajectories over their occasions, observed values against imputed ones.

    Each chosen person's completed values in time order, one thin red line per imputation,
    with its imputed occasions as red points; over them, the observed occasions as a blue line
    and points, broken where an occasion is missing. Imputations that follow a person's course
    (rather than jumping to the population mean) are what a longitudinal model
    (``residual="ar1"``, random slopes of time) should give.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    time : str, optional
        The occasions' column; by default the run's ``time=``.
    persons : list, optional
        Persons (cluster labels) to draw; by default the `n_persons` with the most imputed
        occasions among those observed at two occasions or more (in each panel, with `by`).
    n_persons : int, default=8
        How many persons to choose.
    imputations : int, default=5
        How many imputations to draw.
    by : str, optional
        A column constant within persons (a trial's arm): one panel per value.
    axes : matplotlib Axes or array of them, optional
        Where to draw: one per panel.

    Returns
    -------
    numpy.ndarray
        The axes, one per panel.

    Raises
    ------
    ValueError
        As `bayesmi.result.trajectories.trajectories`; or if `by` is not a column, varies
        within a person, is missing, or has more than 6 values.
    """
    groups = _groups(idata, by)
    panels = axes_for(axes, len(groups), (5.5 * len(groups), 4.0), squeeze=False, sharey=True)
    for axis, (label, members) in zip(panels, groups, strict=True):
        lines = trajectories(idata, variable, time, persons, n_persons, imputations, among=members)
        _draw(axis, lines)
        axis.set_xlabel(lines.attrs["time"])
        axis.set_title(
            f"{variable}: {lines['person'].nunique()} persons"
            + ("" if label is None else f", {by} = {label_of(label)}")
        )
    panels[0].set_ylabel(variable)
    m = min(imputations, idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"])
    panels[0].legend(
        handles=[
            Line2D([], [], color=OBSERVED_COLOR, marker="o", label="observed"),
            Line2D(
                [],
                [],
                color=IMPUTED_COLOR,
                marker="o",
                lw=0.8,
                alpha=0.6,
                label=f"imputed ({m} imputations)",
            ),
        ],
        loc="best",
        fontsize="small",
    )
    return panels


def _draw(axis, lines: pd.DataFrame) -> None:
    """Draw each person's imputations (red), then their observed occasions (blue) on top."""
    for (_, _), track in lines.groupby(["person", "imputation"], sort=False):
        axis.plot(track["time"], track["value"], color=IMPUTED_COLOR, lw=0.8, alpha=0.35)
        imputed = track[track["imputed"]]
        axis.plot(imputed["time"], imputed["value"], "o", color=IMPUTED_COLOR, ms=3, alpha=0.6)
    first = lines[lines["imputation"] == 0]
    for _, track in first.groupby("person", sort=False):  # NaN breaks the line at a gap
        observed = track["value"].where(~track["imputed"])
        axis.plot(track["time"], observed, "o-", color=OBSERVED_COLOR, lw=1.2, ms=4)


def _groups(idata: az.InferenceData, by: str | None) -> list[tuple]:
    """Return (label, persons) per panel: one panel of all persons without `by`."""
    if by is None:
        return [(None, None)]
    frame = observed_frame(idata)
    cluster = idata.attrs["cluster"]
    if by not in frame.columns or by == cluster:
        raise ValueError(
            f"by={by!r} must be a column of the imputed data other than the person's; its "
            f"columns are {show(list(frame.columns))}."
        )
    if frame[by].isna().any():
        raise ValueError(f"by={by!r} has missing values; group by a complete column.")
    per_person = frame.groupby(cluster, observed=True)[by].nunique()
    if (per_person > 1).any():
        raise ValueError(
            f"by={by!r} varies within persons {show(list(per_person.index[per_person > 1]))}; "
            "group by a column constant within each person (a trial's arm)."
        )
    levels = sorted(pd.unique(frame[by]))
    if len(levels) > MAX_PANELS:
        raise ValueError(f"by={by!r} has {len(levels)} values; at most {MAX_PANELS} panels.")
    return [(level, list(pd.unique(frame.loc[frame[by] == level, cluster]))) for level in levels]
