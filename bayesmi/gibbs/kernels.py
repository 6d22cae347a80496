"""Compiled (numba) loops over the rows of a sweep, where numpy would need many passes.

A Gibbs sweep of a logit model on a few thousand rows is a dozen numpy calls of a few
microseconds each on top of the Polya-Gamma draws; one pass over the rows in compiled code
does their work at once. numba comes with PyTensor (and is imported with it); the functions
are compiled on first use and cached on disk.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "log_prior_covariance_kernel",
    "weighted_cluster_statistics",
    "weighted_intercept_kernel",
]


@numba.njit(cache=True, nogil=True)
def weighted_cluster_statistics(
    w: np.ndarray, kappa: np.ndarray, omega: np.ndarray, codes: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum a weighted normal model's design, overall and per cluster, in one pass.

    Returns ``weight`` (per cluster, the sum of `omega`), ``sums`` (per cluster, the sum of
    ``omega_i w_i``), ``kappa_sums`` (per cluster, the sum of `kappa`), ``cross``
    (``W' diag(omega) W``) and ``cross_kappa`` (``W' kappa``).
    """
    n, p = w.shape
    weight = np.zeros(n_clusters)
    sums = np.zeros((n_clusters, p))
    kappa_sums = np.zeros(n_clusters)
    cross = np.zeros((p, p))
    cross_kappa = np.zeros(p)
    for i in range(n):
        j = codes[i]
        o = omega[i]
        weight[j] += o
        kappa_sums[j] += kappa[i]
        for a in range(p):
            wa = w[i, a]
            ow = o * wa
            sums[j, a] += ow
            cross_kappa[a] += wa * kappa[i]
            for b in range(a + 1):
                cross[a, b] += ow * w[i, b]
    for a in range(p):
        for b in range(a):
            cross[b, a] = cross[a, b]
    return weight, sums, kappa_sums, cross, cross_kappa


@numba.njit(cache=True, nogil=True)
def weighted_intercept_kernel(
    w, kappa, omega, codes, n_clusters, variance, prior, theta_noise, intercept_noise
):
    """`bayesmi.gibbs.steps.weighted_intercept_draw` given its standard normal noise.

    The arguments are that function's (float64 arrays, integer cluster codes), with
    `theta_noise` (one per column of `w`) and `intercept_noise` (one per cluster) in place of
    its generator. Returns theta, u, weight and residual_sums as that function does; raises
    ValueError when theta's precision is not positive definite.
    """
    weight, sums, kappa_sums, cross, cross_kappa = weighted_cluster_statistics(
        w, kappa, omega, codes, n_clusters
    )
    p = w.shape[1]
    shrink = 1.0 / (weight + 1.0 / variance)
    precision = cross.copy()
    rhs = cross_kappa.copy()
    for j in range(n_clusters):
        for a in range(p):
            rhs[a] -= sums[j, a] * shrink[j] * kappa_sums[j]
            for b in range(p):
                precision[a, b] -= sums[j, a] * shrink[j] * sums[j, b]
    for a in range(p):
        precision[a, a] += prior[a]
    chol, positive = _cholesky(precision)
    if not positive:
        raise ValueError("the coefficients' precision is not positive definite")
    # theta = L^-T (L^-1 rhs + e): mean P^-1 rhs, covariance P^-1; the noise is added after
    # the forward substitution, which must not see it
    forward = np.zeros(p)
    for a in range(p):
        total = rhs[a]
        for b in range(a):
            total -= chol[a, b] * forward[b]
        forward[a] = total / chol[a, a]
    forward += theta_noise
    theta = np.zeros(p)
    for a in range(p - 1, -1, -1):
        total = forward[a]
        for b in range(a + 1, p):
            total -= chol[b, a] * theta[b]
        theta[a] = total / chol[a, a]
    residual_sums = kappa_sums.copy()
    u = np.empty(n_clusters)
    for j in range(n_clusters):
        for a in range(p):
            residual_sums[j] -= sums[j, a] * theta[a]
        u[j] = shrink[j] * residual_sums[j] + np.sqrt(shrink[j]) * intercept_noise[j]
    return theta, u, weight, residual_sums


@numba.njit(cache=True, nogil=True)
def _cholesky(matrix: np.ndarray) -> tuple[np.ndarray, bool]:
    """Lower Cholesky factor of a small matrix, and whether it is positive definite."""
    p = matrix.shape[0]
    chol = np.zeros((p, p))
    for a in range(p):
        for b in range(a + 1):
            total = matrix[a, b]
            for k in range(b):
                total -= chol[a, k] * chol[b, k]
            if a == b:
                if total <= 0.0:
                    return chol, False
                chol[a, a] = np.sqrt(total)
            else:
                chol[a, b] = total / chol[b, b]
    return chol, True


