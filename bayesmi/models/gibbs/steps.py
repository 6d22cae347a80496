"""The steps the Gibbs samplers share: variance and covariance updates, weighted cluster sums."""

from __future__ import annotations

import numpy as np
from scipy import stats

from bayesmi.models.blocks import COEFFICIENT_SD, INTERCEPT_SD

__all__ = ["ClusterSums", "covariance_step", "scale_step"]


def scale_step(
    residual: np.ndarray, variance: float, rng: np.random.Generator, prior_sd: float = 1.0
) -> tuple[float, float]:
    """Independence MH step for a variance whose SD has a HalfNormal(prior_sd) prior.

    Proposal ``InvGamma((k - 1) / 2, sum(residual^2) / 2)``, the likelihood factor of the
    conditional times the Jacobian; the acceptance probability is the prior ratio.
    """
    shape = (residual.shape[0] - 1) / 2
    rate = float(residual @ residual) / 2
    proposal = rate / rng.gamma(shape)
    accept = min(1.0, float(np.exp(-(proposal - variance) / (2 * prior_sd**2))))
    return (proposal, accept) if rng.random() < accept else (variance, accept)


class ClusterSums:
    """Per-cluster cross-products of the fixed design W, random design Z and y, weighted."""

    def __init__(self, w, z, y, weight, codes, n_clusters, intercept_sd=INTERCEPT_SD) -> None:
        self.codes, self.n_clusters = codes, n_clusters
        self.ww = self._sum(np.einsum("ni,nj->nij", w, w * weight[:, None]))
        self.wz = self._sum(np.einsum("ni,nj->nij", w, z * weight[:, None]))
        self.zz = self._sum(np.einsum("ni,nj->nij", z, z * weight[:, None]))
        self.wy = self._sum(w * (y * weight)[:, None])
        self.zy = self._sum(z * (y * weight)[:, None])
        self.prior = np.full(w.shape[1], 1 / COEFFICIENT_SD**2)
        self.prior[0] = 1 / intercept_sd**2

    def _sum(self, values: np.ndarray) -> np.ndarray:
        flat = values.reshape(values.shape[0], -1)
        sums = np.column_stack(
            [
                np.bincount(self.codes, weights=column, minlength=self.n_clusters)
                for column in flat.T
            ]
        )
        return sums.reshape((self.n_clusters, *values.shape[1:]))

    def fixed_effects(self, covariance: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw theta with the cluster effects integrated out."""
        # (Z'V Z + T^-1)^-1 per cluster
        inner = np.linalg.inv(np.linalg.inv(covariance)[None] + self.zz)
        correction = np.einsum("jik,jkl,jml->im", self.wz, inner, self.wz)
        precision = self.ww.sum(axis=0) - correction + np.diag(self.prior)
        rhs = self.wy.sum(axis=0) - np.einsum("jik,jkl,jl->i", self.wz, inner, self.zy)
        chol = np.linalg.cholesky(precision)
        mean = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
        return mean + np.linalg.solve(chol.T, rng.standard_normal(len(rhs)))

    def effects(
        self, theta: np.ndarray, covariance: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw every cluster's effects from their normal conditional."""
        precision = self.zz + np.linalg.inv(covariance)[None]
        rhs = self.zy - np.einsum("jik,i->jk", self.wz, theta)
        chol = np.linalg.cholesky(precision)
        mean = np.linalg.solve(precision, rhs[..., None])[..., 0]
        noise = rng.standard_normal(rhs.shape)
        # x = L^-T e has covariance (L L')^-1
        return mean + np.linalg.solve(np.transpose(chol, (0, 2, 1)), noise[..., None])[..., 0]


def _log_prior_covariance(covariance: np.ndarray) -> float:
    """Log prior density of T from s_k ~ HalfNormal(1), Omega ~ LKJ(2), up to a constant."""
    s = np.sqrt(np.diag(covariance))
    omega = covariance / np.outer(s, s)
    sign, log_det = np.linalg.slogdet(omega)
    if sign <= 0:
        return -np.inf
    return float(np.sum(-(s**2) / 2) + log_det - len(s) * np.sum(np.log(s)))


def _log_target_ratio(covariance: np.ndarray, power: float) -> float:
    """Log of target over proposal density of T, up to a constant: prior times |T|^power."""
    log_prior = _log_prior_covariance(covariance)
    if power == 0 or not np.isfinite(log_prior):
        return log_prior
    return log_prior + power * float(np.linalg.slogdet(covariance)[1])


def covariance_step(
    effects: np.ndarray, covariance: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Independence MH for T: inverse-Wishart proposal from the effects, prior-ratio acceptance."""
    n, q = effects.shape
    scatter = effects.T @ effects
    if q == 1:
        variance, accept = scale_step(effects[:, 0], float(covariance[0, 0]), rng)
        return np.array([[variance]]), accept
    df = max(n - q - 1, q)  # the likelihood factor's, where it is a proper inverse Wishart
    proposal = stats.invwishart.rvs(df=df, scale=scatter, random_state=rng)
    power = (df + q + 1 - n) / 2  # 0 unless few clusters: the proposal then differs by |T|^power
    log_ratio = _log_target_ratio(proposal, power) - _log_target_ratio(covariance, power)
    accept = float(np.exp(min(0.0, log_ratio)))
    return (proposal, accept) if rng.random() < accept else (covariance, accept)
