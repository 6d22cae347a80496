"""The caller's frame in netCDF-safe arrays, and back exactly: every column, label and dtype.

`encode_frame` turns a DataFrame into the ``observed_data`` Dataset (one variable per column over
the ``row`` dim, holding only numbers, booleans and strings) and a JSON-ready description that
`decode_frame` needs to give back an equal frame: the same columns in order, column names and
row labels of their own types, every column in its own dtype (nullable integers and booleans,
strings and their missing values, categories and their order, dates with time zones,
objects of mixed types). `check_storable` runs that round trip before anything is sampled and
refuses, naming the column, what it cannot give back equal.

Values are written as JSON with a tag for what JSON lacks (``{"NA": 1}`` for ``pd.NA``,
``{"timestamp": ...}``, ``{"tuple": [...]}``, ...); variable names are the column names when
they are plain strings netCDF can hold, else ``column::<position>``.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from collections.abc import Hashable

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "check_storable",
    "decode_frame",
    "encode_frame",
    "from_json_value",
    "label_coordinate",
    "row_coordinate",
    "to_json_value",
    "variable_names",
]

RESERVED = {"row"}
"""The dim of ``observed_data``: a column of that name is stored under another."""


def variable_names(columns: pd.Index) -> list[str]:
    """Return the ``observed_data`` variable of each column: its name, or ``column::<k>``."""
    return [
        label if _plain_name(label) else f"column::{position}"
        for position, label in enumerate(columns)
    ]


def _plain_name(label: Hashable) -> bool:
    return (
        isinstance(label, str)
        and label != ""
        and "/" not in label
        and "::" not in label
        and label not in RESERVED
    )


def label_coordinate(labels: pd.Index | np.ndarray | list) -> np.ndarray:
    """Labels as a coordinate netCDF can hold: as they are when numbers or strings, else text."""
    index = pd.Index(labels)
    if _native(index):
        return np.asarray(index.to_numpy())
    return np.array([str(label) for label in index], dtype=object)


def _native(index: pd.Index) -> bool:
    """Whether labels are numbers or strings netCDF stores as they are (no missing ones)."""
    if index.hasnans:
        return False
    if isinstance(index.dtype, np.dtype) and index.dtype.kind in "iuf":
        return True
    return pd.api.types.is_string_dtype(index.dtype) and all(isinstance(v, str) for v in index)


def encode_frame(frame: pd.DataFrame) -> tuple[xr.Dataset, dict]:
    """Return the ``observed_data`` Dataset of a frame and the description to decode it."""
    names = variable_names(frame.columns)
    variables, columns = {}, []
    for name, (_, series) in zip(names, frame.items(), strict=True):
        array, info = _encode_column(series)
        variables[name] = xr.DataArray(array, dims=("row",))
        columns.append({"variable": name} | info)
    rows, row_info = _encode_rows(frame.index)
    if rows is not None:
        variables["index::labels"] = xr.DataArray(rows, dims=("row",))
    description = {
        "version": 1,
        "columns": columns,
        "column_index": _encode_index(frame.columns),
        "index": row_info,
    }
    dataset = xr.Dataset(variables, coords={"row": row_coordinate(frame.index)})
    return dataset, description


def decode_frame(dataset: xr.Dataset, description: dict) -> pd.DataFrame:
    """Rebuild the frame `encode_frame` encoded, equal to the original."""
    index = _decode_rows(dataset, description["index"])
    columns = _decode_index(description["column_index"])
    values = {
        position: _decode_column(dataset[info["variable"]].to_numpy(), info, index)
        for position, info in enumerate(description["columns"])
    }
    frame = pd.DataFrame(values, index=index)
    frame.columns = columns
    return frame


def check_storable(frame: pd.DataFrame) -> None:
    """Refuse a frame whose round trip through the result would not give it back equal.

    Raises
    ------
    TypeError
        Naming the first column (or the row labels) that cannot be stored exactly, with its
        dtype.
    """
    try:
        dataset, description = encode_frame(frame)
        back = decode_frame(dataset, description)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"the frame cannot be stored in the result as given: {error}. Convert that column "
            "(or the row labels) to numbers, strings, dates or a categorical first."
        ) from error
    if not back.index.equals(frame.index) or back.index.dtype != frame.index.dtype:
        raise TypeError(
            f"the row labels (dtype {frame.index.dtype}) cannot be stored in the result "
            "exactly; reset them with data.reset_index() or convert them to numbers or strings."
        )
    for position, label in enumerate(frame.columns):
        left, right = frame.iloc[:, position], back.iloc[:, position]
        if left.dtype != right.dtype or not left.equals(right) or back.columns[position] != label:
            raise TypeError(
                f"column {label!r} (dtype {left.dtype}) cannot be stored in the result exactly; "
                "convert it to numbers, strings, dates or a categorical first."
            )


def row_coordinate(index: pd.Index) -> np.ndarray:
    """Return the ``row`` coordinate: the row labels when numbers or strings, else positions."""
    if _native(index):
        return np.asarray(index.to_numpy())
    return np.arange(len(index))


def _encode_rows(index: pd.Index) -> tuple[np.ndarray | None, dict]:
    name = to_json_value(index.name)
    if isinstance(index, pd.RangeIndex):
        return None, {"range": [index.start, index.stop, index.step], "name": name}
    if _native(index):
        return None, {"coordinate": str(index.dtype), "name": name}
    array, info = _encode_column(pd.Series(index, dtype=index.dtype))
    return array, {"column": info, "name": name, "freq": getattr(index, "freqstr", None)}


def _decode_rows(dataset: xr.Dataset, info: dict) -> pd.Index:
    name = from_json_value(info["name"])
    if "range" in info:
        return pd.RangeIndex(*info["range"], name=name)
    if "coordinate" in info:
        values = dataset["row"].to_numpy()
        return pd.Index(values, dtype=info["coordinate"], name=name)
    positions = pd.RangeIndex(dataset.sizes["row"])
    series = _decode_column(dataset["index::labels"].to_numpy(), info["column"], positions)
    if info.get("freq") is not None:
        return pd.DatetimeIndex(series, freq=info["freq"], name=name)
    return pd.Index(series, name=name)


def _encode_index(index: pd.Index) -> dict:
    """Return a small index (column names, categories) as JSON."""
    if isinstance(index, pd.RangeIndex):
        return {"range": [index.start, index.stop, index.step], "name": to_json_value(index.name)}
    if isinstance(index.dtype, pd.CategoricalDtype):
        codes = index.codes.tolist()
        categories = _encode_index(index.categories)
        return {"categorical": [codes, categories, bool(index.ordered)], "name": None}
    return {
        "values": [to_json_value(value) for value in index],
        "dtype": str(index.dtype),
        "name": to_json_value(index.name),
    }


def _decode_index(info: dict) -> pd.Index:
    name = from_json_value(info["name"])
    if "range" in info:
        return pd.RangeIndex(*info["range"], name=name)
    if "categorical" in info:
        codes, categories, ordered = info["categorical"]
        values = pd.Categorical.from_codes(codes, _decode_index(categories), ordered=ordered)
        return pd.CategoricalIndex(values, name=name)
    values = [from_json_value(value) for value in info["values"]]
    if info["dtype"] == "object":
        return pd.Index(_object_array(values), dtype=object, name=name)
    return pd.Index(values, dtype=info["dtype"], name=name)


def _encode_column(series: pd.Series) -> tuple[np.ndarray, dict]:
    """One column as a netCDF-safe array and what decoding needs."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and (
        dtype.kind in "biu" or (dtype.kind == "f" and dtype.itemsize >= 4)
    ):
        return series.to_numpy(), {"kind": "numpy", "dtype": str(dtype)}
    if isinstance(dtype, pd.CategoricalDtype):
        info = {"kind": "categorical", "categories": _encode_index(dtype.categories)}
        return series.cat.codes.to_numpy(np.int64), info | {"ordered": bool(dtype.ordered)}
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return np.asarray(series.array.asi8, dtype=np.int64), {"kind": "i8", "dtype": str(dtype)}
    missing = series.isna().to_numpy()
    if isinstance(dtype, pd.StringDtype):
        values = np.array(
            ["" if gone else str(v) for v, gone in zip(series, missing, strict=True)], object
        )
        na = "NA" if dtype.na_value is pd.NA else "nan"
        info = {"kind": "string", "storage": dtype.storage, "na": na}
        return values, info | {"missing": np.flatnonzero(missing).tolist()}
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(series.array, "_data"):
        data = np.asarray(series.array._data)  # masked arrays: numbers and a mask
        info = {"kind": "masked", "dtype": str(dtype), "missing": np.flatnonzero(missing).tolist()}
        return data, info
    values = np.array([json.dumps(to_json_value(v)) for v in series], dtype=object)
    return values, {"kind": "json", "dtype": str(dtype)}


