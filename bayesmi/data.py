"""Encode a clustered DataFrame once into numpy arrays, and describe its missingness.

`encode` turns the caller's frame into an `ImputationData`: cluster codes ``0..J-1`` in sorted
order of the cluster labels, a missing mask per column, the level of every numeric column
(level 2 when it is constant within every cluster among its observed values, level 1 otherwise)
and, per column, the clusters that miss it entirely (systematically missing) or partly
(sporadically missing). The caller's frame is copied, never modified.

`missing_pattern` gives the same information as tables: the ``md.pattern`` table of mice and a
per-cluster table for deciding between models for sporadic and systematic missingness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from bayesmi._formula import factors, source_column
from bayesmi._validate import check_cluster_column, check_frame

__all__ = ["ImputationData", "MissingPattern", "encode", "missing_pattern"]


@dataclass(frozen=True)
class ImputationData:
    """A clustered data frame encoded for imputation.

    Attributes
    ----------
    frame : pandas.DataFrame
        A private copy of the caller's frame (row labels and column order kept).
    cluster : str
        Name of the cluster column.
    cluster_codes : numpy.ndarray
        Integer code ``0..J-1`` of every row's cluster, in the sorted order of the labels.
    cluster_labels : numpy.ndarray
        The J cluster labels; ``cluster_labels[cluster_codes]`` gives the cluster column back.
    missing : dict of str to numpy.ndarray
        Boolean mask of missing cells per column.
    level : dict of str to int
        1 for variables that vary within clusters, 2 for variables constant within every
        cluster (among observed values). Only numeric columns are listed.
    """

    frame: pd.DataFrame
    cluster: str
    cluster_codes: np.ndarray
    cluster_labels: np.ndarray
    missing: dict[str, np.ndarray]
    level: dict[str, int]
    _cluster_sizes: np.ndarray = field(repr=False)
    _floats: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_clusters(self) -> int:
        """Number of clusters J."""
        return len(self.cluster_labels)

    @property
    def cluster_sizes(self) -> np.ndarray:
        """Number of rows in each cluster, in code order."""
        return self._cluster_sizes

    def values(self, column: str) -> np.ndarray:
        """Return a column as a new float array with NaN where it is missing."""
        if column not in self._floats:  # converted from pandas once, then copied
            self._floats[column] = self.frame[column].to_numpy(dtype=float, na_value=np.nan)
        return self._floats[column].copy()

    def missing_per_cluster(self, column: str) -> np.ndarray:
        """Count the missing cells of `column` in each cluster, in code order."""
        return np.bincount(
            self.cluster_codes, weights=self.missing[column], minlength=self.n_clusters
        ).astype(int)

    def systematic_clusters(self, column: str) -> np.ndarray:
        """Codes of the clusters in which `column` is missing for every row."""
        return np.flatnonzero(self.missing_per_cluster(column) == self._cluster_sizes)

    def sporadic_clusters(self, column: str) -> np.ndarray:
        """Codes of the clusters in which `column` is missing for some but not all rows."""
        n_missing = self.missing_per_cluster(column)
        return np.flatnonzero((n_missing > 0) & (n_missing < self._cluster_sizes))

    def predictor(self, name: str, current: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """Return a predictor's values per row: a column, or a column's cluster means.

        Parameters
        ----------
        name : str
            A column, ``x_mean`` for the mean of column ``x`` over each row's cluster (when
            the data have no column ``x_mean``), or an interaction ``x:w`` of such terms (their
            product).
        current : mapping, optional
            Current completed values of imputed columns; other columns come from the data.
            Cluster means of incomplete columns average the observed values only.
        """
        parts = factors(name)
        if len(parts) > 1:
            return np.prod([self.predictor(part, current) for part in parts], axis=0)
        source = source_column(name, [str(c) for c in self.frame.columns])
        if source is None:
            raise ValueError(f"{name!r} is neither a column nor the cluster mean of one.")
        column, is_mean = source
        values = current[column] if current is not None and column in current else None
        values = self.values(column) if values is None else values
        return self.cluster_means(values) if is_mean else values.copy()

    def predictor_level(self, name: str) -> int:
        """Return 2 for a predictor constant within clusters, else 1.

        Level-2 columns, cluster means and products of them are constant within clusters.
        """
        columns = [str(c) for c in self.frame.columns]
        sources = [source_column(part, columns) for part in factors(name)]
        return 2 if all(is_mean or self.level[column] == 2 for column, is_mean in sources) else 1

    def cluster_means(self, values: np.ndarray) -> np.ndarray:
        """Return, per row, the mean of `values` over the row's cluster (NaN ignored).

        A cluster with no finite value gets NaN.
        """
        observed = ~np.isnan(values)
        totals = np.bincount(
            self.cluster_codes, weights=np.where(observed, values, 0.0), minlength=self.n_clusters
        )
        counts = np.bincount(self.cluster_codes, weights=observed, minlength=self.n_clusters)
        means = np.divide(totals, counts, out=np.full(self.n_clusters, np.nan), where=counts > 0)
        return means[self.cluster_codes]

    def observed_moments(self, name: str) -> tuple[float, float]:
        """Mean and SD of a predictor's (or column's) observed values (SD 1 when it is 0)."""
        values = self.predictor(name)
        values = values[~np.isnan(values)]
        sd = float(np.std(values)) if values.size > 1 else 0.0
        return float(np.mean(values)), sd if sd > 0 else 1.0


def encode(data: pd.DataFrame, cluster: str) -> ImputationData:
    """Encode a clustered frame: cluster codes, missing masks and variable levels.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit; missing values as NaN (or ``pd.NA``).
    cluster : str
        Name of the column identifying each row's cluster. It must be complete.

    Returns
    -------
    ImputationData

    Raises
    ------
    TypeError
        If `data` is not a DataFrame.
    ValueError
        If the cluster column is absent, has missing values or holds fewer than two clusters.
    """
    check_frame(data)
    check_cluster_column(data, cluster)
    frame = data.copy(deep=True)
    codes, labels = pd.factorize(frame[cluster], sort=True)
    codes = codes.astype(np.int64)
    missing = {str(col): frame[col].isna().to_numpy() for col in frame.columns}
    sizes = np.bincount(codes, minlength=len(labels))
    level = {
        str(col): _level(frame[col], codes, len(labels))
        for col in frame.columns
        if col != cluster and _is_numeric(frame[col])
    }
    return ImputationData(
        frame=frame,
        cluster=cluster,
        cluster_codes=codes,
        cluster_labels=np.asarray(labels),
        missing=missing,
        level=level,
        _cluster_sizes=sizes,
    )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _level(series: pd.Series, codes: np.ndarray, n_clusters: int) -> int:
    """Return 2 when the observed values are constant within every cluster, else 1."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    observed = ~np.isnan(values)
    if not observed.any():
        return 1
    v, c = values[observed], codes[observed]
    low = np.full(n_clusters, np.inf)
    high = np.full(n_clusters, -np.inf)
    np.minimum.at(low, c, v)
    np.maximum.at(high, c, v)
    seen = np.isfinite(low)
    return 2 if np.all(low[seen] == high[seen]) else 1


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


def missing_pattern(data: pd.DataFrame, cluster: str) -> MissingPattern:
    """Tabulate the missingness of a clustered frame, overall and per cluster.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data, one row per unit.
    cluster : str
        Name of the cluster column (complete).

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
        If the cluster column is absent, has missing values or holds fewer than two clusters.

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
    return MissingPattern(_pattern_table(encoded), _cluster_table(encoded))


def _pattern_table(encoded: ImputationData) -> pd.DataFrame:
    columns = [str(c) for c in encoded.frame.columns]
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


def _cluster_table(encoded: ImputationData) -> pd.DataFrame:
    table = pd.DataFrame(
        {"n": encoded.cluster_sizes},
        index=pd.Index(encoded.cluster_labels, name=encoded.cluster),
    )
    for column, mask in encoded.missing.items():
        if not mask.any():
            continue
        n_missing = encoded.missing_per_cluster(column)
        table[f"{column}_missing"] = n_missing
        table[f"{column}_systematic"] = n_missing == encoded.cluster_sizes
    return table
