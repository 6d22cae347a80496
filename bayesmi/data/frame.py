"""Checks of the caller's frame and cluster column, run before anything else.

Each raises `TypeError` (wrong type) or `ValueError` (bad value) with a message that names the
labels at fault and says how to fix them.
"""

from __future__ import annotations

import pandas as pd

from bayesmi.messages import show

__all__ = ["check_cluster_column", "check_frame"]


def check_frame(data: object) -> None:
    """Check that `data` is a DataFrame with rows, flat and unique column and row labels.

    Raises
    ------
    TypeError
        If `data` is not a DataFrame.
    ValueError
        If it has no rows, MultiIndex rows or columns, or duplicated labels.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas DataFrame, got {type(data).__name__}; "
            "convert it with pandas.DataFrame(...) first."
        )
    if data.shape[0] == 0:
        raise ValueError("data has no rows; there is nothing to impute.")
    if isinstance(data.columns, pd.MultiIndex):
        raise ValueError(
            f"data has MultiIndex columns ({data.columns.nlevels} levels); give each column one "
            "name, e.g. data.columns = ['_'.join(map(str, c)) for c in data.columns]."
        )
    if isinstance(data.index, pd.MultiIndex):
        raise ValueError(
            f"data has MultiIndex rows ({data.index.nlevels} levels); imputed cells are stored "
            "by row label, so give each row one label, e.g. with data.reset_index()."
        )
    duplicated = data.columns[data.columns.duplicated()]
    if len(duplicated):
        raise ValueError(
            f"data has duplicated column names ({show(duplicated.unique())}); rename them."
        )
    labels = data.index[data.index.duplicated()]
    if len(labels):
        raise ValueError(
            f"data has duplicated row labels ({show(labels.unique())}); imputed cells are "
            "stored by row label, so make them unique, e.g. with data.reset_index()."
        )


def check_cluster_column(data: pd.DataFrame, cluster: object) -> None:
    """Check that the cluster column exists, is complete and has two clusters or more.

    Raises
    ------
    TypeError
        If `cluster` is not a string.
    ValueError
        If the column is absent, has missing values or holds fewer than two clusters.
    """
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be a column name (str), got {type(cluster).__name__}.")
    if cluster not in data.columns:
        raise ValueError(
            f"cluster column {cluster!r} is not in data; its columns are "
            f"{show(sorted(map(str, data.columns)), 20)}."
        )
    absent = data.index[data[cluster].isna().to_numpy()]
    if len(absent):
        raise ValueError(
            f"cluster column {cluster!r} has {len(absent)} missing values (rows "
            f"{show(absent)}); drop those rows or impute the cluster id first."
        )
    n_clusters = data[cluster].nunique()
    if n_clusters < 2:
        raise ValueError(
            f"cluster column {cluster!r} holds {n_clusters} cluster; multilevel imputation "
            "needs two clusters or more (use a single-level imputer for one)."
        )
