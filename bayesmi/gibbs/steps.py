"""The steps the Gibbs samplers share: variance and covariance updates, weighted cluster sums."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from bayesmi.gibbs.kernels import log_prior_covariance_kernel, weighted_intercept_kernel
from bayesmi.priors import COEFFICIENT_SD, INTERCEPT_SD

__all__ = [
    "CategoryTarget",
    "ClusterSums",
    "LinearTarget",
    "LogitTarget",
    "Point",
    "cluster_scales_step",
    "cluster_sums",
    "collapsed_fixed_effects",
    "covariance_step",
    "fixed_and_random_designs",
    "inverse_wishart_draw",
    "linear_predictor",
    "log_prior_covariance",
    "mixed_start",
    "noncentred_scale_step",
    "noncentred_sd_step",
    "prior_precision",
    "scale_step",
    "weighted_intercept_draw",
    "weighted_model_steps",
    "weighted_regression_draw",
    "working_model_draw",
]

Point = dict[str, np.ndarray]
"""Values of a model's free variables (as NUTS holds them), or a Gibbs sampler's state."""


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


def cluster_scales_step(
    state: dict,
    residual: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
) -> dict:
    """Draw a residual SD per cluster, then their log-normal population's mean and SD.

    `state` holds ``sigma`` (J values), ``log_sigma_mean`` and ``log_sigma_sd``; `residual`
    the rows' residuals, independent ``N(0, sigma_j^2)`` in cluster ``codes``. Each
    ``sigma_j^2`` by independence MH from ``InvGamma(n_j / 2, SSR_j / 2)``, accepted with the
    log-normal prior ratio (one observed row: a random-walk step on ``log sigma_j``; none: a
    draw from the population), then ``mu`` (normal, conjugate to its N(0, 1) prior) and
    ``omega^2`` (MH from ``InvGamma((J - 1) / 2, SS / 2)``, accepted with its HalfNormal(0.5)
    prior ratio). Returns the three entries, drawn.
    """
    mu, omega = state["log_sigma_mean"], state["log_sigma_sd"]
    counts = np.bincount(codes, minlength=n_clusters)
    ssr = np.bincount(codes, weights=residual**2, minlength=n_clusters)
    log_sigma = np.log(state["sigma"])

    def log_target(value: np.ndarray) -> np.ndarray:  # in log sigma, Jacobian included
        return -counts * value - ssr * np.exp(-2 * value) / 2 - (value - mu) ** 2 / (2 * omega**2)

    # independence proposal InvGamma(n_j / 2, SSR_j / 2) in sigma_j^2: in log sigma_j its
    # density is the likelihood factor, so the acceptance ratio is the prior ratio
    rich = counts >= 2
    shape = np.where(rich, counts / 2, 1.0)
    proposal_rich = 0.5 * np.log(np.where(rich, ssr / 2, 1.0) / rng.gamma(shape))
    proposal_walk = log_sigma + rng.normal(0, 0.5, n_clusters)
    proposal = np.where(rich, proposal_rich, proposal_walk)

    def log_prior(value: np.ndarray) -> np.ndarray:
        return -((value - mu) ** 2) / (2 * omega**2)

    log_ratio = np.where(
        rich,
        log_prior(proposal) - log_prior(log_sigma),
        log_target(proposal) - log_target(log_sigma),
    )
    log_sigma = np.where(np.log(rng.random(n_clusters)) < log_ratio, proposal, log_sigma)
    empty = counts == 0  # no data: an exact draw from the population
    log_sigma[empty] = mu + omega * rng.standard_normal(int(empty.sum()))
    precision = n_clusters / omega**2 + 1.0
    mu = float(
        np.sum(log_sigma) / omega**2 / precision + rng.standard_normal() / np.sqrt(precision)
    )
    variance, _ = scale_step(log_sigma - mu, omega**2, rng, prior_sd=0.5)
    return {
        "sigma": np.exp(log_sigma),
        "log_sigma_mean": mu,
        "log_sigma_sd": float(np.sqrt(variance)),
    }


class ClusterSums:
    """Per-cluster cross-products of the fixed design W, random design Z and y, weighted.

    The coefficients of W have independent ``N(0, 2.5^2)`` priors, the first column's
    ``N(0, intercept_sd^2)`` (None: W has no intercept column).
    """

    def __init__(
        self, w, z, y, weight, codes, n_clusters, intercept_sd: float | None = INTERCEPT_SD
    ) -> None:
        self.codes, self.n_clusters = codes, n_clusters
        self.ww = self._sum(np.einsum("ni,nj->nij", w, w * weight[:, None]))
        self.wz = self._sum(np.einsum("ni,nj->nij", w, z * weight[:, None]))
        self.zz = self._sum(np.einsum("ni,nj->nij", z, z * weight[:, None]))
        self.wy = self._sum(w * (y * weight)[:, None])
        self.zy = self._sum(z * (y * weight)[:, None])
        self.prior = prior_precision(w.shape[1], intercept_sd)

    def _sum(self, values: np.ndarray) -> np.ndarray:
        flat = np.ascontiguousarray(values.reshape(values.shape[0], -1).T)
        sums = cluster_sums(flat, self.codes, self.n_clusters)
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


def fixed_and_random_designs(
    cache: dict, x: np.ndarray, slope_index: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``W = [1, X]`` and ``Z = [1, X_slopes]``, kept in `cache` while `x` is the same.

    The engine runs several sweeps between two changes of the predictors.
    """
    if cache.get("x") is not x:
        w = np.column_stack([np.ones(x.shape[0]), x])
        z = np.ascontiguousarray(w[:, [0, *(1 + k for k in slope_index)]])
        cache.clear()
        cache.update(x=x, w=w, z=z)
    return cache["w"], cache["z"]


