"""Encode a clustered DataFrame once into numpy arrays, and read formula terms from it.

`encode` turns the caller's frame into an `ImputationData`: cluster codes ``0..J-1`` in sorted
order of the cluster labels, a missing mask per column, the level of every numeric column
(level 2 when it is constant within every cluster among its observed values, level 1 otherwise)
and, per column, the clusters that miss it entirely (systematically missing) or partly
(sporadically missing). The caller's frame is copied, never modified.

Formula terms (`bayesmi.spec.terms.Term`) are resolved against the data here, once: each
variable of a term reads a column, or (``x_mean`` when the data have no column ``x_mean``) the
mean of column ``x`` over each row's cluster; a term's values are the product of its variables'.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayesmi.data.frame import check_cluster_column, check_frame
from bayesmi.spec.terms import Term, cluster_mean_of

__all__ = ["ImputationData", "ResolvedTerm", "Source", "encode"]


@dataclass(frozen=True)
class Source:
    """Where one variable of a term reads its values.

    Attributes
    ----------
    column : str
        The data column read.
    cluster_mean : bool
        Whether the variable is that column's mean over each row's cluster.
    """

    column: str
    cluster_mean: bool


@dataclass(frozen=True)
class ResolvedTerm:
    """A formula term resolved against the data: the sources of its variables.

    Attributes
    ----------
    term : Term
        The term as parsed.
    sources : tuple of Source
        One per variable of the term, in order.
    """

    term: Term
    sources: tuple[Source, ...]

    @property
    def name(self) -> str:
        """The term's name, as written: ``x``, ``x_mean``, ``x:w``."""
        return self.term.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the term reads, without repeats."""
        return tuple(dict.fromkeys(source.column for source in self.sources))


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
    missing : dict of hashable to numpy.ndarray
        Boolean mask of missing cells per column (keyed by the column labels).
    level : dict of hashable to int
        1 for variables that vary within clusters, 2 for variables constant within every
        cluster (among observed values). Only numeric columns are listed.
    """

    frame: pd.DataFrame
    cluster: str
    cluster_codes: np.ndarray
    cluster_labels: np.ndarray
    missing: dict[Hashable, np.ndarray]
    level: dict[Hashable, int]
    cluster_sizes: np.ndarray = field(repr=False)
    _floats: dict[Hashable, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_clusters(self) -> int:
        """Number of clusters J."""
        return len(self.cluster_labels)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.frame.shape[0]

    def values(self, column: Hashable) -> np.ndarray:
        """Return a column as a new float array with NaN where it is missing."""
        if column not in self._floats:  # converted from pandas once, then copied
            self._floats[column] = self.frame[column].to_numpy(dtype=float, na_value=np.nan)
        return self._floats[column].copy()

    def missing_per_cluster(self, column: Hashable) -> np.ndarray:
        """Count the missing cells of `column` in each cluster, in code order."""
        return np.bincount(
            self.cluster_codes, weights=self.missing[column], minlength=self.n_clusters
        ).astype(int)

    def systematic_clusters(self, column: Hashable) -> np.ndarray:
        """Codes of the clusters in which `column` is missing for every row."""
        return np.flatnonzero(self.missing_per_cluster(column) == self.cluster_sizes)

    def sporadic_clusters(self, column: Hashable) -> np.ndarray:
        """Codes of the clusters in which `column` is missing for some but not all rows."""
        n_missing = self.missing_per_cluster(column)
        return np.flatnonzero((n_missing > 0) & (n_missing < self.cluster_sizes))

    def source(self, variable: str) -> Source | None:
        """Return where a term's variable reads its values, or None when it cannot be read.

        ``x`` reads column ``x``; ``x_mean`` reads column ``x_mean`` when there is one, else
        the cluster mean of ``x``.
        """
        if variable in self.missing:
            return Source(variable, cluster_mean=False)
        base = cluster_mean_of(variable)
        if base is not None and base in self.missing:
            return Source(base, cluster_mean=True)
        return None

    def resolve(self, term: Term) -> ResolvedTerm:
        """Resolve a term against the data.

        Raises
        ------
        ValueError
            If a variable of the term is neither a column nor the cluster mean of one.
        """
        sources = []
        for variable in term.variables:
            source = self.source(variable)
            if source is None:
                raise ValueError(f"{variable!r} is neither a column nor the cluster mean of one.")
            sources.append(source)
        return ResolvedTerm(term, tuple(sources))

    def term_values(
        self, term: Term | ResolvedTerm, current: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Return a term's values per row: a column, a cluster mean or their product.

        Parameters
        ----------
        term : Term or ResolvedTerm
            The term.
        current : mapping, optional
            Current completed values of imputed columns; other columns come from the data.
            Cluster means of incomplete columns average the observed values only.
        """
        resolved = term if isinstance(term, ResolvedTerm) else self.resolve(term)
        columns = [self._source_values(source, current) for source in resolved.sources]
        return columns[0] if len(columns) == 1 else np.prod(columns, axis=0)

    def _source_values(
        self, source: Source, current: Mapping[str, np.ndarray] | None
    ) -> np.ndarray:
        values = current.get(source.column) if current is not None else None
        values = self.values(source.column) if values is None else values
        return self.cluster_means(values) if source.cluster_mean else values.copy()

    def design(
        self, terms: Sequence[Term], current: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Return the (rows, terms) matrix of the terms' current values."""
        columns = [self.term_values(term, current) for term in terms]
        return np.column_stack(columns) if columns else np.empty((self.n_rows, 0))

    def term_level(self, term: Term | ResolvedTerm) -> int:
        """Return 2 for a term constant within clusters, else 1.

        Level-2 columns, cluster means and products of them are constant within clusters.
        """
        resolved = term if isinstance(term, ResolvedTerm) else self.resolve(term)
        constant = [
            source.cluster_mean or self.level[source.column] == 2 for source in resolved.sources
        ]
        return 2 if all(constant) else 1

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

    def observed_moments(self, term: Term | str) -> tuple[float, float]:
        """Mean and SD of a term's (or column's) observed values (SD 1 when it is 0)."""
        values = self.term_values(term) if isinstance(term, Term) else self.values(term)
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
        Name of the column identifying each row's cluster. It must be complete; its values may
        be of any type that sorts (numbers, strings, dates, categories).

    Returns
    -------
    ImputationData

    Raises
    ------
    TypeError
        If `data` is not a DataFrame.
    ValueError
        If the frame has no rows, duplicated or MultiIndex labels, or the cluster column is
        absent, has missing values or holds fewer than two clusters.
    """
    check_frame(data)
    check_cluster_column(data, cluster)
    frame = data.copy(deep=True)
    codes, labels = _cluster_codes(frame[cluster])
    missing = {column: frame[column].isna().to_numpy() for column in frame.columns}
    level = {
        column: _level(frame[column], codes, len(labels))
        for column in frame.columns
        if column != cluster and is_numeric(frame[column])
    }
    return ImputationData(
        frame=frame,
        cluster=cluster,
        cluster_codes=codes,
        cluster_labels=labels,
        missing=missing,
        level=level,
        cluster_sizes=np.bincount(codes, minlength=len(labels)),
    )


def _cluster_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``0..J-1`` of the cluster labels in sorted order, and the labels.

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


def is_numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers (or booleans) a model can use."""
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
