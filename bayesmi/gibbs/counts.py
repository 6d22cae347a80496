"""Gibbs sampler of the negative binomial mixed model (counts), by Polya-Gamma augmentation.

With mean ``mu = exp(eta)`` and dispersion ``alpha``, the negative binomial likelihood of a
count y is, in ``psi = eta - log alpha``, ``e^(psi y) / (1 + e^psi)^(y + alpha)`` times terms
free of eta: a logit likelihood with ``y + alpha`` trials (Zhou et al. 2012; Polson, Scott and
Windle 2013, section 3.2). Given ``omega_i ~ PG(y_i + alpha, psi_i)`` it is, in eta, the
normal ``N(kappa_i / omega_i + log alpha; eta_i, 1 / omega_i)``, ``kappa_i = (y_i - alpha) / 2``.
So one sweep draws omega, then, as `bayesmi.gibbs.LogisticGibbs` does, the intercept and
coefficients with the cluster effects integrated out, the effects and their covariance T; then
``log alpha`` by random-walk Metropolis steps of three fixed scales with the negative binomial
likelihood itself (each step is symmetric, so their cycle leaves the posterior invariant).
Priors are the PyMC model's (`bayesmi.families`): ``b0 ~ N(0, 5^2)``,
``beta_k ~ N(0, 2.5^2)``, ``1 / sqrt(alpha) ~ HalfNormal(1)``, T from ``HalfNormal(1)`` SDs and
``LKJ(2)``. The state holds ``intercept``, ``beta``, ``effects``, ``chol`` and ``alpha``.

References
----------
Zhou, M., Li, L., Dunson, D. and Carin, L. (2012). Lognormal and gamma mixed negative binomial
regression. Proceedings of ICML 2012, 1343-1350.
Polson, N. G., Scott, J. G. and Windle, J. (2013). Bayesian inference for logistic models
using Polya-Gamma latent variables. JASA 108(504), 1339-1349.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from polyagamma import random_polyagamma
from scipy.special import gammaln

from bayesmi.gibbs.steps import (
    LogitTarget,
    weighted_model_steps,
)
from bayesmi.priors import INTERCEPT_SD

__all__ = ["NegativeBinomialGibbs", "dispersion_steps"]

DISPERSION_STEPS = (0.05, 0.2, 0.8)
"""SDs of the random-walk steps on log alpha, one of each per sweep."""


@dataclass(frozen=True)
class NegativeBinomialGibbs(LogitTarget):
    """Gibbs sweeps for the negative binomial mixed model (module docstring, `LogitTarget`)."""

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        q = 1 + len(self.slope_index)
        mean = max(float(np.mean(self.y)), 0.5)
        return {
            "intercept": float(np.log(mean) + rng.uniform(-0.5, 0.5)),
            "beta": rng.uniform(-0.5, 0.5, n_predictors),
            "effects": np.zeros((self.n_clusters, q)),
            "chol": np.eye(q) * 0.5,
            "alpha": float(np.exp(rng.uniform(-1, 1))),
        }

    intercept_sd: ClassVar[float] = INTERCEPT_SD
    """SD of the intercept's normal prior (`FactorsGibbs` reads it)."""

    def augmented_sweep(
        self, state: dict, w: np.ndarray, z: np.ndarray, eta: np.ndarray, offset, rng
    ) -> tuple[dict, float]:
        """Draw omega given the linear predictor `eta` (offset included), then the rest."""
        alpha = float(state["alpha"])
        omega = random_polyagamma(self.y + alpha, eta - np.log(alpha), random_state=rng)
        kappa = (self.y - alpha) / 2 + omega * (np.log(alpha) - offset)
        new, accept = weighted_model_steps(
            w, z, self.codes, self.n_clusters, kappa, omega, state["chol"], INTERCEPT_SD, rng
        )
        eta = self.linear_predictor(w, z, new["intercept"], new["beta"], new["effects"])
        alpha, accept_alpha = self._dispersion_steps(eta + offset, alpha, rng)
        return new | {"alpha": alpha}, (accept + accept_alpha) / 2

    def working_model(
        self, state: dict, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``omega ~ PG(y + alpha, eta - log alpha)``; return the working response and omega.

        Given omega the likelihood in the linear predictor `eta` (every observed row's, all
        factors' effects included) is that of ``kappa / omega + log alpha`` with precisions
        omega (module docstring).
        """
        alpha = float(state["alpha"])
        omega = random_polyagamma(self.y + alpha, eta - np.log(alpha), random_state=rng)
        return (self.y - alpha) / 2 / omega + np.log(alpha), omega

    def _dispersion_steps(
        self, eta: np.ndarray, alpha: float, rng: np.random.Generator
    ) -> tuple[float, float]:
        """Random-walk MH on log alpha, one step of each scale; return alpha and acceptance."""
        return dispersion_steps(self.y, eta, alpha, rng)


def dispersion_steps(
    y: np.ndarray, log_mu: np.ndarray, alpha: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Random-walk MH on log alpha, one step of each scale; return alpha and acceptance.

    The target is the negative binomial likelihood of the counts `y` with log means `log_mu`
    times the prior ``1 / sqrt(alpha) ~ HalfNormal(1)``, on the log alpha scale.
    """

    def log_target(log_alpha: float) -> float:
        a = np.exp(log_alpha)
        log_total = np.logaddexp(log_alpha, log_mu)  # log(alpha + mu)
        likelihood = np.sum(
            gammaln(y + a) - gammaln(a) + a * (log_alpha - log_total) + y * (log_mu - log_total)
        )
        spread = np.exp(-log_alpha / 2)  # 1 / sqrt(alpha) ~ HalfNormal(1), Jacobian included
        return float(likelihood - spread**2 / 2 + np.log(spread))

    current = float(np.log(alpha))
    log_current = log_target(current)
    accepted = 0
    for scale in DISPERSION_STEPS:
        proposal = current + scale * rng.standard_normal()
        log_proposal = log_target(proposal)
        if np.log(rng.random()) < log_proposal - log_current:
            current, log_current = proposal, log_proposal
            accepted += 1
    return float(np.exp(current)), accepted / len(DISPERSION_STEPS)
