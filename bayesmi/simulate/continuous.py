"""Clustered data with known truth for the normal, binary, cluster-level and Heckman models."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit

from bayesmi.simulate.common import (
    SimulatedData,
    clustered_normal,
    delete_cells,
    deletion_probability,
)

__all__ = [
    "simulate_binary",
    "simulate_cluster_level",
    "simulate_heckman",
    "simulate_heteroscedastic",
    "simulate_interaction",
    "simulate_random_intercept",
    "simulate_random_slopes",
    "simulate_slope_predictor",
    "simulate_systematic",
]


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
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, mechanism), rng)
    truth = {"intercept": intercept, "slope": slope, "tau": float(tau), "sigma": 1.0, "icc": icc}
    return SimulatedData(incomplete, complete, truth)


def simulate_random_slopes(
    clusters: int = 100,
    cluster_size: int = 20,
    intercept: float = 0.0,
    slope: float = 0.5,
    intercept_sd: float = 0.5,
    slope_sd: float = 0.3,
    missing: float = 0.3,
    mechanism: Literal["mcar", "mar"] = "mar",
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate ``y = intercept + slope x + u0_j + u1_j x + e`` with y partly missing.

    Parameters
    ----------
    clusters, cluster_size : int, default=100, 20
        Number of clusters and units per cluster.
    intercept, slope : float, default=0.0, 0.5
        Fixed effects.
    intercept_sd, slope_sd : float, default=0.5, 0.3
        SDs of the independent random intercepts and slopes; residual SD 1.
    missing : float, default=0.3
        Expected fraction of y deleted.
    mechanism : {"mar", "mcar"}, default="mar"
        As in `simulate_random_intercept`.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` (standard normal) and ``y``.

    Examples
    --------
    >>> sim = bm.simulate.simulate_random_slopes(seed=1)
    >>> sim.truth["slope_sd"]
    0.3
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(1, clusters + 1), cluster_size)
    x = rng.standard_normal(cluster.size)
    u0 = intercept_sd * rng.standard_normal(clusters)[cluster - 1]
    u1 = slope_sd * rng.standard_normal(clusters)[cluster - 1]
    y = intercept + slope * x + u0 + u1 * x + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, mechanism), rng)
    truth = {
        "intercept": intercept,
        "slope": slope,
        "intercept_sd": intercept_sd,
        "slope_sd": slope_sd,
        "sigma": 1.0,
    }
    return SimulatedData(incomplete, complete, truth)


def simulate_heteroscedastic(
    clusters: int = 50,
    cluster_size: int = 40,
    sigma_range: tuple[float, float] = (0.5, 1.5),
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate ``y = 1 + 0.5 x + u_j + e`` with a residual SD of its own per cluster.

    Parameters
    ----------
    clusters, cluster_size : int, default=50, 40
        Number of clusters and units per cluster.
    sigma_range : tuple of float, default=(0.5, 1.5)
        The cluster residual SDs are spread evenly over this range (a factor of 3).
    missing : float, default=0.3
        Fraction of y deleted completely at random.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` and ``y``; ``truth["sigma"]`` holds the J residual SDs.

    Examples
    --------
    >>> sim = bm.simulate.simulate_heteroscedastic(seed=1)
    >>> len(sim.truth["sigma"])
    50
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(1, clusters + 1), cluster_size)
    sigma = rng.permutation(np.linspace(*sigma_range, clusters))
    x = rng.standard_normal(cluster.size)
    u = 0.5 * rng.standard_normal(clusters)
    e = sigma[cluster - 1] * rng.standard_normal(cluster.size)
    y = 1.0 + 0.5 * x + u[cluster - 1] + e
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", np.full(x.size, missing), rng)
    return SimulatedData(incomplete, complete, {"sigma": sigma.tolist(), "slope": 0.5})


def simulate_binary(
    clusters: int = 100,
    cluster_size: int = 20,
    intercept: float = -0.5,
    slope: float = 1.0,
    intercept_sd: float = 0.8,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a 0/1 ``y`` with ``logit P(y = 1) = intercept + slope x + u_j``, MAR on x.

    Parameters
    ----------
    clusters, cluster_size : int, default=100, 20
        Number of clusters and units per cluster.
    intercept, slope : float, default=-0.5, 1.0
        Fixed effects on the logit scale.
    intercept_sd : float, default=0.8
        SD of the random intercepts (logit scale).
    missing : float, default=0.3
        Expected fraction of y deleted, more often for larger x.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` and ``y`` (0.0/1.0, NaN where deleted).

    Examples
    --------
    >>> sim = bm.simulate.simulate_binary(seed=1)
    >>> sorted(sim.complete["y"].unique().tolist())
    [0.0, 1.0]
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(1, clusters + 1), cluster_size)
    x = rng.standard_normal(cluster.size)
    u = intercept_sd * rng.standard_normal(clusters)
    p = expit(intercept + slope * x + u[cluster - 1])
    y = (rng.random(cluster.size) < p).astype(float)
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, "mar"), rng)
    truth = {"intercept": intercept, "slope": slope, "intercept_sd": intercept_sd}
    return SimulatedData(incomplete, complete, truth)


def simulate_cluster_level(
    clusters: int = 300,
    cluster_size: int = 10,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a level-2 ``z = 1 + 0.8 mean_j(x) + e_j``, missing for whole clusters.

    ``x`` has a cluster component (ICC 0.3), ``y = 0.5 x + 0.5 z + u_j + e`` is complete, and
    ``z`` is deleted for a fraction of clusters, more often where the cluster mean of x is high
    (missing at random given the cluster mean).

    Parameters
    ----------
    clusters, cluster_size : int, default=300, 10
        Number of clusters and units per cluster.
    missing : float, default=0.3
        Expected fraction of clusters without z.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x``, ``z`` (constant within clusters) and ``y``.

    Examples
    --------
    >>> sim = bm.simulate.simulate_cluster_level(seed=1)
    >>> int(sim.complete.groupby("cluster")["z"].nunique().max())
    1
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), cluster_size)
    x = clustered_normal(cluster, clusters, 0.3, rng)
    x_mean = np.bincount(cluster, weights=x) / cluster_size
    z = 1.0 + 0.8 * x_mean + 0.5 * rng.standard_normal(clusters)
    y = 0.5 * x + 0.5 * z[cluster] + 0.5 * rng.standard_normal(clusters)[cluster]
    y = y + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster + 1, "x": x, "z": z[cluster], "y": y})
    deleted = rng.random(clusters) < deletion_probability(x_mean / x_mean.std(), missing, "mar")
    incomplete = complete.copy()
    incomplete.loc[deleted[cluster], "z"] = np.nan
    return SimulatedData(incomplete, complete, {"intercept": 1.0, "slope": 0.8})


def simulate_systematic(
    clusters: int = 100,
    cluster_size: int = 20,
    systematic: float = 0.2,
    sporadic: float = 0.1,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate ``y = 1 + 0.5 x + u_j + e`` where whole clusters never measured x.

    Parameters
    ----------
    clusters, cluster_size : int, default=100, 20
        Number of clusters and units per cluster.
    systematic : float, default=0.2
        Fraction of clusters missing x for every unit (as studies of an IPD meta-analysis
        that did not record it).
    sporadic : float, default=0.1
        Fraction of units missing x at random in the other clusters.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` (with a cluster component, ICC 0.3) and ``y`` (complete).

    Examples
    --------
    >>> sim = bm.simulate.simulate_systematic(seed=1)
    >>> int(sim.incomplete.groupby("cluster")["x"].count().eq(0).sum())
    20
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), cluster_size)
    x = clustered_normal(cluster, clusters, 0.3, rng)
    y = 1.0 + 0.5 * x + 0.5 * rng.standard_normal(clusters)[cluster]
    y = y + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster + 1, "x": x, "y": y})
    whole = rng.permutation(clusters) < round(systematic * clusters)
    deleted = whole[cluster] | (rng.random(cluster.size) < sporadic)
    incomplete = complete.copy()
    incomplete.loc[deleted, "x"] = np.nan
    return SimulatedData(incomplete, complete, {"intercept": 1.0, "slope": 0.5})


def simulate_heckman(
    clusters: int = 50,
    cluster_size: int = 50,
    rho: float = 0.6,
    seed: int | np.random.Generator | None = None,
    binary: bool = False,
) -> SimulatedData:
    """Simulate y missing not at random: a selection model with correlated errors.

    ``y = 1 + 0.5 x + u_j + e`` and ``s* = 0.5 + 0.5 x + z + v_j + d``, y observed when
    ``s* > 0``, ``(e, d)`` standard bivariate normal with correlation `rho`, ``u_j`` and
    ``v_j`` with SD 0.5; ``z`` affects being observed only (the exclusion restriction).
    About 40% of y is missing, and with ``rho > 0`` the missing values are the lower ones.
    With `binary`, ``y = 1(0.5 x + u_j + e > 0)`` (a probit, about half ones).

    Parameters
    ----------
    clusters, cluster_size : int, default=50, 50
        Number of clusters and units per cluster.
    rho : float, default=0.6
        Correlation of the outcome and selection errors (0: missing at random given x, z).
    binary : bool, default=False
        Simulate a 0/1 outcome.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x``, ``z`` and ``y``.

    Examples
    --------
    >>> sim = bm.simulate.simulate_heckman(seed=1)
    >>> round(float(sim.incomplete["y"].isna().mean()), 1)
    0.4
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), cluster_size)
    x = rng.standard_normal(cluster.size)
    z = rng.standard_normal(cluster.size)
    u = 0.5 * rng.standard_normal(clusters)[cluster]
    v = 0.5 * rng.standard_normal(clusters)[cluster]
    e = rng.standard_normal(cluster.size)
    d = rho * e + np.sqrt(1 - rho**2) * rng.standard_normal(cluster.size)
    y = (0.5 * x + u + e > 0).astype(float) if binary else 1.0 + 0.5 * x + u + e
    selected = 0.5 + 0.5 * x + 1.0 * z + v + d > 0
    complete = pd.DataFrame({"cluster": cluster + 1, "x": x, "z": z, "y": y})
    incomplete = complete.copy()
    incomplete.loc[~selected, "y"] = np.nan
    return SimulatedData(incomplete, complete, {"intercept": 1.0, "slope": 0.5, "rho": rho})


