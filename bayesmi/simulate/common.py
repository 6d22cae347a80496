"""What every simulation shares: the result type and the deletion of cells."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

__all__ = ["SimulatedData", "clustered_normal", "delete_cells", "deletion_probability"]


class SimulatedData(NamedTuple):
    """A simulated data set.

    Attributes
    ----------
    incomplete : pandas.DataFrame
        The data with missing values (NaN).
    complete : pandas.DataFrame
        The same data before values were deleted.
    truth : dict of str to float
        The generating parameter values.
    """

    incomplete: pd.DataFrame
    complete: pd.DataFrame
    truth: dict[str, float]


def deletion_probability(x: np.ndarray, missing: float, mechanism: str) -> np.ndarray:
    """Return deletion probabilities, ``expit(c + x)`` (MAR) or constant (MCAR), mean `missing`."""
    if mechanism == "mar":
        shift = brentq(lambda c: expit(c + x).mean() - missing, -20.0, 20.0)
        return expit(shift + x)
    if mechanism == "mcar":
        return np.full(x.size, missing)
    raise ValueError(f"mechanism must be 'mar' or 'mcar', got {mechanism!r}.")


def clustered_normal(
    cluster: np.ndarray, clusters: int, icc: float, rng: np.random.Generator
) -> np.ndarray:
    """Return a standard normal level-1 variable with a cluster component of variance `icc`."""
    between = np.sqrt(icc) * rng.standard_normal(clusters)[cluster]
    return between + np.sqrt(1 - icc) * rng.standard_normal(cluster.size)


def delete_cells(
    complete: pd.DataFrame, column: str, probability: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Return a copy of `complete` with each cell of `column` deleted with its probability."""
    incomplete = complete.copy()
    incomplete.loc[rng.random(len(complete)) < probability, column] = np.nan
    return incomplete
