"""Gibbs steps of a block of chains at once: one vectorised call, each chain's own stream.

The chained engine advances a block of chains in step (`bayesmi.engines.block`); a kernel
with a ``sweep_block`` method updates every chain of the block in one call, with a leading
chain axis on every array. Each chain keeps its own random generator, and every step draws
from each chain's generator exactly what the one-chain step (`bayesmi.gibbs.steps`) draws,
in the same order. Every array a sum runs over is C-contiguous, so each chain's sums add in
the same order in a block of one as in a block of ten: a chain's result does not depend on the
block it ran in, to the last bit (a one-chain step's vector sums may add in another order: the
same numbers to about 1e-15).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bayesmi.gibbs.steps import prior_precision
from bayesmi.priors import INTERCEPT_SD

__all__ = [
    "collapsed_fixed_effects_block",
    "noncentred_sd_steps",
    "normal_draws",
    "residual_squares",
    "scale_steps",
    "standard_normals",
]

Generators = Sequence[np.random.Generator]


def standard_normals(rngs: Generators, size: int) -> np.ndarray:
    """Return ``(chains, size)`` standard normal draws, row c from chain c's generator."""
    return np.stack([rng.standard_normal(size) for rng in rngs])


def scale_steps(
    sum_of_squares: np.ndarray,
    n: int,
    variance: np.ndarray,
    rngs: Generators,
    prior_sd: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """`bayesmi.gibbs.steps.scale_step` of every chain, from its residuals' sum of squares.

    Returns the new variances and the acceptance probabilities (one per chain).
    """
    shape = (n - 1) / 2
    proposal = (sum_of_squares / 2) / np.array([rng.gamma(shape) for rng in rngs])
    accept = np.minimum(1.0, np.exp(-(proposal - variance) / (2 * prior_sd**2)))
    uniform = np.array([rng.random() for rng in rngs])
    return np.where(uniform < accept, proposal, variance), accept


def collapsed_fixed_effects_block(
    cross: np.ndarray,
    group_sums: np.ndarray,
    cross_target: np.ndarray,
    target_sums: np.ndarray,
    variance: np.ndarray,
    sigma2: np.ndarray,
    rngs: Generators,
    intercept_sd: float = INTERCEPT_SD,
) -> np.ndarray:
    """`bayesmi.gibbs.steps.collapsed_fixed_effects` of every chain; return (chains, k).

    `cross` (chains, k, k), `group_sums` (chains, groups, k), `cross_target` (chains, k); the
    target's group sums `target_sums` (groups) and the counts (the first column of
    `group_sums`) are the same in every chain; `variance` and `sigma2` hold one per chain.
    """
    counts = group_sums[0, :, 0]
    shrink = variance[:, None] / (sigma2[:, None] + counts[None, :] * variance[:, None])
    weighted = shrink[:, :, None] * group_sums
    precision = (cross - np.matmul(group_sums.transpose(0, 2, 1), weighted)) / sigma2[:, None, None]
    precision += np.diag(prior_precision(group_sums.shape[2], intercept_sd))
    rhs = (cross_target - np.einsum("cjk,cj->ck", group_sums, shrink * target_sums)) / sigma2[
        :, None
    ]
    return normal_draws(precision, rhs, rngs)


def normal_draws(precision: np.ndarray, rhs: np.ndarray, rngs: Generators) -> np.ndarray:
    """Draw every chain's ``N(P^-1 rhs, P^-1)``: `precision` (chains, k, k), `rhs` (chains, k).

    By P's Cholesky factor ``L``: the mean by two triangular solves, the noise
    ``L^-T e`` with ``e`` k standard normals from each chain's generator (what the one-chain
    steps draw, in their order).
    """
    chol = np.linalg.cholesky(precision)
    upper = chol.transpose(0, 2, 1)
    mean = np.linalg.solve(upper, np.linalg.solve(chol, rhs[..., None]))[..., 0]
    noise = standard_normals(rngs, rhs.shape[1])
    return mean + np.linalg.solve(upper, noise[..., None])[..., 0]


def residual_squares(
    y_squares: float, theta: np.ndarray, cross: np.ndarray, cross_y: np.ndarray
) -> np.ndarray:
    """Every chain's ``sum_i (y_i - w_i' theta)^2`` from ``y'y``, ``W'W`` and ``W'y``.

    ``y'y - 2 theta'W'y + theta'W'W theta``: no pass over the rows.
    """
    fitted = np.matmul(cross, theta[..., None])[..., 0]
    squares = y_squares - 2 * np.einsum("ck,ck->c", theta, cross_y)
    squares += np.einsum("ck,ck->c", theta, fitted)
    return squares


def noncentred_sd_steps(
    u: np.ndarray,
    weight: np.ndarray,
    residual_sums: np.ndarray,
    sd: np.ndarray,
    rngs: Generators,
) -> np.ndarray:
    """`bayesmi.gibbs.steps.noncentred_sd_step` of every chain's random-intercept SD.

    The SD's prior is HalfNormal(1) (`bayesmi.gibbs.steps.log_prior_covariance` of a
    variance); `u`, `weight` and `residual_sums` are (chains, clusters), `sd` one per chain.
    A chain whose proposal is not positive keeps its SD and draws no uniform, as one chain's
    step does.
    """
    xi = u / sd[:, None]
    precision = np.einsum("cj,cj->c", weight, xi**2)
    noise = np.array([rng.standard_normal() for rng in rngs])
    proposal = np.einsum("cj,cj->c", xi, residual_sums) / precision + noise / np.sqrt(precision)
    positive = proposal > 0
    candidate = np.where(positive, proposal, 1.0)

    def log_target(value: np.ndarray) -> np.ndarray:
        variance = value**2
        return -variance / 2 - 0.5 * np.log(variance) + np.log(value)

    accept = np.exp(np.minimum(0.0, log_target(candidate) - log_target(sd)))
    new = sd.copy()
    for chain in np.flatnonzero(positive):
        if rngs[chain].random() < accept[chain]:
            new[chain] = proposal[chain]
    return new