def _decode_column(values: np.ndarray, info: dict, index: pd.Index) -> pd.Series:
    kind = info["kind"]
    if kind == "numpy":
        return pd.Series(values.astype(info["dtype"]), index=index)
    if kind == "categorical":
        categories = _decode_index(info["categories"])
        data = pd.Categorical.from_codes(values.astype(int), categories, ordered=info["ordered"])
        return pd.Series(data, index=index)
    if kind == "i8":
        return pd.Series(_from_i8(values.astype(np.int64), info["dtype"]), index=index)
    if kind == "string":
        objects = values.astype(object)
        objects[info["missing"]] = None
        na_value = pd.NA if info["na"] == "NA" else np.nan
        dtype = pd.StringDtype(info["storage"], na_value=na_value)
        return pd.Series(pd.array(objects, dtype=dtype), index=index)
    if kind == "masked":
        data = pd.array(values, dtype=info["dtype"])
        data[info["missing"]] = pd.NA
        return pd.Series(data, index=index)
    objects = _object_array([from_json_value(json.loads(v)) for v in values])
    if info["dtype"] == "object":
        return pd.Series(objects, index=index, dtype=object)
    return pd.Series(pd.array(objects, dtype=info["dtype"]), index=index)


def _object_array(values: list) -> np.ndarray:
    """Return a 1-d object array of `values` (tuples stay elements, not rows)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _from_i8(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray | np.ndarray:
    target = pd.api.types.pandas_dtype(dtype)
    unit = getattr(target, "unit", None) or np.datetime_data(target)[0]
    if pd.api.types.is_timedelta64_dtype(target):
        return values.view(f"m8[{unit}]")
    naive = pd.DatetimeIndex(values.view(f"M8[{unit}]"))
    tz = getattr(target, "tz", None)
    return naive.tz_localize("UTC").tz_convert(tz).array if tz is not None else naive.array


def to_json_value(value: object) -> object:
    """Return a label or value as JSON, tagged where JSON has no type for it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else {"float": repr(value)}
    if value is pd.NA:
        return {"NA": 1}
    if value is pd.NaT:
        return {"NaT": 1}
    if isinstance(value, tuple):
        return {"tuple": [to_json_value(part) for part in value]}
    return _object_to_json(value)


def _object_to_json(value: object) -> dict:
    if isinstance(value, pd.Timestamp):
        return {"timestamp": value.isoformat(), "tz": None if value.tz is None else str(value.tz)}
    if isinstance(value, pd.Timedelta):
        return {"timedelta": value.isoformat()}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"pytimedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, complex | np.complexfloating):
        return {"complex": [value.real, value.imag]}
    raise TypeError(f"a value of type {type(value).__name__} ({value!r}) has no stored form")


_DECODERS = {
    "NA": lambda _: pd.NA,
    "NaT": lambda _: pd.NaT,
    "float": float,
    "tuple": lambda parts: tuple(from_json_value(part) for part in parts),
    "timedelta": pd.Timedelta,
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "pytimedelta": lambda parts: datetime.timedelta(*parts),
    "decimal": decimal.Decimal,
    "complex": lambda parts: complex(*parts),
}


def from_json_value(value: object) -> object:
    """Return the label or value `to_json_value` wrote."""
    if not isinstance(value, dict):
        return value
    if "timestamp" in value:
        stamp = pd.Timestamp(value["timestamp"])
        return stamp if value["tz"] is None else stamp.tz_convert(value["tz"])
    ((tag, content),) = value.items()
    return _DECODERS[tag](content)
