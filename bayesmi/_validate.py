"""Input checks run before anything is compiled or sampled.

Every check raises `ValueError` (bad value) or `TypeError` (wrong type) with a message that
names the column, rows or clusters at fault and says how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayesmi._formula import MEAN_SUFFIX, factors, source_column

if TYPE_CHECKING:
    from bayesmi.data import ImputationData
    from bayesmi.spec import ImputationModel

_SHOWN = 5


def show(labels: Iterable, limit: int = _SHOWN) -> str:
    """Format labels as ``a, b, c`` with at most `limit` shown and the rest counted."""
    labels = list(labels)
    text = ", ".join(str(label) for label in labels[:limit])
    if len(labels) > limit:
        text += f" and {len(labels) - limit} more"
    return text


def check_frame(data: object) -> None:
    """Check that `data` is a DataFrame with unique column names and row labels."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas DataFrame, got {type(data).__name__}; "
            "convert it with pandas.DataFrame(...) first."
        )
    if data.shape[0] == 0:
        raise ValueError("data has no rows; there is nothing to impute.")
    duplicated = data.columns[data.columns.duplicated()]
    if len(duplicated):
        raise ValueError(
            f"data has duplicated column names ({show(duplicated.unique())}); rename them."
        )
    labels = data.index[data.index.duplicated()]
    if len(labels):
        raise ValueError(
            f"data has duplicated row labels ({show(labels.unique())}); imputed cells are "
            "stored by row label, so make them unique, e.g. with data.reset_index()."
        )


def check_cluster_column(data: pd.DataFrame, cluster: object) -> None:
    """Check that the cluster column exists, is complete and has two clusters or more."""
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be a column name (str), got {type(cluster).__name__}.")
    if cluster not in data.columns:
        raise ValueError(
            f"cluster column {cluster!r} is not in data; its columns are "
            f"{show(sorted(map(str, data.columns)), 20)}."
        )
    absent = data.index[data[cluster].isna().to_numpy()]
    if len(absent):
        raise ValueError(
            f"cluster column {cluster!r} has {len(absent)} missing values (rows "
            f"{show(absent)}); drop those rows or impute the cluster id first."
        )
    n_clusters = data[cluster].nunique()
    if n_clusters < 2:
        raise ValueError(
            f"cluster column {cluster!r} holds {n_clusters} cluster; multilevel imputation "
            "needs two clusters or more (use a single-level imputer for one)."
        )


def check_positive_int(name: str, value: object, minimum: int = 1) -> None:
    """Check that a sampler setting is an integer of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")


def check_settings(
    chains: int,
    iterations: int,
    draws: int,
    tune: int,
    steps: int,
    target_accept: float,
    cores: int | None,
) -> None:
    """Check the engine's settings."""
    check_positive_int("chains", chains)
    if cores is not None:
        check_positive_int("cores", cores)
    if not isinstance(target_accept, float | int) or not 0 < target_accept < 1:
        raise ValueError(
            f"target_accept must be a number strictly between 0 and 1, got {target_accept!r}; "
            "0.8 is the default, 0.9 to 0.99 for models that diverge."
        )
    check_positive_int("iterations", iterations)
    check_positive_int("draws", draws)
    check_positive_int("tune", tune, minimum=0)
    check_positive_int("steps", steps)
    if draws > iterations:
        raise ValueError(
            f"draws ({draws}) cannot exceed iterations ({iterations}): the kept draws are the "
            "last iterations of each chain; raise iterations or lower draws."
        )


def check_spec(
    spec: Mapping[str, ImputationModel], data: ImputationData
) -> dict[str, ImputationModel]:
    """Check a spec against the encoded data; return it as a plain dict in visiting order."""
    from bayesmi.spec import ImputationModel

    if not isinstance(spec, Mapping):
        raise TypeError(
            "spec must be a mapping from variable name to an imputation model, e.g. "
            '{"popular": bm.random_intercept("popular ~ sex + (1 | school)")}; '
            f"got {type(spec).__name__}."
        )
    if not spec:
        raise ValueError("spec is empty: name at least one variable to impute.")
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
    columns = [str(c) for c in data.frame.columns]
    _check_column(model.target, "target", model, data, columns)
    for name in {part: None for term in model.columns for part in factors(term)}:
        source = source_column(name, columns)
        if source is None:
            base = name.removesuffix(MEAN_SUFFIX)
            hint = f" (nor is {base!r}, whose cluster mean it would be)" if base != name else ""
            raise ValueError(
                f"predictor {name!r} of the formula {model.formula!r} is not a column of "
                f"data{hint}; its columns are {show(sorted(columns), 20)}."
            )
        column, is_mean = source
        _check_column(column, "predictor", model, data, columns)
        if column == model.target:
            what = "its own cluster mean" if is_mean else "itself"
            raise ValueError(
                f"target {model.target!r} is predicted by {what} in {model.formula!r}; a "
                "variable cannot be imputed from its own values: remove that predictor."
            )
    if model.group is not None and model.group != data.cluster:
        raise ValueError(
            f"the grouping factor {model.group!r} in {model.formula!r} is not the cluster "
            f"column {data.cluster!r}; bayesmi models two levels, grouped by cluster="
            f"{data.cluster!r}: write (1 | {data.cluster})."
        )
    if model.kind == "heckman" and not data.missing[model.target].any():
        raise ValueError(
            f"heckman target {model.target!r} has no missing values: there is no selection to "
            "model. Drop it from the spec."
        )
    if data.missing[model.target].all():
        raise ValueError(
            f"target {model.target!r} is missing in every row; there is nothing to learn "
            "its distribution from: drop it from the spec or collect some values."
        )
    _check_levels(model, data, columns)
    _check_information(model, data)


