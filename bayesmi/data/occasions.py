"""Measurement occasions: the order of the rows within each cluster (person) by ``time=``.

Longitudinal data in long format hold one row per occasion, the rows of a person in any order
and at any times (irregular times, unbalanced panels). `Occasions` holds, for every row, its
person's previous and next occasion and the time distances to them, computed once from the
cluster codes and the time column; what autoregressive residuals (`bayesmi.models.mixed`) read.
Two rows of one person at the same time are refused, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayesmi.messages import show

__all__ = ["Occasions", "occasion_times"]


@dataclass(frozen=True)
class Occasions:
    """Every row's place among its cluster's occasions.

    Attributes
    ----------
    column : str
        The time column.
    times : numpy.ndarray
        Each row's time (float; datetimes in days).
    order : numpy.ndarray
        Row indices sorted by cluster, then time.
    previous, next : numpy.ndarray
        The row of the cluster's previous (next) occasion, -1 for its first (last).
    rank : numpy.ndarray
        Each row's occasion number within its cluster, 0 for the first.
    """

    column: str
    times: np.ndarray
    order: np.ndarray
    previous: np.ndarray
    next: np.ndarray
    rank: np.ndarray
    _shifts: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(
        cls, times: np.ndarray, cluster_codes: np.ndarray, column: str, labels: pd.Index
    ) -> Occasions:
        """Order the rows by cluster and time; refuse a time repeated within a cluster.

        `labels` are the frame's row labels, for the message.
        """
        order = np.lexsort((times, cluster_codes))
        same_cluster = cluster_codes[order][1:] == cluster_codes[order][:-1]
        repeated = same_cluster & (times[order][1:] == times[order][:-1])
        if repeated.any():
            first = int(np.flatnonzero(repeated)[0])
            rows = order[[first, first + 1]]
            raise ValueError(
                f"time column {column!r} repeats a time within a cluster: rows "
                f"{show(list(labels[rows]))} share time {times[rows[0]]:g} "
                f"({int(repeated.sum())} such pairs in all). Each occasion of a person needs "
                "its own time: fix the time column, or drop or merge the repeated rows."
            )
        n = times.shape[0]
        previous = np.full(n, -1)
        following = np.full(n, -1)
        previous[order[1:][same_cluster]] = order[:-1][same_cluster]
        following[order[:-1][same_cluster]] = order[1:][same_cluster]
        rank = np.zeros(n, dtype=int)
        starts = np.r_[True, ~same_cluster]
        position = np.arange(n)
        rank[order] = position - np.maximum.accumulate(np.where(starts, position, 0))
        return cls(column, times, order, previous, following, rank)

    def shifted_rows(self, steps: int) -> np.ndarray:
        """Return each row's occasion `steps` before (negative: after) it, -1 where none."""
        if steps not in self._shifts:
            link = self.previous if steps > 0 else self.next
            rows = np.arange(self.times.shape[0])
            for _ in range(abs(steps)):
                rows = np.where(rows >= 0, link[np.maximum(rows, 0)], -1)
            self._shifts[steps] = rows
        return self._shifts[steps]

    def shifted(self, values: np.ndarray, steps: int) -> np.ndarray:
        """Return `values` at each row's occasion `steps` before (negative: after) it.

        0 where the person has no such occasion (the first `steps` ones for a lag): a model
        reading a lag drops its term there and gives those rows an intercept of their own
        (`bayesmi.data.encoding`).
        """
        rows = self.shifted_rows(steps)
        return np.where(rows >= 0, values[np.maximum(rows, 0)], 0.0)

    def nearest_among(self, inside: np.ndarray, later: bool = False) -> np.ndarray:
        """For every row, the cluster's nearest earlier (`later`: later) occasion in `inside`.

        `inside` is a boolean mask of rows (the observed ones, say); -1 where there is none.
        What an autoregressive model conditions each row on.
        """
        link = self.next if later else self.previous
        found = np.full(self.times.shape[0], -1)
        for row in self.order[::-1] if later else self.order:  # the link's row comes first
            other = link[row]
            if other >= 0:
                found[row] = other if inside[other] else found[other]
        return found


def occasion_times(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a time column as floats (datetimes in days); refuse missing or non-numeric times."""
    if column not in frame.columns:
        raise ValueError(
            f"time column {column!r} is not in the data; columns are {show(list(frame.columns))}."
        )
    values = frame[column]
    if values.isna().any():
        rows = list(frame.index[values.isna().to_numpy()])
        raise ValueError(
            f"time column {column!r} is missing in rows {show(rows)}; the occasions' times must "
            "be known: fill them in, or drop those rows."
        )
    if pd.api.types.is_datetime64_any_dtype(values):
        return (values - values.min()).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise TypeError(
            f"time column {column!r} holds {values.dtype} values; it must hold numbers (or "
            "datetimes): the visit number, or the time since baseline."
        )
    return values.to_numpy(dtype=float)
