"""AR(1) residuals over a person's occasions: the links a model's likelihood and draws read.

With ``residual="ar1"`` a normal mixed model's residuals within a cluster (person) follow a
continuous-time AR(1), ``corr(e_t, e_s) = phi^|t - s|`` (`bayesmi.gibbs.autoregressive`). The
likelihood of the observed rows conditions each on the person's previous observed occasion.
A missing cell's residual is drawn given its neighbours, in time order: given the previous
occasion's residual ``e_b`` (observed, or drawn just before) at correlation ``a`` and the next
observed one ``e_f`` at correlation ``b``, the residual is normal with

    mean = (a (1 - b^2) e_b + b (1 - a^2) e_f) / (1 - a^2 b^2)
    variance = sigma^2 (1 - a^2) (1 - b^2) / (1 - a^2 b^2)

(``a = 0`` at a person's first occasion, ``b = 0`` after the last observed one). By the Markov
property this draws a person's missing residuals jointly from their conditional given the
observed ones, so a missing wave 3 follows its person's waves 2 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.gibbs.autoregressive import AutoregressiveGibbs
from bayesmi.models.scaling import Inputs

__all__ = ["SerialStructure"]


@dataclass(frozen=True)
class SerialStructure:
    """Each row's neighbouring occasions, for a model whose target is observed in some rows.

    Attributes
    ----------
    times : numpy.ndarray
        Every row's time.
    previous : numpy.ndarray
        Every row's previous occasion of its person (-1: none).
    next_observed : numpy.ndarray
        Every row's next occasion of its person with the target observed (-1: none).
    rank : numpy.ndarray
        Every row's occasion number within its person.
    observed_links : tuple of numpy.ndarray
        For the observed rows, in row order: the position among them of the person's previous
        observed occasion (-1: none), and the time since it (1 where none).
    """

    times: np.ndarray
    previous: np.ndarray
    next_observed: np.ndarray
    rank: np.ndarray
    observed_links: tuple[np.ndarray, np.ndarray]
    observed_position: np.ndarray
    """Every row's position among the observed rows (-1: the target is missing there)."""
    observed_rank: np.ndarray
    """Each observed row's occasion number among its person's observed occasions."""

    @classmethod
    def of(cls, data: ImputationData, observed: np.ndarray) -> SerialStructure:
        """Link the rows of `data` (with ``time=``) given the target's `observed` mask."""
        occasions = data.occasions
        if occasions is None:
            raise ValueError("residual='ar1' needs the occasions' order: impute(..., time=...).")
        times = occasions.times
        rows = np.flatnonzero(observed)
        before = occasions.nearest_among(observed)[rows]
        position = np.full(times.shape[0], -1)
        position[rows] = np.arange(rows.shape[0])
        known = before >= 0
        safe = np.maximum(before, 0)
        links = (
            np.where(known, position[safe], -1),
            np.where(known, times[rows] - times[safe], 1.0),
        )
        return cls(
            times=times,
            previous=occasions.previous,
            next_observed=occasions.nearest_among(observed, later=True),
            rank=occasions.rank,
            observed_links=links,
            observed_position=position,
            observed_rank=_chain_rank(links[0], times[rows]),
        )

    def row_terms(self, residual: np.ndarray, sigma: float | np.ndarray, phi: float) -> np.ndarray:
        """Return, per observed row, the log density terms its residual enters.

        `residual` holds the observed rows' (standardised scale), `sigma` the residual SD (one,
        or each observed row's: its person's). Row k's own term
        ``log N(e_k; rho_k e_p, sigma^2 (1 - rho_k^2))`` plus the next observed occasion's,
        which conditions on ``e_k``: a change of row k's predictors moves both.
        """
        previous, gap = self.observed_links
        first = previous < 0
        rho = np.where(first, 0.0, phi ** np.where(first, 1.0, gap))
        variance = sigma**2 * (1.0 - rho**2)
        innovation = residual - rho * residual[np.maximum(previous, 0)]
        own = -0.5 * (np.log(variance) + innovation**2 / variance)
        terms = own.copy()
        linked = ~first
        np.add.at(terms, previous[linked], own[linked])  # each row has one successor at most
        return terms

    def independent_sets(self, rows: np.ndarray) -> list[np.ndarray]:
        """Split `rows` into sets in which no two are neighbouring observed occasions.

        Rows weighed by `row_terms` share a term only when one is the other's next observed
        occasion; the parity of a row's rank among its person's observed occasions separates
        those (rows without the target observed weigh nothing: with the even ones).
        """
        position = self.observed_position[rows]
        rank = self.observed_rank[np.maximum(position, 0)]
        odd = (position >= 0) & (rank % 2 == 1)
        return [rows[~odd], rows[odd]]

    def gibbs_kernel(
        self,
        inputs: Inputs,
        n_clusters: int,
        slope_index: list[int],
        cluster_variance: bool = False,
    ) -> AutoregressiveGibbs:
        """Return the AR(1) mixed model's Gibbs sweep over the observed rows.

        `cluster_variance`: a residual variance per person (the heteroscedastic model).
        """
        previous, gap = self.observed_links
        return AutoregressiveGibbs(
            inputs.y,
            inputs.codes_observed,
            n_clusters,
            tuple(slope_index),
            previous,
            gap,
            cluster_variance,
        )

    def draw_residuals(
        self,
        residual: np.ndarray,
        missing: np.ndarray,
        sigma: float | np.ndarray,
        phi: float,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Draw the `missing` rows' residuals given the observed ones (see the module docstring).

        `residual` holds every row's (the observed rows' known, the others any value), `sigma`
        the residual SD (one, or every row's: its person's); the rows are drawn occasion by
        occasion, so each missing row's previous one is set.
        """
        residual = residual.copy()
        sigma = np.broadcast_to(np.asarray(sigma, dtype=float), residual.shape)
        ranks = self.rank[missing]
        times = self.times
        for rank in np.unique(ranks):
            rows = missing[ranks == rank]
            before, after = self.previous[rows], self.next_observed[rows]
            a = _correlation(phi, times[rows] - times[np.maximum(before, 0)], before >= 0)
            b = _correlation(phi, times[np.maximum(after, 0)] - times[rows], after >= 0)
            e_before = np.where(before >= 0, residual[np.maximum(before, 0)], 0.0)
            e_after = np.where(after >= 0, residual[np.maximum(after, 0)], 0.0)
            joint = 1.0 - a**2 * b**2
            mean = (a * (1 - b**2) * e_before + b * (1 - a**2) * e_after) / joint
            sd = sigma[rows] * np.sqrt((1 - a**2) * (1 - b**2) / joint)
            residual[rows] = mean + sd * rng.standard_normal(rows.shape[0])
        return residual[missing]


def _chain_rank(previous: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Each row's number of predecessors along `previous` (rows in time order: links first)."""
    rank = np.zeros(previous.shape[0], dtype=int)
    for k in np.argsort(times, kind="stable"):  # a row's previous one comes earlier in time
        if previous[k] >= 0:
            rank[k] = rank[previous[k]] + 1
    return rank


def _correlation(phi: float, gap: np.ndarray, linked: np.ndarray) -> np.ndarray:
    """``phi^gap`` where a neighbour exists, else 0."""
    return np.where(linked, phi ** np.where(linked, gap, 1.0), 0.0)
