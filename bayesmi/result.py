"""The InferenceData of an imputation run: assembled from the chains, read back as data frames.

Layout (see `bayesmi.impute`): ``posterior`` holds every model's parameters
``<variable>::<parameter>`` and the imputed cells ``<variable>::missing`` over ``chain`` and
``draw`` (one imputation per pair, ``m = chains * draws``, numbered chain by chain);
``warmup_posterior`` holds burn-in parameters; both hold ``<variable>::missing_mean`` and
``<variable>::missing_sd``, the mean and SD of the imputed cells at every iteration, for trace
plots. ``sample_stats`` holds NUTS statistics per variable update, ``observed_data`` the input
frame (NaN kept), ``constant_data`` cluster codes, missing masks and variable levels.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayesmi.data import ImputationData
from bayesmi.spec import ImputationModel, spec_from_json, spec_to_json

__all__ = ["complete", "completed"]


@dataclass
class VariableTrace:
    """One chain's record of one variable, every iteration (numpy arrays)."""

    dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    parameters: dict[str, np.ndarray]
    summary: dict[str, np.ndarray]
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
    """

    def __init__(
        self,
        iterations: int,
        draws: int,
        dims: dict[str, tuple[str, ...]],
        coords: dict[str, list],
        n_missing: int,
    ) -> None:
        self.first_kept = iterations - draws
        self.dims = dims
        self.coords = coords
        self.parameters: dict[str, list[np.ndarray]] = {}
        self.missing = np.empty((draws, n_missing))
        self.summary: dict[str, list[float]] = {"missing_mean": [], "missing_sd": []}
        self.stats: dict[str, list] = {}

    def add(
        self, iteration: int, parameters: dict, draws: np.ndarray, stats: Mapping[str, float]
    ) -> None:
        """Record one iteration: parameters (data scale), imputed cells and sampler stats."""
        for key, value in parameters.items():
            self.parameters.setdefault(key, []).append(np.asarray(value, dtype=float))
        if iteration >= self.first_kept:
            self.missing[iteration - self.first_kept] = draws
        self.summary["missing_mean"].append(float(np.mean(draws)) if draws.size else np.nan)
        self.summary["missing_sd"].append(float(np.std(draws, ddof=1)) if draws.size > 1 else 0.0)
        for key, value in stats.items():
            self.stats.setdefault(key, []).append(value)

    def trace(self) -> VariableTrace:
        """Return the record as arrays."""
        return VariableTrace(
            dims=self.dims,
            coords=self.coords,
            parameters={key: np.stack(values) for key, values in self.parameters.items()},
            summary={key: np.asarray(values) for key, values in self.summary.items()},
            missing=self.missing,
            stats={key: np.asarray(values) for key, values in self.stats.items()},
        )


def build_inference_data(
    traces: list[ChainTrace],
    data: ImputationData,
    spec: dict[str, ImputationModel],
    attrs: dict,
) -> az.InferenceData:
    """Assemble the chains' traces, the data and the settings into one InferenceData."""
    iterations, draws = attrs["iterations"], attrs["draws"]
    warmup = iterations - draws
    groups: dict[str, dict[str, xr.DataArray]] = {
        "posterior": {},
        "warmup_posterior": {},
        "sample_stats": {},
        "warmup_sample_stats": {},
    }
    coords: dict[str, list] = {"cluster": list(data.cluster_labels)}
    for name in spec:
        per_chain = [trace.variables[name] for trace in traces]
        first = per_chain[0]
        coords.update(first.coords)
        rows = data.frame.index[data.missing[name]]
        coords[f"{name}::missing_row"] = list(rows)
        for key, dims in first.dims.items():
            values = np.stack([trace.parameters[key] for trace in per_chain])
            _split(groups, "posterior", f"{name}::{key}", values, dims, warmup)
        for key in first.summary:
            values = np.stack([trace.summary[key] for trace in per_chain])
            _split(groups, "posterior", f"{name}::{key}", values, (), warmup)
        for key in first.stats:
            values = np.stack([trace.stats[key] for trace in per_chain])
            _split(groups, "sample_stats", f"{name}::{key}", values, (), warmup)
        groups["posterior"][f"{name}::missing"] = xr.DataArray(
            np.stack([trace.missing for trace in per_chain]),
            dims=("chain", "draw", f"{name}::missing_row"),
        )
    if not spec:  # nothing was imputed: the posterior still numbers the (identical) imputations
        numbers = np.arange(len(traces) * draws).reshape(len(traces), draws)
        groups["posterior"]["imputation"] = xr.DataArray(numbers, dims=("chain", "draw"))
    chain_coords = {"chain": np.arange(len(traces))}
    datasets = {}
    for group, variables in groups.items():
        n_draws = warmup if group.startswith("warmup") else draws
        if n_draws == 0:
            continue
        dataset = xr.Dataset(variables, coords=chain_coords | {"draw": np.arange(n_draws)})
        used = {dim for array in variables.values() for dim in array.dims}
        datasets[group] = dataset.assign_coords({k: v for k, v in coords.items() if k in used})
    datasets["observed_data"] = _observed_data(data)
    datasets["constant_data"] = _constant_data(data, spec)
    stamp = az.data.base.make_attrs(library=None)
    for dataset in datasets.values():
        dataset.attrs.update(stamp)
    idata = az.InferenceData(**datasets)
    idata.attrs.update(_run_attrs(data, spec, attrs))
    return idata


