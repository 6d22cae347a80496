"""The imputer's models when none are given: every feature from all the others, by its kind."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pandas as pd

from bayesmi.data.encoding import is_numeric
from bayesmi.spec.constructors import binary, cluster_level, random_intercept
from bayesmi.spec.discrete import categorical, ordinal
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import MEAN_SUFFIX

__all__ = ["default_spec"]


def default_spec(
    frame: pd.DataFrame, grouping: Sequence[Hashable], innermost: Hashable
) -> dict[str, ImputationModel]:
    """Return a model of every feature column given the other features and the cluster.

    A feature constant within clusters (a cluster-level one, as `bayesmi.impute` reads the
    levels) gets `bayesmi.cluster_level` on the other cluster-level features and the cluster
    means of the others when it has missing values, and no model when complete (it is then
    a predictor only; new rows of a fitted cluster take the cluster's value). A unit-level
    column of two values (0/1, bool, two categories) gets `binary`, an ordered categorical
    `ordinal`, numbers `random_intercept`, each on all other features with a random
    intercept of the innermost cluster, and more unordered categories `categorical`.
    Grouping columns are not features.
    """
    features = [column for column in frame.columns if column not in grouping]
    upper = [column for column in features if _constant_within(frame[column], frame[innermost])]
    spec = {}
    for column in features:
        if column in upper:
            if frame[column].isna().any():
                predictors = [
                    _term(other) if other in upper else f"{_term(other)}{MEAN_SUFFIX}"
                    for other in features
                    if other != column and is_numeric(frame[other])
                ]
                formula = f"{_term(column)} ~ {' + '.join(predictors) or '1'}"
                spec[column] = cluster_level(formula)
            continue
        others = " + ".join(_term(other) for other in features if other != column)
        formula = f"{_term(column)} ~ {others or '1'} + (1 | {_term(innermost)})"
        spec[column] = _model(frame[column], formula)
    return dict(sorted(spec.items(), key=lambda item: item[0] not in upper))


def _constant_within(series: pd.Series, clusters: pd.Series) -> bool:
    """Return whether a column is cluster-level.

    Constant within every cluster that observes it twice or more, and some cluster does.
    """
    observed = series.notna()
    counts = series[observed].groupby(clusters[observed]).agg(["count", "nunique"])
    several = counts[counts["count"] >= 2]
    return len(several) > 0 and bool((several["nunique"] == 1).all())


def _model(series: pd.Series, formula: str) -> ImputationModel:
    """Return the model of a column by its kind (see `default_spec`)."""
    values = series.dropna()
    distinct = values.unique()
    if isinstance(series.dtype, pd.CategoricalDtype) and series.cat.ordered:
        return ordinal(formula) if len(series.cat.categories) > 2 else binary(formula)
    if len(distinct) <= 2 and (not is_numeric(series) or set(distinct) <= {0, 1}):
        return binary(formula)
    if is_numeric(series) and series.dtype != bool:
        return random_intercept(formula)
    return categorical(formula)


def _term(column: Hashable) -> str:
    """Return a column as a formula writes it (backticks around a non-identifier)."""
    name = str(column)
    return name if name.isidentifier() else f"`{name}`"
