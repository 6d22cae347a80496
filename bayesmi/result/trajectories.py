"""Persons' trajectories over their occasions: observed values and each imputation's.

What `bayesmi.plot_trajectories` draws: for a few persons, the completed values of a variable
at every occasion in time order, in some imputations, marked observed or imputed.
"""

from __future__ import annotations

import itertools

import arviz as az
import pandas as pd

from bayesmi.messages import show
from bayesmi.result.read import check_imputed, completed, observed_frame

__all__ = ["trajectories"]


def trajectories(
    idata: az.InferenceData,
    variable: str,
    time: str | None = None,
    persons: list | None = None,
    n_persons: int = 12,
    imputations: int = 5,
    among: list | None = None,
) -> pd.DataFrame:
    """Return persons' completed trajectories of `variable`, in long form.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        An imputed variable.
    time : str, optional
        The occasions' column; by default the run's ``time=``.
    persons : list, optional
        Cluster labels to show; by default the `n_persons` with the most imputed occasions
        among those observed at two occasions or more.
    n_persons : int, default=12
        How many persons to choose when `persons` is not given.
    imputations : int, default=5
        How many imputations (the first ones) to take.
    among : list, optional
        Choose the persons among these (a trial arm's) when `persons` is not given.

    Returns
    -------
    pandas.DataFrame
        ``person``, ``time``, ``imputation``, ``value`` and ``imputed`` (whether the cell was
        missing), one row per person, occasion and imputation, sorted by them; the cluster
        column's label is the frame's ``attrs["person"]``.

    Raises
    ------
    ValueError
        If `variable` was not imputed, the run has no time column and `time` is not given,
        or a person given is not a cluster of the run.
    """
    check_imputed(idata, variable)
    time = time if time is not None else idata.attrs.get("time")
    frame = observed_frame(idata)
    if time is None or time not in frame.columns:
        raise ValueError(
            "say which column holds the occasions' time: plot_trajectories(..., time='visit'), "
            f"or impute with time=; the columns are {show(list(frame.columns))}."
        )
    cluster = idata.attrs["cluster"]
    missing = frame[variable].isna()
    if persons is None:
        inside = frame[cluster].isin(frame[cluster] if among is None else among)
        by_person = missing[inside].groupby(frame.loc[inside, cluster], observed=True)
        counts, seen = by_person.sum(), by_person.size() - by_person.sum()
        counts = counts[seen >= 2]  # a course to follow: two observed occasions at least
        persons = list(counts.sort_values(ascending=False, kind="stable").index[:n_persons])
    unknown = [person for person in persons if person not in set(frame[cluster])]
    if unknown:
        raise ValueError(f"persons {show(unknown)} are not clusters ({cluster!r}) of this run.")
    rows = frame[cluster].isin(persons).to_numpy()
    pieces = []
    for k, data in enumerate(itertools.islice(completed(idata), imputations)):
        pieces.append(
            pd.DataFrame(
                {
                    "person": data[cluster].to_numpy()[rows],
                    "time": data[time].to_numpy()[rows],
                    "imputation": k,
                    "value": data[variable].to_numpy(dtype=float)[rows],
                    "imputed": missing.to_numpy()[rows],
                }
            )
        )
    long = pd.concat(pieces, ignore_index=True)
    long = long.sort_values(["person", "imputation", "time"], kind="stable")
    long = long.reset_index(drop=True)
    long.attrs["person"] = cluster
    long.attrs["time"] = time
    return long
