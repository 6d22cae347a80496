"""The missingness of a clustered frame as tables: mice's ``md.pattern`` and one row per cluster."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from bayesmi.data.encoding import ImputationData, encode
from bayesmi.data.levels import Grouping

__all__ = ["MissingPattern", "missing_pattern"]


class MissingPattern(NamedTuple):
    """The missingness of a clustered frame, as two tables.

    Attributes
    ----------
    patterns : pandas.DataFrame
        mice's ``md.pattern``: one row per pattern (1 observed, 0 missing), columns ordered by
        their number of missing values, a ``count`` column with the number of rows showing the
        pattern and an ``n_missing`` column with the number of variables it misses; the last
        row, labelled ``"total"``, counts the missing values of each column.
    clusters : pandas.DataFrame
        One row per cluster: ``n`` (rows), then for every incomplete variable
        ``<variable>_missing`` (missing cells in the cluster) and ``<variable>_systematic``
        (True when the cluster misses the variable for every row).
    """

    patterns: pd.DataFrame
    clusters: pd.DataFrame

    def fractions(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return each incomplete variable's fraction missing, and its systematic gaps, per cluster.

        Clusters with the most missing first; the second table is True where a cluster misses
        the variable for every row.
        """
        variables = [c.removesuffix("_missing") for c in self.clusters if c.endswith("_missing")]
        fractions = self.clusters[[f"{v}_missing" for v in variables]].to_numpy(dtype=float)
        fractions = fractions / self.clusters["n"].to_numpy(dtype=float)[:, None]
        order = np.argsort(-fractions.sum(axis=1), kind="stable")
        systematic = self.clusters[[f"{v}_systematic" for v in variables]].to_numpy()[order]
        index = self.clusters.index[order]
        return (
            pd.DataFrame(fractions[order], index=index, columns=variables),
            pd.DataFrame(systematic, index=index, columns=variables),
        )


def missing_pattern(
    data: pd.DataFrame, cluster: str | Sequence[str], level: str | None = None
) -> MissingPattern:
    """Tabulate the missingness of a clustered frame, overall and per cluster.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data, one row per unit.
    cluster : str or sequence of str
        Name of the cluster column (complete), or of nested grouping columns, outermost first
        (``["school", "class"]``, as `bayesmi.impute` takes them).
    level : str, optional
        With several grouping columns, the one whose groups ``clusters`` tabulates
        (``"school"``: which schools miss a variable for every pupil); the innermost by
        default.

    Returns
    -------
    MissingPattern
        ``patterns`` (as mice's ``md.pattern``) and ``clusters`` (per-cluster counts and
        systematic flags).

    Raises
    ------
    TypeError
        If `data` is not a DataFrame.
    ValueError
        If a cluster column is absent, has missing values or holds fewer than two clusters,
        or `level` is not one of them.

    See Also
    --------
    impute : imputes the incomplete variables.

    Examples
    --------
    >>> pattern = bm.missing_pattern(df, cluster="school")
    >>> int(pattern.patterns.loc["total", "popular"])
    848
    >>> int(pattern.clusters["popular_systematic"].sum())
    0
    """
    encoded = encode(data, cluster)
    return MissingPattern(_pattern_table(encoded), _cluster_table(encoded, encoded.grouping(level)))


def _pattern_table(encoded: ImputationData) -> pd.DataFrame:
    columns = list(encoded.frame.columns)
    counts = {c: int(encoded.missing[c].sum()) for c in columns}
    order = sorted(columns, key=lambda c: (counts[c], columns.index(c)))
    observed = np.column_stack([~encoded.missing[c] for c in order]).astype(int)
    rows, n_rows = np.unique(observed, axis=0, return_counts=True)
    table = pd.DataFrame(rows, columns=order)
    table.insert(0, "count", n_rows)
    table["n_missing"] = len(order) - rows.sum(axis=1)
    table = table.sort_values(["n_missing", "count"], ascending=[True, False], ignore_index=True)
    total = {c: counts[c] for c in order} | {"count": int(observed.shape[0])}
    total["n_missing"] = int(sum(counts.values()))
    table.loc["total"] = pd.Series(total)
    return table.astype(int)


def _cluster_table(encoded: ImputationData, grouping: Grouping) -> pd.DataFrame:
    sizes = grouping.sizes
    table = pd.DataFrame({"n": sizes}, index=pd.Index(grouping.labels, name=grouping.name))
    for column, mask in encoded.missing.items():
        if not mask.any():
            continue
        n_missing = np.bincount(grouping.codes, weights=mask, minlength=grouping.n_groups)
        table[f"{column}_missing"] = n_missing.astype(int)
        table[f"{column}_systematic"] = n_missing == sizes
    return table
