"""Advice on how a column will be read, for `bayesmi.suggest` to say beside its choices.

Two readings a new user does not see coming: a factor's reference category (treatment coding
compares every other category with the first, and text columns sort their categories, so
``"high"`` comes before ``"low"``), and whole numbers with few distinct values, which may be
codes of groups read as amounts (``grp`` 1/2/3 read by ``pd.read_csv`` as float).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesmi.messages import show

__all__ = ["FEW_WHOLE_VALUES", "reference_note", "whole_numbers_note"]

FEW_WHOLE_VALUES = 6
"""Distinct whole numbers (more than two) at most for a numeric column to look like codes."""


def reference_note(name: str, series: pd.Series, categories: tuple) -> str:
    """Say which category of a factor is the reference, why, and how to choose another."""
    reference = categories[0]
    if isinstance(series.dtype, pd.CategoricalDtype):
        why = "the first of its categories"
    elif pd.api.types.is_bool_dtype(series.dtype):
        why = "False comes first"
    else:
        why = "the first of its values in sorted order"
    order = [*categories[1:], reference]
    return (
        f"{name!r} is a factor with reference category {reference!r} ({why}): each other "
        f"category is compared with it. To choose another reference, give the order: "
        f"data[{name!r}] = pd.Categorical(data[{name!r}], categories={order!r})."
    )


def whole_numbers_note(name: str, values: np.ndarray) -> str | None:
    """Say that a numeric column of few distinct whole numbers may be codes of groups, or None."""
    observed = np.unique(values[~np.isnan(values)])
    whole = np.all(observed == np.round(observed))
    if not whole or not 2 <= observed.size <= FEW_WHOLE_VALUES or set(observed) <= {0.0, 1.0}:
        return None
    shown = show(f"{value:g}" for value in observed)
    return (
        f"{name!r} holds {observed.size} distinct whole numbers ({shown}), read as amounts. If "
        f"they are codes of groups, declare it a factor: data[{name!r}] = "
        f"data[{name!r}].astype('category') (suggest then imputes it as categories and the "
        f"analysis uses its dummies), or write C({name}) in the formulas."
    )
