"""Analysis-compatible chained imputation: the analysis model a factor, covariates by Metropolis.

With ``analysis=`` the chained engine samples the joint distribution the joint engine holds,

    p(x_1 | z) p(x_2 | x_1, z) ... p(x_K | x_1, ..., x_{K-1}, z) p(y | x, z),

factored in the order of the spec, the analysis model last (its outcome ``y``), by Gibbs and
Metropolis steps instead of one NUTS run:

1. Each factor is a conditional model whose likelihood uses every row, the target completed by
   the current imputations (built from `ImputationData.filled`; the analysis model uses the rows
   where its outcome is observed), and its parameters get ``steps`` sweeps of its exact Gibbs
   sampler given the current completed data.
2. Then each missing cell of ``x_k`` gets ``steps`` Metropolis-Hastings updates: the proposal is
   a draw from ``x_k``'s own factor given its new parameters, accepted with probability

       min(1, prod_d p_d(row | x_k*) / p_d(row | x_k))

   over the later factors ``d`` whose predictors use ``x_k`` (interactions and random slopes
   included; the analysis model counts where its outcome is observed, the other rows integrate
   it out). As the proposal is ``x_k``'s own factor, this is the Metropolis-Hastings ratio of
   the target, ``x_k``'s factor times the later factors' likelihood: the
   substantive-model-compatible FCS of Bartlett et al. (2015) and Blimp (Enders, Du and Keller
   2020), with an independence proposal in place of smcfcs' rejection sampling. Given the
   parameters and the clusters' effects the rows are independent, so each cell is accepted or
   rejected on its own.
3. The analysis outcome's missing cells are drawn from the analysis model.

Every step leaves the joint posterior invariant, so a long chain gives the joint engine's
imputations. Only factors with an exact Gibbs sampler whose target can be set and a row
likelihood can take part (`bayesmi.spec.kinds.KindInfo.compatible`: the normal, binary,
categorical and ordinal models, so nominal and ordinal covariates too, which the joint engine
cannot hold), and no formula may hold a cluster mean of an imputed variable (a cell would
then move its whole cluster's rows).

References
----------
Bartlett, J. W., Seaman, S. R., White, I. R. and Carpenter, J. R. (2015). Multiple imputation
of covariates by fully conditional specification: accommodating the substantive model.
Statistical Methods in Medical Research 24(4), 462-487.
Enders, C. K., Du, H. and Keller, B. T. (2020). A model-based imputation procedure for
multilevel regression models with random coefficients, interaction effects, and nonlinear
terms. Psychological Methods 25(1), 88-112.
"""

from __future__ import annotations

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.models import build
from bayesmi.models.conditional import ConditionalModel
from bayesmi.spec.model import ImputationModel

__all__ = ["compatible_models", "dependents", "metropolis_update"]


def compatible_models(
    data: ImputationData, spec: dict[str, ImputationModel], outcome: str
) -> dict[str, ConditionalModel]:
    """Build every factor: covariates' over every row, the analysis model's where observed."""
    return {
        name: build(model, data if name == outcome else data.filled(name))
        for name, model in spec.items()
    }


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
    if rows.size == 0:
        return 1.0
    model = models[name]
    own = model.scaling.x(data.design(model.columns, current))
    log_likelihood = _later_log_likelihood(
        data, name, rows, current[name][rows], models, points, current, later
    )
    accepted = 0
    for _ in range(rounds):
        draws = model.draw_rows(points[name], own, rows, rng)
        proposal = model.scaling.y_center + model.scaling.y_scale * draws
        proposed = _later_log_likelihood(data, name, rows, proposal, models, points, current, later)
        accept = np.log(rng.random(rows.size)) < proposed - log_likelihood
        current[name][rows[accept]] = proposal[accept]
        log_likelihood[accept] = proposed[accept]
        accepted += int(accept.sum())
    return accepted / (rounds * rows.size)


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
