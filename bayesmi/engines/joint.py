"""The joint engine: one PyMC model in which every missing cell is a latent variable.

The incomplete variables are factored in the order of the spec::

    p(x_1, ..., x_K, y | complete covariates) = p(x_1 | .) p(x_2 | x_1, .) ... [p(y | x, .)]

each factor built by the same code as the chained engine's conditional model
(`bayesmi.models.mixed.mixed_factor`), but over every row: the factor's missing cells are
latent variables (PyMC's automatic imputation), and the factors after it see its completed
values (original scale, so cluster means and interactions of them are exact). With
``analysis=`` the user's analysis model is the last factor, so the imputations of its
predictors come from a distribution compatible with it, random slopes and interactions
included (the substantive-model-compatible approach of smcfcs, mdmb and Blimp).

One `pm.sample` call samples it: NUTS for the parameters and continuous cells, PyMC's
``BinaryGibbsMetropolis`` for binary cells; ``nuts_sampler="nutpie"`` (or ``"numpyro"``,
``"blackjax"``) where installed and no cell is binary. The result has the chained engine's
layout: every kept draw is one imputation, the parameters on the data's scale.
"""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.engines.options import JointSettings
from bayesmi.models import build
from bayesmi.models.mixed import mixed_factor
from bayesmi.models.scaling import Scaling
from bayesmi.result.trace import ChainTrace, TraceRecorder
from bayesmi.spec.kinds import KINDS
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import Term

__all__ = ["build_joint_model", "run_joint"]

_STATE = "::joint_"


def build_joint_model(
    data: ImputationData, spec: dict[str, ImputationModel]
) -> tuple[pm.Model, dict[str, Scaling]]:
    """Build the joint model of the variables in `spec`, factored in its order.

    Returns
    -------
    model : pymc.Model
        Free variables: every factor's parameters (named as in the chained engine) and its
        missing cells ``<variable>::y_unobserved`` (standardised unless binary);
        deterministics ``<variable>::joint_<quantity>`` hold what `parameters` needs.
    scalings : dict
        Each factor's scaling (the chained engine's: observed moments).
    """
    completed: dict[str, pt.TensorVariable] = {}
    scalings = {}
    with pm.Model(coords={"cluster": list(data.cluster_labels)}) as joint:
        for name, model in spec.items():
            scaling = Scaling.from_data(
                data,
                name,
                data.design_columns(model.fixed_terms),
                standardise_target=model.family.standardised,
            )
            values = _factor(data, model, scaling, completed)
            completed[name] = scaling.y_center + scaling.y_scale * values
            scalings[name] = scaling
    return joint, scalings


def _factor(
    data: ImputationData,
    model: ImputationModel,
    scaling: Scaling,
    completed: dict[str, pt.TensorVariable],
) -> pt.TensorVariable:
    """Add one variable's factor over every row; return its values, missing cells latent."""
    name, predictors = model.target, model.predictors
    pm.modelcontext(None).add_coord(f"{name}::predictor", list(predictors))
    x = None
    if predictors:
        columns = [_predictor_tensor(term, completed, data) for term in model.fixed_terms]
        x = (pt.stack(columns, axis=1) - scaling.x_center) / scaling.x_scale
    y = (data.values(name) - scaling.y_center) / scaling.y_scale
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=pm.ImputationWarning)
        quantities, values = mixed_factor(
            name,
            x,
            data.n_rows,
            np.ma.masked_array(np.nan_to_num(y), mask=np.isnan(y)),
            data.cluster_codes,
            model.family,
            [predictors.index(term) for term in model.slopes],
            cluster_variance=KINDS[model.kind].cluster_variance,
        )
    for key, quantity in quantities.items():
        pm.Deterministic(f"{name}{_STATE}{key}", quantity)
    return values


