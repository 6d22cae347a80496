"""Checks that a target's values suit its model's family, and that factors have data enough.

Run before anything is compiled: a normal model refuses a categorical target, a binary model
needs two categories (0/1, yes/no, True/False), an ordinal model ordered categories, a count
model non-negative whole numbers; every category of a factor (target or predictor) must be
observed in two rows or more, and a categorical or ordinal target in as many rows per category
as its equation has coefficients.
"""

from __future__ import annotations

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.messages import show
from bayesmi.spec.model import ImputationModel

__all__ = ["MIN_ROWS_PER_CATEGORY", "check_factor_predictors", "check_target_support"]

MIN_ROWS_PER_CATEGORY = 2
"""Fewest observed rows of any category of a factor."""

FACTOR_FAMILIES = ("binary", "categorical", "ordinal")
COUNT_FAMILIES = ("poisson", "negative_binomial")


def check_target_support(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a target whose values its model's family cannot hold.

    Raises
    ------
    ValueError
        Naming the target, what its values are and the model that suits them.
    """
    target, family = model.target, model.family
    if family in FACTOR_FAMILIES:
        _check_categories(model, data)
    elif target in data.factors:
        categories = data.factors[target].categories
        suggestion = "bm.binary" if len(categories) == 2 else "bm.categorical or bm.ordinal"
        raise ValueError(
            f"target {target!r} is categorical (categories {show(categories)}), but "
            f"{model.kind} ({family}) imputes numbers; impute it with {suggestion}."
        )
    elif family in COUNT_FAMILIES:
        values = data.values(target)
        odd = np.unique(values[~np.isnan(values) & ((values < 0) | (values != np.round(values)))])
        if odd.size:
            raise ValueError(
                f"count target {target!r} has values that are not non-negative whole numbers "
                f"({show(f'{value:g}' for value in odd)}); a count model imputes 0, 1, 2, ...: "
                "use a model for continuous variables (with pmm=True to keep observed values) "
                "instead."
            )


def _check_categories(model: ImputationModel, data: ImputationData) -> None:
    target, family = model.target, model.family
    factor = data.factor(target)
    if family == "binary":
        _check_binary(model, data)
        return
    if family == "ordinal" and not factor.ordered:
        raise ValueError(
            f"ordinal target {target!r} has unordered categories ({show(factor.categories)}); "
            "use bm.categorical for a nominal variable, or give the order with "
            "data[column].astype(pandas.CategoricalDtype(categories, ordered=True))."
        )
    if factor.n_categories < 3:
        raise ValueError(
            f"{family} target {target!r} has {factor.n_categories} categories "
            f"({show(factor.categories)}); a variable with two categories is binary: impute "
            "it with bm.binary."
        )
    counts = _category_counts(data, target)
    needed = max(MIN_ROWS_PER_CATEGORY, len(data.design_columns(model.fixed_terms)) + 1)
    _check_counts(target, factor.categories, counts, needed, "target")


def _check_binary(model: ImputationModel, data: ImputationData) -> None:
    target = model.target
    if target in data.factors:
        categories = data.factors[target].categories
        if len(categories) != 2:
            raise ValueError(
                f"binary target {target!r} has {len(categories)} categories "
                f"({show(categories)}); impute it with bm.categorical (nominal) or bm.ordinal "
                "(ordered), or drop unused categories with .cat.remove_unused_categories()."
            )
        return
    values = data.values(target)
    odd = np.unique(values[~np.isnan(values) & (values != 0) & (values != 1)])
    if odd.size:
        raise ValueError(
            f"binary target {target!r} has values other than 0 and 1 "
            f"({show(odd)}); recode it to 0/1, or use a model for continuous variables."
        )


def check_factor_predictors(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a factor predictor with a category observed in fewer than two rows."""
    for term in model.terms:
        for source in data.resolve(term).sources:
            if source.factor:
                factor = data.factor(source.column)
                counts = _category_counts(data, source.column)
                _check_counts(
                    source.column, factor.categories, counts, MIN_ROWS_PER_CATEGORY, "factor"
                )


def _category_counts(data: ImputationData, column: str) -> np.ndarray:
    codes = data.codes(column)
    codes = codes[~np.isnan(codes)].astype(int)
    return np.bincount(codes, minlength=data.factor(column).n_categories)


def _check_counts(column, categories, counts, needed: int, role: str) -> None:
    rare = [f"{categories[k]!r} ({counts[k]})" for k in np.flatnonzero(counts < needed)]
    if rare:
        raise ValueError(
            f"{role} {column!r} has categories observed in fewer than {needed} rows: "
            f"{show(rare)}; each category needs {needed} observed rows or more (one per "
            "coefficient of its equation, and never fewer than two). Merge rare categories "
            "with a neighbour, or drop unused ones with .cat.remove_unused_categories()."
        )