@numba.njit(cache=True, nogil=True)
def log_prior_covariance_kernel(covariance: np.ndarray) -> float:
    """`bayesmi.gibbs.steps.log_prior_covariance` of a q x q matrix (q >= 2).

    ``log p(T) = sum(-s_k^2 / 2) + log det(T) - (q + 2) sum(log s_k)`` (``log det Omega`` is
    ``log det T - 2 sum(log s_k)``); minus infinity where T is not positive definite.
    """
    q = covariance.shape[0]
    chol, positive = _cholesky(covariance)
    if not positive:
        return -np.inf
    value = 0.0
    for a in range(q):
        value += 2.0 * np.log(chol[a, a])  # log det T
    for a in range(q):
        variance = covariance[a, a]
        value -= variance / 2 + (q + 2) * 0.5 * np.log(variance)
    return value


@numba.njit(cache=True, nogil=True)
def cumulative_logit_log_probabilities(
    y: np.ndarray, eta: np.ndarray, edges: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Log likelihood of some rows of a cumulative logit model, ``log(F(b) - F(a))``.

    ``a = edges[y_i] - eta_i`` and ``b = edges[y_i + 1] - eta_i`` for each of `rows`;
    ``log(F(b) - F(a)) = b + log(1 - e^(a - b)) - log(1 + e^a) - log(1 + e^b)``.
    """
    out = np.empty(rows.size)
    for position in range(rows.size):
        i = rows[position]
        a = edges[y[i]] - eta[i]
        b = edges[y[i] + 1] - eta[i]
        out[position] = b + np.log1p(-np.exp(a - b)) - _log1p_exp(a) - _log1p_exp(b)
    return out


@numba.njit(cache=True, nogil=True)
def _log1p_exp(value: float) -> float:
    """``log(1 + e^value)`` without overflow."""
    if value > 0.0:
        return value + np.log1p(np.exp(-value))
    return np.log1p(np.exp(value))


_SQRT_HALF = 0.7071067811865476
_LOG_SQRT_2PI = 0.9189385332046727


@numba.njit(cache=True, nogil=True)
def log_normal_cdf(x: float) -> float:
    """``log Phi(x)``, accurate in both tails (as `scipy.special.log_ndtr`).

    ``log1p(-erfc(x / sqrt 2) / 2)`` above 0, ``log(erfc(-x / sqrt 2) / 2)`` down to -35 (erfc
    of 24.7 is 1e-267, still a normal double), below that the asymptotic series of the Mills
    ratio, ``-x^2 / 2 - log(-x sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8 - 945/x^10)``,
    whose first omitted term is below 1e-13 there.
    """
    if x > 0.0:
        return np.log1p(-0.5 * math.erfc(x * _SQRT_HALF))
    if x > -35.0:
        return np.log(0.5 * math.erfc(-x * _SQRT_HALF))
    u = 1.0 / (x * x)
    series = 1.0 - u * (1.0 - u * (3.0 - u * (15.0 - u * (105.0 - u * 945.0))))
    return -0.5 * x * x - np.log(-x) - _LOG_SQRT_2PI + np.log(series)


@numba.njit(cache=True, nogil=True)
def selection_log_likelihood(
    centred: np.ndarray, eta: np.ndarray, intercept: float, sigma: float, rho: float
) -> float:
    """Log likelihood of a Heckman model's observed rows, the selection latent integrated out.

    The sum of ``log Phi((eta + rho r) / sqrt(1 - rho^2)) - r^2 / 2``,
    ``r = (centred - intercept) / sigma``: up to ``-log sigma`` per row and a constant.
    """
    spread = 1.0 / np.sqrt(1.0 - rho * rho)
    total = 0.0
    for i in range(centred.size):
        r = (centred[i] - intercept) / sigma
        total += log_normal_cdf((eta[i] + rho * r) * spread) - 0.5 * r * r
    return total


@numba.njit(cache=True, nogil=True)
def mills_moments(eta: np.ndarray) -> tuple[float, float]:
    """Means of the inverse Mills ratio ``l = phi(eta) / Phi(eta)`` and of ``l (l + eta)``."""
    first = second = 0.0
    for i in range(eta.size):
        ratio = np.exp(-0.5 * eta[i] * eta[i] - _LOG_SQRT_2PI - log_normal_cdf(eta[i]))
        first += ratio
        second += ratio * (ratio + eta[i])
    return first / eta.size, second / eta.size
