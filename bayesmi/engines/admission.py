"""Admission: every check of `bayesmi.impute`'s arguments, once, before anything runs.

`admit` is the one home of the checks `impute` makes before it compiles a model, writes a
checkpoint or starts a process, in this order:

1. the options of both engines (`bayesmi.engines.options.check_options`: types, ranges, an
   option of the other engine);
2. the frame and the cluster (`bayesmi.data.encoding.encode`; read from the formulas when
   ``cluster=`` is left out);
3. the spec against the data, once (`bayesmi.data.checks.check_spec`), the analysis model
   (``analysis=``) entered last as the model of its outcome;
4. complete targets left out (with a warning), each model's support and delta shifts
   (`bayesmi.data.checks.prepare_spec`);
5. what the engine holds: the order of the factors of a joint distribution (``engine="joint"``
   and ``analysis=``), the kinds and columns each engine takes (the ``joint`` and ``analysis=``
   columns of `bayesmi.spec.kinds`), and a delta only where it has a meaning;
6. the memory the result needs and what its netCDF file can store.

Each check raises `ValueError` or `TypeError` naming the column, rows, clusters or option at
fault, and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesmi.data.checks import check_spec, prepare_spec
from bayesmi.data.encoding import ImputationData, encode
from bayesmi.data.frame import check_frame
from bayesmi.data.levels import cluster_from_formulas
from bayesmi.data.survival_checks import check_survival_outcome, check_survival_predictors
from bayesmi.engines.options import Options, check_memory, check_options
from bayesmi.messages import show
from bayesmi.result.frame_codec import check_storable
from bayesmi.spec.constructors import binary, random_intercept, random_slopes
from bayesmi.spec.kinds import KINDS, gibbs_available
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.survival import is_survival_formula, survival
from bayesmi.spec.terms import parse_formula, shift_of

__all__ = ["Admission", "admit"]


@dataclass(frozen=True)
class Admission:
    """What `admit` lets through: the encoded data and the spec to impute, in visiting order.

    Attributes
    ----------
    data : ImputationData
        The encoded frame.
    spec : dict
        The models of the incomplete variables, the analysis model (``analysis=``) last.
    outcome : str or None
        The analysis model's outcome.
    options : Options
        The checked options.
    """

    data: ImputationData
    spec: dict[str, ImputationModel]
    outcome: str | None
    options: Options


def admit(
    frame: pd.DataFrame, spec: object, cluster: object, time: str | None = None, **settings
) -> Admission:
    """Check everything `bayesmi.impute` was given; return the data and spec to impute.

    `settings` are `impute`'s options, by name (``engine=``, ``chains=``, ...).

    Raises
    ------
    TypeError, ValueError
        As the module docstring lists, naming what is wrong and how to fix it.
    """
    options = check_options(settings.pop("engine"), **settings)
    if cluster is None:
        cluster = _cluster_of_spec(frame, spec)
    if time is not None and not isinstance(time, str):
        raise TypeError(f"time= takes a column name, not {type(time).__name__}.")
    data = encode(frame, cluster, time)
    analysis = None if options.analysis is None else analysis_model(options.analysis, data)
    survival = analysis is not None and analysis.family.survival
    if survival:
        check_survival_outcome(analysis, spec if isinstance(spec, Mapping) else (), data)
    checked = check_spec(spec, data, analysis)
    if survival:
        check_survival_predictors(analysis, checked, data)
    outcome = None if analysis is None else analysis.target
    checked = prepare_spec(checked, data, keep=outcome, keep_complete=options.fit_complete)
    _check_engine(checked, data, options, analysis)
    check_storable(data.frame)
    return Admission(data, checked, outcome, options)


def _check_engine(
    spec: dict[str, ImputationModel],
    data: ImputationData,
    options: Options,
    analysis: ImputationModel | None,
) -> None:
    """Refuse what the chosen engine cannot hold, or a result that cannot fit in memory."""
    n_missing = int(sum(data.missing[name].sum() for name in spec))
    check_memory(options, n_missing, len(spec))
    _refuse_delta(spec, options)
    _check_serial(spec, data, options, analysis)
    _check_shifted_terms(spec, options, analysis)
    if options.engine == "joint":
        _check_joint_kinds(spec, data, options.nuts_sampler)
    elif analysis is not None:
        _check_compatible_kinds(spec, data, options.sampler)
    if options.engine == "joint" or analysis is not None:
        _check_factors_read(spec, data, options.engine, analysis)


def _check_serial(
    spec: dict[str, ImputationModel],
    data: ImputationData,
    options: Options,
    analysis: ImputationModel | None,
) -> None:
    """Refuse AR(1) residuals without ``time=``, or where the run cannot hold them yet."""
    outcome = None if analysis is None else analysis.target
    serial = [
        name for name, model in spec.items() if model.residual == "ar1" and name != outcome
    ]  # the analysis model may have AR(1) residuals: its row terms weigh the covariates
    if analysis is not None and analysis.residual == "ar1" and not serial:
        serial = [outcome]
    if not serial:
        return
    name = serial[0]
    spec = spec | ({} if analysis is None else {outcome: analysis})
    if data.occasions is None:
        raise ValueError(
            f"{name!r} has residual='ar1', whose residuals follow each person's occasions in "
            "time order: say which column holds the time, impute(..., time='visit')."
        )
    if spec[name].group != data.cluster:
        raise ValueError(
            f"{name!r} has residual='ar1' over the occasions of {data.cluster!r}, the innermost "
            f"cluster that time= orders, but groups by {spec[name].group!r}: group its random "
            f"effects by {data.cluster!r}, the person."
        )
    where = None
    if options.engine == "joint":
        where = "engine='joint'"
    elif analysis is not None and name != outcome:
        where = "analysis= (on a covariate's model; the analysis model may have them)"
    if where is not None:
        raise ValueError(
            f"{name!r} has residual='ar1', which {where} does not hold yet: use the chained "
            "engine without analysis=, or leave residual='ar1' out."
        )
    for name in serial:
        _check_factors_above_person(name, spec[name], data)


def _check_factors_above_person(name: str, model: ImputationModel, data: ImputationData) -> None:
    """Refuse a grouping factor beside the person that varies within a person's occasions.

    With AR(1) residuals the other factors' intercepts are drawn in the whitened rows, where
    a factor constant within the person keeps its effect (`AutoregressiveGibbs.working_model`):
    centres above persons; a time-varying grouping (the rater of each visit) is not held.
    """
    person = data.grouping(model.group)
    for factor in model.other_groups:
        codes = data.grouping(factor).codes
        first = np.full(person.n_groups, -1)
        first[person.codes[::-1]] = codes[::-1]  # each person's group at their first row
        varying = np.flatnonzero(first[person.codes] != codes)
        if varying.size:
            persons = np.unique(np.asarray(person.labels)[person.codes[varying]])
            raise ValueError(
                f"{name!r} has residual='ar1' and a random intercept of {factor!r}, which "
                f"changes within a person's occasions ({model.group!r} "
                f"{show(persons.tolist(), 5)}; rows {show(list(data.frame.index[varying]), 5)}): "
                f"AR(1) residuals take grouping factors above the person only (centres of "
                f"persons). Leave (1 | {factor}) or residual='ar1' out."
            )


def _check_shifted_terms(
    spec: dict[str, ImputationModel], options: Options, analysis: ImputationModel | None
) -> None:
    """Refuse lag() and lead() terms where the run cannot hold them yet.

    The analysis-compatible engine's Metropolis step of a cell weighs its own row's later
    factors only, while a lag carries the cell into its person's next row; the joint engine
    builds no lagged design.
    """
    models = [*spec.values(), *([analysis] if analysis is not None else [])]
    for model in models:
        terms = [*model.fixed_terms, *model.slope_terms]
        shifted = [v for term in terms for v in term.variables if shift_of(v) is not None]
        if not shifted:
            continue
        if options.engine == "joint" or analysis is not None:
            where = "engine='joint'" if options.engine == "joint" else "analysis="
            raise ValueError(
                f"{shifted[0]} in {model.formula!r} reads another occasion of the person, "
                f"which {where} does not hold yet: use the chained engine without analysis=, "
                "or make the lagged column in the data first."
            )


def _cluster_of_spec(frame: pd.DataFrame, spec: object) -> str | tuple[str, ...]:
    """Return the cluster the spec's formulas imply (`bayesmi.data.levels`)."""
    check_frame(frame)
    if not isinstance(spec, Mapping) or not all(
        isinstance(model, ImputationModel) for model in spec.values()
    ):
        raise ValueError(
            "cluster= is left out, so the grouping factors are read from the spec's formulas; "
            "spec must then map variables to models (bm.random_intercept(...), ...)."
        )
    factors = list(dict.fromkeys(group for model in spec.values() for group in model.groups))
    return cluster_from_formulas(frame, factors)


