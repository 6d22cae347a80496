"""Each missing cell's delta (`bayesmi.spec.pattern_mixture`), checked against the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesmi.data.encoding import ImputationData
from bayesmi.messages import show
from bayesmi.spec.model import ImputationModel

__all__ = ["delta_shifts"]


def delta_shifts(model: ImputationModel, data: ImputationData) -> np.ndarray | None:
    """Return the shift of each of the target's missing cells (row order), or None without delta.

    Raises
    ------
    ValueError
        If a named cluster is not in the data, the column is not in the data, or the column
        has no value in a row whose target is missing.
    TypeError
        If the column is not numeric.
    """
    delta = model.delta
    if delta is None:
        return None
    data = data.at_level(model.level)  # a cluster-level model's: the groups of its level
    missing = data.missing[model.target]
    if delta.column is not None:
        shifts = _column_shifts(model, data, missing)
    else:
        shifts = _cluster_shifts(model, data, missing)
    if model.kind_info.cluster_level:
        return _cluster_level_shifts(model, data, missing, shifts)
    return shifts


def _cluster_shifts(
    model: ImputationModel, data: ImputationData, missing: np.ndarray
) -> np.ndarray:
    """Return the missing cells' shifts of a number or of a shift per cluster, checked."""
    delta = model.delta
    codes = {label: code for code, label in enumerate(data.cluster_labels.tolist())}
    unknown = [label for label, _ in delta.clusters if label not in codes]
    if unknown:
        raise ValueError(
            f"delta of {model.target!r} names clusters not in {data.cluster!r}: {show(unknown)} "
            f"(its clusters are {show(codes)}); "
            "use the labels of the cluster column."
        )
    per_cluster = np.full(data.n_clusters, delta.shift)
    for label, value in delta.clusters:
        per_cluster[codes[label]] = value
    return per_cluster[data.cluster_codes[missing]]


def _column_shifts(model: ImputationModel, data: ImputationData, missing: np.ndarray) -> np.ndarray:
    """Return the column's values in the target's missing rows, checked."""
    column = model.delta.column
    if column not in data.frame.columns:
        raise ValueError(
            f"delta of {model.target!r} names the column {column!r}, which is not in the data; "
            "give a column holding each row's shift, or a number."
        )
    values = data.frame[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise TypeError(
            f"delta column {column!r} (for {model.target!r}) must be numeric, not {values.dtype}."
        )
    shifts = values.to_numpy(dtype=float)[missing]
    bad = ~np.isfinite(shifts)
    if bad.any():
        rows = data.frame.index[missing][bad]
        raise ValueError(
            f"delta column {column!r} has no finite value in {bad.sum()} rows where "
            f"{model.target!r} is missing (rows {show(rows)}); give every such row a shift."
        )
    return shifts


def _cluster_level_shifts(
    model: ImputationModel, data: ImputationData, missing: np.ndarray, shifts: np.ndarray
) -> np.ndarray:
    """Return a cluster-level variable's shifts: 0 where its cluster reports the value.

    A cluster without the value takes one shift (a column's must be constant there); the
    missing cells of a cluster that reports it keep the reported value.
    """
    codes = data.cluster_codes[missing]
    reported = np.isin(codes, data.cluster_codes[~missing])
    first = pd.Series(shifts).groupby(codes).transform("first").to_numpy()
    varies = ~reported & (shifts != first)
    if varies.any():
        labels = data.cluster_labels[np.unique(codes[varies])]
        raise ValueError(
            f"delta column {model.delta.column!r} varies within clusters of {data.cluster!r} "
            f"where the cluster-level {model.target!r} is imputed: {show(labels)}; a cluster's "
            "imputed value takes one shift, so give its rows one value."
        )
    return np.where(reported, 0.0, shifts)
