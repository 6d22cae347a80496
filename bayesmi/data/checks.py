"""Checks of a spec against the encoded data, run before anything is compiled or sampled.

Every check raises `ValueError` (bad value) or `TypeError` (wrong type) with a message that
names the column, rows or clusters at fault and says how to fix it; what is legal but likely a
mistake (a level-2 variable given a level-1 model) is a `UserWarning` with the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bayesmi.data.encoding import DesignColumn, ImputationData
from bayesmi.data.levels import Grouping
from bayesmi.data.shifts import delta_shifts
from bayesmi.data.support_checks import check_factor_predictors, check_target_support
from bayesmi.messages import show, warn
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import MEAN_SUFFIX, Term, cluster_mean_of

__all__ = ["check_spec", "level_two_terms", "prepare_spec"]

OVERFLOW = 1e150
"""Largest absolute value whose square (and so a variance) float64 holds with room to spare."""
FLOAT_INTEGERS = 2**53
"""Largest whole number below which float64 holds every whole number exactly."""


def prepare_spec(
    checked: dict[str, ImputationModel],
    data: ImputationData,
    keep: str | None = None,
    keep_complete: bool = False,
) -> dict[str, ImputationModel]:
    """Drop complete targets (with a warning); check the others' support, delta and values.

    Parameters
    ----------
    checked : dict of str to ImputationModel
        A spec `check_spec` has checked, in visiting order.
    data : ImputationData
        The encoded data.
    keep : str, optional
        A target kept even when complete: the analysis model's outcome (``analysis=``), which
        needs no warning when nothing else is left to impute.
    keep_complete : bool, default=False
        Keep every complete target (``impute(..., fit_complete=True)``): its model is fitted.
    """
    complete = [
        name
        for name in checked
        if not keep_complete and not data.missing[name].any() and name != keep
    ]
    if complete:
        warn(
            f"{show(complete)} have no missing values; nothing to impute for them, so they "
            "are left out of the spec (their observed values stay as predictors).",
            UserWarning,
        )
        checked = {name: model for name, model in checked.items() if name not in complete}
    if not checked:
        warn(
            "no variable in spec has missing values; there is nothing to impute, so every "
            "'imputation' is the data as given.",
            UserWarning,
        )
    for model in checked.values():
        _check_support(model, data)
        delta_shifts(model, data)
    for model in checked.values():  # what each family's values may be (`bayesmi.families`)
        level = data.at_level(model.level)
        check_target_support(model, level)
    return checked


def check_spec(
    spec: object, data: ImputationData, analysis: ImputationModel | None = None
) -> dict[str, ImputationModel]:
    """Check a spec against the encoded data; return it as a plain dict in visiting order.

    The analysis model (``analysis=`` of `bayesmi.impute`, as the model of its outcome) comes
    last; a spec may not impute its outcome.
    """
    if not isinstance(spec, Mapping):
        raise TypeError(
            "spec must be a mapping from variable name to an imputation model, e.g. "
            '{"popular": bm.random_intercept("popular ~ sex + (1 | school)")}; '
            f"got {type(spec).__name__}."
        )
    if not spec:
        raise ValueError("spec is empty: name at least one variable to impute.")
    if analysis is not None:
        if analysis.target in spec:
            raise ValueError(
                f"{analysis.target!r} is the outcome of the analysis model "
                f"{analysis.formula!r}, which imputes it: leave it out of spec."
            )
        spec = {**spec, analysis.target: analysis}
    checked: dict[str, ImputationModel] = {}
    for variable, model in spec.items():
        if not isinstance(model, ImputationModel):
            raise TypeError(
                f"spec[{variable!r}] must be an imputation model made by bm.random_intercept, "
                f"bm.fixed_cluster, ...; got {type(model).__name__}."
            )
        if variable != model.target:
            raise ValueError(
                f"spec key {variable!r} does not match the target of its formula "
                f"{model.formula!r} ({model.target!r}); key each model by its target."
            )
        _check_model_columns(model, data)
        checked[variable] = model
    _check_incomplete_predictors(checked, data)
    return checked


def _check_model_columns(model: ImputationModel, data: ImputationData) -> None:
    data = data.at_level(model.level)  # a cluster-level model's: the groups of its level
    _check_target_name(model)
    _check_column(model.target, "target", model, data)
    for term in model.terms:
        for variable in term.variables:
            _check_variable(variable, model, data)
    _check_group(model, data)
    if data.missing[model.target].all():
        raise ValueError(
            f"target {model.target!r} is missing in every row; there is nothing to learn "
            "its distribution from: drop it from the spec or collect some values."
        )
    if model.kind_info.selection and not data.missing[model.target].any():
        raise ValueError(
            f"{model.kind} target {model.target!r} has no missing values: there is no selection "
            "to model. Drop it from the spec."
        )
    check_factor_predictors(model, data)
    _check_levels(model, data)
    _check_information(model, data)


def _check_target_name(model: ImputationModel) -> None:
    """Refuse target names that break the result's ``<variable>::<parameter>`` names."""
    for part, reason in (("::", "separates a variable from its parameters"), ("/", "")):
        if part in model.target:
            why = reason or "cannot be stored in netCDF names"
            raise ValueError(
                f"target {model.target!r} contains {part!r}, which {why} in the result; "
                "rename the column (e.g. data.rename(columns=...)) before imputing it."
            )


