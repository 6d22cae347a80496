"""Numbers read as text: a numeric column that a few stray strings turned into text.

``pd.read_csv`` reads a column of numbers with one ``"."``, ``"?"`` or ``"n.a."`` in it as
strings (dtype object), so the column becomes a factor with one category per distinct number.
`numbers_as_text` finds such a column (nearly every observed value parses as a number, and
there are many distinct ones) when the frame is encoded, and its `NumbersAsText.message` says
what is wrong, where, and the fix: `bayesmi.impute` and `bayesmi.suggest` refuse such a column
with it before it can be modelled as a factor of hundreds of categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bayesmi.messages import show

__all__ = ["NumbersAsText", "numbers_as_text", "stray_text"]

SHARE_NUMERIC = 0.9
"""Share of a text column's observed values that must parse as numbers for it to be numbers."""
MIN_DISTINCT_NUMBERS = 10
"""Distinct numbers a text column must hold: fewer may be category codes ("1", "2", "other")."""


@dataclass(frozen=True)
class NumbersAsText:
    """A text column of numbers: the values that are not numbers, and their rows."""

    column: object
    strays: tuple[str, ...]
    rows: pd.Index
    n_numbers: int

    @property
    def message(self) -> str:
        """Say what is wrong, where, and the fix."""
        name, strays = self.column, self.strays
        return (
            f"column {name!r} holds numbers ({self.n_numbers} observed values) but for the "
            f"text {show(repr(value) for value in strays)} (rows {show(self.rows)}), so it was "
            "read as text and would be a factor with one category per number. If those "
            f"values mean missing, make them NaN: data[{name!r}] = pd.to_numeric("
            f"data[{name!r}], errors='coerce') (or read the file with pd.read_csv(..., "
            f"na_values=[{', '.join(map(repr, strays[:3]))}]))."
        )


def stray_text(series: pd.Series) -> NumbersAsText | None:
    """Return a text column's values that are not numbers when nearly all others are.

    As `numbers_as_text` whatever the number of distinct numbers: whole-number scores 1 to 9
    with a ``"."`` are either a factor or numbers with a stray, and a model of numbers given
    such a column says both.
    """
    found = numbers_as_text(series, min_distinct=2)
    return found if found is not None and found.strays else None


def numbers_as_text(
    series: pd.Series, min_distinct: int = MIN_DISTINCT_NUMBERS
) -> NumbersAsText | None:
    """Return what keeps a text column from being numbers, or None if it is not such a column.

    A column of strings (object or string dtype) is numbers read as text when at least 90% of
    its observed values parse as numbers (`pd.to_numeric`), with 10 distinct numbers or more.
    """
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return None
    observed = series[series.notna()]
    if observed.empty or not all(isinstance(value, str) for value in observed):
        return None
    numbers = pd.to_numeric(observed.str.strip(), errors="coerce")
    parsed = numbers.notna()
    if parsed.mean() < SHARE_NUMERIC or numbers[parsed].nunique() < min_distinct:
        return None
    strays = observed[~parsed]
    return NumbersAsText(series.name, tuple(dict.fromkeys(strays)), strays.index, int(parsed.sum()))
