"""Exact-invariant Gibbs sampler of the cumulative logit mixed model (ordinal), latent form.

With ``P(y <= k) = logit^-1(c_k - eta)``, ``y = k`` exactly when a latent
``y* = eta + e``, ``e`` standard logistic, falls in ``(c_{k-1}, c_k]``. Given ``y*``, the logistic
density of ``e`` in ``eta`` is a Polya-Gamma mixture of normals (``b = 2``, ``kappa = 0``):
given ``omega ~ PG(2, y* - eta)`` the working model is ``y* ~ N(eta, 1 / omega)``, normal in
the coefficients and cluster effects. One sweep draws, in this order:

1. each threshold ``c_k`` by a random-walk Metropolis step on the ordinal likelihood given
   ``eta`` (the latent variables integrated out; the steps' SDs from the observed shares,
   fixed); the prior is the PyMC model's ``N(0, 5^2)`` restricted to ordered thresholds;
2. a shift ``delta`` of all thresholds and all random intercepts together, which leaves the
   likelihood unchanged, from its normal conditional (prior terms only): the direction in
   which thresholds and cluster effects otherwise crawl against each other;
3. ``y*`` from its truncated logistic conditional (inverse CDF, in the nearer tail), then
   ``omega``;
4. the coefficients, cluster effects and their covariance as in the logit samplers
   (`bayesmi.gibbs.steps.working_model_draw`, then the centred covariance step).

Steps 1 and 3-4 are a partially collapsed Gibbs sampler: the thresholds are drawn with the
latent variables integrated out, before the latent variables are drawn, so the order keeps the
posterior invariant. The state holds ``intercept`` (0: the thresholds hold it), ``beta``,
``effects``, ``chol`` and ``thresholds``.

References
----------
Albert, J. H. and Chib, S. (1993). Bayesian analysis of binary and polychotomous response data.
JASA 88(422), 669-679. Cowles, M. K. (1996). Accelerating Monte Carlo Markov chain convergence
for cumulative-link generalized linear models. Statistics and Computing 6, 101-111.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from polyagamma import random_polyagamma
from scipy.special import expit

from bayesmi.gibbs.kernels import cumulative_logit_log_probabilities
from bayesmi.gibbs.steps import (
    CategoryTarget,
    covariance_step,
    fixed_and_random_designs,
    log_prior_covariance,
    working_model_draw,
)
from bayesmi.priors import THRESHOLD_SD

__all__ = [
    "OrdinalGibbs",
    "latent_residual",
    "ordinal_log_probabilities",
    "rows_beside_thresholds",
    "threshold_step_sd",
    "threshold_steps",
]

_EDGE = 1e3
"""Stands for an infinite threshold below the lowest and above the highest category."""


@dataclass(frozen=True)
class OrdinalGibbs(CategoryTarget):
    """Gibbs sweeps for the ordinal mixed model (see the module docstring and `CategoryTarget`)."""

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        q = 1 + len(self.slope_index)
        thresholds = np.linspace(-1.5, 1.5, self.n_categories - 1)
        return {
            "intercept": 0.0,
            "beta": rng.uniform(-1, 1, n_predictors),
            "effects": np.zeros((self.n_clusters, q)),
            "chol": np.eye(q) * 0.5,
            "thresholds": thresholds + rng.uniform(-0.2, 0.2),
        }

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance."""
        _, z = fixed_and_random_designs(self._designs, x, self.slope_index)
        beta, effects = state["beta"], state["effects"]
        covariance = state["chol"] @ state["chol"].T
        fixed = x @ beta if beta.size else np.zeros(self.y.shape[0])
        eta = fixed + np.sum(z * effects[self.codes], axis=1)
        thresholds, accept = self._threshold_steps(np.array(state["thresholds"]), eta, rng)
        thresholds, effects = _location_shift(thresholds, effects, covariance, rng)
        eta = fixed + np.sum(z * effects[self.codes], axis=1)
        residual = self._latent_residual(thresholds, eta, rng)
        omega = random_polyagamma(2.0, residual, random_state=rng)
        beta, effects, covariance = working_model_draw(
            x,
            z,
            (eta + residual) * omega,
            omega,
            self.codes,
            self.n_clusters,
            covariance,
            None,
            log_prior_covariance,
            rng,
        )
        covariance, accept_covariance = covariance_step(effects, covariance, rng)
        return {
            "intercept": 0.0,
            "beta": beta,
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
            "thresholds": thresholds,
        }, (accept + accept_covariance) / 2

    def _threshold_steps(
        self, thresholds: np.ndarray, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        """Random-walk Metropolis for each threshold in turn, latent variables integrated out."""
        return threshold_steps(self.y, eta, thresholds, self._rows_beside, self._step_sd, rng)

    def set_target(self, codes: np.ndarray) -> None:
        """Replace the target's category codes (a model of every row, completed anew)."""
        self.y[:] = codes
        for summary in ("_rows_beside", "_step_sd"):  # computed from the codes
            self.__dict__.pop(summary, None)

    @cached_property
    def _rows_beside(self) -> list[np.ndarray]:
        """For each threshold, the rows whose likelihood it enters (categories k and k + 1)."""
        return rows_beside_thresholds(self.y, self.n_categories)

    @cached_property
    def _step_sd(self) -> np.ndarray:
        """Random-walk SDs of the thresholds (`threshold_step_sd`)."""
        return threshold_step_sd(self.y, self.n_categories)

    def _latent_residual(
        self, thresholds: np.ndarray, eta: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``y* - eta`` from the logistic truncated to the observed category's interval."""
        return latent_residual(self.y, thresholds, eta, rng)


def threshold_steps(
    y: np.ndarray,
    eta: np.ndarray,
    thresholds: np.ndarray,
    rows_beside: list[np.ndarray],
    step_sd: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, float]:
    """Random-walk Metropolis for each threshold in turn, latent variables integrated out.

    The target is the cumulative logit likelihood of the codes `y` given `eta` times the
    thresholds' ``N(0, 5^2)`` prior, restricted to ordered thresholds; `rows_beside` and
    `step_sd` from `rows_beside_thresholds` and `threshold_step_sd`. Returns the thresholds and
    the share of steps accepted.
    """
    n_thresholds = thresholds.shape[0]
    accepted = 0.0
    log_p = ordinal_log_probabilities(y, eta, thresholds, np.arange(y.shape[0]))
    for k, rows in enumerate(rows_beside):
        proposal = thresholds.copy()
        proposal[k] += step_sd[k] * rng.standard_normal()
        low = thresholds[k - 1] if k else -np.inf
        high = thresholds[k + 1] if k + 1 < n_thresholds else np.inf
        if not low < proposal[k] < high:
            continue
        proposed = ordinal_log_probabilities(y, eta, proposal, rows)
        log_ratio = (
            proposed.sum()
            - log_p[rows].sum()
            - (proposal[k] ** 2 - thresholds[k] ** 2) / (2 * THRESHOLD_SD**2)
        )
        if np.log(rng.random()) < log_ratio:
            thresholds, accepted = proposal, accepted + 1
            log_p[rows] = proposed
    return thresholds, accepted / n_thresholds


def rows_beside_thresholds(y: np.ndarray, n_categories: int) -> list[np.ndarray]:
    """For each threshold, the rows whose likelihood it enters (categories k and k + 1)."""
    beside = [(y == k) | (y == k + 1) for k in range(n_categories - 1)]
    return [np.flatnonzero(rows) for rows in beside]


def threshold_step_sd(y: np.ndarray, n_categories: int) -> np.ndarray:
    """Random-walk SDs: 2.4 x the SD of a threshold from the observed shares alone."""
    below = np.cumsum(np.bincount(y, minlength=n_categories))[:-1] / len(y)
    information = len(y) * np.clip(below * (1 - below), 1e-3, None)
    return 2.4 / np.sqrt(information)


def latent_residual(
    y: np.ndarray, thresholds: np.ndarray, eta: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``y* - eta`` from the logistic truncated to the interval of each row's code `y`."""
    edges = np.concatenate([[-_EDGE], thresholds, [_EDGE]])
    low, high = edges[y] - eta, edges[y + 1] - eta
    flip = low > 0  # draw in the lower tail, where the CDF is accurate
    low, high = np.where(flip, -high, low), np.where(flip, -low, high)
    lower, upper = expit(low), expit(high)
    u = np.clip(lower + (upper - lower) * rng.random(eta.shape[0]), 1e-300, 1 - 1e-16)
    residual = np.log(u) - np.log1p(-u)
    return np.where(flip, -residual, residual)


def ordinal_log_probabilities(
    y: np.ndarray, eta: np.ndarray, thresholds: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Return some rows' cumulative logit log likelihood, ``log(F(c_y - eta) - F(c_y-1 - eta))``."""
    edges = np.concatenate([[-_EDGE], thresholds, [_EDGE]])
    return cumulative_logit_log_probabilities(y, eta, edges, rows)


def _location_shift(
    thresholds: np.ndarray, effects: np.ndarray, covariance: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shift thresholds and random intercepts by a common ``delta`` from its conditional.

    ``c - eta`` is unchanged, so only the priors see ``delta``: ``c_k ~ N(0, 5^2)`` and
    ``b_j ~ N(0, T)`` give a normal conditional (a translation: Jacobian 1).
    """
    inverse = np.linalg.inv(covariance)
    precision = thresholds.size / THRESHOLD_SD**2 + effects.shape[0] * inverse[0, 0]
    linear = thresholds.sum() / THRESHOLD_SD**2 + float(np.sum(effects @ inverse[:, 0]))
    delta = -linear / precision + rng.standard_normal() / np.sqrt(precision)
    shifted = effects.copy()
    shifted[:, 0] += delta
    return thresholds + delta, shifted
