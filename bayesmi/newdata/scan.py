"""One Gibbs scan over the new rows' missing cells, with one stored imputation's parameters.

Each incomplete variable, in the order of the spec, gets a draw for its missing new cells from
its model given the others' current values (`StoredModel`): a family's draw, or with
predictive mean matching an observed value of a fitted row whose predicted mean is close; a
cluster-level variable one draw per cluster without a value; a model with AR(1) residuals
its cell given the person's neighbouring occasions.

A run with ``analysis=`` (`bayesmi.engines.compatible`) factors one joint distribution,
``p(x_1) p(x_2 | x_1) ... p(y | x)``, so a covariate's cell is drawn as that engine draws it:
proposed from its own factor and accepted with the ratio of the later factors' likelihoods of
its row (the analysis model's only where the outcome is observed: elsewhere it integrates
out). Given the parameters and the clusters' effects the rows are independent, so each cell
is accepted or rejected on its own. The outcome's missing cells are then drawn from the
analysis model: a prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.models.matching import match_donors
from bayesmi.models.serial import SerialStructure
from bayesmi.newdata.linear_predictor import GroupEffects, StoredModel

__all__ = ["NewRowsScan"]


@dataclass
class NewRowsScan:
    """The state of one imputation's scans: current values, stored models, their groups.

    Attributes
    ----------
    data : ImputationData
        The fitted rows then the new ones.
    designs : dict
        Each variable's design columns.
    stored : dict of StoredModel
        Each variable's model with this imputation's parameters, in the order of the spec.
    groups : dict
        Each variable's grouping factors' effects (`StoredModel.group_effects`).
    current : dict
        Every imputed variable's (and filled predictor's) current values, all rows.
    donor_rows : dict
        With predictive mean matching, the fitted rows observing the variable.
    new_rows : numpy.ndarray
        Positions of the new rows.
    outcome : hashable or None
        The analysis model's outcome in a run with ``analysis=``.
    rng : numpy.random.Generator
        The draws' stream.
    """

    data: ImputationData
    designs: dict
    stored: dict[Hashable, StoredModel]
    groups: dict[Hashable, list[GroupEffects]]
    current: dict[Hashable, np.ndarray]
    donor_rows: dict[Hashable, np.ndarray]
    new_rows: np.ndarray
    outcome: Hashable | None
    rng: np.random.Generator

    def run(self) -> None:
        """Update every variable's missing new cells once, in the order of the spec.

        Before a normal, logit or negative binomial model's cells, its new groups' effects
        are drawn given those groups' observed rows (`StoredModel.update_new_groups`): a new
        cluster's observed values inform its effects as they would in a refit. Other
        families' new groups keep their draw from the population.
        """
        for name, model in self.stored.items():
            if self._conditions_new_groups(model):
                observed = self.new_rows[~self.data.missing[name][self.new_rows]]
                design = self.data.design(self.designs[name], self.current)
                model.update_new_groups(
                    design, self.groups[name], self.current[name], observed, self.rng
                )
            rows = self.new_rows[self.data.missing[name][self.new_rows]]
            if not rows.size:
                continue
            if model.model.kind_info.cluster_level:  # one draw per cluster without a value
                rows, spread = _clusters_to_draw(self.data, self.current[name], rows)
                spread(self._draw(name, rows))
            elif self.outcome is not None and name != self.outcome:
                self._metropolis(name, rows, self._draw(name, rows))
            else:
                self.current[name][rows] = self._draw(name, rows)

    def _conditions_new_groups(self, model: StoredModel) -> bool:
        """Return whether a model's new groups get effects given their rows.

        A normal model of one residual SD, a logit or a negative binomial one
        (`Family.has_working_model`),
        independent residuals, with new groups.
        """
        spec, info = model.model, model.model.kind_info
        return (
            spec.family.has_working_model  # normal, or a logit model
            and not (info.cluster_variance or info.cluster_level or info.selection)
            and spec.residual == "independent"
            and any(group.new_groups.any() for group in self.groups[model.name])
        )

    def _draw(self, name: Hashable, rows: np.ndarray) -> np.ndarray:
        """Draw `rows` of a variable from its model given the current values (its values)."""
        model = self.stored[name]
        design = self.data.design(self.designs[name], self.current)
        eta = model.linear_predictor(design, self.groups[name], rows)
        if model.model.pmm:  # an observed value of a fitted row with a close mean
            donors = self.donor_rows[name]
            means = model.linear_predictor(design, self.groups[name], donors)
            values = self.data.values(name)[donors]
            return match_donors(means, eta, values, model.model.donors, self.rng)
        if model.model.residual == "ar1":
            return self._serial_draw(model, design, rows)
        quantities = model.family_quantities(self.groups[name], rows)
        draws = model.model.family.draw(eta, quantities, self.rng)
        if model.model.family.reads_codes:
            draws = self.data.category_values(name)[draws.astype(int)]
        return draws

    def _serial_draw(self, model: StoredModel, design: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Draw AR(1) cells given each person's neighbouring occasions (`SerialStructure`).

        Every other row is known here: the fitted rows completed by this imputation and the new
        rows' observed (or already drawn) values.
        """
        name, every = model.name, np.arange(self.data.n_rows)
        mean = model.linear_predictor(design, self.groups[name], every)
        known = np.ones(self.data.n_rows, dtype=bool)
        known[rows] = False
        residual = np.where(known, self.current[name] - mean, np.nan)
        sigma = model.family_quantities(self.groups[name], every)["sigma"]
        serial = SerialStructure.of(self.data, known)
        drawn = serial.draw_residuals(residual, rows, sigma, model.phi, self.rng)
        return mean[rows] + drawn

    def _metropolis(self, name: Hashable, rows: np.ndarray, proposal: np.ndarray) -> None:
        """Accept each proposed cell with the later factors' likelihood ratio of its row."""
        later = self._later_factors(name)
        if not later:
            self.current[name][rows] = proposal
            return
        before = self._log_likelihood(later, rows)
        kept = self.current[name][rows].copy()
        self.current[name][rows] = proposal
        after = self._log_likelihood(later, rows)
        rejected = np.log(self.rng.random(rows.size)) >= after - before
        self.current[name][rows[rejected]] = kept[rejected]

    def _later_factors(self, name: Hashable) -> list[Hashable]:
        """Return the factors after `name` in the spec whose designs read it."""
        names = list(self.stored)
        return [
            later
            for later in names[names.index(name) + 1 :]
            if any(
                source.column == name for column in self.designs[later] for source in column.sources
            )
        ]

    def _log_likelihood(self, factors: list[Hashable], rows: np.ndarray) -> np.ndarray:
        """Return the factors' summed log densities of the rows' current values.

        The outcome's counts only where it is observed (elsewhere it integrates out).
        """
        total = np.zeros(rows.size)
        for name in factors:
            model = self.stored[name]
            design = self.data.design(self.designs[name], self.current)
            eta = model.linear_predictor(design, self.groups[name], rows)
            values = self.current[name]
            family = model.model.family
            y = (self.data.codes(name, values) if family.reads_codes else values)[rows]
            terms = family.row_log_likelihood(
                eta, y, model.family_quantities(self.groups[name], rows)
            )
            if name == self.outcome:
                terms = np.where(self.data.missing[name][rows], 0.0, terms)
            total += terms
        return total


def _clusters_to_draw(
    data: ImputationData, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], None]]:
    """Set a cluster-level variable's `rows` that a cluster reports; return those to draw.

    The new rows of a cluster that holds the value elsewhere (a fitted cluster, completed by
    this imputation, or another new row) take it; each other cluster gets one draw, made at
    its first such row. Returns those rows and the function that writes the draws to every
    row of their clusters.
    """
    codes = data.cluster_codes
    reported = np.full(data.n_clusters, np.nan)
    others = np.ones(data.n_rows, dtype=bool)
    others[rows] = False
    known = others & ~np.isnan(values)
    reported[codes[known][::-1]] = values[known][::-1]  # each cluster's first reported value
    filled = ~np.isnan(reported[codes[rows]])
    values[rows[filled]] = reported[codes[rows[filled]]]
    open_rows = rows[~filled]
    clusters, first = np.unique(codes[open_rows], return_index=True)

    def spread(draws: np.ndarray) -> None:
        per_cluster = np.full(data.n_clusters, np.nan)
        per_cluster[clusters] = draws
        values[open_rows] = per_cluster[codes[open_rows]]

    return open_rows[first], spread
