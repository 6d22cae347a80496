"""Reading an imputation run's InferenceData back: completed data frames and iteration traces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayesmi.data.factors import factor_of, from_codes
from bayesmi.result.datatree import reads_result
from bayesmi.result.frame_codec import decode_frame
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.serialize import spec_from_json

__all__ = [
    "complete",
    "completed",
    "imputed_variables",
    "iteration_dataset",
    "iteration_trace",
    "observed_frame",
    "run_spec",
]


def run_spec(idata: object) -> dict[str, ImputationModel]:
    """Return the spec of an imputation run; refuse anything `bayesmi.impute` did not make.

    Raises
    ------
    TypeError
        If `idata` is not an `arviz.InferenceData`.
    ValueError
        If it was not made by `bayesmi.impute` (no spec in its attrs, or no observed data).
    """
    if not isinstance(idata, az.InferenceData):
        raise TypeError(
            f"expected the InferenceData returned by bayesmi.impute, got {type(idata).__name__}."
        )
    attrs = idata.attrs
    if "spec" not in attrs or "bayesmi_version" not in attrs or "observed_data" not in idata:
        raise ValueError(
            "this InferenceData was not made by bayesmi.impute (its attrs have no bayesmi spec "
            "and version); pass the result of bm.impute, or one loaded back with "
            "arviz.from_netcdf."
        )
    return spec_from_json(attrs["spec"])


def imputed_variables(idata: az.InferenceData) -> list[str]:
    """Return the variables a result imputed.

    Its spec's, or those of imputations read from R (`bayesmi.read_mids`), which have no
    models here.
    """
    spec = run_spec(idata)
    return list(spec) or json.loads(idata.attrs.get("imported", "[]"))


def first_kept_iteration(idata: az.InferenceData) -> int:
    """Return the first iteration (counted from 1) whose draws are imputations."""
    return idata.attrs["iterations"] - idata.attrs["draws"] + 1


def check_imputed(idata: az.InferenceData, variable: str) -> None:
    """Refuse a variable the run did not impute, listing those it did."""
    names = imputed_variables(idata)
    if variable not in names:
        raise ValueError(f"{variable!r} was not imputed in this run; imputed: {names}.")


def distinct_correlations(window: xr.Dataset) -> xr.Dataset:
    """Keep each correlation matrix's pairs below the diagonal (the rest is 1 or repeated).

    A constant 1 has no density to draw (ArviZ's KDE fails on it); a pair's dim is named
    ``<variable>::pair``, labelled ``"Intercept, x"``.
    """
    for name in [name for name in window.data_vars if name.endswith("::re_corr")]:
        values = window[name]
        rows = values.dims[2]
        labels = values.coords[rows].to_numpy()
        i, j = np.tril_indices(len(labels), k=-1)
        pairs = values.to_numpy()[:, :, i, j]
        pair_dim = f"{name.partition('::')[0]}::pair"
        window = window.drop_vars(name)
        window[name] = xr.DataArray(
            pairs,
            dims=(*values.dims[:2], pair_dim),
            coords={pair_dim: [f"{labels[a]}, {labels[b]}" for a, b in zip(i, j, strict=True)]},
        )
    return window


def iteration_trace(idata: az.InferenceData, name: str, group: str = "posterior") -> np.ndarray:
    """Return a (chain, iteration) trace from `group` and its warmup group, burn-in first."""
    parts = [
        idata[part][name].to_numpy()
        for part in (f"warmup_{group}", group)
        if part in idata.groups() and name in idata[part]
    ]
    return np.concatenate(parts, axis=1)


def iteration_dataset(idata: az.InferenceData, names: list[str]) -> xr.Dataset:
    """Return the named posterior variables over every iteration, burn-in first, as a Dataset.

    Its ``draw`` coordinate is the iteration, counted from 1 as the chain summaries count.
    """
    variables, coords = {}, {}
    for name in names:
        dims = idata.posterior[name].dims
        trace = iteration_trace(idata, name)
        variables[name] = xr.DataArray(trace, dims=dims)
        coords |= {dim: idata.posterior[dim].to_numpy() for dim in dims[2:]}
        coords["draw"] = np.arange(1, trace.shape[1] + 1)
    return xr.Dataset(variables).assign_coords(coords)


@reads_result
def completed(idata: az.InferenceData) -> Iterator[pd.DataFrame]:
    """Yield the m completed datasets of an imputation run.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute` (or loaded back with `arviz.from_netcdf`).

    Yields
    ------
    pandas.DataFrame
        One completed frame per imputation, chain by chain and draw by draw within a chain:
        the input's columns, row labels and values, with the missing cells of every imputed
        variable filled in.

    See Also
    --------
    complete : all imputations at once, in mice's formats.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> frames = list(bm.completed(idata))
    >>> len(frames), int(frames[0]["popular"].isna().sum())
    (3, 0)
    """
    spec = imputed_variables(idata)
    base = observed_frame(idata)
    posterior = idata.posterior
    masks = {name: ~idata.constant_data[f"{name}::observed"].to_numpy() for name in spec}
    cells = {name: posterior[f"{name}::missing"].to_numpy() for name in spec}
    factors = {name: factor_of(base[name]) for name in spec}
    for chain in range(posterior.sizes["chain"]):
        for draw in range(posterior.sizes["draw"]):
            frame = base.copy()
            for name, mask in masks.items():
                codes = np.full(len(mask), np.nan)
                codes[mask] = cells[name][chain, draw]
                frame[name] = _filled(base[name], mask, codes, factors[name])
            yield frame


def _filled(column: pd.Series, mask: np.ndarray, cells: np.ndarray, factor) -> pd.Series:
    """Return the column with its missing cells (`mask`) set to `cells`, in its dtype.

    A factor's cells are category codes, given back as its labels.
    """
    if factor is not None:
        return from_codes(cells, column, factor)
    values = column.to_numpy(dtype=float, na_value=np.nan, copy=True)
    values[mask] = cells[mask]
    return pd.Series(_in_dtype(values, column.dtype), index=column.index, name=column.name)


def _in_dtype(values: np.ndarray, dtype) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Completed values in the column's own dtype where that holds them exactly, else float64.

    A 0/1 variable stored as integers or booleans comes back so; continuous imputations of an
    integer column stay floats (rounding them would change the imputation model).
    """
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return values.astype(dtype)
    try:
        converted = pd.array(values, dtype=dtype)
    except (TypeError, ValueError):
        return values
    if np.array_equal(np.asarray(converted, dtype=float), values):
        return converted
    return values


@reads_result
def complete(
    idata: az.InferenceData,
    action: Literal["long", "wide", "all"] | int = "long",
    include: bool = False,
) -> pd.DataFrame | list[pd.DataFrame]:
    """Return the completed data in the formats of mice's ``complete()``.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    action : {"long", "wide", "all"} or int, default="long"
        - ``"long"``: the imputations stacked, with ``.imp`` (1..m, 0 for the incomplete data
          when `include`) and ``.id`` as the first columns, as mice. ``.id`` holds the input
          frame's own row labels, not mice's row numbers 1..n: with pandas' default index
          they run 0..n-1. Labels, so that a row of the stacked frame finds its unit in the
          input (``df.loc[long[".id"]]``) and `split_long` gives each frame its index back;
          ``mice::as.mids`` reads any ids.
        - ``"wide"``: one row per unit, columns ``<column>.<imp>`` (mice's ``"broad"``).
        - ``"all"``: a list of the m completed frames.
        - int ``k``: the k-th completed frame, counted from 1 as ``.imp`` counts.
    include : bool, default=False
        Include the incomplete data as imputation 0 (``"long"``, ``"wide"``, ``"all"``).

    Returns
    -------
    pandas.DataFrame or list of pandas.DataFrame

    Raises
    ------
    ValueError
        If `action` is not one of the options or `k` is out of range.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> long = bm.complete(idata, "long")
    >>> long.shape, sorted(long[".imp"].unique().tolist())
    ((6000, 9), [1, 2, 3])
    """
    frames = list(completed(idata))
    if isinstance(action, int | np.integer) and not isinstance(action, bool):
        if not 1 <= action <= len(frames):
            raise ValueError(f"imputation {action} does not exist; choose 1 to {len(frames)}.")
        return frames[action - 1]
    options = ("all", "long", "wide")
    if action not in options:
        raise ValueError(
            f"action must be one of {', '.join(options)} or an integer; got {action!r}."
        )
    if include:
        frames = [observed_frame(idata), *frames]
    first = 0 if include else 1
    if action == "all":
        return frames
    if action == "wide":
        return pd.concat(
            [frame.add_suffix(f".{k}") for k, frame in enumerate(frames, start=first)], axis=1
        )
    stacked = []
    for k, frame in enumerate(frames, start=first):
        block = frame.copy()
        block.insert(0, ".id", frame.index)
        block.insert(0, ".imp", k)
        stacked.append(block)
    return pd.concat(stacked, ignore_index=True)


def observed_frame(idata: az.InferenceData) -> pd.DataFrame:
    """Rebuild the input frame from ``observed_data``: columns, row labels and dtypes."""
    if "frame" in idata.attrs:
        return decode_frame(idata.observed_data, json.loads(idata.attrs["frame"]))
    observed = idata.observed_data  # written before bayesmi kept the frame's description
    columns = json.loads(idata.attrs["columns"])
    dtypes = json.loads(idata.attrs["dtypes"])
    frame = pd.DataFrame(
        {column: observed[column].to_numpy() for column in columns},
        index=pd.Index(observed["row"].to_numpy(), name=idata.attrs["index_name"] or None),
    )
    for column in columns:
        try:
            frame[column] = frame[column].astype(dtypes[column])
        except (TypeError, ValueError):
            continue
    return frame
