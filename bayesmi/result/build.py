"""The InferenceData of an imputation run, assembled from the chains' traces and the data.

Layout (see `bayesmi.impute`): ``posterior`` holds every model's parameters
``<variable>::<parameter>`` and the imputed cells ``<variable>::missing`` over ``chain`` and
``draw`` (one imputation per pair, ``m = chains * draws``, numbered chain by chain);
``warmup_posterior`` holds burn-in parameters; both hold ``<variable>::missing_mean`` and
``<variable>::missing_sd``, the mean and SD of the imputed cells at every iteration, for trace
plots (for a categorical or ordinal variable ``<variable>::missing_share`` instead: the share
of the imputed cells in each category, over the dim ``<variable>::share``). ``sample_stats``
holds NUTS statistics per variable update, ``observed_data`` the input frame (NaN kept),
``constant_data`` cluster codes, missing masks and variable levels.
"""

from __future__ import annotations

import json
from importlib.metadata import version

import arviz as az
import numpy as np
import xarray as xr

from bayesmi.data.encoding import ImputationData
from bayesmi.result.frame_codec import (
    encode_frame,
    label_coordinate,
    row_coordinate,
    variable_names,
)
from bayesmi.result.trace import ChainTrace
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.serialize import spec_to_json

__all__ = ["build_inference_data"]


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
    coords: dict[str, object] = {"cluster": label_coordinate(data.cluster_labels)}
    for name in spec:
        per_chain = [trace.variables[name] for trace in traces]
        first = per_chain[0]
        coords.update(first.coords)
        rows = data.frame.index[data.missing[name]]
        coords[f"{name}::missing_row"] = label_coordinate(rows)
        for key, dims in first.dims.items():
            values = np.stack([trace.parameters[key] for trace in per_chain])
            _split(groups, "posterior", f"{name}::{key}", values, dims, warmup)
        for key in first.summary:
            values = np.stack([trace.summary[key] for trace in per_chain])
            dims = first.summary_dims.get(key, ())
            _split(groups, "posterior", f"{name}::{key}", values, dims, warmup)
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
    datasets["observed_data"], frame_description = encode_frame(data.frame)
    datasets["constant_data"] = _constant_data(data, spec)
    stamp = az.data.base.make_attrs(library=None)
    for dataset in datasets.values():
        dataset.attrs.update(stamp)
    idata = az.InferenceData(**datasets)
    idata.attrs.update(_run_attrs(data, spec, attrs) | {"frame": json.dumps(frame_description)})
    return idata


def _split(groups, group, name, values, dims, warmup) -> None:
    """Put iterations before `warmup` into the warmup group and the rest into `group`."""
    full_dims = ("chain", "draw", *dims)
    groups[group][name] = xr.DataArray(values[:, warmup:], dims=full_dims)
    if warmup:
        groups[f"warmup_{group}"][name] = xr.DataArray(values[:, :warmup], dims=full_dims)


def _constant_data(data: ImputationData, spec: dict[str, ImputationModel]) -> xr.Dataset:
    variables = {
        "cluster_code": xr.DataArray(data.cluster_codes, dims=("row",)),
        "cluster_size": xr.DataArray(data.cluster_sizes, dims=("cluster",)),
        "level": xr.DataArray(np.array(list(data.level.values()), dtype=np.int64), dims="column"),
    }
    for name in spec:
        variables[f"{name}::observed"] = xr.DataArray(~data.missing[name], dims=("row",))
    names = dict(zip(data.frame.columns, variable_names(data.frame.columns), strict=True))
    coords = {
        "row": row_coordinate(data.frame.index),
        "cluster": label_coordinate(data.cluster_labels),
        "column": [names[column] for column in data.level],
    }
    return xr.Dataset(variables, coords=coords)


def _run_attrs(data: ImputationData, spec: dict[str, ImputationModel], attrs: dict) -> dict:
    frame = data.frame
    occasions = {} if data.occasions is None else {"time": data.occasions.column}
    return (
        attrs
        | occasions
        | {
            "spec": spec_to_json(spec),
            "cluster": data.cluster,
            "cluster_columns": json.dumps([str(c) for c in data.groupings[-1].columns]),
            "columns": json.dumps([str(c) for c in frame.columns]),
            "dtypes": json.dumps({str(c): str(t) for c, t in frame.dtypes.items()}),
            "index_name": "" if frame.index.name is None else str(frame.index.name),
            "bayesmi_version": version("bayesmi"),
        }
    )
