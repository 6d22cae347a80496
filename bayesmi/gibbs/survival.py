r"""Sweeps of a Cox model with a gamma-process baseline, by strata, with a log-normal frailty.

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

1. beta from its posterior with the jumps integrated out, by a Metropolis-Hastings step whose
   proposal is one Newton step from the current beta with the curvature there
   (``N(beta + H^-1 g, H^-1)``, the reverse move evaluated at the proposal: Gamerman 1997);
2. the jumps from their gamma conditional, ``dH_m ~ Gamma(D_m, S_m)``;
3. with a frailty: every cluster's ``b_j`` by the same Newton-proposal step in one dimension
   (its conditional is log-concave), a shift of all ``b_j`` against all jumps (the likelihood
   is unchanged along it; the shift's conditional is normal: Liu and Sabatti 2000), and
   ``tau^2`` by `bayesmi.gibbs.steps.scale_step`.

Each step leaves the posterior invariant; the Metropolis steps accept most proposals, as the
conditionals are close to normal.

References
----------
Gamerman, D. (1997). Sampling from the posterior distribution in generalized linear mixed
models. Statistics and Computing 7, 57-68.
Liu, J. S. and Sabatti, C. (2000). Generalised Gibbs sampler and multigrid Monte Carlo for
Bayesian computation. Biometrika 87(2), 353-369.
Sinha, D., Ibrahim, J. G. and Chen, M.-H. (2003). A Bayesian justification of Cox's partial
likelihood. Biometrika 90(3), 629-641.
van Dyk, D. A. and Park, T. (2008). Partially collapsed Gibbs samplers. JASA 103, 790-796.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from bayesmi.gibbs.steps import scale_step
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD

__all__ = ["CoxGibbs", "RiskSets"]


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
        beta, accept = self._beta_step(state["beta"], x, offset, rng)
        eta = x @ beta + offset
        jumps = self._jumps(eta, rng)
        state = {**state, "beta": beta, "jumps": jumps}
        if self.clusters is not None:
            state |= self._frailty_steps(state, x @ beta, rng)
        return state, accept

    def _jumps(self, eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        sums = self.risk.risk_sums(np.exp(eta))
        return rng.gamma(self.risk.counts) / sums

    def collapsed(
        self, beta: np.ndarray, x: np.ndarray, offset
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """Return log posterior (jumps integrated out), gradient and negative Hessian of beta."""
        risk = self.risk
        eta = x @ beta + offset
        eta = eta - eta.max(initial=0.0)  # the partial likelihood does not change
        weights = np.exp(eta)
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
        self, beta: np.ndarray, x: np.ndarray, offset, rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        if beta.size == 0:
            return beta, 1.0
        here = self.collapsed(beta, x, offset)
        forward = _newton_proposal(beta, here)
        proposal = forward[0] + np.linalg.solve(forward[1].T, rng.standard_normal(beta.size))
        there = self.collapsed(proposal, x, offset)
        backward = _newton_proposal(proposal, there)
        log_ratio = (
            there[0] - here[0] + _log_proposal(beta, backward) - _log_proposal(proposal, forward)
        )
        accept = min(1.0, float(np.exp(min(log_ratio, 0.0))))
        return (proposal, accept) if rng.random() < accept else (beta, accept)

    def _frailty_steps(self, state: dict, linear: np.ndarray, rng: np.random.Generator) -> dict:
        """Update the frailties, shift them against the jumps, then their variance."""
        risk, codes, n_clusters = self.risk, self.clusters, self.n_clusters
        exposure = np.bincount(
            codes, risk.cumulative(state["jumps"]) * np.exp(linear), minlength=n_clusters
        )
        events = np.bincount(codes, risk.events, minlength=n_clusters)
        tau, frailty = state["tau"], state["frailty"]
        precision = 1.0 / tau**2

        def terms(b):
            log_density = events * b - exposure * np.exp(b) - 0.5 * precision * b**2
            gradient = events - exposure * np.exp(b) - precision * b
            curvature = exposure * np.exp(b) + precision
            return log_density, gradient, curvature

        here = terms(frailty)
        mean = frailty + here[1] / here[2]
        proposal = mean + rng.standard_normal(n_clusters) / np.sqrt(here[2])
        there = terms(proposal)
        back = proposal + there[1] / there[2]
        log_ratio = (
            there[0]
            - here[0]
            + 0.5 * np.log(there[2])
            - 0.5 * there[2] * (frailty - back) ** 2
            - 0.5 * np.log(here[2])
            + 0.5 * here[2] * (proposal - mean) ** 2
        )
        moved = np.log(rng.random(n_clusters)) < log_ratio
        frailty = np.where(moved, proposal, frailty)
        # the likelihood is the same at (b + c, dH e^-c); c's conditional is the prior's
        shift = -frailty.mean() + tau / np.sqrt(n_clusters) * rng.standard_normal()
        frailty = frailty + shift
        jumps = state["jumps"] * np.exp(-shift)
        variance, _ = scale_step(frailty, tau**2, rng, SCALE_SD)
        return {"frailty": frailty, "jumps": jumps, "tau": float(np.sqrt(variance))}


def _newton_proposal(beta: np.ndarray, terms: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Return the Newton proposal's mean and the Cholesky factor of its precision."""
    _, gradient, curvature = terms
    chol = np.linalg.cholesky(curvature)
    step = np.linalg.solve(chol.T, np.linalg.solve(chol, gradient))
    return beta + step, chol


def _log_proposal(value: np.ndarray, proposal: tuple[np.ndarray, np.ndarray]) -> float:
    """Return the log density of `value` under a Newton proposal, up to a constant."""
    mean, chol = proposal
    whitened = chol.T @ (value - mean)
    return float(np.sum(np.log(np.diag(chol))) - 0.5 * whitened @ whitened)