def _refuse_delta(spec: dict[str, ImputationModel], options: Options) -> None:
    """Refuse a delta where every variable is fitted jointly (no pattern mixture there)."""
    shifted = [name for name, model in spec.items() if model.delta is not None]
    if shifted and (options.engine == "joint" or options.analysis is not None):
        raise ValueError(
            f"delta (of {show(shifted)}) shifts the chained engine's imputations (pattern "
            "mixture, as NARFCS); the joint engine and analysis= fit every variable jointly, "
            "where such a shift has no meaning. Leave out engine='joint' and analysis=."
        )


def analysis_model(formula: str | ImputationModel, data: ImputationData) -> ImputationModel:
    """Return the analysis model as an imputation model of its outcome (a model as it is).

    A mixed model with the formula's fixed part (interactions ``x:w`` and ``x*w`` allowed) and
    random part (several grouping factors, nested or crossed, each with a random intercept
    beside the one with slopes): `binary` for a 0/1 outcome, else `random_slopes` or
    `random_intercept`; a
    `survival` model (Cox) for ``Surv(time, event) ~ ...``.
    """
    if isinstance(formula, ImputationModel):
        return formula
    if is_survival_formula(formula):
        return survival(formula)
    parsed = parse_formula(formula)
    if not parsed.groups:
        parsed.single_group("the analysis model")  # says a grouping term is needed
    slopes = any(parsed.groups.values())
    target = parsed.target
    if target in data.level:
        values = data.values(target)
        values = values[~np.isnan(values)]
        if values.size and np.all((values == 0) | (values == 1)):
            return binary(formula)
    return random_slopes(formula) if slopes else random_intercept(formula)


