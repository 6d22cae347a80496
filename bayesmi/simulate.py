"""Clustered data with known truth, for tests, notebooks and benchmarks.

Each generator returns the incomplete frame, the complete frame it was made from and the true
parameter values, so a test can compare what imputation recovers with what complete data give.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

__all__ = ["SimulatedData", "simulate_random_intercept"]


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


def simulate_random_intercept(
    clusters: int = 50,
    cluster_size: int = 20,
    icc: float = 0.3,
    intercept: float = 1.0,
    slope: float = 0.5,
    missing: float = 0.4,
    mechanism: Literal["mcar", "mar"] = "mar",
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate two-level data ``y = intercept + slope * x + u_j + e`` with y partly missing.

    Parameters
    ----------
    clusters : int, default=50
        Number of clusters J.
    cluster_size : int, default=20
        Units per cluster.
    icc : float, default=0.3
        Intraclass correlation of y given x: ``tau^2 / (tau^2 + sigma^2)`` with
        ``sigma^2 = 1``.
    intercept, slope : float, default=1.0, 0.5
        Fixed effects.
    missing : float, default=0.4
        Expected fraction of y deleted.
    mechanism : {"mar", "mcar"}, default="mar"
        - ``"mar"``: y is deleted with probability ``expit(c + x)``, so units with larger x
          miss y more often (missing at random given x); c sets the expected fraction.
        - ``"mcar"``: every y has the same chance of being deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster`` (1..J), ``x`` (standard normal, level 1) and ``y``.

    Examples
    --------
    >>> sim = bm.simulate.simulate_random_intercept(seed=1)
    >>> sim.incomplete.shape, round(float(sim.incomplete["y"].isna().mean()), 1)
    ((1000, 3), 0.4)
    """
    rng = np.random.default_rng(seed)
    tau = np.sqrt(icc / (1.0 - icc))
    cluster = np.repeat(np.arange(1, clusters + 1), cluster_size)
    x = rng.standard_normal(cluster.size)
    u = tau * rng.standard_normal(clusters)
    y = intercept + slope * x + u[cluster - 1] + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    if mechanism == "mar":
        shift = brentq(lambda c: expit(c + x).mean() - missing, -20.0, 20.0)
        probability = expit(shift + x)
    elif mechanism == "mcar":
        probability = np.full(x.size, missing)
    else:
        raise ValueError(f"mechanism must be 'mar' or 'mcar', got {mechanism!r}.")
    incomplete = complete.copy()
    incomplete.loc[rng.random(x.size) < probability, "y"] = np.nan
    truth = {"intercept": intercept, "slope": slope, "tau": float(tau), "sigma": 1.0, "icc": icc}
    return SimulatedData(incomplete, complete, truth)
