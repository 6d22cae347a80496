"""Wide and long formats of repeated measures, every column's dtype kept.

Trial data often arrive wide, one row per person and a column per visit (``y_1``, ``y_2``,
...); bayesmi imputes long data, one row per occasion (``impute(..., cluster="id",
time="visit")``). `wide_to_long` and `long_to_wide` convert between the two, keeping each
column's dtype (categories with their order, nullable integers, booleans), which
`pandas.wide_to_long` and `pandas.DataFrame.pivot` do not always do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from bayesmi.data.frame import check_frame
from bayesmi.messages import label_of, show

__all__ = ["long_to_wide", "wide_to_long"]


def wide_to_long(
    data: pd.DataFrame,
    id: str,
    stubs: Sequence[str],
    *,
    time: str = "time",
    sep: str = "_",
) -> pd.DataFrame:
    """Turn one row per person into one row per occasion.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person: `id`, time-invariant columns, and for each stub ``s`` the
        columns ``s<sep><t>`` of its occasions t (``y_1``, ``y_2``, ...).
    id : str
        The column identifying a person (unique per row).
    stubs : sequence of str
        The names of the time-varying variables.
    time : str, default="time"
        The name of the new column holding the occasion; whole-number or numeric suffixes
        become numbers, others stay text.
    sep : str, default="_"
        What stands between a stub and its occasion in the wide column names.

    Returns
    -------
    pandas.DataFrame
        `id`, `time`, the stubs and the time-invariant columns, sorted by `id` and `time`; a
        stub absent at an occasion is missing there. Every column keeps its dtype.

    Raises
    ------
    ValueError
        If `id` is missing, not unique, or a stub has no column.

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [1, 2], "arm": ["a", "b"], "y_0": [1.0, 2.0],
    ...                      "y_1": [1.5, None]})
    >>> bm.wide_to_long(wide, "id", ["y"], time="visit")
       id  visit    y arm
    0   1      0  1.0   a
    1   1      1  1.5   a
    2   2      0  2.0   b
    3   2      1  NaN   b
    """
    check_frame(data)
    _check_id(data, id)
    if isinstance(stubs, str):
        stubs = [stubs]
    occasions: dict[str, dict[str, str]] = {}
    for stub in stubs:
        pattern = re.compile(re.escape(stub) + re.escape(sep) + r"(.+)$")
        found = {m.group(1): c for c in data.columns if (m := pattern.match(str(c)))}
        if not found:
            raise ValueError(
                f"no column of stub {stub!r}: wide columns are named {stub}{sep}<time> "
                f"({stub}{sep}1, {stub}{sep}2, ...); the columns are {show(list(data.columns))}."
            )
        occasions[stub] = found
    labels = sorted({t for found in occasions.values() for t in found}, key=_time_key)
    varying = {column for found in occasions.values() for column in found.values()}
    constant = [c for c in data.columns if c not in varying and c != id]
    n = len(data)
    rows = np.repeat(np.arange(n), len(labels))
    long = pd.DataFrame({id: data[id].to_numpy()[rows]})
    long[time] = _time_values(labels * n)
    for stub, found in occasions.items():
        long[stub] = _stacked(data, found, labels, stub)
    for column in constant:
        long[column] = data[column].iloc[rows].reset_index(drop=True)
    return long.sort_values([id, time], kind="stable").reset_index(drop=True)


def long_to_wide(
    data: pd.DataFrame,
    id: str,
    time: str,
    varying: Sequence[str] | None = None,
    *,
    sep: str = "_",
) -> pd.DataFrame:
    """Turn one row per occasion into one row per person.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per occasion, at most one per person and time.
    id, time : str
        The person and the occasion columns.
    varying : sequence of str, optional
        The time-varying columns, each spread into ``<column><sep><time>``; by default every
        column other than `id` and `time` that varies within some person.
    sep : str, default="_"
        What joins a column's name and its occasion.

    Returns
    -------
    pandas.DataFrame
        One row per person, in order of `id`: `id`, the time-invariant columns (a person's
        first value), then the spread columns by variable and time (``y_2`` for time 2 or
        2.0). Every column keeps its dtype, except that a column of numpy integers or
        booleans with an occasion some person lacks becomes floats (NaN there), as pandas
        holds it; nullable dtypes (``Int64``, ``boolean``) stay.

    Raises
    ------
    ValueError
        If a column is absent, or a person has two rows at one time.
    """
    check_frame(data)
    for column in (id, time):
        if column not in data.columns:
            raise ValueError(f"column {column!r} is not in the data.")
    repeated = data.duplicated([id, time], keep=False)
    if repeated.any():
        raise ValueError(
            f"rows {show(list(data.index[repeated.to_numpy()]))} repeat a {time!r} of their "
            f"{id!r}: long_to_wide needs one row per person and time."
        )
    others = [c for c in data.columns if c not in (id, time)]
    if varying is None:
        varies = data.groupby(id, sort=False, observed=True)[others].nunique(dropna=False)
        varying = [c for c in others if (varies[c] > 1).any()]
    varying = list(varying)
    constant = [c for c in others if c not in varying]
    people = pd.Index(pd.unique(data[id])).sort_values()
    times = sorted(pd.unique(data[time]), key=_time_key)
    person = people.get_indexer(data[id])
    occasion = pd.Index(times).get_indexer(data[time])
    first = data.groupby(id, sort=True, observed=True).head(1).set_index(id).loc[people]
    wide = pd.DataFrame({id: people.to_numpy()})
    for column in constant:
        wide[column] = first[column].to_numpy()
        wide[column] = wide[column].astype(data[column].dtype)
    for column in varying:
        for k, t in enumerate(times):
            at = occasion == k
            spread = pd.Series(pd.NA, index=range(len(people)), dtype=object)
            spread.iloc[person[at]] = data[column].to_numpy()[at]
            wide[f"{column}{sep}{label_of(t)}"] = _as_dtype(spread, data[column].dtype)
    return wide


def _check_id(data: pd.DataFrame, id: str) -> None:
    if id not in data.columns:
        raise ValueError(f"id column {id!r} is not in the data.")
    repeated = data[id].duplicated(keep=False)
    if repeated.any():
        raise ValueError(
            f"id column {id!r} repeats in rows {show(list(data.index[repeated.to_numpy()]))}: "
            "wide data hold one row per person."
        )


def _time_key(label) -> tuple:
    """Sort occasions as numbers where they are numbers (2 before 10), else as text."""
    try:
        return (0, float(label), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(label))


def _time_values(labels: list[str]) -> pd.Series:
    """Occasion labels as whole numbers, numbers, or text."""
    values = pd.Series(labels)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        whole = (numbers == np.floor(numbers)).all()
        return numbers.astype("int64") if whole else numbers
    return values


def _stacked(data: pd.DataFrame, found: dict[str, str], labels: list[str], stub: str):
    """One stub's values, person by person and occasion by occasion, in its columns' dtype."""
    columns = [found.get(label) for label in labels]
    dtypes = {data[c].dtype for c in columns if c is not None}
    if len(dtypes) > 1:
        raise ValueError(
            f"the columns of {stub!r} have different dtypes ({show(sorted(map(str, dtypes)))}); "
            "give them one dtype first (e.g. the same categories)."
        )
    parts = [
        data[c].to_numpy(dtype=object) if c is not None else np.full(len(data), pd.NA, object)
        for c in columns
    ]
    stacked = pd.Series(np.column_stack(parts).ravel())
    return _as_dtype(stacked, dtypes.pop())


def _as_dtype(values: pd.Series, dtype) -> pd.Series:
    """Values (object, missing as pd.NA) in `dtype`; NaN where a numpy float holds them."""
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Series(pd.Categorical(values.where(values.notna(), None), dtype=dtype))
    if pd.api.types.is_float_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return values.where(values.notna(), np.nan).astype(dtype)
    if values.isna().any() and not pd.api.types.is_extension_array_dtype(dtype):
        return values.where(values.notna(), np.nan).infer_objects()  # ints with gaps: floats
    return values.astype(dtype)
