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

1. ``phi``, with ``sigma^2`` and ``T`` moving along, the person effects integrated out, by
   Metropolis steps on ``logit(phi)`` that keep the innovation variance, or that and the
   total variance (`AutoregressiveGibbs._phi_steps`), with the model's priors:
   a person's rows are ``N(W theta, Z T Z' + sigma^2 R(phi))``, whose density the transformed
   rows give in closed form (`ar1_marginal_log_likelihood`). A step of phi alone given the
   effects and sigma barely moved (R-hat 1.8 after 30 iterations on 300 persons of 6
   occasions);
2. ``theta`` with the person effects integrated out, then the effects
   (`bayesmi.gibbs.steps.ClusterSums` on the transformed rows);
3. ``T`` in the non-centred parametrisation, then centred (as the logit samplers do);
4. ``sigma^2`` by the independence Metropolis-Hastings step of `RandomInterceptGibbs` on the
   transformed residuals; with a variance per person (the heteroscedastic model,
   ``sigma_i^2`` log-normal across persons) each ``sigma_i^2`` and their population's mean and
   SD by `bayesmi.gibbs.steps.cluster_scales_step` on them (a person's transformed rows are
   independent with the person's variance, and the transform does not depend on it).

Steps 1 and 2 leave the effects out and step 2 draws them right after, so the order keeps the
posterior invariant (a partially collapsed Gibbs sampler, van Dyk and Park 2008).

Priors are the PyMC model's (`bayesmi.models.mixed`). The state holds ``intercept``, ``beta``,
``effects``, ``chol``, ``sigma`` and ``phi`` (and, with a variance per person,
``log_sigma_mean`` and ``log_sigma_sd``).

References
----------
van Dyk, D. A. and Park, T. (2008). Partially collapsed Gibbs samplers: theory and methods.
JASA 103(482), 790-796.

Yu, Y. and Meng, X.-L. (2011). To center or not to center: that is not the question. An
ancillarity-sufficiency interweaving strategy (ASIS) for boosting MCMC efficiency. JCGS
20(3), 531-570.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from scipy.special import expit, logit

from bayesmi.gibbs.steps import (
    ClusterSums,
    cluster_scales_step,
    cluster_sums,
    covariance_step,
    fixed_and_random_designs,
    log_prior_covariance,
    mixed_start,
    noncentred_scale_step,
    scale_step,
)
from bayesmi.priors import INTERCEPT_SD

__all__ = [
    "AutoregressiveGibbs",
    "ar1_log_likelihood",
    "ar1_marginal_log_likelihood",
    "whitening",
]

PHI_STEPS = (
    (0.1, "phi and sigma"),
    (0.4, "phi and sigma"),
    (1.2, "phi and sigma"),
    (0.3, "phi"),
    (0.1, "phi, sigma and T"),
    (0.3, "phi, sigma and T"),
    (0.8, "phi, sigma and T"),
    (0.2, "phi, sigma and T"),
)
"""The Metropolis steps of logit(phi) in a sweep: SD, and what moves with phi
(`AutoregressiveGibbs._phi_steps`)."""

SCALE_STEPS = (
    (0.1, "sigma"),
    (0.3, "sigma and T"),
    (0.1, "sigma and T"),
    (0.3, "spread"),
    (0.1, "spread"),
)
"""With a residual variance per person, the Metropolis steps of their log scales that follow:
SD of the shift of every ``log sigma_j^2`` and whether ``T_00`` moves along, or of
``log omega`` (their spread, "spread") with each person's standardised deviation held. Without
the shifts the persons' variances, their population's mean and T crept together (from a start
far off, phi stayed near 0 for 140 sweeps, where one variance needed 20); without the spread
steps omega had a lag-1 autocorrelation of 0.99 per sweep on 300 persons of 6 occasions."""


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
    cluster_variance : bool, default=False
        A residual variance per person, log-normal across persons (the heteroscedastic
        model): the state then holds ``sigma`` (J values), ``log_sigma_mean`` and
        ``log_sigma_sd``, drawn by `bayesmi.gibbs.steps.cluster_scales_step` on the whitened
        residuals (within a person they are independent with its variance).
    """

    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slope_index: tuple[int, ...]
    previous: np.ndarray
    gap: np.ndarray
    cluster_variance: bool = False

    _designs: dict = field(default_factory=dict, compare=False, repr=False)
    _gaps: dict = field(default_factory=dict, compare=False, repr=False)

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a starting state near the prior's centre, jittered (`mixed_start`)."""
        state = mixed_start(self.n_clusters, self.slope_index, n_predictors, rng)
        state |= {"sigma": float(np.exp(rng.uniform(-1, 1))), "phi": float(rng.uniform(0.2, 0.8))}
        if self.cluster_variance:
            state |= {
                "sigma": np.full(self.n_clusters, state["sigma"]),
                "log_sigma_mean": float(np.log(state["sigma"])),
                "log_sigma_sd": 0.3,
            }
        return state

    intercept_sd: ClassVar[float] = INTERCEPT_SD
    """SD of the intercept's normal prior (`FactorsGibbs` reads it)."""

    def sweep(
        self,
        state: dict,
        x: np.ndarray,
        rng: np.random.Generator,
        offset: np.ndarray | None = None,
    ) -> tuple[dict, float]:
        """One sweep from `state` with standardised predictors `x`; return it and acceptance.

        `offset` is a known part of every row's mean (the effects of grouping factors above
        the person, `FactorsGibbs`).
        """
        target = self.y if offset is None else self.y - offset
        w, z = fixed_and_random_designs(self._designs, x, self.slope_index)
        phi = float(state["phi"])
        covariance = state["chol"] @ state["chol"].T
        theta = np.concatenate([[state["intercept"]], state["beta"]])
        residual = target - w @ theta
        scales = self._scales(state)
        phi, scales, covariance, accept_phi = self._phi_steps(
            residual, z, covariance, scales, phi, rng
        )
        transform = self._transform(phi)
        whitened = transform(np.column_stack([target, w]))  # Z's columns are W's
        y, w_star = whitened[:, 0], whitened[:, 1:]
        z_star = w_star[:, [0, *(1 + k for k in self.slope_index)]]
        weight = 1.0 / self._row_variance(scales["log_variance"])
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
        whitened = y - w_star @ theta - np.sum(z_star * effects[self.codes], axis=1)
        new = {
            "intercept": float(theta[0]),
            "beta": theta[1:],
            "effects": effects,
            "chol": np.linalg.cholesky(covariance),
            "phi": phi,
        }
        if self.cluster_variance:
            current = {key: scales[key] for key in ("log_sigma_mean", "log_sigma_sd")}
            current["sigma"] = np.exp(scales["log_variance"] / 2)
            new |= cluster_scales_step(current, whitened, self.codes, self.n_clusters, rng)
            return new, (accept_covariance + accept_phi) / 2
        sigma2, accept_sigma = scale_step(whitened, float(np.exp(scales["log_variance"])), rng)
        new["sigma"] = float(np.sqrt(sigma2))
        return new, (accept_covariance + accept_sigma + accept_phi) / 3

    def working_model(
        self, state: dict, eta: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the response and precision of every observed row, independent given `state`.

        What `FactorsGibbs` fits the effects of factors above the person to. Whitened
        (`whitening`), a row's residual is independent with its person's variance, and a
        factor constant within the person enters it times ``c_k = (1 - rho_k) /
        sqrt(1 - rho_k^2)`` (1 at the person's first occasion): divided by ``c_k``, the rows
        are the target ``y*_k / c_k`` with precision ``c_k^2 / sigma^2`` and those factors'
        effects as they are, while the fixed and the person's design are transformed alike
        (`working_design`). `eta` and `rng` are not needed.
        """
        transform = self._transform(float(state["phi"]))
        scale = transform(np.ones(self.y.shape[0]))
        variance = self._row_variance(self._scales(state)["log_variance"])
        return transform(self.y) / scale, scale**2 / variance

    def working_design(
        self, state: dict, columns: np.ndarray, first_part: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the fixed design ``W'`` (columns, rows) and ``Z b`` as `working_model`'s rows."""
        transform = self._transform(float(state["phi"]))
        scale = transform(np.ones(self.y.shape[0]))
        return transform(columns.T).T / scale, transform(first_part) / scale

    def _scales(self, state: dict) -> dict:
        """Return the residual scale as the phi steps move it: log variance (one, or J)."""
        log_variance = 2 * np.log(np.asarray(state["sigma"], dtype=float))
        if not self.cluster_variance:
            return {"log_variance": float(log_variance)}
        return {
            "log_variance": log_variance,
            "log_sigma_mean": float(state["log_sigma_mean"]),
            "log_sigma_sd": float(state["log_sigma_sd"]),
        }

    def _row_variance(self, log_variance: float | np.ndarray) -> np.ndarray:
        """Return the residual variance of every observed row."""
        if self.cluster_variance:
            return np.exp(log_variance)[self.codes]
        return np.full(self.y.shape[0], np.exp(log_variance))

    def _transform(self, phi: float):
        """Return the map of rows (or design columns) to their AR(1)-whitened values."""
        return whitening(self.previous, self.gap, phi, self._gap_levels)

    def _phi_steps(
        self,
        residual: np.ndarray,
        z: np.ndarray,
        covariance: np.ndarray,
        scales: dict,
        phi: float,
        rng: np.random.Generator,
    ) -> tuple[float, dict, np.ndarray, float]:
        """Metropolis steps of phi with sigma^2 and T, the effects integrated out.

        `residual` is ``y - W theta``: the rows' deviations from the fixed part. Given the
        rows, phi, sigma^2 and the random-intercept variance ``T_00`` trade off: the
        innovation variance ``sigma^2 (1 - phi^(2d))`` (d the typical time between occasions)
        and, far apart, the total ``T_00 + sigma^2`` are what the rows pin down (phi alone
        given the effects and sigma: lag-1 autocorrelation 0.93 per sweep, R-hat 1.8 after 30
        iterations). A step proposes ``u' = u + e`` on ``u = logit(phi)``; `PHI_STEPS` says
        whether ``s = log sigma^2`` moves to keep the innovation variance,
        ``s' = s + g(u) - g(u')`` with ``g(u) = log(1 - phi(u)^(2d))``, and whether ``T_00``
        then moves to keep the total, ``T_00' = T_00 + sigma^2 - sigma'^2``. With a variance
        per person every ``s_j = log sigma_j^2`` moves by the same amount, and so does their
        population's mean (``mu``, on ``log sigma``: by half of it), which leaves the
        deviations ``log sigma_j - mu`` as they were; ``sigma^2`` in the move of ``T_00`` is
        then ``exp(mean s_j)``. Each map ``(u, s, T_00, e) -> (u', s', T_00', -e)`` is its own
        inverse and preserves volume, so the acceptance ratio is the target's ratio in
        ``(u, s, T)`` (T's prior is a density of its elements, `log_prior_covariance`). With
        a variance per person, `SCALE_STEPS` then shift every ``s_j`` (and ``mu``) by a
        normal ``e`` with phi held, and ``T_00`` as above where they say so: the same kind of
        map. Their "spread" steps move ``v = log omega`` by ``e`` with each
        ``z_j = (s_j / 2 - mu) / omega`` held (interweaving, Yu and Meng 2011) and ``mu`` by
        ``omega^2 - omega'^2``, which keeps the persons' mean variance
        ``exp(2 mu + 2 omega^2)``: in ``(mu, v, z)`` a volume-preserving involution, so the
        acceptance ratio is the target's ratio there, ``z``'s density unchanged and
        ``omega``'s (HalfNormal(0.5)) times its Jacobian ``omega``. Returns phi, the scales
        (as `_scales`), T and the share of steps accepted.
        """
        step = self._typical_gap
        many = self.cluster_variance

        def log_target(u: float, s, mu: float, omega: float, t: np.ndarray) -> float:
            p = expit(u)
            try:
                np.linalg.cholesky(t)
            except np.linalg.LinAlgError:
                return -np.inf
            likelihood = ar1_marginal_log_likelihood(
                residual,
                z,
                self.codes,
                self.n_clusters,
                self.previous,
                self.gap,
                self._row_variance(s),
                p,
                t,
                self._gap_levels,
            )
            # phi ~ Uniform(0, 1) on the logit scale
            log_prior = float(np.log(p) + np.log1p(-p))
            if many:  # log sigma_j ~ N(mu, omega^2), mu ~ N(0, 1)
                log_prior -= float(np.sum((s / 2 - mu) ** 2)) / (2 * omega**2) + mu**2 / 2
            else:  # sigma ~ HalfNormal(1), on log sigma^2
                log_prior += -np.exp(s) / 2 + s / 2
            return likelihood + log_prior + log_prior_covariance(t)

        def tie(u: float) -> float:
            return float(np.log1p(-(expit(u) ** (2 * step))))

        def typical(s) -> float:
            return float(np.exp(np.mean(s)))

        def log_spread_prior(omega: float) -> float:  # HalfNormal(0.5), on log omega
            return -(omega**2) / (2 * 0.5**2) + np.log(omega)

        u, s, t = float(logit(phi)), scales["log_variance"], covariance
        mu, omega = scales.get("log_sigma_mean", 0.0), scales.get("log_sigma_sd", 1.0)
        log_current = log_target(u, s, mu, omega, t)
        accepted = 0
        steps = PHI_STEPS + (SCALE_STEPS if many else ())
        for scale, moves in steps:
            u_new, omega_new, t_new, log_spread = u, omega, t, 0.0
            if moves == "spread":
                omega_new = omega * np.exp(scale * rng.standard_normal())
                mu_new = mu + omega**2 - omega_new**2
                s_new = 2 * (mu_new + omega_new / omega * (s / 2 - mu))
                log_spread = log_spread_prior(omega_new) - log_spread_prior(omega)
            else:
                if moves.startswith("phi"):
                    u_new = u + scale * rng.standard_normal()
                    shift = tie(u) - tie(u_new) if moves != "phi" else 0.0
                else:
                    shift = scale * rng.standard_normal()
                s_new, mu_new = s + shift, mu + shift / 2
            if moves.endswith("and T"):
                t_new = t.copy()
                t_new[0, 0] += typical(s) - typical(s_new)
            log_proposal = log_target(u_new, s_new, mu_new, omega_new, t_new)
            if np.log(rng.random()) < log_proposal - log_current + log_spread:
                u, s, mu, omega, t = u_new, s_new, mu_new, omega_new, t_new
                log_current = log_proposal
                accepted += 1
        moved = {"log_variance": s}
        if many:
            moved |= {"log_sigma_mean": mu, "log_sigma_sd": omega}
        return float(expit(u)), scales | moved, t, accepted / len(steps)

    @property
    def _gap_levels(self) -> tuple[np.ndarray, ...]:
        """The distinct gaps between occasions (`gap_levels`), computed once."""
        if not self._gaps:
            self._gaps["levels"] = gap_levels(self.previous, self.gap)
        return self._gaps["levels"]

    @property
    def _typical_gap(self) -> float:
        """The median time between a row and its previous observed occasion (1 if none)."""
        linked = self.gap[self.previous >= 0]
        return float(np.median(linked)) if linked.size else 1.0


def gap_levels(previous: np.ndarray, gap: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the distinct gaps (inf: a person's first row), each row's, and their counts.

    Panels hold few distinct gaps: `whitening` then raises phi to those only.
    """
    return np.unique(np.where(previous < 0, np.inf, gap), return_inverse=True, return_counts=True)


def whitening(
    previous: np.ndarray,
    gap: np.ndarray,
    phi: float,
    levels: tuple[np.ndarray, ...] | None = None,
):
    """Return the map of rows (or design columns) to their AR(1)-whitened values.

    Row k becomes ``(v_k - rho_k v_p) / sqrt(1 - rho_k^2)``, ``rho_k = phi^gap_k``, with p
    its `previous` position (-1: none, ``rho_k = 0``): independent with variance sigma^2
    when the rows are AR(1) residuals. `levels` are `gap_levels` (computed if not given).
    """
    values, index, counts = gap_levels(previous, gap) if levels is None else levels
    rho_levels = phi**values  # phi^inf = 0 at first rows
    scale_levels = np.sqrt(1.0 - rho_levels**2)
    rho, scale = rho_levels[index], scale_levels[index]
    before = np.maximum(previous, 0)

    def whitened(values: np.ndarray) -> np.ndarray:
        if values.ndim == 1:
            return (values - rho * values[before]) / scale
        return (values - rho[:, None] * values[before]) / scale[:, None]

    whitened.log_scale_sum = float(counts @ np.log(scale_levels))
    return whitened


def ar1_marginal_log_likelihood(
    residual: np.ndarray,
    z: np.ndarray,
    codes: np.ndarray,
    n_clusters: int,
    previous: np.ndarray,
    gap: np.ndarray,
    sigma2: float | np.ndarray,
    phi: float,
    covariance: np.ndarray,
    levels: tuple[np.ndarray, ...] | None = None,
) -> float:
    """Return the log density of rows given their fixed part, the effects integrated out.

    Each cluster's `residual` (``y - W theta``) is ``N(0, Z T Z' + sigma^2 R(phi))``, `sigma2`
    one variance or one per row (a person's rows share theirs). With the whitened rows
    (`whitening`: ``R^-1/2``) and the matrix determinant lemma, per cluster
    ``log|V| = log|sigma^2 R| + log|T| + log|A|`` and
    ``r'V^-1 r = r*'r* / sigma^2 - b'A^-1 b``, where ``A = T^-1 + Z*'Z* / sigma^2`` and
    ``b = Z*'r* / sigma^2``. Constant terms are left out. `levels`: `gap_levels`, if known.
    """
    transform = whitening(previous, gap, phi, levels)
    q = z.shape[1]
    whitened = transform(np.column_stack([z, residual]))  # one pass for Z* and r*
    z_star, r_star = whitened[:, :q], whitened[:, q]
    weight = np.broadcast_to(1.0 / np.asarray(sigma2, dtype=float), r_star.shape)
    weighted = z_star * weight[:, None]
    upper = np.triu_indices(q)  # Z*'Z* is symmetric: its upper triangle's products only
    rows = np.vstack(
        [(weighted[:, upper[0]] * z_star[:, upper[1]]).T, (weighted * r_star[:, None]).T]
    )
    sums = cluster_sums(rows, codes, n_clusters)
    zz = np.empty((n_clusters, q, q))
    zz[:, upper[0], upper[1]] = sums[:, : len(upper[0])]
    zz[:, upper[1], upper[0]] = sums[:, : len(upper[0])]
    zr = sums[:, len(upper[0]) :]
    log_det_inner, explained = _log_det_and_quadratic(np.linalg.inv(covariance)[None] + zz, zr)
    quadratic = float(np.sum(weight * r_star**2)) - explained
    log_det = (
        -float(np.sum(np.log(weight)))
        + 2.0 * transform.log_scale_sum
        + log_det_inner
        + n_clusters * float(np.linalg.slogdet(covariance)[1])
    )
    return float(-0.5 * (log_det + quadratic))


def _log_det_and_quadratic(inner: np.ndarray, rhs: np.ndarray) -> tuple[float, float]:
    """Return ``sum_j log|A_j|`` and ``sum_j b_j' A_j^-1 b_j``.

    ``A_j`` (J, q, q) symmetric positive definite, ``b_j`` (J, q). In closed form for q of 1
    or 2 (a random intercept and one slope), where NumPy's batched solvers took a third of
    the phi steps' time.
    """
    q = inner.shape[-1]
    if q == 1:
        a = inner[:, 0, 0]
        return float(np.sum(np.log(a))), float(np.sum(rhs[:, 0] ** 2 / a))
    if q == 2:
        a, b, d = inner[:, 0, 0], inner[:, 0, 1], inner[:, 1, 1]
        det = a * d - b * b
        r0, r1 = rhs[:, 0], rhs[:, 1]
        return float(np.sum(np.log(det))), float(
            np.sum((d * r0 * r0 - 2 * b * r0 * r1 + a * r1 * r1) / det)
        )
    fitted = np.linalg.solve(inner, rhs[..., None])[..., 0]
    return float(np.sum(np.linalg.slogdet(inner)[1])), float(np.sum(rhs * fitted))


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
