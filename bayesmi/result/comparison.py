"""Observed and imputed values of a variable side by side: the numbers its plots show.

`imputed_values` reads a variable's observed and imputed values from the result; the other
functions compute what `bayesmi.plot_imputed` and `bayesmi.plot_trace` draw from them: the
densities (mice's ``densityplot``), proportions of ones, shares of categories, and the same
per cluster, for the clusters chosen (those with the most imputed cells, by default).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import arviz as az
import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde

from bayesmi.data.factors import Factor, factor_codes, factor_of, numeric_factor
from bayesmi.result.read import observed_frame

__all__ = [
    "CategoryValues",
    "ImputedValues",
    "category_shares",
    "category_values",
    "chosen_clusters",
    "cluster_category_shares",
    "cluster_proportions",
    "cluster_values",
    "densities",
    "imputed_values",
    "is_zero_one",
    "observed_proportion",
    "proportions",
]


@dataclass(frozen=True)
class ImputedValues:
    """A variable's values: every row's (observed, NaN where missing) and each imputation's.

    Attributes
    ----------
    variable : str
        The variable.
    values : numpy.ndarray
        Every row's value (a factor's category code), NaN where missing.
    observed_mask : numpy.ndarray
        Where the variable is observed.
    imputed : numpy.ndarray
        The imputed cells, one row per imputation (chain, draw).
    cluster_codes : numpy.ndarray
        Every row's cluster code.
    cluster_labels : numpy.ndarray
        The clusters' labels, in code order.
    cluster : str
        The name of the cluster column.
    factor : Factor or None
        The variable's categories (for a two-category factor, its codes 0/1 are the values).
    """

    variable: str
    values: np.ndarray
    observed_mask: np.ndarray
    imputed: np.ndarray
    cluster_codes: np.ndarray
    cluster_labels: np.ndarray
    cluster: str
    factor: Factor | None

    @property
    def observed(self) -> np.ndarray:
        """The observed values."""
        return self.values[self.observed_mask]

    def rows(self, selected: np.ndarray) -> ImputedValues:
        """Return the values of the rows `selected` (a mask), their imputed cells alone."""
        return replace(
            self,
            values=self.values[selected],
            observed_mask=self.observed_mask[selected],
            imputed=self.imputed[:, selected[~self.observed_mask]],
            cluster_codes=self.cluster_codes[selected],
        )

    @property
    def zero_one(self) -> bool:
        """Whether every observed value is 0 or 1 (a binary variable, or its codes)."""
        return bool(np.all(np.isin(self.observed, (0.0, 1.0))))

    @property
    def one(self) -> str:
        """What 1 stands for: ``"1"``, or a two-category factor's second category."""
        return "1" if self.factor is None else self.factor.label(1)


def imputed_values(idata: az.InferenceData, variable: str) -> ImputedValues:
    """Return a variable's observed values and imputations, and the rows' clusters."""
    column = observed_frame(idata)[variable]
    factor = factor_of(column)  # a two-category factor (yes/no) is imputed as codes 0/1
    if factor is None:
        values = column.to_numpy(dtype=float, na_value=np.nan)
    else:
        values = factor_codes(column, factor)
    imputed = idata.posterior[f"{variable}::missing"].to_numpy()
    return ImputedValues(
        variable=variable,
        values=values,
        observed_mask=idata.constant_data[f"{variable}::observed"].to_numpy(),
        imputed=imputed.reshape(-1, imputed.shape[-1]),
        cluster_codes=idata.constant_data["cluster_code"].to_numpy(),
        cluster_labels=idata.constant_data["cluster"].to_numpy(),
        cluster=idata.attrs.get("cluster", "cluster"),
        factor=factor,
    )


def is_zero_one(column: pd.Series) -> bool:
    """Whether a numeric column's observed values are all 0 or 1."""
    if factor_of(column) is not None:
        return False
    values = column.to_numpy(dtype=float, na_value=np.nan)
    values = values[~np.isnan(values)]
    return bool(values.size) and bool(np.all(np.isin(values, (0.0, 1.0))))


def observed_proportion(idata: az.InferenceData, variable: str) -> float:
    """Return a 0/1 variable's proportion of ones among its observed values."""
    column = observed_frame(idata)[variable]
    return float(np.nanmean(column.to_numpy(dtype=float, na_value=np.nan)))


