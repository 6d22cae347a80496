"""Exact Gibbs samplers of discrete regressions without random effects (cluster-level models).

A cluster-level model has one likelihood row per cluster and no random effects: a regression
``eta_j = g0 + a_j' gamma`` on standardised predictors. For a normal target `LinearGibbs`
sweeps it; the samplers here sweep the discrete families' regressions with the priors of the
PyMC model (`bayesmi.models.cluster_level`), each from its mixed model's augmentation with the
random effects left out:

- binary: ``omega_j ~ PG(1, eta_j)``, then ``theta = (g0, gamma)`` from its normal conditional
  (Polson, Scott and Windle 2013);
- categorical: for each non-reference category k in turn, ``omega_jk ~ PG(1, eta_jk - C_jk)``
  with ``C_jk = log sum_{l != k} exp(eta_jl)``, then category k's coefficients (Holmes and Held
  2006; as `CategoricalGibbs`);
- ordinal: each threshold by a random-walk Metropolis step with the latent variables
  integrated out, then the latent ``y* - eta`` from its truncated logistic, ``omega ~ PG(2,
  y* - eta)``, and the coefficients (as `OrdinalGibbs`; no intercept: the thresholds hold it);
- negative binomial: ``omega_j ~ PG(y_j + alpha, eta_j - log alpha)``, the coefficients, then
  ``log alpha`` by random-walk Metropolis steps (as `NegativeBinomialGibbs`).

Each state is the PyMC model's point (`bayesmi.gibbs.steps.LinearTarget`), transformed entries
included (the ordered thresholds' ``thresholds_std_ordered__``, ``inv_sqrt_alpha_log__``), so a
NUTS point and a sweep's point are read alike (``quantities``). Each sampler is checked against
NUTS on the same model (tests/test_gibbs.py).

References
----------
Polson, N. G., Scott, J. G. and Windle, J. (2013). Bayesian inference for logistic models
using Polya-Gamma latent variables. JASA 108(504), 1339-1349.
Holmes, C. C. and Held, L. (2006). Bayesian auxiliary variable models for binary and
multinomial regression. Bayesian Analysis 1(1), 145-168.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from polyagamma import random_polyagamma

from bayesmi.gibbs.counts import dispersion_steps
from bayesmi.gibbs.logistic import log_sum_exp_with_reference
from bayesmi.gibbs.ordinal import (
    latent_residual,
    rows_beside_thresholds,
    threshold_step_sd,
    threshold_steps,
)
from bayesmi.gibbs.steps import LinearTarget, Point, prior_precision, weighted_regression_draw
from bayesmi.priors import COEFFICIENT_SD, INTERCEPT_SD

__all__ = [
    "LinearCategoricalGibbs",
    "LinearLogisticGibbs",
    "LinearNegativeBinomialGibbs",
    "LinearOrdinalGibbs",
]


@dataclass(frozen=True)
class LinearLogisticGibbs(LinearTarget):
    """Gibbs sweeps for a logistic regression without random effects (Polya-Gamma).

    ``logit P(y = 1) = W theta``, ``W = [intercepts, x]``, ``theta_k ~ N(0, 2.5^2)``. One sweep
    draws ``omega_i ~ PG(1, eta_i)``, then ``theta`` from its normal conditional given omega.
    Its data are `LinearTarget`'s, ``y`` 0/1.
    """

    def quantities(self, point: Point) -> dict:
        """Return ``intercept`` and ``beta`` (standardised predictors) at `point`."""
        return {"intercept": float(self.entry(point, self.intercept)), "beta": self.beta(point)}

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance 1."""
        k = self.intercepts.shape[1]
        w = np.column_stack([self.intercepts, x])
        theta = np.concatenate([np.atleast_1d(self.entry(point, self.intercept)), self.beta(point)])
        omega = random_polyagamma(1.0, w @ theta, random_state=rng)
        prior = prior_precision(w.shape[1], COEFFICIENT_SD)
        theta = weighted_regression_draw(w, omega, w.T @ (self.y - 0.5), prior, rng)
        return _with_coefficients(self, theta[:k] if k > 1 else theta[0], theta[k:]), 1.0


