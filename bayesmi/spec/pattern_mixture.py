"""Delta adjustment: imputations shifted away from what the MAR model predicts.

Whether data are missing at random cannot be learnt from them; a sensitivity analysis imputes
under departures of a chosen size (pattern mixture, as NARFCS: Leacy et al. 2017, Tompsett et al.
2018). The model is fitted to the observed values as under MAR; only the draw of the missing
cells moves: a normal variable's imputations by ``delta`` on the variable's scale, a binary,
ordinal or categorical variable's linear predictor by ``delta`` on the logit scale (each
non-reference category's, for categorical), a count's on the log scale. Other variables' models
see the shifted imputations as predictors.

A `Delta` is one shift for every imputed cell, one per cluster (clusters not named get a
default), or one per row read from a column of the data.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

__all__ = ["Delta", "DeltaLike", "as_delta", "delta"]

DeltaLike = float | Mapping | pd.Series | str | None
"""What a model's ``delta=`` takes: a number, cluster label to number, a column name, or a
`Delta` (`bayesmi.delta`)."""


@dataclass(frozen=True)
class Delta:
    """A departure from MAR for one variable's imputations (see the module docstring).

    Make it with `bayesmi.delta` (per cluster, with a default) or give a model's ``delta=`` a
    number, a mapping or a column name.

    Attributes
    ----------
    shift : float
        The shift of every imputed cell, or of the cells in clusters `clusters` does not name.
    clusters : tuple of (label, float)
        The shift of the cells in each named cluster.
    column : str or None
        A column of the data holding each row's shift (then `shift` and `clusters` are unused).
    """

    shift: float = 0.0
    clusters: tuple[tuple[Hashable, float], ...] = ()
    column: str | None = None

    def to_dict(self) -> dict:
        """Return it as a JSON-ready dict."""
        if self.column is not None:
            return {"column": self.column}
        values = {"shift": self.shift}
        if self.clusters:
            values["clusters"] = [[label, value] for label, value in self.clusters]
        return values

    @classmethod
    def from_dict(cls, values: Mapping) -> Delta:
        """Rebuild one from `to_dict`'s output."""
        if "column" in values:
            return cls(column=values["column"])
        clusters = tuple((label, float(value)) for label, value in values.get("clusters", ()))
        return cls(float(values.get("shift", 0.0)), clusters)


def delta(by_cluster: Mapping | pd.Series, default: float = 0.0) -> Delta:
    """Shift imputations per cluster: a named cluster's cells by its value, others' by `default`.

    Parameters
    ----------
    by_cluster : mapping or pandas.Series
        Cluster label (as in the cluster column) to shift.
    default : float, default=0.0
        Shift of the cells in clusters not named.

    Returns
    -------
    Delta
        For a model's ``delta=``.

    Examples
    --------
    >>> import bayesmi as bm
    >>> shift = bm.delta({"study A": -0.5, "study B": -1.0}, default=-0.2)
    >>> model = bm.random_intercept("y ~ x + (1 | study)", delta=shift)
    """
    if not isinstance(by_cluster, Mapping | pd.Series):
        raise TypeError(
            f"by_cluster must be a mapping or Series from cluster label to shift, got "
            f"{type(by_cluster).__name__}."
        )
    pairs = tuple(
        (_plain(label), _number(value, f"cluster {label!r}")) for label, value in by_cluster.items()
    )
    return Delta(_number(default, "default"), pairs)


def as_delta(value: object, target: str) -> Delta | None:
    """Return a model's ``delta=`` as a `Delta`, or None for no shift (None or 0).

    Raises
    ------
    TypeError
        If it is not a number, a mapping or Series, a column name or a `Delta`.
    ValueError
        If a shift is not a finite number.
    """
    if value is None or isinstance(value, Delta):
        return value
    if isinstance(value, str):
        return Delta(column=value)
    if isinstance(value, Mapping | pd.Series):
        return delta(value)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"delta of {target!r} must be a number, a mapping or Series from cluster label to "
            f"number, or the name of a column holding each row's shift; got "
            f"{type(value).__name__}."
        )
    shift = _number(value, f"delta of {target!r}")
    return Delta(shift) if shift != 0 else None


def _number(value: object, what: str) -> float:
    """Return `value` as a finite float, or raise naming `what`."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{what}: a shift must be a finite number, got {value!r}.")
    return float(value)


def _plain(label: Hashable) -> Hashable:
    """Return a cluster label as a plain Python value (numpy scalars to int, float, str)."""
    return label.item() if isinstance(label, np.generic) else label
