"""Clustered categories and counts with known truth: nominal, ordinal, count, level-2 and IPD."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from bayesmi.simulate.common import SimulatedData, delete_cells, deletion_probability

__all__ = [
    "simulate_categorical",
    "simulate_cluster_factor",
    "simulate_count",
    "simulate_ipd",
    "simulate_ordinal",
]

NOMINAL = ("red", "green", "blue")
"""The categories of the simulated nominal variables, the first the reference."""


def simulate_categorical(
    clusters: int = 60,
    cluster_size: int = 20,
    intercepts: tuple[float, float] = (-0.3, 0.2),
    slopes: tuple[float, float] = (0.8, -0.5),
    effect_sd: float = 0.8,
    effect_corr: float = 0.3,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a nominal ``y`` (red, green, blue) by a multinomial logit with cluster effects.

    ``log P(y = k) / P(y = red) = intercepts[k] + slopes[k] x + u_jk`` for green and blue,
    ``u_j`` bivariate normal with SDs `effect_sd` and correlation `effect_corr`; y is deleted
    MAR, more often for larger x.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` and ``y`` (a pandas Categorical).

    Examples
    --------
    >>> sim = bm.simulate.simulate_categorical(seed=1)
    >>> list(sim.complete["y"].cat.categories)
    ['red', 'green', 'blue']
    """
    rng = np.random.default_rng(seed)
    cluster, x = _units(clusters, cluster_size, rng)
    covariance = effect_sd**2 * np.array([[1.0, effect_corr], [effect_corr, 1.0]])
    u = rng.multivariate_normal(np.zeros(2), covariance, size=clusters)[cluster - 1]
    eta = np.column_stack(
        [
            np.zeros(x.size),
            *(a + b * x + u[:, k] for k, (a, b) in enumerate(zip(intercepts, slopes, strict=True))),
        ]
    )
    codes = np.argmax(eta + rng.gumbel(size=eta.shape), axis=1)
    y = pd.Categorical.from_codes(codes, categories=list(NOMINAL))
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, "mar"), rng)
    truth = {
        "intercept_green": intercepts[0],
        "intercept_blue": intercepts[1],
        "slope_green": slopes[0],
        "slope_blue": slopes[1],
        "effect_sd": effect_sd,
        "effect_corr": effect_corr,
    }
    return SimulatedData(incomplete, complete, truth)


