"""Imputations made by R's mice, read back as a result that bayesmi pools, exports and plots.

In R the imputations are written in mice's long format, the original data included::

    write.csv(complete(imp, action = "long", include = TRUE), "imp.csv", row.names = FALSE)

`read_mids` reads that file (or such a frame) into an InferenceData laid out as
`bayesmi.impute`'s (observed data, each imputed variable's observed mask and imputed cells per
imputation), so `completed`, `complete`, `fit_each` with `pool`, the exports and
`plot_imputed` work on it. It holds no models: nothing about how mice drew the values, so the
convergence diagnostics and `impute_new` do not apply.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayesmi.data.factors import factor_codes, factor_of
from bayesmi.messages import show
from bayesmi.result.frame_codec import encode_frame, label_coordinate, row_coordinate

__all__ = ["read_mids"]


def read_mids(source: str | Path | pd.DataFrame, cluster: str | None = None) -> az.InferenceData:
    """Read imputations exported from R's mice (long format, original data included).

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A CSV written from ``complete(imp, action = "long", include = TRUE)``, or that frame:
        ``.imp`` 0 the incomplete data, 1..m the completed datasets, ``.id`` the rows.
    cluster : str, optional
        The cluster column, for the per-cluster panels of `bayesmi.plot_imputed`; without
        one every row counts as one cluster.

    Returns
    -------
    arviz.InferenceData
        One imputation per chain (``draw`` of length 1), the variables mice imputed (missing
        in ``.imp`` 0, filled in the imputations) as ``<name>::missing``. Text columns are
        factors, their categories those seen in any imputation.

    Raises
    ------
    ValueError
        Without ``.imp`` or ``.id``, without ``.imp`` 0 (export with ``include = TRUE``),
        with imputations whose rows differ from the original data's, or a `cluster` that is
        not a complete column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> path = bm.to_mids_csv(idata, pathlib.Path(tempfile.mkdtemp()) / "imp.csv")
    >>> again = bm.read_mids(path)
    >>> len(list(bm.completed(again)))
    3
    """
    long = pd.read_csv(source) if not isinstance(source, pd.DataFrame) else source.copy()
    _check_long(long)
    numbers = sorted(long[".imp"].unique())
    original = long[long[".imp"] == 0].drop(columns=[".imp", ".id"])
    ids = long.loc[long[".imp"] == 0, ".id"].to_numpy()
    frames = []
    for number in numbers[1:]:
        part = long[long[".imp"] == number]
        if not np.array_equal(part[".id"].to_numpy(), ids):
            raise ValueError(
                f"imputation {number} has other rows (.id) than the original data (.imp 0): "
                "export every imputation of the same data."
            )
        frames.append(part.drop(columns=[".imp", ".id"]).set_axis(original.index))
    original = _as_factors(original, frames)
    original.index = pd.Index(ids, name=".id")
    frames = [frame.set_axis(original.index) for frame in frames]
    imputed = [
        column
        for column in original.columns
        if original[column].isna().any()
        and all(frame.loc[original[column].isna(), column].notna().all() for frame in frames)
    ]
    posterior, constant = {}, {}
    coords = {"row": row_coordinate(original.index)}
    for name in imputed:
        mask = original[name].isna().to_numpy()
        factor = factor_of(original[name])
        cells = [
            factor_codes(frame[name].astype(original[name].dtype), factor)[mask]
            if factor is not None
            else frame[name].to_numpy(dtype=float)[mask]
            for frame in frames
        ]
        posterior[f"{name}::missing"] = xr.DataArray(
            np.stack(cells)[:, None, :], dims=("chain", "draw", f"{name}::missing_row")
        )
        coords[f"{name}::missing_row"] = label_coordinate(original.index[mask])
        constant[f"{name}::observed"] = xr.DataArray(~mask, dims=("row",))
    codes, labels = _clusters(original, cluster)
    constant |= {
        "cluster_code": xr.DataArray(codes, dims=("row",)),
        "cluster_size": xr.DataArray(np.bincount(codes), dims=("cluster",)),
    }
    chains = {"chain": np.arange(len(frames)), "draw": [0]}
    observed, description = encode_frame(original)
    idata = az.InferenceData(
        posterior=xr.Dataset(posterior, coords=chains).assign_coords(
            {key: value for key, value in coords.items() if key != "row"}
        ),
        observed_data=observed,
        constant_data=xr.Dataset(constant, coords={"row": coords["row"], "cluster": labels}),
    )
    idata.attrs.update(
        {
            "engine": "mice (read by bm.read_mids)",
            "spec": "[]",
            "imported": json.dumps(imputed),
            "iterations": 1,
            "draws": 1,
            "cluster": "" if cluster is None else str(cluster),
            "frame": json.dumps(description),
            "bayesmi_version": version("bayesmi"),
        }
    )
    return idata


def _clusters(original: pd.DataFrame, cluster: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Return every row's cluster code and the clusters' labels (one cluster without any)."""
    if cluster is None:
        return np.zeros(len(original), dtype=int), np.array(["all rows"], dtype=object)
    if cluster not in original.columns or original[cluster].isna().any():
        raise ValueError(
            f"cluster {cluster!r} is not a complete column of the file; its columns are "
            f"{show(list(original.columns), 20)}."
        )
    codes, labels = pd.factorize(original[cluster], sort=True)
    return codes, label_coordinate(labels)


def _check_long(long: pd.DataFrame) -> None:
    """Refuse a frame that is not mice's long format with the original data."""
    absent = [column for column in (".imp", ".id") if column not in long.columns]
    if absent:
        raise ValueError(
            f"the file has no {show(absent)} column: write it in R with "
            'write.csv(complete(imp, action = "long", include = TRUE), path, row.names = FALSE).'
        )
    if not (long[".imp"] == 0).any():
        raise ValueError(
            "the file has no .imp 0 (the incomplete data), so the imputed cells cannot be told "
            'from the observed ones: export with complete(imp, "long", include = TRUE).'
        )
    if long[".imp"].nunique() < 2:
        raise ValueError("the file holds the original data only (.imp 0), no imputation.")


def _as_factors(original: pd.DataFrame, frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Make text columns categoricals whose categories are those any imputation holds."""
    original = original.copy()
    for column in original.columns:
        series = original[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        values = pd.concat([series, *(frame[column] for frame in frames)]).dropna().unique()
        original[column] = pd.Categorical(series, categories=sorted(values))
    return original
