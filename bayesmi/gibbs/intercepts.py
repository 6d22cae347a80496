"""Exact Gibbs sweeps of the normal model with random intercepts of several grouping factors.

Pupils in classes in schools, or pupils classified by school and by area (crossed): on the
standardised scale ``y = W theta + sum_k u_k[g_k] + e``, ``W = [1, X]``, ``u_k ~ N(0, tau_k^2)``
per group of factor k, ``e ~ N(0, sigma^2)``. One sweep visits the factors in turn; for factor
k, with ``o = sum_{m != k} u_m[g_m]`` the other factors' current effects, it draws

1. ``theta`` from its conditional given the other factors with ``u_k`` integrated out: the
   random-intercept sampler's collapsed step (`bayesmi.gibbs.RandomInterceptGibbs`) on
   ``y - o``, so the intercept does not crawl against any factor's effects;
2. ``u_k`` from its normal conditional given ``theta`` and ``o`` (a group without observed
   rows: ``N(0, tau_k^2)``).

Steps 1-2 are one draw of ``(theta, u_k)`` from their joint conditional. Then ``sigma^2`` and
each ``tau_k^2`` by the independence Metropolis-Hastings steps of the two-level sampler
(`bayesmi.gibbs.steps.scale_step`), and each ``tau_k`` again with ``eta_k = u_k / tau_k``
held (`interweave_factor_sds`: a level whose variance is near 0 would otherwise mix slowly).
Each step leaves the PyMC model's posterior invariant; the state is the PyMC model's point
(``eta_k = u_k / tau_k``, log scales).

`FactorsGibbs` adds such factors to a two-level sampler whose first factor has random slopes,
a residual variance per group (``(1 + x | school) + (1 | class)``), or a logit or negative
binomial likelihood: a sweep of that sampler with the other factors' effects as an offset, then
steps 1-2 for each other factor in the sampler's working model (the rows weighted by their
residual precision ``1 / sigma_i^2``, or their Polya-Gamma precision), then each ``tau_k^2``,
centred and interwoven.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bayesmi.gibbs.steps import (
    Point,
    cluster_sums,
    collapsed_fixed_effects,
    log_prior_covariance,
    noncentred_sd_step,
    scale_step,
)

__all__ = ["FactorsGibbs", "InterceptsGibbs", "interweave_factor_sds"]


@dataclass(frozen=True)
class InterceptsGibbs:
    """Gibbs sweeps of a normal model with random intercepts of several factors.

    Parameters
    ----------
    target : str
        The imputed variable (names of the point's entries).
    y : numpy.ndarray
        Standardised observed target.
    codes : tuple of numpy.ndarray
        Per factor, the group code of each observed row.
    n_groups : tuple of int
        Per factor, the number of groups (including groups without observed rows).
    n_predictors : int
        Number of predictors p (besides the intercept).
    """

    target: str
    y: np.ndarray
    codes: tuple[np.ndarray, ...]
    n_groups: tuple[int, ...]
    n_predictors: int

    _statistics: dict = field(default_factory=dict, compare=False, repr=False)

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        name = self.target
        variances = np.exp(2 * np.asarray(point[f"{name}::tau_std_log__"], dtype=float))
        sigma2 = float(np.exp(2 * point[f"{name}::sigma_std_log__"]))
        effects = [
            np.sqrt(variances[k]) * np.asarray(point[f"{name}::eta_{k}"], dtype=float)
            for k in range(len(self.codes))
        ]
        columns, cross, group_sums = self._design_statistics(x)
        theta = None
        for k, (codes, n) in enumerate(zip(self.codes, self.n_groups, strict=True)):
            offset = sum(effects[m][self.codes[m]] for m in range(len(effects)) if m != k)
            target = self.y - offset
            theta = collapsed_fixed_effects(
                cross,
                group_sums[k],
                columns @ target,
                np.bincount(codes, weights=target, minlength=n),
                float(variances[k]),
                sigma2,
                rng,
            )
            residual = target - theta @ columns
            counts = group_sums[k][:, 0]
            sums = np.bincount(codes, weights=residual, minlength=n)
            precision = counts / sigma2 + 1 / variances[k]
            effects[k] = sums / sigma2 / precision + rng.standard_normal(n) / np.sqrt(precision)
        fixed = self.y - theta @ columns
        fitted = sum(u[c] for u, c in zip(effects, self.codes, strict=True))
        sigma2, accept = scale_step(fixed - fitted, sigma2, rng)
        acceptances = [accept]
        for k, u in enumerate(effects):
            variances[k], accept = scale_step(u, float(variances[k]), rng)
            acceptances.append(accept)
        interweave_factor_sds(
            effects, variances, self.codes, fixed, np.full(fixed.shape[0], 1 / sigma2), rng
        )
        new = {
            f"{name}::intercept_std": np.asarray(theta[0]),
            f"{name}::tau_std_log__": 0.5 * np.log(variances),
            f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2)),
        }
        for k, u in enumerate(effects):
            new[f"{name}::eta_{k}"] = u / np.sqrt(variances[k])
        if self.n_predictors:
            new[f"{name}::beta_std"] = theta[1:]
        return new, float(np.mean(acceptances))

    def _design_statistics(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
        """Return ``W' = [1, X]'``, ``W'W`` and each factor's group sums of ``W``.

        Kept while `x` is the same array: the engine runs several sweeps between two changes
        of the predictors.
        """
        if self._statistics.get("x") is not x:
            columns = np.vstack([np.ones(self.y.shape[0]), x.T])  # (p + 1, n)
            group_sums = [
                cluster_sums(columns, codes, n)
                for codes, n in zip(self.codes, self.n_groups, strict=True)
            ]
            self._statistics.clear()
            self._statistics.update(
                x=x, columns=columns, cross=columns @ columns.T, group_sums=group_sums
            )
        statistics = self._statistics
        return statistics["columns"], statistics["cross"], statistics["group_sums"]


class FirstFactorKernel(Protocol):
    """A two-level sampler that `FactorsGibbs` extends with other factors' intercepts."""

    codes: np.ndarray
    slope_index: tuple[int, ...]
    intercept_sd: float

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict: ...

    def sweep(
        self, state: dict, x: np.ndarray, rng: np.random.Generator, offset: np.ndarray
    ) -> tuple[dict, float]: ...

    def working_model(
        self, state: dict, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class FactorsGibbs:
    """Gibbs sweeps of a mixed model with random intercepts of other factors beside the first.

    The state is the first factor's sampler's (`RandomSlopesGibbs`, `LogisticGibbs`,
    `NegativeBinomialGibbs`: coefficients, the first factor's effects and covariance, and the
    residual SD or dispersion) plus ``factor_effects`` (each other factor's intercepts) and
    ``factor_tau`` (their SDs), standardised. A sweep is the first sampler's sweep with the
    other factors' effects as an offset, then the first sampler's working model given the
    current linear predictor (normal: the target, weights ``1 / sigma_i^2``; logit and
    negative binomial: a fresh Polya-Gamma draw, its working response and weights omega),
    then per other factor ``(theta, u_k)`` from their joint conditional in that working model
    (theta with ``u_k`` integrated out, as `InterceptsGibbs`), then each ``tau_k^2``, centred
    and then with ``u_k / tau_k`` held (`interweave_factor_sds`).

    Parameters
    ----------
    first : RandomSlopesGibbs, AutoregressiveGibbs, LogisticGibbs or NegativeBinomialGibbs
        The sampler of the first factor's part, on the observed target. One whose rows are
        not independent given its state (`AutoregressiveGibbs`) also transforms the designs
        to its working model's rows (``working_design``), where the other factors, constant
        within its groups, keep their effects.
    codes : tuple of numpy.ndarray
        Per other factor, the group code of each observed row.
    n_groups : tuple of int
        Per other factor, the number of groups (including groups without observed rows).
    """

    first: FirstFactorKernel
    codes: tuple[np.ndarray, ...]
    n_groups: tuple[int, ...]

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return the first factor's starting state with the other factors' effects at 0."""
        return self.first.start(n_predictors, rng) | {
            "factor_effects": [np.zeros(n) for n in self.n_groups],
            "factor_tau": np.full(len(self.n_groups), 0.5),
        }

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance."""
        effects = list(state["factor_effects"])
        variances = np.asarray(state["factor_tau"], dtype=float) ** 2
        offset = self._offset(effects)
        new, accept_first = self.first.sweep(state, x, rng, offset=offset)
        first = self.first
        columns = np.vstack([np.ones(x.shape[0]), x.T])  # W' = [1, X]'
        z = columns[[0, *(1 + k for k in first.slope_index)]].T
        first_part = np.sum(z * new["effects"][first.codes], axis=1)
        theta = np.concatenate([[new["intercept"]], new["beta"]])
        response, weights = first.working_model(new, theta @ columns + first_part + offset, rng)
        if hasattr(first, "working_design"):  # rows transformed to be independent (AR(1))
            columns, first_part = first.working_design(new, columns, first_part)
        weighted = columns * weights
        cross = weighted @ columns.T
        for k, (codes, n) in enumerate(zip(self.codes, self.n_groups, strict=True)):
            target = response - first_part - self._offset(effects, skip=k)
            theta = collapsed_fixed_effects(
                cross,
                cluster_sums(weighted, codes, n),
                weighted @ target,
                np.bincount(codes, weights=weights * target, minlength=n),
                float(variances[k]),
                1.0,
                rng,
                intercept_sd=first.intercept_sd,
            )
            residual = target - theta @ columns
            precision = np.bincount(codes, weights=weights, minlength=n) + 1 / variances[k]
            sums = np.bincount(codes, weights=weights * residual, minlength=n)
            effects[k] = sums / precision + rng.standard_normal(n) / np.sqrt(precision)
        acceptances = [accept_first]
        for k, u in enumerate(effects):
            variances[k], accept = scale_step(u, float(variances[k]), rng)
            acceptances.append(accept)
        fixed = response - first_part - theta @ columns
        interweave_factor_sds(effects, variances, self.codes, fixed, weights, rng)
        return new | {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "factor_effects": effects,
            "factor_tau": np.sqrt(variances),
        }, float(np.mean(acceptances))

    def _offset(self, effects: list[np.ndarray], skip: int | None = None) -> np.ndarray:
        """Return the other factors' effects of every observed row (but factor `skip`'s)."""
        offset = np.zeros(self.first.codes.shape[0])
        for k, (u, codes) in enumerate(zip(effects, self.codes, strict=True)):
            if k != skip:
                offset += u[codes]
        return offset


def interweave_factor_sds(
    effects: list[np.ndarray],
    variances: np.ndarray,
    codes: tuple[np.ndarray, ...],
    fixed: np.ndarray,
    weights: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Draw each factor's SD again with its standardised effects held (interweaving), in place.

    The centred step (``tau_k^2`` given ``u_k``) barely moves when a factor's variance is near
    0, a level that explains almost nothing (`steps.noncentred_sd_step`, Yu and Meng 2011).
    Given ``eta_k = u_k / tau_k``, the working residual ``fixed`` minus the other factors'
    effects is linear in ``tau_k``, with precision `weights` per row (``1 / sigma^2``, or the
    working model's).
    """
    for k, group_codes in enumerate(codes):
        n = effects[k].shape[0]
        residual = fixed - sum(
            u[c] for m, (u, c) in enumerate(zip(effects, codes, strict=True)) if m != k
        )
        sd = noncentred_sd_step(
            effects[k],
            np.bincount(group_codes, weights=weights, minlength=n),
            np.bincount(group_codes, weights=weights * residual, minlength=n),
            np.array([[variances[k]]]),
            log_prior_covariance,
            rng,
        )
        effects[k] = effects[k] * sd / np.sqrt(variances[k])
        variances[k] = sd**2
