"""An exact Gibbs sampler for the random-intercept model, the priors of the PyMC model kept.

pan and mice's 2l.pan update the random-intercept model by Gibbs sampling; a sweep costs a few
vector operations, against tens of gradient evaluations for a NUTS transition. On the
standardised scale, with ``W = [1, X]``, ``theta = (b0, beta)``, prior precision ``D^-1``
(``diag(1/5^2, 1/2.5^2, ...)``), ``n_j`` the observed rows of cluster j, one sweep draws:

1. ``theta`` from its conditional with the random intercepts integrated out (collapsed, so the
   intercept does not crawl against the cluster effects): precision
   ``P = (W'W - S' diag(c) S) / sigma^2 + D^-1`` and mean ``P^-1 (W'y - S' (c * t)) / sigma^2``,
   where ``S`` holds the cluster sums of ``W``, ``t`` the cluster sums of ``y`` and
   ``c_j = tau^2 / (sigma^2 + n_j tau^2)``;
2. ``u_j ~ N(m_j, 1 / (n_j / sigma^2 + 1 / tau^2))``, ``m_j`` the residual sum over
   ``sigma^2`` times that variance (a cluster with no observed row: ``N(0, tau^2)``);
3. ``sigma^2`` by an independence Metropolis-Hastings step: the proposal
   ``InvGamma((n - 1) / 2, SSR / 2)`` is the likelihood part of the conditional exactly, so the
   acceptance probability is the prior ratio ``exp(-(sigma*^2 - sigma^2) / 2)`` of the
   ``HalfNormal(1)`` prior on ``sigma``;
4. ``tau^2`` likewise from ``InvGamma((J - 1) / 2, sum u_j^2 / 2)``.

Each step leaves the posterior of the PyMC model invariant, so the chain targets the same
posterior as NUTS would. The state is kept as the PyMC model's point (``eta = u / tau``, log
scales), so draws and parameters are computed exactly as for NUTS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesmi.models._blocks import COEFFICIENT_SD, INTERCEPT_SD, Point


@dataclass(frozen=True)
class RandomInterceptGibbs:
    """Gibbs sweeps for one random-intercept model.

    Parameters
    ----------
    target : str
        The imputed variable (names of the point's entries).
    y : numpy.ndarray
        Standardised observed target.
    codes : numpy.ndarray
        Cluster code of each observed row.
    n_clusters : int
        Number of clusters J (including clusters without observed rows).
    n_predictors : int
        Number of predictors p (besides the intercept).
    """

    target: str
    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    n_predictors: int

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        name = self.target
        tau2 = float(np.exp(2 * point[f"{name}::tau_std_log__"]))
        sigma2 = float(np.exp(2 * point[f"{name}::sigma_std_log__"]))
        w = np.column_stack([np.ones(self.y.shape[0]), x])
        theta = self._fixed_effects(w, tau2, sigma2, rng)
        residual = self.y - w @ theta
        counts = np.bincount(self.codes, minlength=self.n_clusters)
        sums = np.bincount(self.codes, weights=residual, minlength=self.n_clusters)
        precision = counts / sigma2 + 1 / tau2
        u = sums / sigma2 / precision + rng.standard_normal(self.n_clusters) / np.sqrt(precision)
        sigma2, accept_sigma = _scale_step(residual - u[self.codes], sigma2, rng)
        tau2, accept_tau = _scale_step(u, tau2, rng)
        new = {
            f"{name}::intercept_std": np.asarray(theta[0]),
            f"{name}::tau_std_log__": np.asarray(0.5 * np.log(tau2)),
            f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2)),
            f"{name}::eta": u / np.sqrt(tau2),
        }
        if self.n_predictors:
            new[f"{name}::beta_std"] = theta[1:]
        return new, (accept_sigma + accept_tau) / 2

    def _fixed_effects(
        self, w: np.ndarray, tau2: float, sigma2: float, rng: np.random.Generator
    ) -> np.ndarray:
        counts = np.bincount(self.codes, minlength=self.n_clusters)
        cluster_sums = np.column_stack(
            [np.bincount(self.codes, weights=column, minlength=self.n_clusters) for column in w.T]
        )
        y_sums = np.bincount(self.codes, weights=self.y, minlength=self.n_clusters)
        shrink = tau2 / (sigma2 + counts * tau2)
        prior = np.full(w.shape[1], 1 / COEFFICIENT_SD**2)
        prior[0] = 1 / INTERCEPT_SD**2
        precision = (w.T @ w - cluster_sums.T @ (shrink[:, None] * cluster_sums)) / sigma2
        precision += np.diag(prior)
        rhs = (w.T @ self.y - cluster_sums.T @ (shrink * y_sums)) / sigma2
        chol = np.linalg.cholesky(precision)
        mean = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
        return mean + np.linalg.solve(chol.T, rng.standard_normal(w.shape[1]))


def _scale_step(
    residual: np.ndarray, variance: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Independence MH step for a variance whose SD has a HalfNormal(1) prior.

    Proposal ``InvGamma((k - 1) / 2, sum(residual^2) / 2)``, the likelihood factor of the
    conditional; the acceptance probability is the prior ratio.
    """
    shape = (residual.shape[0] - 1) / 2
    rate = float(residual @ residual) / 2
    proposal = rate / rng.gamma(shape)
    accept = min(1.0, float(np.exp(-(proposal - variance) / 2)))
    return (proposal, accept) if rng.random() < accept else (variance, accept)