def _split(groups, group, name, values, dims, warmup) -> None:
    """Put iterations before `warmup` into the warmup group and the rest into `group`."""
    full_dims = ("chain", "draw", *dims)
    groups[group][name] = xr.DataArray(values[:, warmup:], dims=full_dims)
    if warmup:
        groups[f"warmup_{group}"][name] = xr.DataArray(values[:, :warmup], dims=full_dims)


def _observed_data(data: ImputationData) -> xr.Dataset:
    frame = data.frame
    variables = {}
    for column in frame.columns:
        series = frame[column]
        if str(column) in data.level or (column == data.cluster and _is_number(series)):
            values = series.to_numpy()
            if values.dtype == object or series.hasnans:
                values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = series.astype(str).to_numpy(dtype=object)
        variables[str(column)] = xr.DataArray(values, dims=("row",))
    return xr.Dataset(variables, coords={"row": list(frame.index)})


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _constant_data(data: ImputationData, spec: dict[str, ImputationModel]) -> xr.Dataset:
    variables = {
        "cluster_code": xr.DataArray(data.cluster_codes, dims=("row",)),
        "cluster_size": xr.DataArray(data.cluster_sizes, dims=("cluster",)),
        "level": xr.DataArray(np.array(list(data.level.values()), dtype=np.int64), dims="column"),
    }
    for name in spec:
        variables[f"{name}::observed"] = xr.DataArray(~data.missing[name], dims=("row",))
    coords = {
        "row": list(data.frame.index),
        "cluster": list(data.cluster_labels),
        "column": list(data.level),
    }
    return xr.Dataset(variables, coords=coords)


def _run_attrs(data: ImputationData, spec: dict[str, ImputationModel], attrs: dict) -> dict:
    frame = data.frame
    return attrs | {
        "spec": spec_to_json(spec),
        "cluster": data.cluster,
        "columns": json.dumps([str(c) for c in frame.columns]),
        "dtypes": json.dumps({str(c): str(t) for c, t in frame.dtypes.items()}),
        "index_name": "" if frame.index.name is None else str(frame.index.name),
        "bayesmi_version": version("bayesmi"),
    }


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
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=2, iterations=2, tune=50,
    ...                   seed=2, progressbar=False)
    >>> frames = list(bm.completed(idata))
    >>> len(frames), int(frames[0]["popular"].isna().sum())
    (2, 0)
    """
    base = _observed_frame(idata)
    spec = spec_from_json(idata.attrs["spec"])
    posterior = idata.posterior
    masks = {name: ~idata.constant_data[f"{name}::observed"].to_numpy() for name in spec}
    for chain in range(posterior.sizes["chain"]):
        for draw in range(posterior.sizes["draw"]):
            frame = base.copy()
            for name, mask in masks.items():
                values = frame[name].to_numpy(dtype=float, na_value=np.nan, copy=True)
                values[mask] = posterior[f"{name}::missing"].to_numpy()[chain, draw]
                frame[name] = values
            yield frame


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
          when `include`) and ``.id`` (the input's row labels) as the first columns, as mice.
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
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=2, iterations=2, tune=50,
    ...                   seed=3, progressbar=False)
    >>> long = bm.complete(idata, "long")
    >>> long.shape, sorted(long[".imp"].unique().tolist())
    ((4000, 9), [1, 2])
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
        frames = [_observed_frame(idata), *frames]
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


def _observed_frame(idata: az.InferenceData) -> pd.DataFrame:
    """Rebuild the input frame from ``observed_data``: columns, row labels and dtypes."""
    observed = idata.observed_data
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