def chosen_clusters(
    values: ImputedValues, clusters: list | None = None, n_clusters: int = 12
) -> np.ndarray:
    """Return the codes of the clusters to show: those given, or the most imputed ones.

    Raises
    ------
    ValueError
        If a cluster given is not one of the run's.
    """
    labels = values.cluster_labels
    if clusters is None:
        missing_codes = values.cluster_codes[~values.observed_mask]
        counts = np.bincount(missing_codes, minlength=len(labels))
        return np.argsort(-counts, kind="stable")[:n_clusters]
    index = {label: code for code, label in enumerate(labels)}
    unknown = [label for label in clusters if label not in index]
    if unknown:
        raise ValueError(f"clusters {unknown} are not clusters of this run.")
    return np.array([index[label] for label in clusters])


def densities(values: ImputedValues, points: int = 200) -> tuple[np.ndarray, ...]:
    """Return a grid, the observed values' density and each imputation's on it (a KDE)."""
    observed, imputed = values.observed, values.imputed
    both = np.concatenate([observed, imputed.ravel()])  # a group may have no imputed cell
    grid = np.linspace(both.min(), both.max(), points)
    each = [
        gaussian_kde(row)(grid) if row.size > 1 and np.ptp(row) > 0 else np.zeros_like(grid)
        for row in imputed
    ]
    return grid, gaussian_kde(observed)(grid), np.array(each)


def proportions(values: ImputedValues) -> tuple[float, np.ndarray]:
    """Return the proportion of ones among the observed values and in each imputation."""
    return float(values.observed.mean()), values.imputed.mean(axis=1)


def cluster_values(values: ImputedValues, chosen: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Return, per chosen cluster, its observed values and its imputed cells (one row each)."""
    missing_codes = values.cluster_codes[~values.observed_mask]
    return [
        (
            values.values[values.observed_mask & (values.cluster_codes == code)],
            values.imputed[:, missing_codes == code],
        )
        for code in chosen
    ]


def cluster_proportions(values: ImputedValues, chosen: np.ndarray) -> list[tuple]:
    """Return, per chosen cluster, its observed proportion of ones and each imputation's.

    None for a cluster without an observed value, or without an imputed cell.
    """
    return [
        (own.mean() if own.size else None, cells.mean(axis=1) if cells.shape[1] else None)
        for own, cells in cluster_values(values, chosen)
    ]


@dataclass(frozen=True)
class CategoryValues:
    """A categorical variable's values as category names: observed (every row) and imputed."""

    names: np.ndarray
    observed: np.ndarray
    imputed: np.ndarray

    def rows(self, selected: np.ndarray, observed_mask: np.ndarray) -> CategoryValues:
        """Return the values of the rows `selected` (a mask); `observed_mask` of every row."""
        return CategoryValues(
            self.names, self.observed[selected], self.imputed[:, selected[~observed_mask]]
        )


def category_values(idata: az.InferenceData, values: ImputedValues) -> CategoryValues:
    """Return a categorical or ordinal variable's observed and imputed values as names."""
    column = observed_frame(idata)[values.variable]
    factor = factor_of(column)
    imputed = values.imputed
    if factor is None:  # a numeric column imputed as categories: its values are the labels
        numbers = column.to_numpy(dtype=float, na_value=np.nan)
        factor = numeric_factor(numbers)
        categories = np.array(factor.categories, dtype=float)
        imputed = np.searchsorted(categories, imputed)
        observed = np.searchsorted(categories, numbers)
    else:
        observed = np.array(
            [
                factor.categories.index(v) if v in factor.categories else -1
                for v in column.astype(object)
            ]
        )
        imputed = imputed.astype(int)
    names = np.array([factor.label(k) for k in range(factor.n_categories)])
    return CategoryValues(names, names[observed], names[imputed])


def category_shares(values: ImputedValues, categories: CategoryValues) -> tuple[np.ndarray, ...]:
    """Return each category's share among the observed values, and in every imputation."""
    observed = categories.observed[values.observed_mask]
    names = categories.names
    shares = np.array([np.mean(observed == name) for name in names])
    imputed = np.array([[np.mean(row == name) for name in names] for row in categories.imputed])
    return shares, imputed


def cluster_category_shares(
    values: ImputedValues, categories: CategoryValues, chosen: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return, per chosen cluster, each category's share: observed, and in all imputations."""
    missing_codes = values.cluster_codes[~values.observed_mask]
    shares = []
    for code in chosen:
        own = categories.observed[values.observed_mask & (values.cluster_codes == code)]
        cells = categories.imputed[:, missing_codes == code].ravel()
        shares.append(tuple(_shares(group, categories.names) for group in (own, cells)))
    return shares


def _shares(values: np.ndarray, names: np.ndarray) -> np.ndarray:
    return np.array([float(np.mean(values == name)) if values.size else 0.0 for name in names])
