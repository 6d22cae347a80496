"""Exact Gibbs samplers of the normal models: random intercept, random slopes, linear.

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
4. ``tau^2`` likewise from ``InvGamma((J - 1) / 2, sum u_j^2 / 2)``; then ``tau`` again
   with ``eta = u / tau`` held (`steps.noncentred_sd_step`, interweaving): given eta the
   residuals are linear in tau, so its conditional is their normal likelihood times the
   HalfNormal(1) prior. The centred step alone barely moves when tau is near 0 (an
   analysis-compatible run's tau of a variable with almost no cluster variance had R-hat 2.0
   after 60 iterations).

Each step leaves the posterior of the PyMC model invariant, so the chain targets the same
posterior as NUTS would. The state is kept as the PyMC model's point (``eta = u / tau``, log
scales), so draws and parameters are computed exactly as for NUTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bayesmi.gibbs.chains import (
    collapsed_fixed_effects_block,
    noncentred_sd_steps,
    normal_draws,
    residual_squares,
    scale_steps,
    standard_normals,
)
from bayesmi.gibbs.steps import (
    ClusterSums,
    LinearTarget,
    Point,
    cluster_scales_step,
    cluster_sums,
    collapsed_fixed_effects,
    covariance_step,
    log_prior_covariance,
    noncentred_sd_step,
    prior_precision,
    scale_step,
)
from bayesmi.priors import COEFFICIENT_SD, INTERCEPT_SD

__all__ = ["LinearGibbs", "RandomInterceptGibbs", "RandomSlopesGibbs"]


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

    _statistics: dict = field(default_factory=dict, compare=False, repr=False)

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        name = self.target
        intercept_variance = float(np.exp(2 * point[f"{name}::tau_std_log__"]))
        sigma2 = float(np.exp(2 * point[f"{name}::sigma_std_log__"]))
        statistics = self._design_statistics(x)
        theta = self._fixed_effects(statistics, intercept_variance, sigma2, rng)
        residual = self.y - theta[0] - (x @ theta[1:] if x.shape[1] else 0.0)
        counts = statistics["counts"]
        sums = np.bincount(self.codes, weights=residual, minlength=self.n_clusters)
        precision = counts / sigma2 + 1 / intercept_variance
        u = sums / sigma2 / precision + rng.standard_normal(self.n_clusters) / np.sqrt(precision)
        sigma2, accept_sigma = scale_step(residual - u[self.codes], sigma2, rng)
        intercept_variance, accept_covariance = scale_step(u, intercept_variance, rng)
        # interweaving: tau again with eta = u / tau held (near tau = 0 the step above barely
        # moves; Yu and Meng 2011), the working likelihood of the residual sums given eta
        sd = noncentred_sd_step(
            u,
            counts / sigma2,
            sums / sigma2,
            np.array([[intercept_variance]]),
            log_prior_covariance,
            rng,
        )
        u = u * sd / np.sqrt(intercept_variance)
        intercept_variance = sd**2
        new = {
            f"{name}::intercept_std": np.asarray(theta[0]),
            f"{name}::tau_std_log__": np.asarray(0.5 * np.log(intercept_variance)),
            f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2)),
            f"{name}::eta": u / np.sqrt(intercept_variance),
        }
        if self.n_predictors:
            new[f"{name}::beta_std"] = theta[1:]
        return new, (accept_sigma + accept_covariance) / 2

    def sweep_block(
        self,
        points: list[Point],
        x: list[np.ndarray],
        rngs: list[np.random.Generator],
        sweeps: int,
    ) -> tuple[list[Point], np.ndarray]:
        """Run `sweeps` sweeps of a block of chains at once (`bayesmi.gibbs.chains`).

        `points` and `rngs` hold each chain's point and generator, `x` their standardised
        predictors (n, p). Each chain draws what `sweep` draws, in its order. The products
        with a chain's predictors run chain by chain (BLAS on each chain's own array, no
        copies), everything per cluster or coefficient for the whole block. Returns the new
        points and each chain's mean acceptance.
        """
        name, n, chains = self.target, self.y.shape[0], len(points)
        counts = np.bincount(self.codes, minlength=self.n_clusters).astype(float)
        y_sums = np.bincount(self.codes, weights=self.y, minlength=self.n_clusters)
        y_squares = float(self.y @ self.y)
        k = self.n_predictors + 1
        cross, cross_y = np.empty((chains, k, k)), np.empty((chains, k))
        group_sums = np.empty((chains, self.n_clusters, k))
        for chain, values in enumerate(x):  # W = [1, X]: its cross-products, its cluster sums
            group_sums[chain, :, 0] = counts
            group_sums[chain, :, 1:] = cluster_sums(values.T, self.codes, self.n_clusters)
            column_sums = group_sums[chain, :, 1:].sum(axis=0)
            cross[chain, 0] = np.concatenate([[n], column_sums])
            cross[chain, 1:, 0] = column_sums
            cross[chain, 1:, 1:] = values.T @ values
            cross_y[chain] = np.concatenate([[self.y.sum()], values.T @ self.y])
        log_tau = np.array([point[f"{name}::tau_std_log__"] for point in points], dtype=float)
        log_sigma = np.array([point[f"{name}::sigma_std_log__"] for point in points], dtype=float)
        intercept_variance, sigma2 = np.exp(2 * log_tau), np.exp(2 * log_sigma)
        accept = np.zeros(len(points))
        for _ in range(sweeps):
            theta = collapsed_fixed_effects_block(
                cross, group_sums, cross_y, y_sums, intercept_variance, sigma2, rngs
            )
            # the residuals y - W theta enter through their cluster sums and sum of squares,
            # from the sufficient statistics: no pass over the rows
            sums = y_sums[None, :] - np.matmul(group_sums, theta[..., None])[..., 0]
            squares = residual_squares(y_squares, theta, cross, cross_y)
            precision = counts[None, :] / sigma2[:, None] + 1 / intercept_variance[:, None]
            noise = standard_normals(rngs, self.n_clusters)
            u = sums / sigma2[:, None] / precision + noise / np.sqrt(precision)
            # sum over rows of (residual - u_j)^2
            within = squares - 2 * np.einsum("cj,cj->c", u, sums)
            within += np.einsum("cj,j->c", u * u, counts)
            sigma2, accept_sigma = scale_steps(within, n, sigma2, rngs)
            intercept_variance, accept_covariance = scale_steps(
                np.einsum("cj,cj->c", u, u), self.n_clusters, intercept_variance, rngs
            )
            sd = noncentred_sd_steps(
                u,
                counts[None, :] / sigma2[:, None],
                sums / sigma2[:, None],
                np.sqrt(intercept_variance),
                rngs,
            )
            u = u * sd[:, None] / np.sqrt(intercept_variance)[:, None]
            intercept_variance = sd**2
            accept += (accept_sigma + accept_covariance) / 2
        new = []
        for chain in range(len(points)):
            point = {
                f"{name}::intercept_std": np.asarray(theta[chain, 0]),
                f"{name}::tau_std_log__": np.asarray(0.5 * np.log(intercept_variance[chain])),
                f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2[chain])),
                f"{name}::eta": u[chain] / np.sqrt(intercept_variance[chain]),
            }
            if self.n_predictors:
                point[f"{name}::beta_std"] = theta[chain, 1:]
            new.append(point)
        return new, accept / sweeps

    def _design_statistics(self, x: np.ndarray) -> dict:
        """Cross-products and cluster sums of ``W = [1, X]``, kept while `x` is the same array.

        The engine runs several sweeps between two changes of the predictors; these sums are
        most of a sweep's cost on large data.
        """
        if self._statistics.get("x") is x:
            return self._statistics
        columns = np.vstack([np.ones(self.y.shape[0]), x.T])  # (p + 1, n), rows contiguous
        sums = cluster_sums(columns, self.codes, self.n_clusters)
        self._statistics.clear()
        self._statistics.update(
            x=x,
            counts=sums[:, 0],
            cluster_sums=sums,
            cross=columns @ columns.T,
            cross_y=columns @ self.y,
            y_sums=np.bincount(self.codes, weights=self.y, minlength=self.n_clusters),
        )
        return self._statistics

    def _fixed_effects(
        self, statistics: dict, intercept_variance: float, sigma2: float, rng: np.random.Generator
    ) -> np.ndarray:
        return collapsed_fixed_effects(
            statistics["cross"],
            statistics["cluster_sums"],
            statistics["cross_y"],
            statistics["y_sums"],
            intercept_variance,
            sigma2,
            rng,
        )


@dataclass(frozen=True)
class RandomSlopesGibbs:
    """Gibbs sweeps for the random-slopes model, with one or a per-cluster residual variance.

    The state is a dict of the model's quantities on the standardised scale: ``intercept``,
    ``beta``, ``effects`` (J, q), ``chol`` (Cholesky factor of T), ``sigma`` (scalar, or J
    values) and, per cluster, ``log_sigma_mean`` and ``log_sigma_sd``. One sweep draws:

    1. ``theta = (b0, beta)`` with the cluster effects integrated out (collapsed);
    2. ``b_j`` from its normal conditional;
    3. ``T`` by independence Metropolis-Hastings: proposal ``InvWishart(J - q - 1, sum b_j b_j')``
       (the likelihood factor), accepted with the ratio of the prior density of T implied by
       ``s_k ~ HalfNormal(1)`` and ``Omega ~ LKJ(2)``:
       ``log p(T) = sum(-s_k^2 / 2) + log det(Omega) - q sum(log s_k)`` (with the Jacobian of
       ``(s, Omega) -> T``). With few clusters (``J - q - 1 < q``, no proper inverse Wishart)
       the proposal's df is ``q`` and the ratio gains the factor ``|T|^((q + q + 1 - J) / 2)``
       by which the likelihood factor differs from it;
    4. ``sigma^2`` as in `RandomInterceptGibbs`, or, per cluster, ``sigma_j^2`` by independence
       MH from ``InvGamma(n_j / 2, SSR_j / 2)`` accepted with the log-normal prior ratio
       (one observed row: a random-walk step on ``log sigma_j``; none: a draw from the
       population), then
       ``mu`` (normal, conjugate to its N(0, 1) prior) and ``omega^2`` (MH from
       ``InvGamma((J - 1) / 2, SS / 2)``, accepted with its HalfNormal(0.5) prior ratio).
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slope_index: tuple[int, ...]
    cluster_variance: bool

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered."""
        q = 1 + len(self.slope_index)
        state = {
            "intercept": float(rng.uniform(-1, 1)),
            "beta": rng.uniform(-1, 1, n_predictors),
            "effects": np.zeros((self.n_clusters, q)),
            "chol": np.eye(q) * 0.5,
        }
        if self.cluster_variance:
            state |= {
                "sigma": np.ones(self.n_clusters),
                "log_sigma_mean": 0.0,
                "log_sigma_sd": 0.3,
            }
        else:
            state["sigma"] = 1.0
        return state

    def sweep(
        self,
        state: dict,
        x: np.ndarray,
        rng: np.random.Generator,
        offset: np.ndarray | None = None,
    ) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance.

        `offset` is a known part of every row's mean (other grouping factors' effects).
        """
        y = self.y if offset is None else self.y - offset
        w = np.column_stack([np.ones(y.shape[0]), x])
        z = np.column_stack([np.ones(y.shape[0]), x[:, list(self.slope_index)]])
        variance = np.asarray(state["sigma"], dtype=float) ** 2
        if self.cluster_variance:
            row_variance = variance[self.codes]
        else:
            row_variance = np.full(y.shape[0], float(variance))
        sums = ClusterSums(w, z, y, 1 / row_variance, self.codes, self.n_clusters)
        covariance = state["chol"] @ state["chol"].T
        theta = sums.fixed_effects(covariance, rng)
        effects = sums.effects(theta, covariance, rng)
        covariance, accept_covariance = covariance_step(effects, covariance, rng)
        residual = y - w @ theta - np.sum(z * effects[self.codes], axis=1)
        new = {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
        }
        if not self.cluster_variance:
            variance, accept_sigma = scale_step(residual, float(state["sigma"]) ** 2, rng)
            return new | {"sigma": float(np.sqrt(variance))}, (accept_covariance + accept_sigma) / 2
        scales = cluster_scales_step(state, residual, self.codes, self.n_clusters, rng)
        return new | scales, accept_covariance

    def sweep_block(
        self,
        states: list[dict],
        x: list[np.ndarray],
        rngs: list[np.random.Generator],
        sweeps: int,
    ) -> tuple[list[dict], np.ndarray]:
        """Run `sweeps` sweeps of a block of chains at once (one residual variance only).

        Every sum the sweep needs is a cluster sum of products of ``W``, ``Z`` and ``y``
        (`ClusterSums` with weight 1, computed once per chain; a sweep divides by
        ``sigma^2``), the residual sum of squares included; each chain draws what `sweep`
        draws, in its order (`bayesmi.gibbs.chains`).
        """
        if self.cluster_variance:
            raise ValueError("block sweeps take one residual variance, not one per cluster")
        chains = len(states)
        sums = [self._unit_sums(values) for values in x]
        ww, wz, zz, wy, zy = (np.stack([chain[k] for chain in sums]) for k in range(5))
        y_squares = float(self.y @ self.y)
        k, q = ww.shape[-1], zz.shape[-1]
        prior = np.diag(prior_precision(k, INTERCEPT_SD))
        covariance = np.stack([state["chol"] @ state["chol"].T for state in states])
        sigma2 = np.array([float(state["sigma"]) ** 2 for state in states])
        accept = np.zeros(chains)
        for _ in range(sweeps):
            scale = (1 / sigma2)[:, None, None, None]
            t_inverse = np.linalg.inv(covariance)[:, None]
            inner = np.linalg.inv(t_inverse + zz * scale)  # (C, J, q, q)
            wz_s = wz * scale
            correction = np.einsum("cjik,cjkl,cjml->cim", wz_s, inner, wz_s)
            precision = (ww * scale).sum(axis=1) - correction + prior
            zy_s, wy_s = zy / sigma2[:, None, None], wy / sigma2[:, None, None]
            rhs = wy_s.sum(axis=1) - np.einsum("cjik,cjkl,cjl->ci", wz_s, inner, zy_s)
            theta = normal_draws(precision, rhs, rngs)
            effect_precision = zz * scale + t_inverse
            effect_rhs = zy_s - np.einsum("cjik,ci->cjk", wz_s, theta)
            effect_chol = np.linalg.cholesky(effect_precision)
            effect_mean = np.linalg.solve(effect_precision, effect_rhs[..., None])[..., 0]
            effect_noise = np.stack([rng.standard_normal((self.n_clusters, q)) for rng in rngs])
            effects = (
                effect_mean
                + np.linalg.solve(effect_chol.transpose(0, 1, 3, 2), effect_noise[..., None])[
                    ..., 0
                ]
            )
            steps = [covariance_step(effects[c], covariance[c], rngs[c]) for c in range(chains)]
            covariance = np.stack([new for new, _ in steps])
            # sum over rows of (y - w theta - z b_j)^2, from the cluster sums
            fitted_w = np.einsum("cjik,ci->cjk", ww, theta)  # per cluster W'W theta
            fitted_z = np.einsum("cjik,cjk->cji", zz, effects)  # per cluster Z'Z b_j
            squares = y_squares - 2 * np.einsum("ci,ci->c", theta, wy.sum(axis=1))
            squares -= 2 * np.einsum("cjk,cjk->c", effects, zy)
            squares += np.einsum("ci,ci->c", theta, fitted_w.sum(axis=1))
            squares += 2 * np.einsum("cjik,ci,cjk->c", wz, theta, effects)
            squares += np.einsum("cjk,cjk->c", effects, fitted_z)
            sigma2, accept_sigma = scale_steps(squares, self.y.shape[0], sigma2, rngs)
            accept += (np.array([rate for _, rate in steps]) + accept_sigma) / 2
        new = [
            {
                "intercept": float(theta[c, 0]),
                "beta": theta[c, 1:],
                "effects": effects[c],
                "chol": np.linalg.cholesky(covariance[c]),
                "sigma": float(np.sqrt(sigma2[c])),
            }
            for c in range(chains)
        ]
        return new, accept / sweeps

    def _unit_sums(self, x: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per-cluster ``W'W``, ``W'Z``, ``Z'Z``, ``W'y``, ``Z'y`` of one chain's predictors."""
        w = np.column_stack([np.ones(self.y.shape[0]), x])
        z = np.ascontiguousarray(w[:, [0, *(1 + k for k in self.slope_index)]])
        sums = ClusterSums(w, z, self.y, np.ones(self.y.shape[0]), self.codes, self.n_clusters)
        return sums.ww, sums.wz, sums.zz, sums.wy, sums.zy

    intercept_sd: ClassVar[float] = INTERCEPT_SD
    """SD of the intercept's normal prior (`FactorsGibbs` reads it)."""

    def working_model(
        self, state: dict, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the response and precision of every observed row given `state`.

        The target itself, and ``1 / sigma^2`` (per cluster with a residual SD each): what
        `FactorsGibbs` fits other factors' effects to. `eta` and `rng` are not needed.
        """
        sigma = np.asarray(state["sigma"], dtype=float)
        sigma = sigma[self.codes] if self.cluster_variance else np.full(self.y.shape[0], sigma)
        return self.y, 1 / sigma**2


@dataclass(frozen=True)
class LinearGibbs(LinearTarget):
    """Gibbs sweeps for a normal linear regression with independent normal priors.

    The fixed-cluster model (one intercept per cluster, cell-means coding) and the gaussian
    cluster-level model (one row per cluster) are such regressions on the standardised scale:
    ``y = W theta + e``, ``e ~ N(0, sigma^2)``, ``theta_k ~ N(0, prior_sd_k^2)``,
    ``sigma ~ HalfNormal(1)``. One sweep draws ``theta`` from its normal conditional and
    ``sigma^2`` by the independence Metropolis-Hastings step of `RandomInterceptGibbs`. The
    state is the PyMC model's point (``<target>::<intercept>``, ``<target>::beta_std``,
    ``<target>::sigma_std_log__``), so draws and parameters are computed as for NUTS. Its
    data are `LinearTarget`'s, ``y`` standardised.
    """

    def quantities(self, point: Point) -> dict:
        """Return ``intercept``, ``beta`` and ``sigma`` (standardised scale) at `point`."""
        return {
            "intercept": float(self.entry(point, self.intercept)),
            "beta": self.beta(point),
            "sigma": float(np.exp(self.entry(point, "sigma_std_log__"))),
        }

    def sweep(self, point: Point, x: np.ndarray, rng: np.random.Generator) -> tuple[Point, float]:
        """One sweep from `point` with standardised predictors `x`; return it and acceptance."""
        name = self.target
        sigma2 = float(np.exp(2 * point[f"{name}::sigma_std_log__"]))
        w = np.column_stack([self.intercepts, x])
        k = self.intercepts.shape[1]
        prior = np.concatenate(
            [np.full(k, 1 / INTERCEPT_SD**2), np.full(x.shape[1], 1 / COEFFICIENT_SD**2)]
        )
        precision = w.T @ w / sigma2 + np.diag(prior)
        chol = np.linalg.cholesky(precision)
        mean = np.linalg.solve(chol.T, np.linalg.solve(chol, w.T @ self.y / sigma2))
        theta = mean + np.linalg.solve(chol.T, rng.standard_normal(w.shape[1]))
        sigma2, accept = scale_step(self.y - w @ theta, sigma2, rng)
        intercepts = theta[:k] if k > 1 else np.asarray(theta[0])
        new = {
            f"{name}::{self.intercept}": intercepts,
            f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2)),
        }
        if x.shape[1]:
            new[f"{name}::beta_std"] = theta[k:]
        return new, accept

    def sweep_block(
        self,
        points: list[Point],
        x: list[np.ndarray],
        rngs: list[np.random.Generator],
        sweeps: int,
    ) -> tuple[list[Point], np.ndarray]:
        """Run `sweeps` sweeps of a block of chains at once (`bayesmi.gibbs.chains`).

        As `RandomInterceptGibbs.sweep_block`: ``W'W``, ``W'y`` once per chain, then every
        sweep from them alone (the residual sum of squares
        ``y'y - 2 theta'W'y + theta'W'W theta``); each chain draws what `sweep` draws.
        """
        name, k, n = self.target, self.intercepts.shape[1], self.y.shape[0]
        designs = [np.column_stack([self.intercepts, values]) for values in x]  # W
        cross = np.stack([design.T @ design for design in designs])
        cross_y = np.stack([design.T @ self.y for design in designs])
        y_squares = float(self.y @ self.y)
        prior = np.diag(
            np.concatenate(
                [
                    np.full(k, 1 / INTERCEPT_SD**2),
                    np.full(cross.shape[1] - k, 1 / COEFFICIENT_SD**2),
                ]
            )
        )
        log_sigma = np.array([point[f"{name}::sigma_std_log__"] for point in points], dtype=float)
        sigma2 = np.exp(2 * log_sigma)
        accept = np.zeros(len(points))
        for _ in range(sweeps):
            precision = cross / sigma2[:, None, None] + prior
            theta = normal_draws(precision, cross_y / sigma2[:, None], rngs)
            squares = residual_squares(y_squares, theta, cross, cross_y)
            sigma2, rate = scale_steps(squares, n, sigma2, rngs)
            accept += rate
        new = []
        for chain in range(len(points)):
            point = {
                f"{name}::{self.intercept}": theta[chain, :k]
                if k > 1
                else np.asarray(theta[chain, 0]),
                f"{name}::sigma_std_log__": np.asarray(0.5 * np.log(sigma2[chain])),
            }
            if cross.shape[1] > k:
                point[f"{name}::beta_std"] = theta[chain, k:]
            new.append(point)
        return new, accept / sweeps