@dataclass(frozen=True)
class LinearCategoricalGibbs(LinearTarget):
    """Gibbs sweeps for a multinomial logit without random effects, category by category.

    ``eta_jk = W theta_k`` for each non-reference category k (reference ``eta_j0 = 0``),
    ``theta_k ~ N(0, 2.5^2)``. Given the other categories' linear predictors, category k's
    likelihood is that of the indicator ``y_j = k`` with offset ``C_jk``, so a sweep draws
    ``omega_jk ~ PG(1, eta_jk - C_jk)`` and then ``theta_k`` from its normal conditional, for
    each k in turn. Its data are `LinearTarget`'s, ``y`` the category codes ``0..K-1``; the
    point holds ``intercept_std`` (K-1) and ``beta_std`` (K-1, p).
    """

    def quantities(self, point: Point) -> dict:
        """Return ``intercept`` (K-1) and ``beta`` (K-1, p) at `point`."""
        intercept = np.asarray(self.entry(point, self.intercept), dtype=float)
        beta = point.get(f"{self.target}::beta_std", np.zeros((intercept.shape[0], 0)))
        return {"intercept": intercept, "beta": np.asarray(beta, dtype=float)}

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance 1."""
        current = self.quantities(point)
        w = np.column_stack([self.intercepts, x])
        theta = np.column_stack([current["intercept"], current["beta"]])  # (K-1, 1 + p)
        eta = w @ theta.T
        prior = prior_precision(w.shape[1], COEFFICIENT_SD)
        for k in range(theta.shape[0]):
            offset = log_sum_exp_with_reference(np.delete(eta, k, axis=1))
            omega = random_polyagamma(1.0, eta[:, k] - offset, random_state=rng)
            kappa = (self.y == k + 1) - 0.5 + omega * offset
            theta[k] = weighted_regression_draw(w, omega, w.T @ kappa, prior, rng)
            eta[:, k] = w @ theta[k]
        return _with_coefficients(self, theta[:, 0], theta[:, 1:]), 1.0


@dataclass(frozen=True)
class LinearOrdinalGibbs(LinearTarget):
    """Gibbs sweeps for a cumulative logit without random effects (latent form).

    ``P(y <= k) = logit^-1(c_k - x gamma)``, ordered thresholds ``c ~ N(0, 5^2)``,
    ``gamma_k ~ N(0, 2.5^2)``, no intercept. One sweep draws each threshold by a random-walk
    Metropolis step given ``eta = x gamma`` (the latent variables integrated out), then the
    latent residuals ``y* - eta``, ``omega ~ PG(2, y* - eta)`` and ``gamma`` from its normal
    conditional given the working response ``y*`` with precisions omega: a partially collapsed
    Gibbs sampler in the order of `OrdinalGibbs`. Its data are `LinearTarget`'s (`intercept`
    unused), ``y`` the category codes ``0..K-1``; the point holds the ordered transform of the
    thresholds, ``thresholds_std_ordered__``.
    """

    def quantities(self, point: Point) -> dict:
        """Return ``intercept`` 0, ``beta`` and the ``thresholds`` at `point`."""
        return {
            "intercept": 0.0,
            "beta": self.beta(point),
            "thresholds": _ordered(self.entry(point, "thresholds_std_ordered__")),
        }

    def start_from(self, point: Point, rng: np.random.Generator) -> Point:
        """Start the thresholds evenly spread over (-1.5, 1.5) and jittered, as the model does."""
        n_thresholds = np.size(self.entry(point, "thresholds_std_ordered__"))
        thresholds = np.linspace(-1.5, 1.5, n_thresholds) + rng.uniform(-0.2, 0.2)
        return point | {f"{self.target}::thresholds_std_ordered__": _unordered(thresholds)}

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        current = self.quantities(point)
        codes = self.y.astype(np.intp)
        n_categories = current["thresholds"].shape[0] + 1
        beta = current["beta"]
        eta = x @ beta if beta.size else np.zeros(codes.shape[0])
        thresholds, accept = threshold_steps(
            codes,
            eta,
            current["thresholds"],
            rows_beside_thresholds(codes, n_categories),
            threshold_step_sd(codes, n_categories),
            rng,
        )
        new = {f"{self.target}::thresholds_std_ordered__": _unordered(thresholds)}
        if x.shape[1]:
            residual = latent_residual(codes, thresholds, eta, rng)
            omega = random_polyagamma(2.0, residual, random_state=rng)
            prior = prior_precision(x.shape[1], None)
            linear = x.T @ ((eta + residual) * omega)
            new[f"{self.target}::beta_std"] = weighted_regression_draw(x, omega, linear, prior, rng)
        return new, accept


@dataclass(frozen=True)
class LinearNegativeBinomialGibbs(LinearTarget):
    """Gibbs sweeps for a negative binomial regression without random effects (Polya-Gamma).

    Mean ``exp(W theta)``, ``g0 ~ N(0, 5^2)``, ``gamma_k ~ N(0, 2.5^2)``,
    ``1 / sqrt(alpha) ~ HalfNormal(1)``. One sweep draws
    ``omega_j ~ PG(y_j + alpha, eta_j - log alpha)``, then ``theta`` from its normal
    conditional, then ``log alpha`` by the random-walk steps of `NegativeBinomialGibbs`. Its
    data are `LinearTarget`'s, ``y`` the counts; the point holds ``inv_sqrt_alpha_log__``.
    """

    def quantities(self, point: Point) -> dict:
        """Return ``intercept``, ``beta`` and ``alpha`` at `point`."""
        log_spread = float(self.entry(point, "inv_sqrt_alpha_log__"))
        return {
            "intercept": float(self.entry(point, self.intercept)),
            "beta": self.beta(point),
            "alpha": float(1.0 / np.exp(log_spread) ** 2),  # the model's 1 / spread^2
        }

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        current = self.quantities(point)
        k = self.intercepts.shape[1]
        alpha = current["alpha"]
        w = np.column_stack([self.intercepts, x])
        theta = np.concatenate([[current["intercept"]], current["beta"]])
        omega = random_polyagamma(self.y + alpha, w @ theta - np.log(alpha), random_state=rng)
        kappa = (self.y - alpha) / 2 + omega * np.log(alpha)
        prior = prior_precision(w.shape[1], INTERCEPT_SD)
        theta = weighted_regression_draw(w, omega, w.T @ kappa, prior, rng)
        alpha, accept = dispersion_steps(self.y, w @ theta, alpha, rng)
        new = _with_coefficients(self, theta[:k] if k > 1 else theta[0], theta[k:])
        new[f"{self.target}::inv_sqrt_alpha_log__"] = np.asarray(-0.5 * np.log(alpha))
        return new, accept


def _with_coefficients(kernel: LinearTarget, intercept, beta: np.ndarray) -> Point:
    """Return the point's intercept and coefficient entries (none without predictors)."""
    new = {f"{kernel.target}::{kernel.intercept}": np.asarray(intercept)}
    if beta.size:
        new[f"{kernel.target}::beta_std"] = beta
    return new


def _ordered(values: np.ndarray) -> np.ndarray:
    """PyMC's ordered transform, backward: thresholds from their unconstrained values."""
    values = np.asarray(values, dtype=float)
    return np.cumsum(np.concatenate([values[:1], np.exp(values[1:])]))


def _unordered(thresholds: np.ndarray) -> np.ndarray:
    """PyMC's ordered transform, forward: unconstrained values of increasing thresholds."""
    return np.concatenate([thresholds[:1], np.log(np.diff(thresholds))])