def _check_variable(variable: str, model: ImputationModel, data: ImputationData) -> None:
    _check_mean_name(variable, model, data)
    source = data.source(variable)
    if source is None:
        base = cluster_mean_of(variable)
        hint = f" (nor is {base!r}, whose cluster mean it would be)" if base else ""
        raise ValueError(
            f"predictor {variable!r} of the formula {model.formula!r} is not a column of "
            f"data{hint}; its columns are {show(sorted(map(str, data.missing)), 20)}."
        )
    _check_column(source.column, "predictor", model, data)
    if source.column == model.target and source.shift:
        raise ValueError(
            f"target {model.target!r} is predicted by its own value at another occasion "
            f"({variable}) in {model.formula!r}: its missing cells would be drawn from a model "
            "that ignores how they predict their neighbours. Let the person's occasions "
            "depend on each other by residual='ar1' (random_intercept, random_slopes, "
            "heteroscedastic) and remove that predictor."
        )
    if source.column == model.target:
        what = "its own cluster mean" if source.cluster_mean else "itself"
        raise ValueError(
            f"target {model.target!r} is predicted by {what} in {model.formula!r}; a "
            "variable cannot be imputed from its own values: remove that predictor."
        )


def _check_mean_name(variable: str, model: ImputationModel, data: ImputationData) -> None:
    """Refuse a term that names both a column and the cluster mean bayesmi computes of another.

    ``x_mean`` reads the column ``x_mean`` where there is one; beside a column ``x`` it may as
    well mean the cluster mean of the current imputations of ``x``, so the clash is refused.
    """
    if variable not in data.missing:
        return
    means = [cluster_mean_of(variable)]
    means += [
        cluster_mean_of(variable.removesuffix(f"_{grouping.name}"))
        for grouping in data.groupings
        if variable.endswith(f"_{grouping.name}")
    ]
    base = next((base for base in means if base is not None and base in data.missing), None)
    if base is not None:
        raise ValueError(
            f"{variable!r} in {model.formula!r} is a column of data, and also the name of the "
            f"cluster mean of {base!r} that bayesmi computes from the current imputations: "
            f"to use the column as it is, rename it (data.rename(columns={{{variable!r}: "
            f"{variable + '_given'!r}}})) and write the new name; to use the mean of the "
            f"imputed {base!r}, drop the column (data.drop(columns={variable!r}))."
        )


def _check_group(model: ImputationModel, data: ImputationData) -> None:
    if model.kind_info.any_grouping or model.other_groups:  # nested or crossed factors
        for name in model.groups:
            data.grouping(name)
        return
    if model.group is not None and model.group != data.cluster:
        raise ValueError(
            f"the grouping factor {model.group!r} in {model.formula!r} is not the cluster "
            f"column {data.cluster!r}; bayesmi models two levels, grouped by cluster="
            f"{data.cluster!r}: write (1 | {data.cluster})."
        )


