"""The result as an `xarray.DataTree`, ArviZ 1's container, and back.

ArviZ 1 replaces `arviz.InferenceData` by `xarray.DataTree`: one child node per group
(``posterior``, ``sample_stats``, ``observed_data``, ``constant_data``, ``warmup_posterior``,
``warmup_sample_stats``), the run's attrs on the root. bayesmi stays on ArviZ 0.x while its
platform is Python 3.11, so `to_datatree` gives that layout, and every function that reads a
result (`completed`, `fit_each`, `summary`, the plots, ...) takes either container
(`reads_result`). The move to ArviZ 1 is then a version bump, not a rewrite.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import arviz as az
import xarray as xr

__all__ = ["as_inference_data", "reads_result", "to_datatree"]

P = ParamSpec("P")
R = TypeVar("R")


def to_datatree(idata: az.InferenceData | xr.DataTree) -> xr.DataTree:
    """Return an imputation run as an `xarray.DataTree` in ArviZ 1's group layout.

    Parameters
    ----------
    idata : arviz.InferenceData or xarray.DataTree
        The result of `bayesmi.impute` (a DataTree is returned as it is).

    Returns
    -------
    xarray.DataTree
        One child per group of the InferenceData, with the same variables, coordinates and
        attrs; the run's attrs (spec, settings, the observed frame's layout) on the root.
        ``to_netcdf`` writes it and `xarray.open_datatree` reads it back; every bayesmi
        function that reads a result takes it.

    Raises
    ------
    TypeError
        If `idata` is neither.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> tree = bm.to_datatree(idata)
    >>> sorted(tree.children)[:3]
    ['constant_data', 'observed_data', 'posterior']
    >>> len(list(bm.completed(tree)))
    3
    """
    if isinstance(idata, xr.DataTree):
        return idata
    if not isinstance(idata, az.InferenceData):
        raise TypeError(
            f"expected the InferenceData returned by bayesmi.impute, got {type(idata).__name__}."
        )
    tree = idata.to_datatree()
    tree.attrs = dict(idata.attrs)
    return tree


def as_inference_data(result: object) -> object:
    """Return a DataTree as the InferenceData it holds (attrs included); others unchanged."""
    if not isinstance(result, xr.DataTree):
        return result
    idata = az.from_datatree(result)
    idata.attrs = dict(result.attrs)
    return idata


def reads_result(func: Callable[P, R]) -> Callable[P, R]:
    """Let a function whose first argument is a result take an InferenceData or a DataTree."""

    @functools.wraps(func)
    def wrapper(result, *args, **kwargs):
        return func(as_inference_data(result), *args, **kwargs)

    return wrapper
