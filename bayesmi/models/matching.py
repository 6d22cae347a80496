"""Predictive mean matching: impute the observed value of a donor with a close predicted mean.

As mice's ``pmm`` and miceadds' ``2l.pmm``, under the current parameter draw: the predicted
means of the observed and the missing cells come from the same drawn parameters (and cluster
effects); for every missing cell the `donors` observed cells with the closest predicted means
are the candidates and one of them, chosen uniformly, gives its observed value. Imputations are
therefore always values that were observed.

References
----------
Little, R. J. A. (1988). Missing-data adjustments in large surveys. Journal of Business &
Economic Statistics, 6(3), 287-296.
van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., section 3.4.
"""

from __future__ import annotations

import numpy as np

__all__ = ["match_donors"]


def match_donors(
    observed_means: np.ndarray,
    missing_means: np.ndarray,
    observed_values: np.ndarray,
    donors: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return, for every missing cell, the observed value of one of its closest donors.

    Parameters
    ----------
    observed_means : numpy.ndarray
        Predicted means of the cells with an observed value.
    missing_means : numpy.ndarray
        Predicted means of the missing cells.
    observed_values : numpy.ndarray
        The observed values, aligned with `observed_means`.
    donors : int
        Number of candidates per missing cell (all observed cells when fewer).
    rng : numpy.random.Generator
        Chooses among the candidates.
    """
    k = min(donors, observed_means.size)
    order = np.argsort(observed_means, kind="stable")
    sorted_means = observed_means[order]
    n = sorted_means.size
    # the k nearest lie within k positions of where each missing mean would be inserted
    start = np.clip(np.searchsorted(sorted_means, missing_means) - k, 0, max(n - 2 * k, 0))
    window = start[:, None] + np.arange(min(2 * k, n))[None, :]
    distance = np.abs(sorted_means[window] - missing_means[:, None])
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    chosen = nearest[np.arange(missing_means.size), rng.integers(0, k, size=missing_means.size)]
    return observed_values[order[window[np.arange(missing_means.size), chosen]]]
