"""Checks that a target's values suit its model's family, and that factors have data enough.

Run before anything is compiled: a normal model refuses a categorical target, a binary model
needs two categories (0/1, yes/no, True/False), an ordinal model ordered categories, a count
model non-negative whole numbers; every category of a factor (target or predictor) must be
observed in two rows or more, and a categorical or ordinal target in as many rows per category
as its equation has coefficients.
"""

from __future__ import annotations

from bayesmi.data.encoding import ImputationData
from bayesmi.data.text_numbers import stray_text
from bayesmi.families.base import MIN_ROWS_PER_CATEGORY, category_counts, check_category_counts
from bayesmi.spec.model import ImputationModel

__all__ = ["check_factor_predictors", "check_target_support"]


def check_target_support(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a target whose values its model's family cannot hold (`Family.check_target`).

    Raises
    ------
    ValueError
        Naming the target, what its values are and the model that suits them.
    """
    n_coefficients = len(data.design_columns(model.fixed_terms)) + 1
    try:
        model.family.check_target(model.target, model.kind, data, n_coefficients)
    except ValueError as error:
        strays = stray_text(data.frame[model.target]) if model.target in data.frame else None
        if strays is None:
            raise
        raise ValueError(f"{error.args[0]} Or, if it holds numbers: {strays.message}") from None


def check_factor_predictors(model: ImputationModel, data: ImputationData) -> None:
    """Refuse a factor predictor with a category observed in fewer than two rows."""
    for term in model.terms:
        for source in data.resolve(term).sources:
            if source.factor:
                factor = data.factor(source.column)
                counts = category_counts(data, source.column)
                check_category_counts(
                    source.column, factor.categories, counts, MIN_ROWS_PER_CATEGORY, "factor"
                )
