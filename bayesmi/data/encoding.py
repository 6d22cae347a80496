"""Encode a clustered DataFrame once into numpy arrays, and read formula terms from it.

`encode` turns the caller's frame into an `ImputationData`: cluster codes ``0..J-1`` in sorted
order of the cluster labels, a missing mask per column, the factors (`bayesmi.data.factors`:
categorical, bool, string and object columns, seen by the models as category codes), the level
of every usable column (level 2 when it is constant within every cluster among its observed
values, level 1 otherwise) and, per column, the clusters that miss it entirely (systematically
missing) or partly (sporadically missing). The caller's frame is copied, never modified.

Formula terms (`bayesmi.spec.terms.Term`) are resolved against the data here, once: each
variable of a term reads a column, its cluster mean (``x_mean`` when the data have no column
``x_mean``), or a factor (a factor column, or ``C(x)``); a term becomes one `DesignColumn`, or
one per non-reference category of each factor in it (treatment coding: ``sex[girl]``,
``sex[girl]:x``; the cluster mean of a factor is the cluster's proportion in each category,
``sex_mean[girl]``). A design column's values are the product of its parts'.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from bayesmi.data.factors import (
    Factor,
    factor_call_of,
    factor_codes,
    factor_of,
    numeric_factor,
)
from bayesmi.data.frame import check_frame
from bayesmi.data.levels import (
    NESTING,
    Grouping,
    constant_level,
    constant_within,
    nested_groupings,
)
from bayesmi.data.occasions import Occasions, occasion_times
from bayesmi.data.text_numbers import numbers_as_text
from bayesmi.messages import show
from bayesmi.spec.terms import INTERACTION, Term, cluster_mean_of, shift_of

__all__ = ["DesignColumn", "ImputationData", "ResolvedTerm", "Source", "encode"]


@dataclass(frozen=True)
class Source:
    """Where one variable of a term reads its values.

    Attributes
    ----------
    column : str
        The data column read.
    cluster_mean : bool
        Whether the variable is that column's mean over each row's cluster.
    factor : bool
        Whether the variable is the column read as a factor (a factor column, or ``C(x)``).
    """

    column: str
    cluster_mean: bool
    factor: bool = False
    grouping: str | None = None
    """With `cluster_mean`: the grouping factor averaged over, by name (the cluster's for
    ``x_mean``, the school's for ``x_mean_school``)."""
    shift: int = 0
    """Occasions back (``lag(x, k)``: k) or forward (``lead(x, k)``: -k) within the person."""
    absent: bool = False
    """With `shift`: not the column but 1 where the person has no occasion `shift` away."""


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
class DesignColumn:
    """One column of a model's predictor matrix: a term, or one dummy of a factor term.

    Attributes
    ----------
    name : str
        As bambi names it: ``x``, ``x_mean``, ``x:w``, ``sex[girl]``, ``sex_mean[girl]``,
        ``sex[girl]:x``.
    sources : tuple of Source
        The variables multiplied, in the term's order.
    categories : tuple of int or None
        Per source, the category whose indicator (or, for a cluster mean, proportion) the
        column reads; None for a numeric source.
    """

    name: str
    sources: tuple[Source, ...]
    categories: tuple[int | None, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the design column reads, without repeats."""
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
        cluster (among observed values), 3 for those constant within every group of the next
        grouping factor out, and so on (`bayesmi.data.levels.constant_level`). Only columns
        a model can use (numbers and factors) are listed.
    factors : dict of hashable to Factor
        The categories of every factor column (categorical, bool, string, object).
    groupings : tuple of Grouping
        The nested grouping factors, outermost first; the last is the cluster.
    occasions : Occasions or None
        With ``time=``, the order of each cluster's rows (`bayesmi.data.occasions`).
    """

    frame: pd.DataFrame
    cluster: str
    cluster_codes: np.ndarray
    cluster_labels: np.ndarray
    missing: dict[Hashable, np.ndarray]
    level: dict[Hashable, int]
    cluster_sizes: np.ndarray = field(repr=False)
    factors: dict[Hashable, Factor] = field(default_factory=dict)
    groupings: tuple[Grouping, ...] = ()
    misread: dict[Hashable, str] = field(default_factory=dict, repr=False)
    occasions: Occasions | None = field(default=None, repr=False)
    """Text columns that hold numbers but for a few strings: what to say of each
    (`bayesmi.data.text_numbers`)."""
    _formula_groupings: dict[str, Grouping] = field(default_factory=dict, repr=False, compare=False)
    _floats: dict[Hashable, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _numeric_factors: dict[Hashable, Factor] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def n_clusters(self) -> int:
        """Number of clusters J."""
        return len(self.cluster_labels)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.frame.shape[0]

    def values(self, column: Hashable) -> np.ndarray:
        """Return a column as a new float array with NaN where it is missing.

        A factor column's values are its category codes ``0..K-1``.
        """
        return self._float_column(column).copy()

    def _float_column(self, column: Hashable) -> np.ndarray:
        """Return a column's float values as kept (converted from pandas once): not a copy."""
        if column not in self._floats:
            series = self.frame[column]
            factor = self.factors.get(column)
            self._floats[column] = (
                factor_codes(series, factor)
                if factor is not None
                else series.to_numpy(dtype=float, na_value=np.nan)
            )
        return self._floats[column]

    def filled(self, column: Hashable) -> ImputationData:
        """Return a copy in which `column` counts as complete, missing cells filled.

        What a model of `column` whose likelihood uses every row is built from (the
        analysis-compatible chained engine sets the current imputations into it before each
        update). The missing cells take the observed values in turn, in row order: values
        the column can take (categories stay categories), and a mean and SD close to the
        observed ones, which standardise the model.
        """
        values = self.values(column)
        mask = self.missing[column]
        observed = values[~mask]
        values[mask] = observed[np.arange(int(mask.sum())) % observed.size]
        missing = dict(self.missing)
        missing[column] = np.zeros(self.n_rows, dtype=bool)
        return replace(self, missing=missing, _floats={column: values}, _numeric_factors={})

    def factor(self, column: Hashable) -> Factor:
        """Return a column's categories: a factor column's own, a numeric one's distinct values."""
        if column in self.factors:
            return self.factors[column]
        if column not in self._numeric_factors:
            self._numeric_factors[column] = numeric_factor(self.values(column))
        return self._numeric_factors[column]

    def category_values(self, column: Hashable) -> np.ndarray:
        """Return the value each category takes in `values`: its code, or its number."""
        if column in self.factors:
            return np.arange(self.factors[column].n_categories, dtype=float)
        return np.array(self.factor(column).categories, dtype=float)

    def codes(self, column: Hashable, values: np.ndarray | None = None) -> np.ndarray:
        """Category codes of a column's values (the current ones when given), NaN where missing."""
        values = self.values(column) if values is None else values
        if column in self.factors:
            return values
        codes = np.searchsorted(self.category_values(column), values).astype(float)
        codes[np.isnan(values)] = np.nan
        return codes

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

        ``x`` reads column ``x`` (a factor when the column is one); ``x_mean`` reads column
        ``x_mean`` when there is one, else the cluster mean of ``x``; ``x_mean_school`` the
        mean of ``x`` over an outer level's groups (three-level data); ``C(x)`` reads column
        ``x`` as a factor.
        """
        if variable in self.missing:
            return Source(variable, cluster_mean=False, factor=variable in self.factors)
        base = cluster_mean_of(variable)
        if base is not None and base in self.missing:
            factor = base in self.factors
            return Source(base, cluster_mean=True, factor=factor, grouping=self.cluster)
        for grouping in self.groupings:  # a named level's mean: x_mean_school
            base = cluster_mean_of(variable.removesuffix(f"_{grouping.name}"))
            if variable.endswith(f"_{grouping.name}") and base in self.missing:
                factor = base in self.factors
                return Source(base, cluster_mean=True, factor=factor, grouping=grouping.name)
        base = factor_call_of(variable)
        if base is not None and base in self.missing:
            return Source(base, cluster_mean=False, factor=True)
        shifted = shift_of(variable)
        if shifted is not None and shifted[0] in self.missing:
            column, steps = shifted
            if self.occasions is None:
                raise ValueError(
                    f"{variable!r} reads {column!r} at another occasion of the same person; "
                    "say which column orders the occasions: impute(..., time='visit')."
                )
            return Source(column, cluster_mean=False, factor=column in self.factors, shift=steps)
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

    def design_columns(self, terms: Sequence[Term]) -> tuple[DesignColumn, ...]:
        """Return the design columns of terms: one per term, or per dummy of its factors.

        Terms that read another occasion (``lag(x)``) are 0 where the person has none (its
        first occasions), and each such shift adds one indicator of those rows (``no_lag(1)``,
        ``no_lead(1)``): the term is dropped there and those rows get an intercept of their
        own, the usual handling of the first occasions in models with lagged predictors.
        """
        columns = tuple(column for term in terms for column in self._expand(self.resolve(term)))
        shifted = {
            source.shift: source for column in columns for source in column.sources if source.shift
        }
        indicators = tuple(
            DesignColumn(_absent_name(steps), (replace(source, absent=True),), (None,))
            for steps, source in shifted.items()
        )
        return columns + indicators

    def design_names(self, terms: Sequence[Term]) -> tuple[str, ...]:
        """Return the names of the design columns of terms."""
        return tuple(column.name for column in self.design_columns(terms))

    def _expand(self, resolved: ResolvedTerm) -> list[DesignColumn]:
        """Return one term's columns: its variables' categories multiplied (treatment coding)."""
        columns = [("", (), ())]
        for variable, source in zip(resolved.term.variables, resolved.sources, strict=True):
            levels = range(1, self.factor(source.column).n_categories) if source.factor else [None]
            columns = [
                (
                    name + (INTERACTION if name else "") + self._part_name(variable, source, level),
                    (*sources, source),
                    (*categories, level),
                )
                for name, sources, categories in columns
                for level in levels
            ]
        return [DesignColumn(*column) for column in columns]

    def _part_name(self, variable: str, source: Source, level: int | None) -> str:
        if level is None:
            return variable
        return f"{variable}[{self.factor(source.column).label(level)}]"

    def column_values(
        self, column: DesignColumn, current: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Return a design column's values per row.

        A column, a category's indicator, a cluster mean (proportion) or their product.

        Parameters
        ----------
        column : DesignColumn
            The column.
        current : mapping, optional
            Current completed values of imputed columns; other columns come from the data.
            Cluster means of incomplete columns average the observed values only.
        """
        values = self._column_values(column, current)
        return values.copy() if len(column.sources) == 1 else values

    def _column_values(
        self, column: DesignColumn, current: Mapping[str, np.ndarray] | None
    ) -> np.ndarray:
        """`column_values`, possibly the kept or current array itself: read, never write."""
        parts = [
            self._source_values(source, category, current)
            for source, category in zip(column.sources, column.categories, strict=True)
        ]
        return parts[0] if len(parts) == 1 else np.prod(parts, axis=0)

    def _source_values(
        self, source: Source, category: int | None, current: Mapping[str, np.ndarray] | None
    ) -> np.ndarray:
        if source.absent:
            return (self.occasions.shifted_rows(source.shift) < 0).astype(float)
        values = current.get(source.column) if current is not None else None
        values = self._float_column(source.column) if values is None else values
        if category is not None:
            codes = self.codes(source.column, values)
            values = np.where(np.isnan(codes), np.nan, (codes == category).astype(float))
        if source.shift:
            return self.occasions.shifted(values, source.shift)
        if source.cluster_mean:
            return self.cluster_means(values, source.grouping)
        return values

    def design(
        self, columns: Sequence[DesignColumn], current: Mapping[str, np.ndarray] | None = None
    ) -> np.ndarray:
        """Return the (rows, columns) matrix of the design columns' current values (a new one).

        Each column is written into the matrix from the kept or current values, with no
        copy of its own.
        """
        matrix = np.empty((self.n_rows, len(columns)))
        for position, column in enumerate(columns):
            self.write_column(matrix, position, column, current)
        return matrix

    def write_column(
        self,
        matrix: np.ndarray,
        position: int,
        column: DesignColumn,
        current: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Write a design column's current values into column `position` of `matrix`."""
        matrix[:, position] = self._column_values(column, current)

    def term_level(self, term: Term | ResolvedTerm | DesignColumn) -> int:
        """Return the level of a term: the lowest of its parts' (1 when it varies in clusters).

        A column's level is `level`'s; a cluster mean's is 2 (the cluster's), an outer
        level's mean that level's (3 for ``x_mean_school`` in pupils in classes in schools).
        """
        sources = self.resolve(term).sources if isinstance(term, Term) else term.sources
        return min(self._source_level(source) for source in sources)

    def constant_within(self, term: Term, grouping: Grouping) -> bool:
        """Whether a term's observed values are constant within every group of `grouping`.

        Each of its design columns (a factor term: each dummy).
        """
        return all(
            constant_within(self.column_values(column), grouping)
            for column in self.design_columns([term])
        )

    def _source_level(self, source: Source) -> int:
        if not source.cluster_mean:
            return self.level[source.column]
        names = [grouping.name for grouping in self.groupings]
        if source.grouping not in names:  # a formula's factor crossed with the cluster
            return 1
        return 1 + len(names) - names.index(source.grouping)

    def at_level(self, name: str | None) -> ImputationData:
        """Return the data with the grouping factor `name` of ``cluster=`` as the cluster.

        What a model of a variable that lives on an outer level reads (a school-level
        variable in pupils in classes in schools: `bayesmi.cluster_level` with
        ``level="school"``): its clusters are the schools, levels count from there. The
        cluster for None.

        Raises
        ------
        ValueError
            If `name` is not one of ``cluster=``'s columns.
        """
        names = [grouping.name for grouping in self.groupings]
        if name is None or name == self.cluster:
            return self
        if name not in names:
            raise ValueError(
                f"level {name!r} is not a grouping column of cluster= ({show(names)}); name "
                "one of them."
            )
        index = names.index(name)
        chosen, depth = self.groupings[index], len(names) - 1 - index
        return replace(
            self,
            cluster=chosen.name,
            cluster_codes=chosen.codes,
            cluster_labels=chosen.labels,
            cluster_sizes=chosen.sizes,
            groupings=self.groupings[: index + 1],
            level={column: max(1, level - depth) for column, level in self.level.items()},
            _formula_groupings={},
        )

    def grouping(self, name: str | None = None) -> Grouping:
        """Return a grouping factor by the name a formula gives it; the cluster for None.

        A factor of ``cluster=`` by its column (``"class"``) or as lme4 expands a nested term
        (``"school:class"`` for ``(1 | school/class)``); any other complete column of the
        data, or combination ``"a:b"`` of columns, as a factor of its own (crossed with the
        cluster, or nested in ``a``).

        Raises
        ------
        ValueError
            If the name is not a column (or combination of columns) of the data, or such a
            column has missing values or a single group.
        """
        if name is None:
            return self.groupings[-1]
        for grouping in self.groupings:
            if name in (grouping.name, NESTING.join(grouping.columns)):
                return grouping
        if name not in self._formula_groupings:
            columns = name.split(NESTING)
            absent = [column for column in columns if column not in self.frame.columns]
            if absent:
                raise ValueError(
                    f"grouping factor {name!r} is not a column of the data (nor are "
                    f"{show(absent)}); the grouping factors of cluster= are "
                    f"{show([grouping.name for grouping in self.groupings])}."
                )
            grouping = nested_groupings(self.frame, columns)[-1]
            self._formula_groupings[name] = replace(grouping, name=name)
        return self._formula_groupings[name]

    def cluster_means(self, values: np.ndarray, grouping: str | None = None) -> np.ndarray:
        """Return, per row, the mean of `values` over the row's cluster (NaN ignored).

        Over the groups of another grouping factor when named (``"school"``). A group with
        no finite value gets NaN.
        """
        factor = self.grouping(grouping)
        codes, n = factor.codes, factor.n_groups
        observed = ~np.isnan(values)
        totals = np.bincount(codes, weights=np.where(observed, values, 0.0), minlength=n)
        counts = np.bincount(codes, weights=observed, minlength=n)
        means = np.divide(totals, counts, out=np.full(n, np.nan), where=counts > 0)
        return means[codes]

    def observed_moments(self, column: DesignColumn | str) -> tuple[float, float]:
        """Mean and SD of a design column's (or data column's) observed values (SD 1 when 0)."""
        if isinstance(column, DesignColumn):
            values = self.column_values(column)
        else:
            values = self.values(column)
        values = values[~np.isnan(values)]
        sd = float(np.std(values)) if values.size > 1 else 0.0
        return float(np.mean(values)), sd if sd > 0 else 1.0


def encode(
    data: pd.DataFrame, cluster: str | Sequence[str], time: str | None = None
) -> ImputationData:
    """Encode a clustered frame: cluster codes, missing masks and variable levels.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit; missing values as NaN (or ``pd.NA``).
    cluster : str or sequence of str
        Name of the column identifying each row's cluster, or the names of nested grouping
        columns, outermost first (``["school", "class"]``, `bayesmi.data.levels`). Each must be
        complete; its values may be of any type that sorts (numbers, strings, dates,
        categories).
    time : str, optional
        Name of the column that orders each cluster's rows (occasions within a person):
        numbers or datetimes, complete, no time repeated within a cluster
        (`bayesmi.data.occasions`).

    Returns
    -------
    ImputationData

    Raises
    ------
    TypeError
        If `data` is not a DataFrame.
    ValueError
        If the frame has no rows, duplicated or MultiIndex labels, or a cluster column is
        absent, has missing values or holds fewer than two clusters.
    """
    check_frame(data)
    frame = data.copy(deep=True)
    groupings = nested_groupings(frame, cluster)
    innermost = groupings[-1]
    grouping_columns = {column for grouping in groupings for column in grouping.columns}
    missing = {column: frame[column].isna().to_numpy() for column in frame.columns}
    factors = {}
    for column in frame.columns:
        factor = _factor_or_none(frame[column]) if column not in grouping_columns else None
        if factor is not None:
            factors[column] = factor
    misread = {column: numbers_as_text(frame[column]) for column in factors}
    data = ImputationData(
        frame=frame,
        cluster=innermost.name,
        cluster_codes=innermost.codes,
        cluster_labels=innermost.labels,
        missing=missing,
        level={},
        cluster_sizes=innermost.sizes,
        factors=factors,
        groupings=groupings,
        misread={column: found.message for column, found in misread.items() if found},
        occasions=None
        if time is None
        else Occasions.of(occasion_times(frame, time), innermost.codes, time, frame.index),
    )
    for column in frame.columns:
        if column not in grouping_columns and (column in factors or is_numeric(frame[column])):
            data.level[column] = constant_level(data.values(column), groupings)
    return data


def _absent_name(steps: int) -> str:
    """Name the indicator of rows without an occasion `steps` away: ``no_lag(1)``."""
    return f"no_lag({steps})" if steps > 0 else f"no_lead({-steps})"


def _factor_or_none(series: pd.Series) -> Factor | None:
    """Return the column's factor; None for numbers, dates and values that are not labels."""
    try:
        return factor_of(series)
    except TypeError:  # unhashable values: the column cannot be a factor (nor a predictor)
        return None


def is_numeric(series: pd.Series) -> bool:
    """Whether a column holds numbers a model can use as they are (booleans are factors)."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
