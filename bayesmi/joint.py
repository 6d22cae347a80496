"""The joint engine: one PyMC model in which every missing cell is a latent variable.

The incomplete variables are factored in the order of the spec::

    p(x_1, ..., x_K, y | complete covariates) = p(x_1 | .) p(x_2 | x_1, .) ... [p(y | x, .)]

each factor built by the same code as the chained engine's conditional model
(`bayesmi.models._mixed.mixed_factor`), but over every row: the factor's missing cells are
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

import importlib.util
import warnings
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi._formula import factors, parse, single_group, source_column
from bayesmi._validate import show
from bayesmi.data import ImputationData
from bayesmi.models import FACTORIES
from bayesmi.models._blocks import Scaling
from bayesmi.models._mixed import mixed_factor
from bayesmi.result import ChainTrace, TraceRecorder
from bayesmi.spec import ImputationModel, binary, random_intercept, random_slopes

__all__ = ["analysis_model", "build_joint_model", "check_joint", "run_joint"]

JOINT_FAMILIES = {
    "random_intercept": "normal",
    "random_slopes": "normal",
    "heteroscedastic": "heteroscedastic",
    "binary": "binary",
}
"""The model kinds the joint engine can hold, and their family in `mixed_factor`."""

NUTS_SAMPLERS = {"pymc": "pymc", "nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}
"""``nuts_sampler`` values and the package each needs."""

_STATE = "::joint_"


@dataclass(frozen=True)
class JointSettings:
    """Settings of a joint run."""

    iterations: int
    draws: int
    tune: int
    target_accept: float
    nuts_sampler: str


def analysis_model(formula: str, data: ImputationData) -> ImputationModel:
    """Return the analysis model as an imputation model of its outcome.

    A mixed model with the formula's fixed part (interactions ``x:w`` and ``x*w`` allowed) and
    random part: `binary` for a 0/1 outcome, else `random_slopes` or `random_intercept`.
    """
    target, _, groups = parse(formula)
    _, slopes = single_group(formula, groups, "the analysis model")
    if target in data.level:
        values = data.values(target)
        values = values[~np.isnan(values)]
        if values.size and np.all((values == 0) | (values == 1)):
            return binary(formula)
    return random_slopes(formula) if slopes else random_intercept(formula)


def check_joint(
    spec: dict[str, ImputationModel],
    data: ImputationData,
    nuts_sampler: str,
    analysis: ImputationModel | None,
) -> None:
    """Refuse what the joint engine cannot hold, before any model is built.

    Raises
    ------
    ValueError
        For a model kind the joint engine lacks, a factor using a variable imputed after it, a
        model using the analysis outcome, an unknown or missing ``nuts_sampler``, or a binary
        incomplete variable with a sampler other than PyMC's.
    """
    for name, model in spec.items():
        if model.kind not in JOINT_FAMILIES:
            raise ValueError(
                f"{name!r} is imputed by {model.kind}, which the joint engine does not hold "
                f"(it holds {', '.join(JOINT_FAMILIES)}); use engine='chained' or another model."
            )
    columns = [str(c) for c in data.frame.columns]
    order = list(spec)
    for position, (name, model) in enumerate(spec.items()):
        for term in model.predictors:
            for part in factors(term):
                column, _ = source_column(part, columns)
                if analysis is not None and column == analysis.target and name != column:
                    raise ValueError(
                        f"the model of {name!r}, {model.formula!r}, uses the analysis outcome "
                        f"{column!r}; with analysis=, the outcome enters through the analysis "
                        f"model, the last factor: drop {column!r} from that formula."
                    )
                if column in spec and order.index(column) > position:
                    raise ValueError(
                        f"in the joint engine each variable's model may use complete columns and "
                        f"the variables before it in spec; the model of {name!r}, "
                        f"{model.formula!r}, uses {column!r}, which comes after it. Put "
                        f"{column!r} first or drop it from the formula."
                    )
    if nuts_sampler not in NUTS_SAMPLERS:
        raise ValueError(
            f"nuts_sampler must be one of {', '.join(NUTS_SAMPLERS)}, not {nuts_sampler!r}."
        )
    if nuts_sampler != "pymc":
        package = NUTS_SAMPLERS[nuts_sampler]
        if importlib.util.find_spec(package) is None:
            raise ValueError(
                f"nuts_sampler={nuts_sampler!r} needs the package {package!r}, which is not "
                f"installed: pip install {package}, or use nuts_sampler='pymc'."
            )
        discrete = [
            name
            for name, model in spec.items()
            if model.family == "binary" and data.missing[name].any()
        ]
        if discrete:
            raise ValueError(
                f"nuts_sampler={nuts_sampler!r} cannot sample the missing cells of the binary "
                f"variables {show(discrete)}; use nuts_sampler='pymc', which updates them by "
                "a Gibbs step."
            )


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
    n_rows = data.frame.shape[0]
    completed: dict[str, pt.TensorVariable] = {}
    scalings = {}
    with pm.Model(coords={"cluster": list(data.cluster_labels)}) as model:
        for name, imputation in spec.items():
            family = JOINT_FAMILIES[imputation.kind]
            predictors = imputation.predictors
            scaling = Scaling.from_data(
                data, name, predictors, standardise_target=family != "binary"
            )
            model.add_coord(f"{name}::predictor", list(predictors))
            x = None
            if predictors:
                columns = [_predictor_tensor(term, completed, data) for term in predictors]
                x = (pt.stack(columns, axis=1) - scaling.x_center) / scaling.x_scale
            y = (data.values(name) - scaling.y_center) / scaling.y_scale
            slope_index = [predictors.index(term) for term in imputation.slopes]
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=pm.ImputationWarning)
                quantities, values = mixed_factor(
                    name,
                    x,
                    n_rows,
                    np.ma.masked_array(np.nan_to_num(y), mask=np.isnan(y)),
                    data.cluster_codes,
                    family,
                    slope_index,
                )
            for key, quantity in quantities.items():
                pm.Deterministic(f"{name}{_STATE}{key}", quantity)
            completed[name] = scaling.y_center + scaling.y_scale * values
            scalings[name] = scaling
    return model, scalings


def _predictor_tensor(
    term: str, completed: dict[str, pt.TensorVariable], data: ImputationData
) -> pt.TensorVariable:
    """Return a predictor over every row: a column, a cluster mean, or a product of those."""
    columns = [str(c) for c in data.frame.columns]
    result = 1.0
    for part in factors(term):
        column, is_mean = source_column(part, columns)
        if column not in completed:
            result = result * data.predictor(part)
            continue
        values = completed[column]
        if is_mean:
            sums = pt.inc_subtensor(pt.zeros(data.n_clusters)[data.cluster_codes], values)
            values = (sums / data.cluster_sizes)[data.cluster_codes]
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
    traces = []
    for chain in range(chains):
        variables = {}
        for target, imputation in spec.items():
            conditional = FACTORIES[imputation.kind](imputation, data)
            missing = f"{target}::y_unobserved"
            n_missing = int(data.missing[target].sum())
            recorder = TraceRecorder(
                settings.iterations,
                settings.draws,
                conditional.parameter_dims,
                conditional.coords,
                n_missing,
            )
            posterior = trace.posterior.isel(chain=chain)
            scaling = scalings[target]
            for draw in range(settings.iterations):
                state = {
                    key: posterior[f"{target}{_STATE}{key}"].to_numpy()[draw]
                    for key in _state_names(model, target, short=True)
                }
                state.setdefault("beta", np.zeros(0))
                cells = (
                    scaling.y_center
                    + scaling.y_scale * posterior[missing].to_numpy()[draw].astype(float)
                    if n_missing
                    else np.zeros(0)
                )
                recorder.add(
                    draw,
                    conditional.parameters(state),
                    cells,
                    {key: values[chain, draw] for key, values in stats.items()},
                )
            variables[target] = recorder.trace()
        traces.append(ChainTrace(variables))
    return traces


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
