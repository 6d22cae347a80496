"""Gibbs sampler of the normal mixed model with AR(1) residuals over each cluster's occasions.

Longitudinal data: ``y_it = w_it' theta + z_it' b_i + e_it`` with ``b_i ~ N(0, T)`` and, within
person i, residuals of a continuous-time AR(1) (an Ornstein-Uhlenbeck process observed at the
occasions): ``Var(e_it) = sigma^2``, ``corr(e_it, e_is) = phi^|t - s|``, ``0 < phi < 1``.
Observed at any subset of its times such a process is still Markov, with the same correlation
between neighbouring observed occasions, so the likelihood of a person's observed rows is

    e_1 ~ N(0, sigma^2),  e_k | e_{k-1} ~ N(rho_k e_{k-1}, sigma^2 (1 - rho_k^2)),
    rho_k = phi^(t_k - t_{k-1})

over the observed rows in time order. Given phi, dividing ``y_k - rho_k y_{k-1}`` (and the
same of each design column) by ``sqrt(1 - rho_k^2)`` leaves a normal mixed model with
independent residuals of variance sigma^2 (Prais-Winsten), whose conditionals are the usual
ones. One sweep draws, in this order:

1. ``theta`` with the person effects integrated out, then the effects
   (`bayesmi.gibbs.steps.ClusterSums` on the transformed rows);
2. ``T`` in the non-centred parametrisation, then centred (as the logit samplers do);
3. ``sigma^2`` by the independence Metropolis-Hastings step of `RandomInterceptGibbs` on the
   transformed residuals;
4. ``phi`` by random-walk Metropolis steps of three scales on ``logit(phi)`` with the AR(1)
   likelihood itself and the ``Uniform(0, 1)`` prior.

Priors are the PyMC model's (`bayesmi.models.mixed`). The state holds ``intercept``, ``beta``,
``effects``, ``chol``, ``sigma`` and ``phi``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit

from bayesmi.gibbs.steps import (
    ClusterSums,
    covariance_step,
    fixed_and_random_designs,
    log_prior_covariance,
    noncentred_scale_step,
    scale_step,
)
from bayesmi.priors import INTERCEPT_SD

__all__ = ["AutoregressiveGibbs", "ar1_log_likelihood"]

PHI_STEPS = (0.1, 0.4, 1.2)
"""SDs of the random-walk steps on logit(phi), one of each per sweep."""


@dataclass(frozen=True)
class AutoregressiveGibbs:
    """Gibbs sweeps for the normal mixed model with AR(1) residuals (see the module docstring).

    Parameters
    ----------
    y : numpy.ndarray
        Standardised observed target, in row order.
    codes : numpy.ndarray
        Cluster (person) code of each observed row.
    n_clusters : int
        Number of clusters.
    slope_index : tuple of int
        Predictors with a random slope.
    previous : numpy.ndarray
        Position among the observed rows of each row's previous observed occasion of the same
        person; -1 for the person's first.
    gap : numpy.ndarray
        Time from that occasion (any value where there is none).
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slope_index: tuple[int, ...]
    previous: np.ndarray
    gap: np.ndarray

    _designs: dict = field(default_factory=dict, compare=False, repr=False)

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        q = 1 + len(self.slope_index)
        return {
            "intercept": float(rng.uniform(-1, 1)),
            "beta": rng.uniform(-1, 1, n_predictors),
            "effects": np.zeros((self.n_clusters, q)),
            "chol": np.eye(q) * 0.5,
            "sigma": float(np.exp(rng.uniform(-1, 1))),
            "phi": float(rng.uniform(0.2, 0.8)),
        }

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance."""
        w, z = fixed_and_random_designs(self._designs, x, self.slope_index)
        phi, sigma2 = float(state["phi"]), float(state["sigma"]) ** 2
        covariance = state["chol"] @ state["chol"].T
        transform = self._transform(phi)
        y, w_star, z_star = transform(self.y), transform(w), transform(z)
        weight = np.full(y.shape[0], 1.0 / sigma2)
        sums = ClusterSums(w_star, z_star, y, weight, self.codes, self.n_clusters, INTERCEPT_SD)
        theta = sums.fixed_effects(covariance, rng)
        effects = sums.effects(theta, covariance, rng)
        effects, covariance, _ = noncentred_scale_step(
            y - w_star @ theta,
            weight,
            z_star,
            self.codes,
            effects,
            covariance,
            log_prior_covariance,
            rng,
        )
        covariance, accept_covariance = covariance_step(effects, covariance, rng)
        random_part = np.sum(z_star * effects[self.codes], axis=1)
        sigma2, accept_sigma = scale_step(y - w_star @ theta - random_part, sigma2, rng)
        residual = self.y - w @ theta - np.sum(z * effects[self.codes], axis=1)
        phi, accept_phi = self._phi_steps(residual, np.sqrt(sigma2), phi, rng)
        return {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
            "sigma": float(np.sqrt(sigma2)),
            "phi": phi,
        }, (accept_covariance + accept_sigma + accept_phi) / 3

    def _transform(self, phi: float):
        """Return the map of rows (or design columns) to their AR(1)-whitened values."""
        first = self.previous < 0
        rho = np.where(first, 0.0, phi ** np.where(first, 1.0, self.gap))
        scale = np.sqrt(1.0 - rho**2)
        before = np.maximum(self.previous, 0)

        def whitened(values: np.ndarray) -> np.ndarray:
            if values.ndim == 1:
                return (values - rho * values[before]) / scale
            return (values - rho[:, None] * values[before]) / scale[:, None]

        return whitened

    def _phi_steps(
        self, residual: np.ndarray, sigma: float, phi: float, rng: np.random.Generator
    ) -> tuple[float, float]:
        """Random-walk MH on logit(phi), one step of each scale; return phi and acceptance."""

        def log_target(value: float) -> float:
            p = expit(value)
            likelihood = ar1_log_likelihood(residual, self.previous, self.gap, sigma, p)
            return likelihood + float(np.log(p) + np.log1p(-p))  # Uniform(0, 1), Jacobian

        current = float(logit(phi))
        log_current = log_target(current)
        accepted = 0
        for scale in PHI_STEPS:
            proposal = current + scale * rng.standard_normal()
            log_proposal = log_target(proposal)
            if np.log(rng.random()) < log_proposal - log_current:
                current, log_current = proposal, log_proposal
                accepted += 1
        return float(expit(current)), accepted / len(PHI_STEPS)


def ar1_log_likelihood(
    residual: np.ndarray, previous: np.ndarray, gap: np.ndarray, sigma: float, phi: float
) -> float:
    """Return the AR(1) log density of residuals (constant terms left out).

    Each row conditions on the row at its `previous` position (-1: none) `gap` time units
    earlier: ``e_k | e_p ~ N(phi^gap e_p, sigma^2 (1 - phi^(2 gap)))``.
    """
    first = previous < 0
    rho = np.where(first, 0.0, phi ** np.where(first, 1.0, gap))
    variance = sigma**2 * (1.0 - rho**2)
    innovation = residual - rho * residual[np.maximum(previous, 0)]
    return float(-0.5 * np.sum(np.log(variance) + innovation**2 / variance))
