"""Factors: columns whose values are categories, and their integer codes.

A column is a factor when its dtype is categorical, bool (pandas or numpy), string or object
(labels): its categories are the categorical's own, in their order (ordered or not), ``False,
True`` for booleans, and the sorted distinct observed values otherwise. The models see a factor
as the integer code of each row's category (``0..K-1``, NaN where missing); the first category
is the reference of its dummies (treatment coding, as bambi and formulae), and the codes are
turned back into the column's own labels and dtype when the completed data are read.

``C(x)`` in a formula makes a numeric column a factor: its categories are its sorted distinct
observed values.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Factor", "factor_call_of", "factor_codes", "factor_of", "from_codes", "numeric_factor"]

_CALL = re.compile(r"^C\((.+)\)$")


def factor_call_of(variable: str) -> str | None:
    """Return the column a ``C(x)`` variable makes a factor of (``x``), else None."""
    match = _CALL.match(variable)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Factor:
    """The categories of a factor, in code order.

    Attributes
    ----------
    categories : tuple
        The labels; code ``k`` is ``categories[k]``, code 0 the reference.
    ordered : bool
        Whether the categories are ordered (an ordered categorical, or a numeric column).
    """

    categories: tuple
    ordered: bool = False

    @property
    def n_categories(self) -> int:
        """Number of categories K."""
        return len(self.categories)

    def label(self, code: int) -> str:
        """Return the label a dummy's name shows: ``girl`` in ``sex[girl]``."""
        return str(self.categories[code])


def factor_of(series: pd.Series) -> Factor | None:
    """Return the factor of a column, or None for a numeric (or date) column.

    Categorical columns keep their categories and order; boolean ones are ``(False, True)``;
    string and object columns take their sorted distinct observed values.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return Factor(tuple(dtype.categories), bool(dtype.ordered))
    if pd.api.types.is_bool_dtype(dtype):
        return Factor((False, True))
    if (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype)
    ):
        return None
    return Factor(_sorted_labels(series.dropna().unique()))


def numeric_factor(values: np.ndarray) -> Factor:
    """Return the factor ``C(x)`` makes of a numeric column: its sorted observed values."""
    observed = np.unique(values[~np.isnan(values)])
    return Factor(tuple(_plain_number(value) for value in observed), ordered=True)


def factor_codes(series: pd.Series, factor: Factor) -> np.ndarray:
    """Return each row's category code as a float (NaN where missing)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
        return codes
    position = {label: code for code, label in enumerate(factor.categories)}
    missing = series.isna().to_numpy()
    return np.array(
        [np.nan if gone else position[label] for label, gone in zip(series, missing, strict=True)],
        dtype=float,
    )


def from_codes(codes: np.ndarray, like: pd.Series, factor: Factor) -> pd.Series:
    """Return `like` with its missing cells set to the categories `codes` give (NaN: left).

    Observed cells are kept as they are; the result has `like`'s dtype, labels and index.
    """
    fill = ~np.isnan(codes) & like.isna().to_numpy()
    if isinstance(like.dtype, pd.CategoricalDtype):
        integer = like.cat.codes.to_numpy().copy()
        integer[fill] = codes[fill].astype(integer.dtype)
        categorical = pd.Categorical.from_codes(integer, dtype=like.dtype)
        return pd.Series(categorical, index=like.index, name=like.name)
    result = like.copy()
    if fill.any():
        result[fill] = [factor.categories[int(code)] for code in codes[fill]]
    return result


def _sorted_labels(labels: np.ndarray) -> tuple[Hashable, ...]:
    """Labels in sorted order; labels of types that do not sort together by type, then text."""
    try:
        return tuple(sorted(labels))
    except TypeError:
        return tuple(sorted(labels, key=lambda label: (type(label).__name__, str(label))))


def _plain_number(value: float) -> int | float:
    """Return a whole float as an int (``2``, not ``2.0``, in ``C(x)[2]``), else the float."""
    return int(value) if float(value).is_integer() else float(value)