def simulate_ordinal(
    clusters: int = 60,
    cluster_size: int = 20,
    thresholds: tuple[float, ...] = (-1.5, -0.5, 0.5, 1.5),
    slope: float = 0.7,
    intercept_sd: float = 0.8,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate an ordinal score ``y`` (1..K) by a cumulative logit with random intercepts.

    ``P(y <= k) = expit(thresholds[k-1] - slope x - u_j)``, ``u_j ~ N(0, intercept_sd^2)``;
    y is deleted MAR, more often for larger x.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` and ``y`` (an ordered Categorical with categories 1..K).
    """
    rng = np.random.default_rng(seed)
    cluster, x = _units(clusters, cluster_size, rng)
    eta = slope * x + intercept_sd * rng.standard_normal(clusters)[cluster - 1]
    latent = eta + rng.logistic(size=x.size)
    categories = list(range(1, len(thresholds) + 2))
    y = pd.Categorical.from_codes(
        np.searchsorted(np.asarray(thresholds), latent), categories=categories, ordered=True
    )
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, "mar"), rng)
    truth = {"slope": slope, "intercept_sd": intercept_sd} | {
        f"threshold_{k}": value for k, value in enumerate(thresholds, start=1)
    }
    return SimulatedData(incomplete, complete, truth)


def simulate_count(
    clusters: int = 60,
    cluster_size: int = 20,
    intercept: float = 0.5,
    slope: float = 0.4,
    intercept_sd: float = 0.5,
    alpha: float | None = None,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a count ``y`` with ``log mu = intercept + slope x + u_j`` (MAR on x).

    Poisson when `alpha` is None, else negative binomial with variance ``mu + mu^2/alpha``.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x`` and ``y`` (floats holding whole numbers, NaN where deleted).
    """
    rng = np.random.default_rng(seed)
    cluster, x = _units(clusters, cluster_size, rng)
    mu = np.exp(intercept + slope * x + intercept_sd * rng.standard_normal(clusters)[cluster - 1])
    if alpha is not None:
        mu = rng.gamma(alpha, mu / alpha)
    y = rng.poisson(mu).astype(float)
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, "mar"), rng)
    truth = {"intercept": intercept, "slope": slope, "intercept_sd": intercept_sd}
    if alpha is not None:
        truth["alpha"] = alpha
    return SimulatedData(incomplete, complete, truth)


def simulate_cluster_factor(
    clusters: int = 100,
    cluster_size: int = 10,
    missing_clusters: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a level-2 nominal ``kind`` (red, green, blue) missing in some clusters.

    ``kind`` depends on the cluster mean of ``x`` by a multinomial logit (intercepts 0.2 and
    -0.3, slopes 1.5 and -1.0); ``y = x + 0.5 [green] - 0.5 [blue] + u_j + e``. A fraction
    `missing_clusters` of the clusters, more likely those with a high mean of x, lack ``kind``
    entirely.

    Returns
    -------
    SimulatedData
        Columns ``cluster``, ``x``, ``y`` and ``kind`` (a Categorical, constant in clusters).
    """
    rng = np.random.default_rng(seed)
    cluster, x = _units(clusters, cluster_size, rng)
    x = x + 0.7 * rng.standard_normal(clusters)[cluster - 1]
    x_mean = pd.Series(x).groupby(cluster).mean().to_numpy()
    eta = np.column_stack([np.zeros(clusters), 0.2 + 1.5 * x_mean, -0.3 - 1.0 * x_mean])
    codes = np.argmax(eta + rng.gumbel(size=eta.shape), axis=1)
    effect = np.array([0.0, 0.5, -0.5])[codes] + 0.5 * rng.standard_normal(clusters)
    y = x + effect[cluster - 1] + rng.standard_normal(x.size)
    kind = pd.Categorical.from_codes(codes[cluster - 1], categories=list(NOMINAL))
    complete = pd.DataFrame({"cluster": cluster, "x": x, "y": y, "kind": kind})
    lost = rng.random(clusters) < deletion_probability(x_mean, missing_clusters, "mar")
    incomplete = complete.copy()
    incomplete.loc[lost[cluster - 1], "kind"] = np.nan
    truth = {"missing_clusters": float(lost.mean())}
    return SimulatedData(incomplete, complete, truth)


def simulate_ipd(
    studies: int = 15,
    patients: int = 150,
    systematic: int = 3,
    sporadic: float = 0.1,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate an individual participant data meta-analysis with a binary outcome.

    Per patient: ``age`` (normal), an ordinal ``motor`` score (1..4, cumulative logit on age
    with study effects), a nominal ``ct`` class (red, green, blue; multinomial logit on age
    with study effects) and a binary ``outcome`` with ``logit P = -1 + 0.5 age + 0.4 motor +
    0.6 [green] - 0.4 [blue] + s_j``. ``motor`` and ``ct`` are each missing entirely in
    `systematic` studies (different ones) and with probability `sporadic` elsewhere (more
    often for a bad outcome: MAR).

    Returns
    -------
    SimulatedData
        Columns ``study``, ``age``, ``motor`` (ordered Categorical), ``ct`` (Categorical) and
        ``outcome`` (0.0/1.0).
    """
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(1, studies + 1), patients)
    age = rng.standard_normal(study.size)
    latent = 0.8 * age + 0.6 * rng.standard_normal(studies)[study - 1] + rng.logistic(size=age.size)
    motor = np.searchsorted([-1.0, 0.0, 1.2], latent) + 1
    eta = np.column_stack(
        [
            np.zeros(age.size),
            -0.2 + 0.5 * age + 0.5 * rng.standard_normal(studies)[study - 1],
            0.1 - 0.4 * age + 0.5 * rng.standard_normal(studies)[study - 1],
        ]
    )
    ct = np.argmax(eta + rng.gumbel(size=eta.shape), axis=1)
    logit = -1.0 + 0.5 * age + 0.4 * motor + np.array([0.0, 0.6, -0.4])[ct]
    outcome = rng.random(age.size) < expit(logit + 0.5 * rng.standard_normal(studies)[study - 1])
    complete = pd.DataFrame(
        {
            "study": study,
            "age": age,
            "motor": pd.Categorical(motor, categories=[1, 2, 3, 4], ordered=True),
            "ct": pd.Categorical.from_codes(ct, categories=list(NOMINAL)),
            "outcome": outcome.astype(float),
        }
    )
    incomplete = complete.copy()
    lost = rng.permutation(np.arange(1, studies + 1))[: 2 * systematic]
    for column, gone in (("motor", lost[:systematic]), ("ct", lost[systematic:])):
        probability = deletion_probability(outcome - 0.5, sporadic, "mar")
        drop = np.isin(study, gone) | (rng.random(age.size) < probability)
        incomplete.loc[drop, column] = np.nan
    truth = {
        "systematic_motor": list(map(int, lost[:systematic])),
        "systematic_ct": list(map(int, lost[systematic:])),
    }
    return SimulatedData(incomplete, complete, truth)


def _units(
    clusters: int, cluster_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster labels ``1..J`` and a standard normal ``x`` for every unit."""
    cluster = np.repeat(np.arange(1, clusters + 1), cluster_size)
    return cluster, rng.standard_normal(cluster.size)