def _check_joint_kinds(
    spec: dict[str, ImputationModel], data: ImputationData, nuts_sampler: str
) -> None:
    """Refuse a kind the joint engine lacks, other grouping factors, cells nutpie cannot take.

    The columns its models read are `_check_factors_read`'s.
    """
    _refuse_kinds(spec, "joint", "the joint engine", "use engine='chained' or another model")
    _refuse_other_groupings(spec, data, "the joint engine", "engine='chained'")
    discrete = [  # cells of a family that is not continuous
        name
        for name, model in spec.items()
        if not model.family.standardised and data.missing[name].any()
    ]
    if nuts_sampler != "pymc" and discrete:
        raise ValueError(
            f"nuts_sampler={nuts_sampler!r} cannot sample the missing cells of the binary "
            f"variables {show(discrete)}; use nuts_sampler='pymc', which updates them by "
            "a Gibbs step."
        )


def _check_compatible_kinds(
    spec: dict[str, ImputationModel], data: ImputationData, sampler: str
) -> None:
    """Refuse what an analysis-compatible chained run cannot hold.

    ``sampler="nuts"``, a kind without a Gibbs sampler and row likelihood, predictive mean
    matching.
    """
    if sampler == "nuts":
        raise ValueError(
            "analysis= with engine='chained' updates every model by its Gibbs sampler and the "
            "covariates by Metropolis steps; sampler='nuts' cannot take part. Use "
            "sampler='auto', or engine='joint' for a NUTS cross-check."
        )
    engine = "analysis= with engine='chained'"
    _refuse_kinds(spec, "compatible", engine, "use one of those models, or leave analysis= out")
    for name, model in spec.items():
        if not gibbs_available(model):
            raise ValueError(
                f"{name!r} is imputed by {model.kind} with family {model.family.name!r}, which "
                "has no exact Gibbs sampler; analysis= with engine='chained' updates every "
                "model by one. Use a family that has one (a count: family='negative_binomial'), "
                "or leave analysis= out."
            )
        if model.level is not None:
            raise ValueError(
                f"{name!r} lives on the level {model.level!r}; analysis= with "
                "engine='chained' holds cluster-level variables of the cluster only so far: "
                "leave analysis= out."
            )
        if model.pmm:
            raise ValueError(
                f"{name!r} is imputed by predictive mean matching, which draws observed "
                "values; with analysis= each cell is proposed from its model: drop pmm, or "
                "leave analysis= out."
            )


