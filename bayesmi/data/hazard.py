"""The Nelson-Aalen cumulative hazard: how mice puts a time to event into a covariate's model.

White and Royston (2009) impute a covariate of a Cox model with the event indicator and the
marginal Nelson-Aalen cumulative hazard at each row's time as predictors: an approximation,
biased towards the null for large hazard ratios, which a compatible imputation
(``analysis="Surv(time, event) ~ ..."``) does not need. `nelson_aalen` gives that column, to
compare the two.

References
----------
White, I. R. and Royston, P. (2009). Imputing missing covariate values for the Cox model.
Statistics in Medicine 28(15), 1982-1998.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["nelson_aalen"]


def nelson_aalen(time: object, event: object) -> np.ndarray:
    """Return the marginal Nelson-Aalen cumulative hazard at every row's time.

    Parameters
    ----------
    time : array-like
        Follow-up times (complete).
    event : array-like
        1 (or any code above 0) for an event, 0 for censored (complete).

    Returns
    -------
    numpy.ndarray
        ``H(t_i) = sum over event times s <= t_i of d(s) / n(s)``: events at s over the rows
        still at risk at s (ties: all events at s at once).

    Raises
    ------
    ValueError
        If the times or events are missing, or of different lengths.

    Examples
    --------
    >>> import bayesmi as bm
    >>> bm.nelson_aalen([1.0, 2.0, 2.0, 3.0], [1, 1, 0, 1])
    array([0.25      , 0.58333333, 0.58333333, 1.58333333])
    """
    times = np.asarray(pd.to_numeric(pd.Series(np.asarray(time).ravel())), dtype=float)
    events = np.asarray(pd.to_numeric(pd.Series(np.asarray(event).ravel())), dtype=float) > 0
    if times.size != events.size:
        raise ValueError(f"time has {times.size} values and event {events.size}; give one each.")
    if np.isnan(times).any() or pd.isna(np.asarray(event, dtype=object)).any():
        raise ValueError("time and event must be complete to compute the cumulative hazard.")
    distinct, first = np.unique(np.sort(times), return_index=True)
    at_risk = times.size - first
    deaths = np.bincount(np.searchsorted(distinct, times), events.astype(float), distinct.size)
    cumulative = np.cumsum(deaths / at_risk)
    return cumulative[np.searchsorted(distinct, times)]
