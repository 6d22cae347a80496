r"""Sweeps of proportional hazards models by strata, with a log-normal frailty: Cox and Weibull.

The model of one cause (competing causes: one such model each, events of the others censored)::

    hazard_i(t) = h_s(t) exp(eta_i),    eta_i = x_i' beta + b_j(i),   b_j ~ N(0, tau^2)
    h_s: jumps dH_m at the distinct event times c_m of stratum s,  p(dH_m) \propto 1 / dH_m
    beta_k ~ N(0, 2.5^2) (standardised predictors), tau ~ HalfNormal(1)

Every row is at risk at the event times of its stratum up to its own time (`RiskSets`); the
likelihood is the Poisson form of Breslow's: ``prod_m prod_{i at risk} exp(-dH_m e^eta_i)
prod_{events} dH_m e^eta_i``. Integrating the jumps out leaves
``prod_m S_m(beta)^(-D_m) exp(sum_i d_i eta_i)``, ``S_m`` the risk set's sum of ``e^eta`` and
``D_m`` its events: Breslow's partial likelihood, so the posterior of beta is the prior times
it (Sinha, Ibrahim and Chen 2003).

A sweep (`CoxGibbs.sweep`) is a partially collapsed Gibbs sampler (van Dyk and Park 2008):

1. beta from its posterior with the jumps integrated out, by an independence
   Metropolis-Hastings step from the Laplace approximation at the mode (`laplace_step`:
   Newton's method to the mode, a normal proposal there mixed with a Student t, whose tails
   are heavier than the conditional's);
2. the jumps from their gamma conditional, ``dH_m ~ Gamma(D_m, S_m)``;
3. with a frailty: every cluster's ``b_j`` by the same step in one dimension (its conditional
   is log-concave: `elementwise_laplace_step`), a shift of all ``b_j`` against all jumps (the
   likelihood is unchanged along it; the shift's conditional is normal: Liu and Sabatti
   2000), and ``tau^2`` by `bayesmi.gibbs.steps.scale_step`.

Each step leaves the posterior invariant; the Metropolis steps accept nearly every proposal,
as the conditionals are close to normal. A Weibull baseline (`WeibullGibbs`) is the same
sampler with one risk set per stratum, whose "jump" is the stratum's rate, each row's hazard
scaled by ``t^alpha``, and a first step for the shapes with the rates integrated out.

References
----------
Liu, J. S. and Sabatti, C. (2000). Generalised Gibbs sampler and multigrid Monte Carlo for
Bayesian computation. Biometrika 87(2), 353-369.
Sinha, D., Ibrahim, J. G. and Chen, M.-H. (2003). A Bayesian justification of Cox's partial
likelihood. Biometrika 90(3), 629-641.
van Dyk, D. A. and Park, T. (2008). Partially collapsed Gibbs samplers. JASA 103, 790-796.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from bayesmi.gibbs.steps import scale_step
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD

__all__ = ["CoxGibbs", "RiskSets", "WeibullGibbs"]


@dataclass(frozen=True)
class RiskSets:
    """The event times of every stratum and which rows are at risk at each, for one cause.

    Attributes
    ----------
    events : numpy.ndarray
        1.0 where the row had this cause's event, else 0.0.
    strata : numpy.ndarray
        Stratum code of every row.
    cuts : numpy.ndarray
        The distinct event times of every stratum, stratum by stratum, ascending within one.
    starts : numpy.ndarray
        Where each stratum's times begin in `cuts` (one more entry: ``len(cuts)``).
    last : numpy.ndarray
        Every row's last event time at risk (an index into `cuts`); one before its stratum's
        first where it is at risk at none (censored before that stratum's first event).
    counts : numpy.ndarray
        Events at every time of `cuts` (``D_m``).
    """

    events: np.ndarray
    strata: np.ndarray
    cuts: np.ndarray
    starts: np.ndarray
    last: np.ndarray
    counts: np.ndarray
    _ends: np.ndarray = field(repr=False)
    _gather: sparse.csr_matrix = field(repr=False)

    @classmethod
    def of(cls, times: np.ndarray, events: np.ndarray, strata: np.ndarray, n_strata: int):
        """Build the risk sets of rows with `times`, 0/1 `events` and stratum codes."""
        events = np.asarray(events, dtype=float)
        cuts, starts, last = [], [0], np.full(times.shape[0], -1)
        for stratum in range(n_strata):
            rows = np.flatnonzero(strata == stratum)
            times_of = np.unique(times[rows][events[rows] == 1])
            last[rows] = starts[-1] + np.searchsorted(times_of, times[rows], side="right") - 1
            cuts.append(times_of)
            starts.append(starts[-1] + times_of.size)
        n_times = starts[-1]
        at_risk = last >= np.asarray(starts)[strata]
        counts = np.bincount(last[events == 1], minlength=n_times).astype(float)
        rows = np.flatnonzero(at_risk)
        gather = sparse.csr_matrix(
            (np.ones(rows.size), (last[rows], rows)), shape=(n_times, times.shape[0])
        )
        ends = np.repeat(np.asarray(starts[1:]), np.diff(starts))
        return cls(
            events,
            np.asarray(strata),
            np.concatenate(cuts) if cuts else np.zeros(0),
            np.asarray(starts),
            last,
            counts,
            ends,
            gather,
        )

    @classmethod
    def whole(cls, events: np.ndarray, strata: np.ndarray, n_strata: int):
        """Build one risk set per stratum holding all its rows (a parametric baseline's).

        The stratum's "jump" is then its rate, each row's hazard the rate times the
        baseline's time term (`WeibullGibbs.exposure`).
        """
        events = np.asarray(events, dtype=float)
        starts = np.arange(n_strata + 1)
        last = np.asarray(strata)
        counts = np.bincount(last, events, minlength=n_strata)
        gather = sparse.csr_matrix(
            (np.ones(last.size), (last, np.arange(last.size))), shape=(n_strata, last.size)
        )
        return cls(events, last, np.zeros(n_strata), starts, last, counts, starts[1:], gather)

    @property
    def n_times(self) -> int:
        """Number of event times over all strata (jumps of the baselines)."""
        return self.cuts.size

    def risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Return, at every event time, the sum of `values` (rows, ...) over the rows at risk.

        The rows whose last time at risk is that time or a later one of the same stratum.
        """
        flat = values.reshape(values.shape[0], -1)
        at_last = np.asarray(self._gather @ flat)
        after = np.cumsum(at_last[::-1], axis=0)[::-1]  # from each time to the very last
        padded = np.vstack([after, np.zeros((1, flat.shape[1]))])
        sums = after - padded[self._ends]  # minus what lies beyond the stratum's last time
        return sums.reshape((self.n_times, *values.shape[1:]))

    def cumulative(self, jumps: np.ndarray) -> np.ndarray:
        """Return every row's cumulative baseline hazard at its time (its stratum's jumps)."""
        padded = np.concatenate([[0.0], np.cumsum(jumps)])
        return padded[self.last + 1] - padded[self.starts[self.strata]]

    def log_hazard(self, jumps: np.ndarray) -> np.ndarray:
        """Return the log of the jump at every event row's time (0 for the other rows)."""
        rows = self.events == 1
        values = np.zeros(self.events.shape[0])
        values[rows] = np.log(jumps[self.last[rows]])
        return values


@dataclass(frozen=True)
class CoxGibbs:
    """Gibbs sweeps of one cause's Cox model (see the module docstring).

    Parameters
    ----------
    risk : RiskSets
        The event times and risk sets.
    clusters : numpy.ndarray or None
        Cluster code of every row, with a frailty; None without one.
    n_clusters : int
        Number of clusters (0 without a frailty).

    The state holds ``beta`` (standardised predictors), ``jumps``, and with a frailty
    ``frailty`` (one per cluster) and ``tau``.
    """

    risk: RiskSets
    clusters: np.ndarray | None = None
    n_clusters: int = 0

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a jittered start: small coefficients, the jumps of Breslow's estimator."""
        beta = rng.uniform(-0.5, 0.5, n_predictors)
        jumps = self.risk.counts / np.maximum(self.risk.risk_sums(np.ones(self.risk.last.size)), 1)
        state = {"beta": beta, "jumps": jumps}
        if self.clusters is not None:
            state |= {"frailty": np.zeros(self.n_clusters), "tau": float(rng.uniform(0.2, 1.0))}
        return state

    def offset(self, state: dict) -> np.ndarray | float:
        """Return every row's frailty (0 without one)."""
        return 0.0 if self.clusters is None else state["frailty"][self.clusters]

    def sweep(self, state: dict, x: np.ndarray, rng: np.random.Generator) -> tuple[dict, float]:
        """One sweep from `state` given standardised predictors `x`; return it and acceptance.

        The acceptance is that of the coefficients' Metropolis-Hastings step.
        """
        offset = self.offset(state)
        state = self.baseline_steps(state, x @ state["beta"] + offset, rng)
        exposure = self.exposure(state)
        beta, accept = self._beta_step(state["beta"], x, offset, exposure, rng)
        eta = x @ beta + offset
        jumps = rng.gamma(self.risk.counts) / self.risk.risk_sums(exposure * np.exp(eta))
        state = {**state, "beta": beta, "jumps": jumps}
        if self.clusters is not None:
            state |= self._frailty_steps(state, x @ beta, rng)
        return state, accept

    def exposure(self, state: dict) -> np.ndarray | float:
        """Return every row's factor of the baseline's cumulative hazard besides the jumps.

        1 for the Cox baseline; a parametric baseline's time term (`WeibullGibbs`).
        """
        return 1.0

    def baseline_steps(self, state: dict, eta: np.ndarray, rng: np.random.Generator) -> dict:
        """Update the baseline's own parameters with the jumps integrated out (none for Cox)."""
        return state

    def baseline(self, state: dict) -> dict[str, np.ndarray]:
        """Return every row's ``log_hazard`` (event rows; 0 elsewhere) and ``cumulative``."""
        return {
            "log_hazard": self.risk.log_hazard(state["jumps"]),
            "cumulative": self.risk.cumulative(state["jumps"]) * self.exposure(state),
        }

    def collapsed(
        self, beta: np.ndarray, x: np.ndarray, offset, exposure: np.ndarray | float = 1.0
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Return log posterior (jumps integrated out), gradient and negative Hessian of beta.

        `exposure` multiplies every row's hazard (`exposure`).
        """
        risk = self.risk
        eta = x @ beta + offset
        eta = eta - eta.max(initial=0.0)  # the partial likelihood does not change
        weights = exposure * np.exp(eta)
        sums = risk.risk_sums(weights)
        used = risk.counts > 0
        log_density = float(risk.events @ eta - risk.counts[used] @ np.log(sums[used]))
        log_density -= float(beta @ beta) / (2 * COEFFICIENT_SD**2)
        means = risk.risk_sums(weights[:, None] * x) / sums[:, None]
        gradient = risk.events @ x - risk.counts @ means - beta / COEFFICIENT_SD**2
        # sum_m D_m (sum_at_risk w x x' / S_m - mean_m mean_m'), the first term row by row
        per_row = np.concatenate([[0.0], np.cumsum(risk.counts / sums)])
        starts = risk.starts[risk.strata]
        share = per_row[risk.last + 1] - per_row[starts]
        curvature = (x * (weights * share)[:, None]).T @ x
        curvature -= (means * risk.counts[:, None]).T @ means
        curvature += np.eye(beta.size) / COEFFICIENT_SD**2
        return log_density, gradient, curvature

    def _beta_step(
        self, beta: np.ndarray, x: np.ndarray, offset, exposure, rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        if beta.size == 0:
            return beta, 1.0
        return laplace_step(lambda b: self.collapsed(b, x, offset, exposure), beta, rng)

    def _frailty_steps(self, state: dict, linear: np.ndarray, rng: np.random.Generator) -> dict:
        """Update the frailties, shift them against the jumps, then their variance."""
        risk, codes, n_clusters = self.risk, self.clusters, self.n_clusters
        cumulative = self.baseline(state)["cumulative"]
        exposure = np.bincount(codes, cumulative * np.exp(linear), minlength=n_clusters)
        events = np.bincount(codes, risk.events, minlength=n_clusters)
        tau, frailty = state["tau"], state["frailty"]
        precision = 1.0 / tau**2

        def terms(b):
            log_density = events * b - exposure * np.exp(b) - 0.5 * precision * b**2
            gradient = events - exposure * np.exp(b) - precision * b
            curvature = exposure * np.exp(b) + precision
            return log_density, gradient, curvature

        frailty = elementwise_laplace_step(terms, frailty, rng)
        # the likelihood is the same at (b + c, dH e^-c); c's conditional is the prior's
        shift = -frailty.mean() + tau / np.sqrt(n_clusters) * rng.standard_normal()
        frailty = frailty + shift
        jumps = state["jumps"] * np.exp(-shift)
        variance, _ = scale_step(frailty, tau**2, rng, SCALE_SD)
        return {"frailty": frailty, "jumps": jumps, "tau": float(np.sqrt(variance))}


NEWTON_TOLERANCE = 1e-10
"""Newton's iterations to a conditional's mode stop when no step exceeds this (relative)."""
NEWTON_ITERATIONS = 100
"""At most this many Newton iterations (each halved until the log density rises)."""
HEAVY_SHARE = 0.1
"""Share of the Laplace proposals drawn from the Student t (`laplace_step`)."""
HEAVY_DF = 3.0
"""Degrees of freedom of that t."""


def laplace_step(
    terms: Callable[[np.ndarray], tuple[float, np.ndarray, np.ndarray]],
    current: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, float]:
    """One independence Metropolis-Hastings step from the Laplace approximation at the mode.

    `terms` returns the log density, gradient and negative Hessian (positive definite) of a
    log-concave conditional. The mode is found by Newton's method from `current` (each step
    halved until the density rises) to `NEWTON_TOLERANCE`, so the proposal does not depend
    on where the chain is: ``N(mode, H(mode)^-1)``, mixed with a Student t of the same centre
    and scale (`HEAVY_SHARE`, `HEAVY_DF`) whose tails are heavier than the conditional's (a
    log partial likelihood grows linearly far out), so that a chain started far from the
    mode leaves at once. The step accepts with the independence sampler's ratio. Return the
    new value and the acceptance probability.
    """
    mode, (_, _, curvature) = _newton_mode(terms, current)
    chol = np.linalg.cholesky(curvature)
    noise = rng.standard_normal(mode.size)
    if rng.random() < HEAVY_SHARE:
        noise = noise / np.sqrt(rng.chisquare(HEAVY_DF) / HEAVY_DF)
    proposal = mode + np.linalg.solve(chol.T, noise)

    def log_proposal(value: np.ndarray) -> float:
        whitened = chol.T @ (value - mode)
        return float(_log_mixture(whitened @ whitened, mode.size))

    log_ratio = (
        terms(proposal)[0] - terms(current)[0] + log_proposal(current) - log_proposal(proposal)
    )
    accept = float(np.exp(min(log_ratio, 0.0)))
    return (proposal, accept) if rng.random() < accept else (current, accept)


def _log_mixture(squared: np.ndarray, dimension: int) -> np.ndarray:
    """Log density of the proposal mixture at squared whitened distances, up to a constant."""
    normal = np.log1p(-HEAVY_SHARE) - 0.5 * squared - 0.5 * dimension * np.log(2 * np.pi)
    heavy = (
        np.log(HEAVY_SHARE)
        + gammaln((HEAVY_DF + dimension) / 2)
        - gammaln(HEAVY_DF / 2)
        - 0.5 * dimension * np.log(HEAVY_DF * np.pi)
        - 0.5 * (HEAVY_DF + dimension) * np.log1p(squared / HEAVY_DF)
    )
    return np.logaddexp(normal, heavy)


def _newton_mode(terms, start: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Return the mode of a log-concave density from `start`, and its terms there."""
    value, here = start, terms(start)
    for _ in range(NEWTON_ITERATIONS):
        step = np.linalg.solve(here[2], here[1])
        for _ in range(60):  # halve until the density does not fall
            there = terms(value + step)
            if there[0] >= here[0] - 1e-12 * abs(here[0]):
                break
            step = step / 2
        value, here = value + step, there
        if np.max(np.abs(step) / (1 + np.abs(value))) < NEWTON_TOLERANCE:
            break
    return value, here


def elementwise_laplace_step(
    terms: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
    current: np.ndarray,
    rng: np.random.Generator,
    positive: bool = False,
) -> np.ndarray:
    """`laplace_step` for independent one-dimensional conditionals, one per element.

    `terms` returns each element's log density, derivative and negative second derivative;
    with `positive`, the values must stay above 0 (a proposal at or below is refused).
    """
    value, here = current, terms(current)
    for _ in range(NEWTON_ITERATIONS):
        step = here[1] / here[2]
        for _ in range(60):
            moved = value + step
            there = terms(np.where(moved > 0, moved, value) if positive else moved)
            worse = there[0] < here[0] - 1e-12 * np.abs(here[0])
            if positive:
                worse = worse | (moved <= 0)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        value, here = value + step, terms(value + step)
        if np.max(np.abs(step) / (1 + np.abs(value)), initial=0.0) < NEWTON_TOLERANCE:
            break
    mode, scale = value, 1 / np.sqrt(here[2])
    noise = rng.standard_normal(mode.size)
    heavy = rng.random(mode.size) < HEAVY_SHARE
    noise = np.where(heavy, noise / np.sqrt(rng.chisquare(HEAVY_DF, mode.size) / HEAVY_DF), noise)
    proposal = mode + scale * noise
    valid = proposal > 0 if positive else np.ones(mode.size, dtype=bool)
    safe = np.where(valid, proposal, current)
    log_ratio = (
        terms(safe)[0]
        - terms(current)[0]
        + _log_mixture(((current - mode) / scale) ** 2, 1)
        - _log_mixture(((safe - mode) / scale) ** 2, 1)
    )
    accepted = valid & (np.log(rng.random(mode.size)) < log_ratio)
    return np.where(accepted, proposal, current)


@dataclass(frozen=True)
class WeibullGibbs(CoxGibbs):
    r"""Gibbs sweeps of one cause's Weibull model: a rate and a shape per stratum.

    ``h_s(t) = lambda_s alpha_s t^(alpha_s - 1)`` (times divided by a scale of the data's, so
    ``t^alpha`` stays in range), ``p(lambda_s) \propto 1 / lambda_s``, ``log alpha_s ~ N(0, 1)``.
    `risk` holds one risk set per stratum (`RiskSets.whole`), whose "jump" is the rate; a row's
    cumulative hazard is the rate times ``t^alpha`` (`exposure`). The sweep first updates
    every stratum's shape with the rates integrated out, by the Newton-proposal step in
    ``alpha`` (its log posterior is concave there but for the prior's last term), then the
    steps of `CoxGibbs`. The state adds ``shape`` (one per stratum).

    Parameters
    ----------
    log_times : numpy.ndarray
        Every row's log (scaled) time.
    """

    log_times: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def start(self, n_predictors: int, rng: np.random.Generator) -> dict:
        """Return a jittered start: shapes near 1, the rates of exponential models."""
        state = super().start(n_predictors, rng)
        n_strata = self.risk.n_times
        shape = np.exp(rng.uniform(-0.3, 0.3, n_strata))
        rows = np.exp(shape[self.risk.strata] * self.log_times)
        totals = np.bincount(self.risk.strata, rows, minlength=n_strata)
        return state | {"shape": shape, "jumps": self.risk.counts / totals}

    def exposure(self, state: dict) -> np.ndarray:
        """Return every row's ``t^alpha`` (its stratum's shape)."""
        return np.exp(state["shape"][self.risk.strata] * self.log_times)

    def baseline(self, state: dict) -> dict[str, np.ndarray]:
        """Add ``log alpha + (alpha - 1) log t`` to the event rows' log hazard."""
        values = super().baseline(state)
        shape = state["shape"][self.risk.strata]
        values["log_hazard"] = values["log_hazard"] + self.risk.events * (
            np.log(shape) + (shape - 1) * self.log_times
        )
        return values

    def _shape_terms(self, shape: np.ndarray, eta: np.ndarray) -> tuple:
        """Return the shapes' log posterior, gradient and curvature (rates integrated out)."""
        risk, log_t = self.risk, self.log_times
        n_strata = risk.n_times
        log_rows = eta + shape[risk.strata] * log_t
        top = np.full(n_strata, -np.inf)
        np.maximum.at(top, risk.strata, log_rows)
        rows = np.exp(log_rows - top[risk.strata])
        total = np.bincount(risk.strata, rows, minlength=n_strata)
        mean = np.bincount(risk.strata, rows * log_t, minlength=n_strata) / total
        square = np.bincount(risk.strata, rows * log_t**2, minlength=n_strata) / total
        events = risk.counts
        logs = np.bincount(risk.strata, risk.events * log_t, minlength=n_strata)
        log_shape = np.log(shape)
        log_density = (
            (events - 1) * log_shape
            + shape * logs
            - events * (np.log(total) + top)
            - 0.5 * log_shape**2
        )
        gradient = (events - 1) / shape + logs - events * mean - log_shape / shape
        curvature = (events - 1 + 1 - log_shape) / shape**2 + events * (square - mean**2)
        curvature = np.where(curvature > 0, curvature, (events + 1) / shape**2)
        return log_density, gradient, curvature

    def baseline_steps(self, state: dict, eta: np.ndarray, rng: np.random.Generator) -> dict:
        """Update every stratum's shape by a Newton-proposal step, the rates integrated out."""
        shape = elementwise_laplace_step(
            lambda values: self._shape_terms(values, eta), state["shape"], rng, positive=True
        )
        return {**state, "shape": shape}