def _refuse_kinds(spec: dict[str, ImputationModel], held: str, engine: str, fix: str) -> None:
    """Refuse a model whose kind the engine does not hold (`held`: a `KindInfo` column)."""
    kinds = [kind for kind, info in KINDS.items() if getattr(info, held)]
    for name, model in spec.items():
        if not getattr(model.kind_info, held):
            raise ValueError(
                f"{name!r} is imputed by {model.kind}, which {engine} does not hold (it holds "
                f"{', '.join(kinds)}); {fix}."
            )


def _refuse_other_groupings(
    spec: dict[str, ImputationModel], data: ImputationData, engine: str, instead: str
) -> None:
    """Refuse a model grouped by other factors than the cluster (three levels, crossed)."""
    for name, model in spec.items():
        if model.groups and model.groups != (data.cluster,):
            raise ValueError(
                f"{name!r} is grouped by {', '.join(model.groups)}: {engine} holds models "
                f"grouped by the cluster {data.cluster!r} only so far; use {instead}."
            )


def _check_factors_read(
    spec: dict[str, ImputationModel],
    data: ImputationData,
    engine: str,
    analysis: ImputationModel | None,
) -> None:
    """Refuse what a joint distribution's factors may not read, naming the model and column.

    As factors of one joint distribution (``engine="joint"``, or ``analysis=``) each model
    may use complete columns and the variables before it in `spec`, and none but the
    analysis model its outcome; the joint engine models numeric columns only; a chained
    ``analysis=`` run cannot update a cluster mean of an imputed variable cell by cell.
    """
    order = list(spec)
    for position, (name, model) in enumerate(spec.items()):
        sources = [source for term in model.terms for source in data.resolve(term).sources]
        fixed = [c for term in model.fixed_terms for c in data.resolve(term).columns]
        for column in fixed:
            if analysis is not None and column == analysis.target and name != column:
                raise ValueError(
                    f"the model of {name!r}, {model.formula!r}, uses the analysis outcome "
                    f"{column!r}; with analysis=, the outcome enters through the analysis "
                    f"model, the last factor: drop {column!r} from that formula."
                )
            if column in spec and order.index(column) > position:
                raise ValueError(
                    "as factors of one joint distribution (engine='joint', or analysis=) "
                    "each variable's model may use complete columns and the variables before "
                    f"it in spec; the model of {name!r}, {model.formula!r}, uses {column!r}, "
                    f"which comes after it. Put {column!r} first or drop it from the formula."
                )
        factors = [name] if engine == "joint" and name in data.factors else []
        factors += [s.column for s in sources if engine == "joint" and s.factor]
        if factors:
            raise ValueError(
                f"{model.formula!r} uses the categorical columns {show(dict.fromkeys(factors))}"
                "; the joint engine models numeric columns only: use engine='chained', which "
                "imputes and uses factors."
            )
        means = [s.column for s in sources if s.cluster_mean and s.column in spec]
        if engine != "joint" and means:
            raise ValueError(
                f"the model of {name!r}, {model.formula!r}, uses the cluster means of "
                f"{show(means)}, which analysis= with engine='chained' cannot update cell by "
                "cell; use engine='joint', or a complete cluster-level column."
            )