def _predictor_tensor(
    term: Term, completed: dict[str, pt.TensorVariable], data: ImputationData
) -> pt.TensorVariable:
    """Return a predictor over every row: a column, a cluster mean, or a product of those."""
    result = 1.0
    for variable, source in zip(term.variables, data.resolve(term).sources, strict=True):
        if source.column not in completed:
            (column,) = data.design_columns([Term((variable,))])
            result = result * data.column_values(column)
            continue
        values = completed[source.column]
        if source.cluster_mean:
            factor = data.grouping(source.grouping)
            sums = pt.inc_subtensor(pt.zeros(factor.n_groups)[factor.codes], values)
            values = (sums / factor.sizes)[factor.codes]
        result = result * values
    return pt.as_tensor_variable(result)


def run_joint(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: JointSettings,
    chains: int,
    seed: np.random.SeedSequence,
    cores: int,
    progressbar: bool,
) -> list[ChainTrace]:
    """Sample the joint model and return one trace per chain, as the chained engine's."""
    model, scalings = build_joint_model(data, spec)
    names = [
        name
        for target in spec
        for name in [f"{target}::y_unobserved", *_state_names(model, target)]
        if name in model.named_vars
    ]
    with model, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*The number of samples is too small.*")
        trace = pm.sample(
            draws=settings.iterations,
            tune=settings.tune,
            chains=chains,
            cores=cores,
            random_seed=int(seed.generate_state(1)[0]),
            target_accept=settings.target_accept,
            nuts_sampler=settings.nuts_sampler,
            var_names=names,
            progressbar=progressbar,
            compute_convergence_checks=False,
        )
    stats = _transition_stats(trace.sample_stats)
    conditionals = {name: build(m, data) for name, m in spec.items()}
    return [
        ChainTrace(
            {
                target: _variable_trace(
                    trace.posterior.isel(chain=chain),
                    {key: values[chain] for key, values in stats.items()},
                    conditionals[target],
                    scalings[target],
                    _state_names(model, target, short=True),
                    settings,
                )
                for target in spec
            }
        )
        for chain in range(chains)
    ]


def _variable_trace(posterior, stats, conditional, scaling, state_names, settings):
    """One chain's record of one variable: parameters on the data's scale, imputed cells."""
    target = conditional.target
    n_missing = int((~conditional.observed).sum())
    recorder = TraceRecorder(
        settings.iterations,
        settings.draws,
        conditional.parameter_dims,
        conditional.coords,
        n_missing,
    )
    missing = f"{target}::y_unobserved"
    for draw in range(settings.iterations):
        state = {key: posterior[f"{target}{_STATE}{key}"].to_numpy()[draw] for key in state_names}
        state.setdefault("beta", np.zeros(0))
        cells = (
            scaling.y_center + scaling.y_scale * posterior[missing].to_numpy()[draw].astype(float)
            if n_missing
            else np.zeros(0)
        )
        recorder.add(
            draw,
            conditional.parameters(state),
            cells,
            {key: values[draw] for key, values in stats.items()},
        )
    return recorder.trace()


def _state_names(model: pm.Model, target: str, short: bool = False) -> list[str]:
    prefix = f"{target}{_STATE}"
    names = [name for name in model.named_vars if name.startswith(prefix)]
    return [name.removeprefix(prefix) for name in names] if short else names


def _transition_stats(sample_stats) -> dict[str, np.ndarray]:
    """Return the sampler's statistics per draw, under the chained engine's names."""

    def stat(names: tuple[str, ...], default: float) -> np.ndarray:
        for name in names:
            if name in sample_stats:
                return sample_stats[name].to_numpy().astype(float)
        shape = (sample_stats.sizes["chain"], sample_stats.sizes["draw"])
        return np.full(shape, default)

    return {
        "divergences": stat(("diverging",), 0.0).astype(int),
        "step_size": stat(("step_size",), np.nan),
        "tree_depth": stat(("tree_depth", "depth"), 0.0).astype(int),
        "acceptance_rate": stat(("acceptance_rate", "mean_tree_accept"), np.nan),
        "max_treedepth_hits": stat(("reached_max_treedepth", "maxdepth_reached"), 0.0).astype(int),
    }