def simulate_slope_predictor(
    clusters: int = 100,
    cluster_size: int = 20,
    slope: float = 0.5,
    intercept_sd: float = 0.5,
    slope_sd: float = 0.4,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a random slope on an incomplete predictor: ``y = slope x + u0_j + u1_j x + e``.

    x (standard normal) is deleted with probability ``expit(c + y)`` (missing at random given
    y), the case where chained imputation that ignores the random slope biases its SD.

    Parameters
    ----------
    clusters, cluster_size : int, default=100, 20
        Number of clusters and units per cluster.
    slope : float, default=0.5
        Fixed slope (the intercept is 0).
    intercept_sd, slope_sd : float, default=0.5, 0.4
        SDs of the independent random intercepts and slopes; residual SD 1.
    missing : float, default=0.3
        Expected fraction of x deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` (incomplete) and ``y`` (complete).

    Examples
    --------
    >>> sim = bm.simulate.simulate_slope_predictor(seed=1)
    >>> round(float(sim.incomplete["x"].isna().mean()), 1)
    0.3
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), cluster_size)
    x = rng.standard_normal(cluster.size)
    u0 = intercept_sd * rng.standard_normal(clusters)[cluster]
    u1 = slope_sd * rng.standard_normal(clusters)[cluster]
    y = slope * x + u0 + u1 * x + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster + 1, "x": x, "y": y})
    incomplete = delete_cells(complete, "x", deletion_probability(y, missing, "mar"), rng)
    truth = {"slope": slope, "intercept_sd": intercept_sd, "slope_sd": slope_sd}
    return SimulatedData(incomplete, complete, truth)


def simulate_interaction(
    clusters: int = 50,
    cluster_size: int = 20,
    interaction: float = 0.5,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate ``y = x + w + interaction x w + u_j + e`` with x missing at random given y and w.

    Parameters
    ----------
    clusters, cluster_size : int, default=50, 20
        Number of clusters and units per cluster.
    interaction : float, default=0.5
        Coefficient of ``x w``.
    missing : float, default=0.3
        Expected fraction of x deleted, with probability ``expit(c + (y + w) / 2)``.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` (incomplete), ``w`` and ``y``; x and w standard normal,
        correlated 0.3; cluster intercepts u_j with SD 0.3.

    Examples
    --------
    >>> sim = bm.simulate.simulate_interaction(seed=1)
    >>> sim.truth["interaction"]
    0.5
    """
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), cluster_size)
    w = rng.standard_normal(cluster.size)
    x = 0.3 * w + np.sqrt(1 - 0.09) * rng.standard_normal(cluster.size)
    u = 0.3 * rng.standard_normal(clusters)[cluster]
    y = x + w + interaction * x * w + u + rng.standard_normal(cluster.size)
    complete = pd.DataFrame({"cluster": cluster + 1, "x": x, "w": w, "y": y})
    incomplete = delete_cells(complete, "x", deletion_probability((y + w) / 2, missing, "mar"), rng)
    return SimulatedData(incomplete, complete, {"interaction": interaction})
