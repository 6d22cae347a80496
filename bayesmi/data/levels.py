"""The grouping factors of multilevel data: which rows share a cluster at each level.

Two-level data have one grouping factor (``cluster="school"``): level 1 is the row, level 2 the
school. Three-level data name their grouping columns outermost first (``cluster=["school",
"class"]``): classes nested in schools, level 2 the class, level 3 the school. As lme4's
``(1 | school/class)``, an inner factor's groups are the combinations of its column with the
outer ones, so class labels may restart in every school; the factor is named after its own
column and keeps that column's labels when they identify its groups alone (each label in one
school), else it is labelled ``"school:class"`` (``"3:1"``).

A variable's level is the highest at which its observed values are constant within every group:
1 when it varies within classes, 2 when constant within classes (a class-level variable), 3
when constant within schools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd

from bayesmi.data.frame import check_cluster_column
from bayesmi.messages import show

__all__ = [
    "NESTING",
    "Grouping",
    "cluster_codes",
    "cluster_from_formulas",
    "constant_level",
    "constant_within",
    "grouping_structure",
    "nested_groupings",
]

NESTING = ":"
"""How a nested factor's name and labels join its columns' (lme4's ``school:class``)."""


@dataclass(frozen=True)
class Grouping:
    """One grouping factor: the groups of rows that share a random effect.

    Attributes
    ----------
    name : str
        The factor's name, as formulas write it: its column (``"class"``).
    columns : tuple of str
        The data columns whose combination defines the groups, outermost first
        (``("school", "class")``).
    codes : numpy.ndarray
        Integer code ``0..G-1`` of every row's group, in the sorted order of the labels.
    labels : numpy.ndarray
        The G labels; ``labels[codes]`` gives every row's group.
    """

    name: str
    columns: tuple[str, ...]
    codes: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)

    @property
    def n_groups(self) -> int:
        """Number of groups G."""
        return len(self.labels)

    @property
    def sizes(self) -> np.ndarray:
        """Rows per group, in code order."""
        return np.bincount(self.codes, minlength=self.n_groups)

    def within(self, outer: Grouping) -> bool:
        """Whether every group of this factor lies within one group of `outer` (nested)."""
        first = np.full(self.n_groups, -1)
        first[self.codes] = outer.codes
        return bool(np.all(first[self.codes] == outer.codes))

    def parents(self, outer: Grouping) -> np.ndarray:
        """Code of the `outer` group each group of this (nested) factor lies in."""
        parent = np.empty(self.n_groups, dtype=np.int64)
        parent[self.codes] = outer.codes
        return parent


def nested_groupings(frame: pd.DataFrame, cluster: str | Sequence[str]) -> tuple[Grouping, ...]:
    """Return the grouping factors a ``cluster=`` argument names, outermost first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    cluster : str or sequence of str
        One cluster column, or several, outermost first (each nested in the one before).

    Returns
    -------
    tuple of Grouping
        One per column; an inner factor's groups are its column's combinations with the outer
        columns.

    Raises
    ------
    TypeError
        If `cluster` is neither a column name nor a sequence of them.
    ValueError
        If a column is absent, has missing values, is named twice, or has a single group.
    """
    columns = _cluster_columns(cluster)
    groupings = []
    for depth, column in enumerate(columns):
        check_cluster_column(frame, column)
        groupings.append(_grouping(frame, columns[: depth + 1]))
    return tuple(groupings)


def _cluster_columns(cluster: object) -> tuple[str, ...]:
    """Return ``cluster=`` as a tuple of column names; refuse anything else."""
    if isinstance(cluster, str):
        return (cluster,)
    if not isinstance(cluster, Sequence) or not cluster:
        raise TypeError(
            "cluster must be a column name (str) or a list of them, outermost first "
            f"(['school', 'class']), got {cluster!r}."
        )
    columns = tuple(cluster)
    wrong = [column for column in columns if not isinstance(column, str)]
    if wrong:
        raise TypeError(f"cluster lists column names (str); {show(wrong)} are not.")
    repeated = sorted({column for column in columns if columns.count(column) > 1})
    if repeated:
        raise ValueError(f"cluster names {show(repeated)} more than once; name each level once.")
    return columns


def _grouping(frame: pd.DataFrame, columns: tuple[str, ...]) -> Grouping:
    """Return the factor of the last of `columns`, nested in the ones before it."""
    own_codes, own_labels = cluster_codes(frame[columns[-1]])
    if len(columns) == 1:
        return Grouping(columns[-1], columns, own_codes, own_labels)
    combined = pd.MultiIndex.from_frame(frame[list(columns)])
    codes, pairs = pd.factorize(combined, sort=True)
    if len(pairs) == len(own_labels):  # the column's labels identify its groups alone
        return Grouping(columns[-1], columns, own_codes, own_labels)
    _check_numbered_within(frame, columns)
    labels = np.array([NESTING.join(map(str, pair)) for pair in pairs], dtype=object)
    return Grouping(columns[-1], columns, codes.astype(np.int64), labels)