@dataclass(frozen=True)
class LogitTarget:
    """The observed data a Polya-Gamma sampler of a binary or count target sweeps over.

    Parameters
    ----------
    y : numpy.ndarray
        Observed target (0/1, or counts).
    codes : numpy.ndarray
        Cluster code of each observed row.
    n_clusters : int
        Number of clusters J.
    slope_index : tuple of int
        Predictors with a random slope.
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slope_index: tuple[int, ...]

    _designs: dict = field(default_factory=dict, compare=False, repr=False)

    def linear_predictor(
        self, w: np.ndarray, z: np.ndarray, intercept: float, beta: np.ndarray, effects
    ) -> np.ndarray:
        """Return every row's ``eta = b0 + x' beta + z' b_j``."""
        return linear_predictor(w, z, self.codes, intercept, beta, effects)

    def sweep(
        self,
        state: dict,
        x: np.ndarray,
        rng: np.random.Generator,
        offset: np.ndarray | float = 0.0,
    ) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance.

        `offset` is a known part of every row's linear predictor (other factors' effects).
        The sampler's ``augmented_sweep`` draws the Polya-Gamma variables given the linear
        predictor, then the parameters.
        """
        w, z = fixed_and_random_designs(self._designs, x, self.slope_index)
        eta = self.linear_predictor(w, z, state["intercept"], state["beta"], state["effects"])
        return self.augmented_sweep(state, w, z, eta + offset, offset, rng)


@dataclass(frozen=True)
class LinearTarget:
    """The data a sampler of a regression without random effects sweeps over.

    Its state is the PyMC model's point (``<target>::<intercept>``, ``<target>::beta_std`` and
    the family's own entries), so NUTS and the sweeps hold one state and the draws read it
    alike (`quantities`).

    Parameters
    ----------
    target : str
        The imputed variable (names of the point's entries).
    intercept : str
        The name of the intercepts' entry: ``alpha_std`` (one per cluster) or
        ``intercept_std``.
    y : numpy.ndarray
        The observed target, one value per likelihood row (standardised where the family is;
        category codes for categories). Overwritten when the target is completed anew.
    intercepts : numpy.ndarray
        The intercepts' design: cluster dummies, or a column of ones.
    """

    target: str
    intercept: str
    y: np.ndarray
    intercepts: np.ndarray

    def entry(self, point: Point, name: str) -> np.ndarray:
        """Return the point's entry `name` of the target (``<target>::<name>``)."""
        return point[f"{self.target}::{name}"]

    def beta(self, point: Point) -> np.ndarray:
        """Return the coefficients the point holds (none without predictors)."""
        return np.asarray(point.get(f"{self.target}::beta_std", np.zeros(0)))

    def start_from(self, point: Point, rng: np.random.Generator) -> Point:
        """Return the starting point made from PyMC's jittered zero point (here: as it is)."""
        return point


def mixed_start(
    n_clusters: int, slope_index: tuple[int, ...], n_predictors: int, rng: np.random.Generator
) -> dict:
    """Return a mixed model's starting state near the prior's centre, jittered.

    ``intercept`` and ``beta`` uniform on (-1, 1), zero effects, ``chol`` 0.5 I.
    """
    q = 1 + len(slope_index)
    return {
        "intercept": float(rng.uniform(-1, 1)),
        "beta": rng.uniform(-1, 1, n_predictors),
        "effects": np.zeros((n_clusters, q)),
        "chol": np.eye(q) * 0.5,
    }


def linear_predictor(
    w: np.ndarray,
    z: np.ndarray,
    codes: np.ndarray,
    intercept: float,
    beta: np.ndarray,
    effects: np.ndarray,
) -> np.ndarray:
    """Return every row's ``b0 + x' beta + z' b_j`` (`w` and `z` with their intercept column)."""
    theta = np.concatenate([[intercept], beta])
    return w @ theta + np.sum(z * effects[codes], axis=1)


def weighted_model_steps(
    w: np.ndarray,
    z: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    kappa: np.ndarray,
    omega: np.ndarray,
    chol: np.ndarray,
    intercept_sd: float,
    rng: np.random.Generator,
) -> tuple[dict, float]:
    """Draw coefficients, effects and T of the working model ``kappa / omega ~ N(eta, 1 / omega)``.

    `working_model_draw`, then `covariance_step`; return them as a state (``intercept``,
    ``beta``, ``effects``, ``chol``) and the acceptance of T's step.
    """
    theta, effects, covariance = working_model_draw(
        w,
        z,
        kappa,
        omega,
        codes,
        n_clusters,
        chol @ chol.T,
        intercept_sd,
        log_prior_covariance,
        rng,
    )
    covariance, accept = covariance_step(effects, covariance, rng)
    return {
        "intercept": float(theta[0]),
        "beta": theta[1:],
        "effects": effects,
        "chol": np.linalg.cholesky(covariance),
    }, accept


@dataclass(frozen=True)
class CategoryTarget:
    """The observed data a sampler of a categorical or ordinal target sweeps over.

    Parameters
    ----------
    y : numpy.ndarray
        Observed category codes ``0..K-1``.
    codes : numpy.ndarray
        Cluster code of each observed row.
    n_clusters : int
        Number of clusters J.
    n_categories : int
        Number of categories K.
    slope_index : tuple of int
        Predictors with a random slope.
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    n_categories: int
    slope_index: tuple[int, ...]

    _designs: dict = field(default_factory=dict, compare=False, repr=False)


def cluster_sums(rows: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum each row of `rows` (k, n) over the clusters `codes` (n); return (n_clusters, k).

    One product with the clusters' sparse indicator matrix (kept for each `codes` array),
    which adds every cluster's values in row order, as ``np.bincount`` does row by row: the
    same floats, in about half the time.
    """
    return _indicator(codes, n_clusters) @ rows.T


_INDICATORS: dict[tuple[int, int], tuple[np.ndarray, sparse.csr_array]] = {}
"""Each codes array's cluster indicator, by the array's identity (the array is kept with it)."""


def _indicator(codes: np.ndarray, n_clusters: int) -> sparse.csr_array:
    key = (id(codes), n_clusters)
    kept = _INDICATORS.get(key)
    if kept is None or kept[0] is not codes:
        if len(_INDICATORS) > 64:  # the kernels of runs gone by
            _INDICATORS.clear()
        n = codes.shape[0]
        matrix = sparse.csr_array((np.ones(n), (codes, np.arange(n))), shape=(n_clusters, n))
        kept = _INDICATORS[key] = (codes, matrix)
    return kept[1]


def prior_precision(n_columns: int, intercept_sd: float | None) -> np.ndarray:
    """Prior precisions of coefficients: ``1 / 2.5^2``, the first ``1 / intercept_sd^2``."""
    prior = np.full(n_columns, 1 / COEFFICIENT_SD**2)
    if intercept_sd is not None:
        prior[0] = 1 / intercept_sd**2
    return prior


def weighted_regression_draw(
    w: np.ndarray,
    omega: np.ndarray,
    linear: np.ndarray,
    prior: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the coefficients of a weighted normal regression without random effects.

    Given Polya-Gamma (or latent-variable) weights `omega`, the likelihood in ``theta`` is
    ``exp(theta' linear - theta' W' Omega W theta / 2)``; with ``theta ~ N(0, diag(1 / prior))``
    the conditional is normal with precision ``P = W' Omega W + diag(prior)`` and mean
    ``P^-1 linear``.
    """
    precision = (w * omega[:, None]).T @ w + np.diag(prior)
    chol = np.linalg.cholesky(precision)
    mean = np.linalg.solve(chol.T, np.linalg.solve(chol, linear))
    return mean + np.linalg.solve(chol.T, rng.standard_normal(w.shape[1]))


def weighted_intercept_draw(
    w: np.ndarray,
    kappa: np.ndarray,
    omega: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    variance: float,
    prior: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw coefficients and random intercepts of a weighted normal model, in closed form.

    The model is ``kappa_i / omega_i ~ N(w_i theta + u_j, 1 / omega_i)`` with
    ``u_j ~ N(0, variance)`` and ``theta ~ N(0, diag(1 / prior))``: what Polya-Gamma
    augmentation leaves of a logit likelihood. With ``O_j`` the cluster's total weight and
    ``c_j = 1 / (O_j + 1 / variance)``, theta's precision with the ``u_j`` integrated out is
    ``W' Omega W - sum_j c_j s_j s_j' + diag(prior)`` (``s_j`` the cluster's weighted sum of
    w), then ``u_j ~ N(c_j sum_i (kappa_i - omega_i w_i theta), c_j)``; a cluster without rows
    gets a draw from ``N(0, variance)``.

    Returns
    -------
    theta : numpy.ndarray
        One coefficient per column of `w`.
    u : numpy.ndarray
        One intercept per cluster (`n_clusters`).
    weight, residual_sums : numpy.ndarray
        Per cluster, ``O_j`` and ``sum_i omega_i (kappa_i / omega_i - w_i theta)``: what the
        non-centred step of the intercepts' SD needs.
    """
    theta_noise = rng.standard_normal(w.shape[1])
    intercept_noise = rng.standard_normal(n_clusters)
    return weighted_intercept_kernel(
        np.ascontiguousarray(w, dtype=float),
        np.asarray(kappa, dtype=float),
        np.asarray(omega, dtype=float),
        codes,
        n_clusters,
        float(variance),
        np.asarray(prior, dtype=float),
        theta_noise,
        intercept_noise,
    )


def working_model_draw(
    w: np.ndarray,
    z: np.ndarray,
    kappa: np.ndarray,
    omega: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    covariance: np.ndarray,
    intercept_sd: float | None,
    log_prior: Callable[[np.ndarray], float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw coefficients, cluster effects and their covariance in a weighted normal model.

    The working model ``kappa_i / omega_i ~ N(w_i theta + z_i' d_j, 1 / omega_i)``,
    ``d_j ~ N(0, T)``, is what Polya-Gamma (or latent-variable) augmentation leaves of a logit
    likelihood. Draws theta with the effects integrated out and the effects
    (`weighted_intercept_draw` for a random intercept, `ClusterSums` otherwise), then ``T`` in
    the non-centred parametrisation (`noncentred_scale_step`); the caller follows with the
    centred `covariance_step`. `log_prior` is the log prior density of ``T``.

    Returns
    -------
    theta, effects, covariance
    """
    if z.shape[1] == 1:
        prior = prior_precision(w.shape[1], intercept_sd)
        theta, u, weight, residual_sums = weighted_intercept_draw(
            w, kappa, omega, codes, n_clusters, float(covariance[0, 0]), prior, rng
        )
        sd = noncentred_sd_step(u, weight, residual_sums, covariance, log_prior, rng)
        return theta, (u * sd / np.sqrt(covariance[0, 0]))[:, None], np.array([[sd**2]])
    sums = ClusterSums(w, z, kappa / omega, omega, codes, n_clusters, intercept_sd)
    theta = sums.fixed_effects(covariance, rng)
    effects = sums.effects(theta, covariance, rng)
    residual = kappa / omega - w @ theta
    effects, covariance, _ = noncentred_scale_step(
        residual, omega, z, codes, effects, covariance, log_prior, rng
    )
    return theta, effects, covariance


def noncentred_sd_step(
    u: np.ndarray,
    weight: np.ndarray,
    residual_sums: np.ndarray,
    covariance: np.ndarray,
    log_prior: Callable[[np.ndarray], float],
    rng: np.random.Generator,
) -> float:
    """`noncentred_scale_step` for random intercepts, from cluster sums: return the new SD.

    With ``xi_j = u_j / s`` held, the working likelihood of ``s`` is normal with precision
    ``sum_j O_j xi_j^2`` and linear term ``sum_j xi_j residual_sums_j``.
    """
    sd = float(np.sqrt(covariance[0, 0]))
    xi = u / sd
    precision = float(weight @ xi**2)
    proposal = float(xi @ residual_sums) / precision + rng.standard_normal() / np.sqrt(precision)
    if proposal <= 0:
        return sd

    def log_target(value: float) -> float:
        return log_prior(np.array([[value**2]])) + np.log(value)

    accept = np.exp(min(0.0, log_target(proposal) - log_target(sd)))
    return proposal if rng.random() < accept else sd


def noncentred_scale_step(
    residual: np.ndarray,
    weight: np.ndarray,
    z: np.ndarray,
    codes: np.ndarray,
    deviation: np.ndarray,
    covariance: np.ndarray,
    log_prior: Callable[[np.ndarray], float],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Update the Cholesky factor of the effects' covariance with the standardised effects fixed.

    The centred step (`covariance_step`: T given the effects) barely moves when an effect SD
    is near zero, the well-known trap of data augmentation for variance components; this
    step in the other parametrisation, ``d_j = L xi_j`` with ``xi_j`` held, is the
    interweaving remedy (Yu and Meng, 2011). Given ``xi``, the normal working model
    ``residual_i ~ N(z_i' L xi_j, 1 / weight_i)`` is linear in the lower triangle of ``L``; its
    normal likelihood factor is the proposal, accepted with the ratio of the prior density of
    ``L`` (`log_prior` of ``T = L L'`` times the Jacobian ``2^q prod_k L_kk^(q - k + 1)``); a
    proposal with a diagonal entry <= 0 is outside the support and rejected.

    Parameters
    ----------
    residual, weight : numpy.ndarray
        Working response (what the fixed part leaves) and precision of every row.
    z : numpy.ndarray
        Random-effects design of the rows (n, q).
    codes : numpy.ndarray
        Cluster of every row.
    deviation : numpy.ndarray
        The effects ``d_j`` (J, q).
    covariance : numpy.ndarray
        Their covariance ``T`` (q, q).
    log_prior : callable
        Log prior density of ``T``, up to a constant.

    Returns
    -------
    deviation, covariance, acceptance
        The new effects and covariance, and the acceptance probability.
    """
    q = covariance.shape[0]
    chol = np.linalg.cholesky(covariance)
    xi = np.linalg.solve(chol, deviation.T).T
    rows, cols = np.tril_indices(q)
    design = z[:, rows] * xi[codes][:, cols]
    precision = design.T @ (design * weight[:, None])
    factor = np.linalg.cholesky(precision + 1e-12 * np.eye(len(rows)))
    mean = np.linalg.solve(factor.T, np.linalg.solve(factor, design.T @ (weight * residual)))
    proposal = np.zeros((q, q))
    proposal[rows, cols] = mean + np.linalg.solve(factor.T, rng.standard_normal(len(rows)))
    if np.any(np.diag(proposal) <= 0):
        return deviation, covariance, 0.0
    powers = np.arange(q, 0, -1)

    def log_target(lower: np.ndarray) -> float:
        return log_prior(lower @ lower.T) + float(powers @ np.log(np.diag(lower)))

    accept = float(np.exp(min(0.0, log_target(proposal) - log_target(chol))))
    if rng.random() < accept:
        return xi @ proposal.T, proposal @ proposal.T, accept
    return deviation, covariance, accept


def log_prior_covariance(covariance: np.ndarray) -> float:
    """Log prior density of T from s_k ~ HalfNormal(1), Omega ~ LKJ(2), up to a constant."""
    if covariance.shape == (1, 1):  # a variance: no correlation matrix (the same value)
        variance = float(covariance[0, 0])
        return -variance / 2 - 0.5 * float(np.log(variance))
    return float(log_prior_covariance_kernel(np.ascontiguousarray(covariance, dtype=float)))


def _log_target_ratio(covariance: np.ndarray, power: float) -> float:
    """Log of target over proposal density of T, up to a constant: prior times |T|^power."""
    log_prior = log_prior_covariance(covariance)
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
    proposal = inverse_wishart_draw(df, scatter, rng)
    power = (df + q + 1 - n) / 2  # 0 unless few clusters: the proposal then differs by |T|^power
    log_ratio = _log_target_ratio(proposal, power) - _log_target_ratio(covariance, power)
    accept = float(np.exp(min(0.0, log_ratio)))
    return (proposal, accept) if rng.random() < accept else (covariance, accept)


def inverse_wishart_draw(df: float, scale: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw from ``InvWishart(df, scale)`` by the Bartlett decomposition.

    The draws of ``scipy.stats.invwishart.rvs(df, scale, random_state=rng)`` (the same
    random numbers in the same order), without its argument processing, which took ten
    times the work on the small matrices of random effects.
    """
    dim = scale.shape[0]
    bartlett = np.zeros((dim, dim))
    bartlett[_below_diagonal(dim)] = rng.normal(size=dim * (dim - 1) // 2)
    diagonal = np.arange(dim)
    bartlett[diagonal, diagonal] = rng.chisquare(df=(df - dim + 1) + diagonal, size=dim) ** 0.5
    factor = np.linalg.cholesky(scale) @ np.linalg.inv(bartlett)
    return factor @ factor.T


@functools.cache
def _below_diagonal(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the indices below the diagonal (``np.tril_indices`` takes 20 us a call)."""
    return np.tril_indices(dim, k=-1)


def collapsed_fixed_effects(
    cross: np.ndarray,
    group_sums: np.ndarray,
    cross_target: np.ndarray,
    target_sums: np.ndarray,
    variance: float,
    sigma2: float,
    rng: np.random.Generator,
    intercept_sd: float = INTERCEPT_SD,
) -> np.ndarray:
    """Draw ``theta`` of ``target = W theta + u[g] + e``, ``u ~ N(0, variance)`` integrated out.

    The random-intercept samplers' collapsed step (`bayesmi.gibbs.normal`): precision
    ``(W'W - S' diag(c) S) / sigma^2 + D^-1`` and mean ``P^-1 (W't - S' (c * T)) / sigma^2``,
    ``S`` the group sums of ``W`` (`group_sums`, its first column the counts ``n_g``), ``T``
    the group sums of the target, ``c_g = variance / (sigma^2 + n_g variance)``; ``D`` the
    coefficients' prior (the intercept's ``N(0, intercept_sd^2)``). `cross` is ``W'W``,
    `cross_target` ``W't``. With rows weighted by their precision ``w_i`` (a residual SD per
    group, a Polya-Gamma working model), pass the weighted sums (``W' diag(w) W``, group sums
    of ``w W``, ``W' w t``, group sums of ``w t``) and ``sigma2 = 1``.
    """
    shrink = variance / (sigma2 + group_sums[:, 0] * variance)
    precision = (cross - group_sums.T @ (shrink[:, None] * group_sums)) / sigma2
    precision += np.diag(prior_precision(group_sums.shape[1], intercept_sd))
    rhs = (cross_target - group_sums.T @ (shrink * target_sums)) / sigma2
    chol = np.linalg.cholesky(precision)
    mean = np.linalg.solve(chol.T, np.linalg.solve(chol, rhs))
    return mean + np.linalg.solve(chol.T, rng.standard_normal(len(rhs)))