def _check_column(
    name: str, role: str, model: ImputationModel, data: ImputationData, columns: list[str]
) -> None:
    if name not in columns:
        raise ValueError(
            f"{role} {name!r} of the formula {model.formula!r} is not a column of data; "
            f"its columns are {show(sorted(columns), 20)}."
        )
    if name == data.cluster:
        raise ValueError(
            f"the cluster column {name!r} cannot be a {model.kind} target or predictor "
            f"in {model.formula!r}; the model already accounts for the clusters."
        )
    if name not in data.level:
        raise TypeError(
            f"column {name!r} used in {model.formula!r} is not numeric "
            f"(dtype {data.frame[name].dtype}); encode it as numbers (e.g. 0/1 dummies "
            "with pandas.get_dummies) before imputing."
        )
    infinite = data.frame.index[np.isinf(data.values(name))]
    if len(infinite):
        raise ValueError(
            f"column {name!r} has infinite values (rows {show(infinite)}); replace them "
            "with NaN to impute them, or with finite values."
        )


def _check_levels(model: ImputationModel, data: ImputationData, columns: list[str]) -> None:
    """Refuse what a model's level structure cannot carry."""
    for name in model.slopes:
        if data.predictor_level(name) == 2:
            raise ValueError(
                f"random slope on {name!r} in {model.formula!r}: {name!r} is constant within "
                f"clusters of {data.cluster!r} (level 2), so its slope cannot vary between "
                "clusters (not identified); keep it as a fixed effect only."
            )
    if model.family == "binary":
        values = data.values(model.target)
        odd = np.unique(values[~np.isnan(values) & (values != 0) & (values != 1)])
        if odd.size:
            raise ValueError(
                f"binary target {model.target!r} has values other than 0 and 1 "
                f"({show(odd)}); recode it to 0/1, or use a model for continuous variables."
            )
    if model.kind == "cluster_level":
        if data.level[model.target] != 2:
            varying = _clusters_varying(data, model.target)
            raise ValueError(
                f"cluster_level target {model.target!r} varies within clusters "
                f"({show(varying)} of {data.cluster!r}); a level-2 variable takes one value per "
                "cluster. Impute it with a level-1 model such as bm.random_intercept."
            )
        for name in (part for term in model.predictors for part in factors(term)):
            column, is_mean = source_column(name, columns)
            if not is_mean and data.level[column] == 1:
                raise ValueError(
                    f"cluster_level predictor {name!r} in {model.formula!r} varies within "
                    f"clusters; write its cluster mean {column}{MEAN_SUFFIX} instead."
                )


def _check_information(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a target with fewer than 2 observed values, constant or collinear predictors."""
    n_observed = int((~data.missing[model.target]).sum())
    if n_observed < 2:
        raise ValueError(
            f"target {model.target!r} has {n_observed} observed value(s); its distribution "
            "cannot be estimated from fewer than 2: collect more values or drop it from the spec."
        )
    terms = [
        term
        for term in model.columns
        if not (model.kind == "fixed_cluster" and data.predictor_level(term) == 2)
    ]
    if not terms:
        return
    values = np.column_stack([data.predictor(term) for term in terms])
    rows = ~np.isnan(values).any(axis=1)
    for term, column in zip(terms, values.T, strict=True):
        observed = column[~np.isnan(column)]
        if observed.size and np.ptp(observed) == 0:
            raise ValueError(
                f"predictor {term!r} of {model.formula!r} is constant (every observed value is "
                f"{observed[0]:g}); it is collinear with the intercept: drop it from the formula."
            )
    complete = values[rows]
    if complete.shape[0] <= complete.shape[1] + 1:
        return
    scale = complete.std(axis=0)
    scale[scale == 0] = 1.0
    design = np.column_stack([np.ones(len(complete)), (complete - complete.mean(axis=0)) / scale])
    _, singular, right = np.linalg.svd(design, full_matrices=False)
    if singular[-1] > 1e-8 * singular[0]:
        return
    involved = [terms[k - 1] for k in np.flatnonzero(np.abs(right[-1]) > 1e-6) if k > 0]
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
    columns = [str(c) for c in data.frame.columns]
    for model in spec.values():
        for name in (part for term in model.columns for part in factors(term)):
            column, _ = source_column(name, columns)
            n_missing = int(data.missing[column].sum())
            if n_missing and column not in spec:
                rows = data.frame.index[data.missing[column]]
                raise ValueError(
                    f"predictor {name!r} of {model.formula!r} has {n_missing} missing values "
                    f"(rows {show(rows)}) and no model in spec imputes {column!r}; add a spec "
                    f"entry for {column!r} or drop it from the formula."
                )


def check_fixed_cluster_support(model: ImputationModel, data: ImputationData) -> None:
    """Refuse fixed_cluster when some cluster has no observed value of the target."""
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
