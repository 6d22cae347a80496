"""Exact Gibbs samplers of the logit models by Polya-Gamma augmentation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from polyagamma import random_polyagamma

from bayesmi.models.blocks import COEFFICIENT_SD
from bayesmi.models.gibbs.steps import ClusterSums, covariance_step, scale_step

__all__ = ["LogisticGibbs"]


@dataclass(frozen=True)
class LogisticGibbs:
    """Gibbs sweeps for the logistic mixed model (binary), by Polya-Gamma augmentation.

    Polson, Scott and Windle (2013): given ``omega_i ~ PG(1, eta_i)``, the logistic likelihood
    of ``y_i`` is, in ``eta_i``, the normal ``N(kappa_i / omega_i; eta_i, 1 / omega_i)`` with
    ``kappa_i = y_i - 1/2``. So one sweep draws ``omega`` given the current linear predictor,
    then, as `RandomSlopesGibbs` does for a normal target with weights ``omega``:
    ``theta = (b0, beta)`` with the cluster effects integrated out, the effects ``b_j``, and
    ``T`` by its independence Metropolis-Hastings step. Priors are the PyMC model's:
    ``b0 ~ N(0, 2.5^2)``, ``beta_k ~ N(0, 2.5^2)``, ``T`` from ``HalfNormal(1)`` SDs and
    ``LKJ(2)``. The state holds ``intercept``, ``beta``, ``effects`` and ``chol``.

    References
    ----------
    Polson, N. G., Scott, J. G. and Windle, J. (2013). Bayesian inference for logistic models
    using Polya-Gamma latent variables. JASA 108(504), 1339-1349.
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slope_index: tuple[int, ...]

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        q = 1 + len(self.slope_index)
        return {
            "intercept": float(rng.uniform(-1, 1)),
            "beta": rng.uniform(-1, 1, n_predictors),
            "effects": np.zeros((self.n_clusters, q)),
            "chol": np.eye(q) * 0.5,
        }

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance."""
        w = np.column_stack([np.ones(self.y.shape[0]), x])
        z = np.column_stack([np.ones(self.y.shape[0]), x[:, list(self.slope_index)]])
        theta = np.concatenate([[state["intercept"]], state["beta"]])
        eta = w @ theta + np.sum(z * state["effects"][self.codes], axis=1)
        omega = random_polyagamma(1.0, eta, random_state=rng)
        if not self.slope_index:
            return self._intercept_sweep(state, w, omega, rng)
        pseudo = (self.y - 0.5) / omega
        sums = ClusterSums(w, z, pseudo, omega, self.codes, self.n_clusters, COEFFICIENT_SD)
        covariance = state["chol"] @ state["chol"].T
        theta = sums.fixed_effects(covariance, rng)
        effects = sums.effects(theta, covariance, rng)
        covariance, accept = covariance_step(effects, covariance, rng)
        return {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
        }, accept

    def _intercept_sweep(
        self, state: dict, w: np.ndarray, omega: np.ndarray, rng: np.random.Generator
    ) -> tuple[dict, float]:
        """Sweep the random-intercept case in closed form: the same draws, no cluster matrices.

        Given omega the model is ``kappa_i / omega_i ~ N(w_i theta + u_j, 1 / omega_i)``;
        with ``O_j`` the cluster's total weight and ``c_j = 1 / (O_j + 1 / tau^2)``, theta's
        collapsed precision is ``W' Omega W - sum_j c_j s_j s_j' + D^-1`` (``s_j`` the
        cluster's weighted sum of w) and ``u_j ~ N(c_j sum_i (kappa_i - omega_i w_i theta),
        c_j)``.
        """
        kappa = self.y - 0.5
        weight = np.bincount(self.codes, weights=omega, minlength=self.n_clusters)
        weighted = w * omega[:, None]
        sums = np.column_stack(
            [np.bincount(self.codes, weights=c, minlength=self.n_clusters) for c in weighted.T]
        )
        kappa_sums = np.bincount(self.codes, weights=kappa, minlength=self.n_clusters)
        variance = float(state["chol"][0, 0]) ** 2
        shrink = 1.0 / (weight + 1.0 / variance)
        prior = np.full(w.shape[1], 1 / COEFFICIENT_SD**2)
        precision = weighted.T @ w - sums.T @ (shrink[:, None] * sums) + np.diag(prior)
        rhs = w.T @ kappa - sums.T @ (shrink * kappa_sums)
        chol = np.linalg.cholesky(precision)
        theta = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
        theta = theta + np.linalg.solve(chol.T, rng.standard_normal(w.shape[1]))
        mean = shrink * (kappa_sums - sums @ theta)
        u = mean + np.sqrt(shrink) * rng.standard_normal(self.n_clusters)
        variance, accept = scale_step(u, variance, rng)
        return {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "effects": u[:, None],
            "chol": np.array([[np.sqrt(variance)]]),
        }, accept
