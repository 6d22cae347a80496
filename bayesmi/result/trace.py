"""One chain's record of an imputation run, iteration by iteration, as plain numpy arrays.

The engines fill a `TraceRecorder` per variable and chain; `bayesmi.result.build` assembles the
chains' `ChainTrace` objects into the InferenceData.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Categories", "ChainTrace", "TraceRecorder", "VariableTrace"]


@dataclass(frozen=True)
class Categories:
    """The categories of a categorical or ordinal variable, as its trace records them.

    Attributes
    ----------
    dim : str
        The dim of the shares, ``<variable>::share``.
    labels : tuple of str
        The categories' labels, the coordinate of `dim`.
    values : numpy.ndarray
        The value each category takes in the imputed cells.
    """

    dim: str
    labels: tuple[str, ...]
    values: np.ndarray

    def shares(self, draws: np.ndarray) -> np.ndarray:
        """Return the share of the draws in each category (NaN without draws)."""
        if not draws.size:
            return np.full(len(self.labels), np.nan)
        return (draws[:, None] == self.values[None, :]).mean(axis=0)


@dataclass
class VariableTrace:
    """One chain's record of one variable, every iteration (numpy arrays)."""

    dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    parameters: dict[str, np.ndarray]
    summary: dict[str, np.ndarray]
    summary_dims: dict[str, tuple[str, ...]]
    missing: np.ndarray
    stats: dict[str, np.ndarray]


@dataclass
class ChainTrace:
    """One chain's records, by variable."""

    variables: dict[str, VariableTrace]


class TraceRecorder:
    """Collects one chain's record of one variable, iteration by iteration.

    Parameters
    ----------
    iterations, draws : int
        Iterations of the chain, and how many of the last ones are kept as imputations.
    dims, coords : dict
        The variable's parameter dims and their coordinates.
    n_missing : int
        Number of missing cells of the variable.
    categories : Categories, optional
        For a categorical or ordinal variable: the share of the imputed cells in each category
        is recorded (``missing_share``) instead of their mean and SD, which mean nothing for
        categories.
    """

    def __init__(
        self,
        iterations: int,
        draws: int,
        dims: dict[str, tuple[str, ...]],
        coords: dict[str, list],
        n_missing: int,
        categories: Categories | None = None,
    ) -> None:
        self.first_kept = iterations - draws
        self.dims = dims
        self.coords = dict(coords)
        self.parameters: dict[str, list[np.ndarray]] = {}
        self.missing = np.empty((draws, n_missing))
        self.categories = categories
        self.summary_dims: dict[str, tuple[str, ...]] = {}
        if categories is None:
            self.summary: dict[str, list] = {"missing_mean": [], "missing_sd": []}
        else:
            self.summary = {"missing_share": []}
            self.summary_dims["missing_share"] = (categories.dim,)
            self.coords[categories.dim] = list(categories.labels)
        self.stats: dict[str, list] = {}

    def add(
        self, iteration: int, parameters: dict, draws: np.ndarray, stats: Mapping[str, float]
    ) -> None:
        """Record one iteration: parameters (data scale), imputed cells and sampler stats."""
        for key, value in parameters.items():
            self.parameters.setdefault(key, []).append(np.asarray(value, dtype=float))
        if iteration >= self.first_kept:
            self.missing[iteration - self.first_kept] = draws
        if self.categories is not None:
            self.summary["missing_share"].append(self.categories.shares(draws))
        else:
            self.summary["missing_mean"].append(float(np.mean(draws)) if draws.size else np.nan)
            sd = float(np.std(draws, ddof=1)) if draws.size > 1 else 0.0
            self.summary["missing_sd"].append(sd)
        for key, value in stats.items():
            self.stats.setdefault(key, []).append(value)

    def trace(self) -> VariableTrace:
        """Return the record as arrays."""
        return VariableTrace(
            dims=self.dims,
            coords=self.coords,
            parameters={key: np.stack(values) for key, values in self.parameters.items()},
            summary={key: np.asarray(values) for key, values in self.summary.items()},
            summary_dims=self.summary_dims,
            missing=self.missing,
            stats={key: np.asarray(values) for key, values in self.stats.items()},
        )