def _check_group_sizes(model: ImputationModel, grouping: Grouping, data: ImputationData) -> None:
    """Refuse a grouping factor with one row per group where the target is observed.

    Its random effects are then confounded with the residual (lme4 refuses such a factor:
    "number of levels of each grouping factor must be < number of observations").
    """
    observed = np.bincount(grouping.codes[~data.missing[model.target]], minlength=grouping.n_groups)
    if observed.max(initial=0) <= 1:
        raise ValueError(
            f"grouping factor {grouping.name!r} in {model.formula!r} has one row per group "
            f"where {model.target!r} is observed ({grouping.n_groups} groups for "
            f"{int(observed.sum())} observed rows), so its random effects cannot be told "
            "apart from the residuals (lme4 refuses it too). Group by a factor with several "
            f"rows per group, or drop (1 | {grouping.name})."
        )


def _check_column(name: str, role: str, model: ImputationModel, data: ImputationData) -> None:
    if name not in data.missing:
        raise ValueError(
            f"{role} {name!r} of the formula {model.formula!r} is not a column of data; "
            f"its columns are {show(sorted(map(str, data.missing)), 20)}."
        )
    if name == data.cluster:
        raise ValueError(
            f"the cluster column {name!r} cannot be a {model.kind} target or predictor "
            f"in {model.formula!r}; the model already accounts for the clusters."
        )
    if name in data.misread:
        raise ValueError(data.misread[name])
    if name not in data.level:
        raise TypeError(
            f"column {name!r} used in {model.formula!r} holds neither numbers nor categories "
            f"(dtype {data.frame[name].dtype}); convert it to numbers (e.g. days since a date) "
            "or to a categorical with data[column].astype('category')."
        )
    _check_finite(name, data)


def _check_finite(name: str, data: ImputationData) -> None:
    """Refuse infinite values, values float64 cannot square, whole numbers it cannot hold."""
    _check_exact_integers(name, data.frame[name])
    values = data.values(name)
    infinite = data.frame.index[np.isinf(values)]
    if len(infinite):
        raise ValueError(
            f"column {name!r} has infinite values (rows {show(infinite)}); replace them "
            "with NaN to impute them, or with finite values."
        )
    size = np.abs(values[~np.isnan(values) & (values != 0)])
    if size.size and (size.max() > OVERFLOW or size.max() < 1 / OVERFLOW):
        extreme = size.max()
        raise ValueError(
            f"column {name!r} has values of size {extreme:.3g} at most, so their squares "
            f"{'overflow' if extreme > OVERFLOW else 'underflow'} float64 arithmetic and its "
            f"mean and SD cannot be computed; rescale it (e.g. divide it by {extreme:.0e})."
        )


def _check_exact_integers(name: str, column: pd.Series) -> None:
    """Refuse an integer column holding values that float64 would round (beyond 2**53)."""
    if not pd.api.types.is_integer_dtype(column.dtype):
        return
    values = column.dropna()
    huge = values[(values > FLOAT_INTEGERS) | (values < -FLOAT_INTEGERS)]
    if len(huge):
        raise ValueError(
            f"column {name!r} holds whole numbers beyond 2**53 ({show(huge.astype(str))} in "
            f"rows {show(huge.index)}), which the models' float64 arithmetic cannot hold "
            "exactly: they would come back changed. If it is an identifier, leave it out of "
            f"the formulas (it comes back as given); else shift it, e.g. data[{name!r}] - "
            f"data[{name!r}].min()."
        )


