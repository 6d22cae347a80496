"""A plain numpy Gibbs sampler for random-intercept imputation: the near-limit baseline.

pan-style: flat priors on the fixed effects, inverse-gamma(1, 1) on the variances, u_j and the
fixed effects in separate blocks; missing cells drawn each iteration. No PyMC, no compilation,
nothing shared with bayesmi, so its wall time is what a tight numpy loop costs on this machine.
"""

from __future__ import annotations

import numpy as np


def impute_random_intercept(
    y: np.ndarray, x: np.ndarray, codes: np.ndarray, chains: int, iterations: int, seed: int
) -> np.ndarray:
    """Return (chains, n_missing) imputations after `iterations` Gibbs iterations per chain."""
    rng = np.random.default_rng(seed)
    missing = np.isnan(y)
    n_clusters = int(codes.max()) + 1
    w = np.column_stack([np.ones(len(y)), x])
    imputations = []
    for _ in range(chains):
        current = y.copy()
        current[missing] = rng.choice(y[~missing], missing.sum())
        u = np.zeros(n_clusters)
        sigma2, tau2 = 1.0, 1.0
        for _ in range(iterations):
            target = current[~missing]
            wo, co = w[~missing], codes[~missing]
            precision = wo.T @ wo / sigma2
            mean = np.linalg.solve(precision, wo.T @ (target - u[co]) / sigma2)
            beta = rng.multivariate_normal(mean, np.linalg.inv(precision))
            residual = target - wo @ beta
            n_obs = np.bincount(co, minlength=n_clusters)
            sums = np.bincount(co, weights=residual, minlength=n_clusters)
            u_precision = n_obs / sigma2 + 1 / tau2
            u = sums / sigma2 / u_precision + rng.standard_normal(n_clusters) / np.sqrt(u_precision)
            e = residual - u[co]
            sigma2 = (1 + e @ e / 2) / rng.gamma(1 + len(e) / 2)
            tau2 = (1 + u @ u / 2) / rng.gamma(1 + n_clusters / 2)
            mean_missing = w[missing] @ beta + u[codes[missing]]
            current[missing] = mean_missing + np.sqrt(sigma2) * rng.standard_normal(missing.sum())
        imputations.append(current[missing])
    return np.array(imputations)
