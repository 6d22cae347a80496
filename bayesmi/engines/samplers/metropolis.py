"""Metropolis steps for the covariates' missing cells of an analysis-compatible chained run.

A missing cell of ``x_k`` is proposed from ``x_k``'s own factor given its current parameters
and accepted with probability ``min(1, prod_d p_d(row | x_k*) / p_d(row | x_k))`` over the later
factors ``d`` whose predictors read ``x_k`` (`dependents`): as the proposal is the cell's own
factor, this is the Metropolis-Hastings ratio of the joint target (see
`bayesmi.engines.compatible` for the algorithm and its references). Given the parameters and
the clusters' effects the rows are independent, so every cell is accepted or not on its own;
a cluster-level variable's cells move a cluster at a time, its rows' likelihoods summed. An
analysis model with AR(1) residuals ties a row to its next observed occasion: the cells then
move in two sets of alternate observed occasions, one set after the other.
"""

from __future__ import annotations

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.models.conditional import ConditionalModel

__all__ = ["dependents", "metropolis_update"]


def dependents(models: dict[str, ConditionalModel]) -> dict[str, list[str]]:
    """Return, for every variable, the later factors whose predictors read it."""
    order = list(models)
    return {
        name: [
            later
            for later in order[position + 1 :]
            if any(name in column.columns for column in models[later].columns)
        ]
        for position, name in enumerate(order)
    }


def metropolis_update(
    data: ImputationData,
    name: str,
    models: dict[str, ConditionalModel],
    points: dict[str, dict],
    current: dict[str, np.ndarray],
    later: list[str],
    rounds: int,
    rng: np.random.Generator,
) -> float:
    """Update the missing cells of `name` in `current` by Metropolis steps; return the acceptance.

    Parameters
    ----------
    data : ImputationData
        The encoded data.
    name : str
        The variable whose missing cells move.
    models : dict
        Every factor, by variable.
    points : dict
        Every factor's current parameters (Gibbs states), by variable.
    current : dict
        The completed columns (original scale); ``current[name]`` is updated in place.
    later : list of str
        The later factors whose predictors read `name` (`dependents`).
    rounds : int
        Proposals per cell.
    rng : numpy.random.Generator
        Source of the proposals and of the acceptance draws.

    Returns
    -------
    float
        Share of the proposals accepted (1.0 with no missing cell).
    """
    rows = np.flatnonzero(data.missing[name])
    model = models[name]
    if model.cluster_level:  # one value per cluster: its unreported clusters move as units
        rows = rows[_unreported(data, name, model)[model.cluster_codes[rows]]]
        units, position = np.unique(model.cluster_codes[rows], return_inverse=True)
        blocks = [(rows, position, model.first_row[units])]
    else:  # cells; neighbouring occasions of an AR(1) factor share terms: apart
        later_models = [models[dependent] for dependent in later]
        blocks = [
            (part, np.arange(part.size), part) for part in _independent_sets(rows, later_models)
        ]
    units = sum(drawn_at.size for _, _, drawn_at in blocks)
    if units == 0:
        return 1.0
    own = model.scaling.x(data.design(model.columns, current))
    accepted = 0
    for cells, position, drawn_at in blocks:
        if drawn_at.size == 0:
            continue

        def per_unit(values: np.ndarray, cells=cells, position=position, size=drawn_at.size):
            at_rows = _later_log_likelihood(
                data, name, cells, values[position], models, points, current, later
            )
            return np.bincount(position, at_rows, minlength=size)

        log_likelihood = per_unit(current[name][drawn_at])
        for _ in range(rounds):
            draws = model.draw_rows(points[name], own, drawn_at, rng)
            proposal = model.scaling.y_center + model.scaling.y_scale * draws
            proposed = per_unit(proposal)
            accept = np.log(rng.random(drawn_at.size)) < proposed - log_likelihood
            moved = accept[position]
            current[name][cells[moved]] = proposal[position][moved]
            log_likelihood[accept] = proposed[accept]
            accepted += int(accept.sum())
    return accepted / (rounds * units)


def _independent_sets(rows: np.ndarray, later: list[ConditionalModel]) -> list[np.ndarray]:
    """Split cells so that no two in a set share a later factor's likelihood term.

    Rows are independent given the parameters, except neighbouring observed occasions of a
    factor with AR(1) residuals (`bayesmi.models.serial.SerialStructure.independent_sets`).
    """
    serial = [model.serial for model in later if getattr(model, "serial", None) is not None]
    if not serial:
        return [rows]
    if len(serial) > 1:  # one AR(1) factor reads the variable at most (the analysis model)
        raise NotImplementedError("cells read by several AR(1) factors")
    return serial[0].independent_sets(rows)


def _unreported(data: ImputationData, name: str, model: ConditionalModel) -> np.ndarray:
    """Return, per cluster, whether no row reports the cluster-level variable `name`.

    A cluster reported by some of its rows keeps that value (its other rows start at it);
    only the others are updated.
    """
    values = data.values(name)
    observed = ~np.isnan(values)
    counts = np.bincount(model.cluster_codes[observed], minlength=len(model.first_row))
    return counts == 0


def _later_log_likelihood(
    data: ImputationData,
    name: str,
    rows: np.ndarray,
    values: np.ndarray,
    models: dict[str, ConditionalModel],
    points: dict[str, dict],
    current: dict[str, np.ndarray],
    later: list[str],
) -> np.ndarray:
    """Return, per row, the later factors' log likelihood with `name` at `values` in `rows`."""
    total = np.zeros(rows.size)
    if not later:
        return total
    trial = dict(current)
    trial[name] = current[name].copy()
    trial[name][rows] = values
    for dependent in later:
        model = models[dependent]
        x = model.scaling.x(data.design(model.columns, trial))
        y = model.on_model_scale(current[dependent][rows])
        log_density = model.row_log_likelihood(points[dependent], x, y, rows)
        # the analysis model's missing outcomes are integrated out, not conditioned on
        total += np.where(model.observed[rows], log_density, 0.0)
    return total