def _check_levels(model: ImputationModel, data: ImputationData) -> None:
    """Refuse what a model's level structure cannot carry; warn of a likely wrong level."""
    if model.other_groups:
        _check_factor_slopes(model, data)
    for term in () if model.other_groups else model.slope_terms:
        if data.term_level(term) >= 2:
            raise ValueError(
                f"random slope on {term.name!r} in {model.formula!r}: {term.name!r} is constant "
                f"within clusters of {data.cluster!r} (level 2), so its slope cannot vary "
                "between clusters (not identified); keep it as a fixed effect only."
            )
    if model.kind_info.cluster_level:
        _check_cluster_level(model, data)
    elif data.level[model.target] >= 2 and not model.kind_info.cluster_dummies:
        _warn_level_two_target(model, data)


def _check_factor_slopes(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a random slope on a term constant within the groups of its grouping factor."""
    grouping = data.grouping(model.group)
    for term in model.slope_terms:
        if data.constant_within(term, grouping):
            raise ValueError(
                f"random slope on {term.name!r} by {model.group!r} in {model.formula!r}: "
                f"{term.name!r} is constant within each group of {model.group!r} (it lives "
                f"on that level or above), so its slope cannot vary between them (not "
                "identified); keep it as a fixed effect only, or give the slope to a factor "
                "it varies within."
            )


def _check_cluster_level(model: ImputationModel, data: ImputationData) -> None:
    if data.level[model.target] < 2:
        raise ValueError(
            f"cluster_level target {model.target!r} varies within clusters "
            f"({show(_clusters_varying(data, model.target))} of {data.cluster!r}); a level-2 "
            "variable takes one value per cluster. Impute it with a level-1 model such as "
            "bm.random_intercept."
        )
    n_known = data.n_clusters - len(data.systematic_clusters(model.target))
    if n_known < 2:
        raise ValueError(
            f"cluster_level target {model.target!r} is observed in {n_known} cluster of "
            f"{data.n_clusters}; a regression across clusters needs the value of at least 2 "
            "clusters: collect more values or drop it from the spec."
        )
    for term in model.fixed_terms:
        if data.term_level(term) < 2:
            raise ValueError(
                f"cluster_level predictor {term.name!r} in {model.formula!r} varies within "
                f"clusters of {data.cluster!r}; write its cluster mean "
                f"{term.variables[0]}{MEAN_SUFFIX} instead."
            )


def _warn_level_two_target(model: ImputationModel, data: ImputationData) -> None:
    """Warn that a variable constant within every cluster was given a level-1 model.

    Only when at least two clusters observe it more than once: one value per cluster says
    nothing about variation within clusters.
    """
    observed = data.cluster_sizes - data.missing_per_cluster(model.target)
    n_informative = int(np.sum(observed >= 2))
    if n_informative < 2:
        return
    warn(
        f"{model.target!r} is constant within each of the {n_informative} clusters of "
        f"{data.cluster!r} where it is observed more than once (a level-2 variable), but "
        f"{model.kind} imputes it unit by unit, so imputed values will vary within clusters. "
        "Impute it with "
        f'bm.cluster_level("{model.target} ~ ...") on cluster-level predictors and cluster '
        "means.",
        UserWarning,
    )


def level_two_terms(model: ImputationModel, data: ImputationData) -> tuple[Term, ...]:
    """Return the fixed terms of `model` constant within every cluster (level 2)."""
    return tuple(term for term in model.fixed_terms if data.term_level(term) >= 2)


def _check_information(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a target with fewer than 2 observed values, constant or collinear predictors."""
    n_observed = int((~data.missing[model.target]).sum())
    if n_observed < 2:
        raise ValueError(
            f"target {model.target!r} has {n_observed} observed value(s); its distribution "
            "cannot be estimated from fewer than 2: collect more values or drop it from the spec."
        )
    for name in model.groups:
        _check_group_sizes(model, data.grouping(name), data)
    dropped = level_two_terms(model, data) if model.kind_info.cluster_dummies else ()
    columns = data.design_columns([term for term in model.terms if term not in dropped])
    if not columns:
        return
    values = data.design(columns)
    for column, column_values in zip(columns, values.T, strict=True):
        observed = column_values[~np.isnan(column_values)]
        if observed.size and np.ptp(observed) == 0:
            raise ValueError(
                f"predictor {column.name!r} of {model.formula!r} is constant (every observed "
                f"value is {observed[0]:g}); it is collinear with the intercept: drop it from "
                "the formula."
            )
    _check_collinear(model, columns, values[~np.isnan(values).any(axis=1)])


def _check_collinear(
    model: ImputationModel, terms: tuple[DesignColumn, ...], complete: np.ndarray
) -> None:
    """Refuse perfectly collinear predictors, naming the columns of the null vector."""
    if complete.shape[0] <= complete.shape[1] + 1:
        return
    scale = complete.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.column_stack([np.ones(len(complete)), (complete - complete.mean(axis=0)) / scale])
    # the design's singular values and right vectors are its R factor's: a small SVD
    _, singular, right = np.linalg.svd(np.linalg.qr(design, mode="r"))
    if singular[-1] > 1e-8 * singular[0]:
        return
    involved = [terms[k - 1].name for k in np.flatnonzero(np.abs(right[-1]) > 1e-6) if k > 0]
    raise ValueError(
        f"predictors {show(involved)} of {model.formula!r} are perfectly collinear on the "
        f"{complete.shape[0]} rows where all are observed, so their coefficients are not "
        "identified: drop one of them."
    )


def _clusters_varying(data: ImputationData, column: str) -> list:
    values = data.values(column)
    observed = ~np.isnan(values)
    frame = pd.DataFrame({"c": data.cluster_codes[observed], "v": values[observed]})
    counts = frame.groupby("c")["v"].nunique()
    return list(data.cluster_labels[counts.index[counts > 1]])


def _check_incomplete_predictors(spec: dict[str, ImputationModel], data: ImputationData) -> None:
    for model in spec.values():
        _check_factor_calls(model, spec, data)
        for term in model.terms:
            for column in data.resolve(term).columns:
                n_missing = int(data.missing[column].sum())
                if n_missing and column not in spec:
                    rows = data.frame.index[data.missing[column]]
                    raise ValueError(
                        f"predictor {column!r} of {model.formula!r} has {n_missing} missing "
                        f"values (rows {show(rows)}) and no model in spec imputes {column!r}; "
                        f"add a spec entry for {column!r} or drop it from the formula."
                    )


def _check_factor_calls(
    model: ImputationModel, spec: dict[str, ImputationModel], data: ImputationData
) -> None:
    """Refuse C(x) of a numeric column whose imputations may fall outside its values."""
    for term in model.terms:
        for source in data.resolve(term).sources:
            other = spec.get(source.column)
            if not source.factor or source.column in data.factors or other is None:
                continue
            if other.pmm or other.family.categories:  # imputations stay among the categories
                continue
            raise ValueError(
                f"{model.formula!r} reads {source.column!r} as a factor (C({source.column})), "
                f"but {other.kind} imputes values between and beyond its observed ones, which "
                f"belong to no category: impute {source.column!r} with pmm=True, bm.ordinal "
                "or bm.categorical, or use it as a number."
            )


def _check_support(model: ImputationModel, data: ImputationData) -> None:
    """Refuse cluster dummies for clusters that never observe the target; warn of drops."""
    if not model.kind_info.cluster_dummies:
        return
    observed = np.bincount(
        data.cluster_codes, weights=~data.missing[model.target], minlength=data.n_clusters
    )
    empty = data.cluster_labels[observed == 0]
    if len(empty):
        raise ValueError(
            f"fixed_cluster cannot impute {model.target!r} in clusters with no observed value "
            f"(clusters {show(empty)} of {data.cluster!r}): their dummies have no data. Use "
            f'bm.random_intercept("{model.target} ~ ... + (1 | {data.cluster})"), which '
            "draws such clusters from the population of clusters."
        )
    dropped = level_two_terms(model, data)
    if dropped:
        warn(
            f"fixed_cluster for {model.target!r}: the cluster-level predictors "
            f"{show(term.name for term in dropped)} are constant within clusters and collinear "
            "with the cluster dummies, so they are left out (the dummies carry their "
            "information), as mice removes collinear predictors.",
            UserWarning,
        )
