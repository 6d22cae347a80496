"""Exact Gibbs samplers of the logit models by Polya-Gamma augmentation."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import numpy as np
from polyagamma import random_polyagamma

from bayesmi.gibbs.steps import (
    CategoryTarget,
    LogitTarget,
    covariance_step,
    fixed_and_random_designs,
    log_prior_covariance,
    mixed_start,
    weighted_model_steps,
    working_model_draw,
)
from bayesmi.priors import COEFFICIENT_SD

__all__ = ["CategoricalGibbs", "LogisticGibbs", "log_sum_exp_with_reference"]


@dataclass(frozen=True)
class LogisticGibbs(LogitTarget):
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

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered (`mixed_start`)."""
        return mixed_start(self.n_clusters, self.slope_index, n_predictors, rng)

    intercept_sd: ClassVar[float] = COEFFICIENT_SD
    """SD of the intercept's normal prior (`FactorsGibbs` reads it)."""

    def augmented_sweep(
        self, state: dict, w: np.ndarray, z: np.ndarray, eta: np.ndarray, offset, rng
    ) -> tuple[dict, float]:
        """Draw omega given the linear predictor `eta` (offset included), then the rest."""
        omega = random_polyagamma(1.0, eta, random_state=rng)
        return weighted_model_steps(
            w,
            z,
            self.codes,
            self.n_clusters,
            self.y - 0.5 - omega * offset,
            omega,
            state["chol"],
            COEFFICIENT_SD,
            rng,
        )

    def working_model(
        self, state: dict, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``omega ~ PG(1, eta)``; return the working response ``kappa / omega`` and omega.

        Given omega the likelihood in the linear predictor `eta` (every observed row's, all
        factors' effects included) is that of the working response with precisions omega.
        """
        omega = random_polyagamma(1.0, eta, random_state=rng)
        return (self.y - 0.5) / omega, omega


@dataclass(frozen=True)
class CategoricalGibbs(CategoryTarget):
    """Gibbs sweeps for the multinomial logit mixed model (categorical), category by category.

    Holmes and Held (2006), Polson, Scott and Windle (2013, section 3.3): given the other
    categories' linear predictors, the likelihood of category k's is a logit likelihood of the
    indicator ``y_i = k`` with the offset ``C_ik = log sum_{l != k} exp(eta_il)`` (``eta_i0 = 0``
    for the reference). So for each non-reference category in turn one sweep draws
    ``omega_ik ~ PG(1, eta_ik - C_ik)``, then category k's intercept and coefficients with its
    cluster effects integrated out, and its cluster effects, both given the other categories'
    effects (the effects of all categories are correlated: ``b_jk`` given ``b_j,-k`` is normal
    with mean ``T_k,-k T_-k,-k^-1 b_j,-k`` and covariance ``T_kk - T_k,-k T_-k,-k^-1 T_-k,k``).
    Last, ``T`` of all categories' effects by the independence Metropolis-Hastings step of
    `LogisticGibbs`. Priors are the PyMC model's (`bayesmi.models.categorical`). The state holds
    ``intercept`` (K-1), ``beta`` (K-1, p), ``effects`` (J, (K-1) q) and ``chol``.

    References
    ----------
    Holmes, C. C. and Held, L. (2006). Bayesian auxiliary variable models for binary and
    multinomial regression. Bayesian Analysis 1(1), 145-168.
    """

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        others = self.n_categories - 1
        q = 1 + len(self.slope_index)
        return {
            "intercept": rng.uniform(-1, 1, others),
            "beta": rng.uniform(-1, 1, (others, n_predictors)),
            "effects": np.zeros((self.n_clusters, others * q)),
            "chol": np.eye(others * q) * 0.5,
        }

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance."""
        others, q = self.n_categories - 1, 1 + len(self.slope_index)
        w, z = fixed_and_random_designs(self._designs, x, self.slope_index)
        theta = np.column_stack([state["intercept"], state["beta"]])
        effects = state["effects"].copy()
        covariance = state["chol"] @ state["chol"].T
        eta = np.column_stack(
            [w @ theta[k] + self._cluster_part(z, effects, k, q) for k in range(others)]
        )
        for k in range(others):
            theta[k], effects, covariance = self._category_step(
                k, w, z, eta, effects, covariance, rng
            )
            eta[:, k] = w @ theta[k] + self._cluster_part(z, effects, k, q)
        covariance, accept = covariance_step(effects, covariance, rng)
        return {
            "intercept": theta[:, 0],
            "beta": theta[:, 1:],
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
        }, accept

    def _category_step(
        self,
        k: int,
        w: np.ndarray,
        z: np.ndarray,
        eta: np.ndarray,
        effects: np.ndarray,
        covariance: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Update category k's coefficients and effects, and T's block k given the rest."""
        q = z.shape[1]
        offset = log_sum_exp_with_reference(np.delete(eta, k, axis=1))
        omega = random_polyagamma(1.0, eta[:, k] - offset, random_state=rng)
        mean, block = _conditional_block(effects, covariance, k, q)
        # kappa / omega + C_k = w theta + z b: the offset moves to the response's side
        shift = offset - np.sum(z * mean[self.codes], axis=1)
        kappa = (self.y == k + 1) - 0.5 + omega * shift
        theta, deviation, new_block = working_model_draw(
            w,
            z,
            kappa,
            omega,
            self.codes,
            self.n_clusters,
            block,
            COEFFICIENT_SD,
            partial(_log_prior_with_block, covariance, k, block),
            rng,
        )
        effects = effects.copy()
        effects[:, k * q : (k + 1) * q] = mean + deviation
        return theta, effects, _with_block(covariance, k, q, new_block - block)

    def _cluster_part(self, z: np.ndarray, effects: np.ndarray, k: int, q: int) -> np.ndarray:
        """Category k's cluster effects at every row: ``z_i' b_jk``."""
        return np.sum(z * effects[self.codes, k * q : (k + 1) * q], axis=1)


def log_sum_exp_with_reference(eta: np.ndarray) -> np.ndarray:
    """``log(1 + sum_l exp(eta_il))`` per row: the other categories' and the reference's."""
    if eta.shape[1] == 1:
        return np.logaddexp(0.0, eta[:, 0])
    top = np.maximum(eta.max(axis=1), 0.0)
    return top + np.log(np.exp(-top) + np.exp(eta - top[:, None]).sum(axis=1))


def _log_prior_with_block(
    covariance: np.ndarray, k: int, block: np.ndarray, value: np.ndarray
) -> float:
    """Log prior density of T when block k's conditional covariance is `value` not `block`."""
    q = block.shape[0]
    return log_prior_covariance(_with_block(covariance, k, q, value - block))


def _with_block(covariance: np.ndarray, k: int, q: int, change: np.ndarray) -> np.ndarray:
    """T with block k's conditional covariance changed by `change`, the rest of T kept."""
    block = slice(k * q, (k + 1) * q)
    new = covariance.copy()
    new[block, block] += change
    return new


def _conditional_block(
    effects: np.ndarray, covariance: np.ndarray, k: int, q: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (J, q) and covariance (q, q) of block k of every cluster's effects given the rest."""
    block = slice(k * q, (k + 1) * q)
    rest = _other_blocks(covariance.shape[0], k, q)
    if not rest.size:
        return np.zeros((effects.shape[0], q)), covariance
    cross = covariance[block][:, rest]
    coefficient = np.linalg.solve(covariance[rest][:, rest], cross.T).T
    mean = effects[:, rest] @ coefficient.T
    return mean, covariance[block, block] - coefficient @ cross.T


@functools.cache
def _other_blocks(size: int, k: int, q: int) -> np.ndarray:
    """Return the indices of T's rows outside block k."""
    return np.flatnonzero((np.arange(size) // q) != k)