def _check_numbered_within(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Refuse inner labels that are ids across the outer groups except for a few repeats.

    Labels numbered within each outer group (classes 1-4 in every school) have no more
    distinct values than the most groups one outer group holds; ids have many more, and an
    id found in two schools is a class that is not nested in one school.
    """
    inner, outer = columns[-1], list(columns[:-1])
    most = int(frame.groupby(outer)[inner].nunique().max())
    if frame[inner].nunique() > most:
        outers = frame[[inner, *outer]].drop_duplicates()[inner].value_counts()
        shared = outers.index[outers > 1].sort_values()
        raise ValueError(
            f"{inner!r} is not nested in {' x '.join(map(repr, outer))}: its labels tell its "
            f"groups apart across them except {show(shared.tolist())}, each found in several "
            f"groups of {outer[-1]!r}. Correct those labels, or list {inner!r} as crossed "
            f"(a formula term of its own, not in cluster=)."
        )


def cluster_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``0..J-1`` of a grouping column's labels in sorted order, and the labels.

    Labels of mixed types that do not sort together (numbers and strings in one object
    column) are ordered by type name, then by their text.
    """
    try:
        codes, labels = pd.factorize(column, sort=True)
    except TypeError:
        codes, labels = pd.factorize(column, sort=False)
        labels = np.asarray(labels, dtype=object)
        order = sorted(range(len(labels)), key=lambda k: (type(labels[k]).__name__, str(labels[k])))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        codes, labels = rank[codes], labels[order]
    return codes.astype(np.int64), np.asarray(labels)


def constant_level(values: np.ndarray, groupings: Sequence[Grouping]) -> int:
    """Return a variable's level: 1, plus 1 per nested factor constant within, inside out.

    The observed values are constant within every group of the innermost factor (level 2 at
    least), of the next one out too (level 3), and so on. `groupings` are outermost first, as
    `nested_groupings` returns them.
    """
    level = 1
    for grouping in reversed(groupings):
        if not constant_within(values, grouping):
            break
        level += 1
    return level


def constant_within(values: np.ndarray, grouping: Grouping) -> bool:
    """Whether the observed values are constant within every group (False with none)."""
    observed = ~np.isnan(values)
    if not observed.any():
        return False
    v, c = values[observed], grouping.codes[observed]
    low = np.full(grouping.n_groups, np.inf)
    high = np.full(grouping.n_groups, -np.inf)
    np.minimum.at(low, c, v)
    np.maximum.at(high, c, v)
    seen = np.isfinite(low)
    return bool(np.all(low[seen] == high[seen]))


def grouping_structure(data: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """Tabulate grouping factors: their groups, sizes, and which are nested or crossed.

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    factors : sequence of str
        Grouping columns, or nested combinations as lme4 writes them (``"school:classroom"``).

    Returns
    -------
    pandas.DataFrame
        One row per factor: ``groups``, ``smallest`` and ``median`` group size,
        ``nested_in`` (the factors each of whose groups holds whole groups of this one) and
        ``crossed_with`` (the factors neither nested in it nor containing it).

    Raises
    ------
    ValueError
        If a factor is not a column (or combination of columns), has missing values or a
        single group.

    Examples
    --------
    >>> sim = bm.simulate.simulate_three_level(schools=5, seed=1)
    >>> table = bm.grouping_structure(sim.complete, ["school", "school:classroom"])
    >>> table.loc["school:classroom", "nested_in"]
    'school'
    """
    groupings = {name: nested_groupings(data, name.split(NESTING))[-1] for name in factors}
    rows = {}
    for name, grouping in groupings.items():
        others = [other for other in groupings if other != name]
        nested_in = [o for o in others if grouping.within(groupings[o])]
        crossed = [o for o in others if o not in nested_in and not groupings[o].within(grouping)]
        sizes = grouping.sizes
        rows[name] = {
            "groups": grouping.n_groups,
            "smallest": int(sizes.min()),
            "median": float(np.median(sizes)),
            "nested_in": ", ".join(nested_in),
            "crossed_with": ", ".join(crossed),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("factor")


def cluster_from_formulas(frame: pd.DataFrame, factors: Sequence[str]) -> str | tuple[str, ...]:
    """Return the ``cluster=`` that formulas' grouping factors imply (in the order written).

    A nested factor written as lme4 expands it (``school:classroom``) gives its columns,
    outermost first; plain factors whose labels nest (each class in one school) give the
    chain from the fewest groups to the most; otherwise (crossed factors, or labels that
    restart in each school and so do not nest by themselves) the first factor written is the
    cluster and the others are factors of their own.

    Raises
    ------
    ValueError
        If there is no factor, or a factor is not a column of `frame`.
    """
    if not factors:
        raise ValueError(
            "no model of the spec names a grouping factor such as (1 | school): give "
            "cluster=, the column identifying each row's cluster."
        )
    written = [tuple(factor.split(NESTING)) for factor in factors]
    for columns in written:
        absent = [column for column in columns if column not in frame.columns]
        if absent:
            raise ValueError(
                f"grouping factor {NESTING.join(columns)!r} names {show(absent)}, which are not "
                "columns of the data."
            )
    longest = max(written, key=len)
    if len(longest) > 1:
        return longest
    plain = list(dict.fromkeys(columns[0] for columns in written))
    if len(plain) == 1:
        return plain[0]
    sizes = {column: frame[column].nunique() for column in plain}
    chain = sorted(plain, key=lambda column: sizes[column])
    groupings = [nested_groupings(frame, column)[0] for column in chain]
    if all(inner.within(outer) for outer, inner in pairwise(groupings)):
        return tuple(chain)
    return plain[0]
