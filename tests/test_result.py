import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


def assert_same_inference_data(left, right):
    assert left.groups() == right.groups()
    for group in left.groups():
        xr_left, xr_right = left[group], right[group]
        assert xr_left.identical(xr_right), group
    assert left.attrs == right.attrs


def test_netcdf_round_trip_gives_an_equal_object(two_variable_idata, tmp_path):
    path = tmp_path / "run.nc"
    two_variable_idata.to_netcdf(str(path))
    loaded = az.from_netcdf(str(path))
    assert_same_inference_data(two_variable_idata, loaded)
    for before, after in zip(bm.completed(two_variable_idata), bm.completed(loaded), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_datatree_in_arviz_1s_layout_round_trips_through_netcdf(two_variable_idata, tmp_path):
    """bm.to_datatree: a child per group, the run's attrs on the root; written to netCDF and
    read back with xarray.open_datatree it holds the same content, and the functions that read
    a result take it: equal completed frames, summary and pooled analysis."""
    import statsmodels.formula.api as smf
    import xarray as xr

    tree = bm.to_datatree(two_variable_idata)
    assert isinstance(tree, xr.DataTree)
    assert set(tree.children) == set(two_variable_idata.groups())
    assert tree.attrs == two_variable_idata.attrs
    for group in two_variable_idata.groups():
        assert tree[group].to_dataset().identical(two_variable_idata[group]), group
    path = tmp_path / "tree.nc"
    tree.to_netcdf(str(path))
    loaded = xr.open_datatree(str(path))
    assert loaded.attrs == two_variable_idata.attrs
    for group in two_variable_idata.groups():
        assert loaded[group].to_dataset().identical(two_variable_idata[group]), group
    for before, after in zip(bm.completed(two_variable_idata), bm.completed(loaded), strict=True):
        pd.testing.assert_frame_equal(before, after)
    pd.testing.assert_frame_equal(bm.summary(loaded), bm.summary(two_variable_idata))
    pd.testing.assert_frame_equal(
        bm.complete(loaded, "long"), bm.complete(two_variable_idata, "long")
    )

    def analysis(frame):
        return smf.ols("y ~ x", frame).fit()

    pd.testing.assert_frame_equal(
        bm.pool(bm.fit_each(loaded, analysis)),
        bm.pool(bm.fit_each(two_variable_idata, analysis)),
    )
    assert bm.to_datatree(tree) is tree
    with pytest.raises(TypeError, match="expected the InferenceData"):
        bm.to_datatree({"posterior": None})


def test_round_trip_with_string_clusters_and_labels(tmp_path, make_data, impute_quietly):
    data = make_data(seed=3).drop(columns="x")
    data["g"] = "school-" + data["g"].astype(str)
    data.index = [f"pupil{i}" for i in range(len(data))]
    data.index.name = "pupil"
    idata = impute_quietly(data, {"y": bm.random_intercept("y ~ w + (1 | g)")})
    path = tmp_path / "strings.nc"
    idata.to_netcdf(str(path))
    loaded = az.from_netcdf(str(path))
    assert_same_inference_data(idata, loaded)
    frame = next(bm.completed(loaded))
    assert frame.index.name == "pupil"
    assert list(frame.index) == list(data.index)
    assert list(frame["g"]) == list(data["g"])


def test_completed_frames_keep_columns_labels_and_dtypes(two_variable_data, two_variable_idata):
    frames = list(bm.completed(two_variable_idata))
    assert len(frames) == 4
    for frame in frames:
        assert list(frame.columns) == list(two_variable_data.columns)
        assert frame.index.equals(two_variable_data.index)
        assert frame["g"].dtype == two_variable_data["g"].dtype


def test_completed_order_is_chain_by_chain(two_variable_data, two_variable_idata):
    cells = two_variable_idata.posterior["y::missing"]
    mask = two_variable_data["y"].isna()
    frames = list(bm.completed(two_variable_idata))
    np.testing.assert_array_equal(frames[1].loc[mask, "y"], cells.isel(chain=0, draw=1))
    np.testing.assert_array_equal(frames[2].loc[mask, "y"], cells.isel(chain=1, draw=0))


def test_complete_long_is_mice_format(two_variable_data, two_variable_idata):
    long = bm.complete(two_variable_idata, "long")
    n = len(two_variable_data)
    assert list(long.columns[:2]) == [".imp", ".id"]
    assert long.shape == (4 * n, 2 + two_variable_data.shape[1])
    assert list(long[".imp"].unique()) == [1, 2, 3, 4]
    assert list(long.loc[long[".imp"] == 2, ".id"]) == list(two_variable_data.index)
    with_original = bm.complete(two_variable_idata, "long", include=True)
    original = with_original[with_original[".imp"] == 0]
    assert original["y"].isna().sum() == two_variable_data["y"].isna().sum()


def test_complete_wide_all_and_single(two_variable_data, two_variable_idata):
    wide = bm.complete(two_variable_idata, "wide")
    assert wide.shape == (len(two_variable_data), 4 * two_variable_data.shape[1])
    assert "y.3" in wide.columns
    frames = bm.complete(two_variable_idata, "all")
    assert len(frames) == 4
    third = bm.complete(two_variable_idata, 3)
    pd.testing.assert_frame_equal(third, frames[2])


@pytest.mark.parametrize("action", ["broad", 0, 5])
def test_complete_refuses_unknown_actions(two_variable_idata, action):
    with pytest.raises(ValueError, match=r"imputation|action must be one of"):
        bm.complete(two_variable_idata, action)


def test_attrs_hold_spec_seed_engine_and_version(two_variable_idata, two_variable_spec):
    attrs = two_variable_idata.attrs
    assert attrs["engine"] == "chained"
    assert attrs["seed"] == "1"
    assert attrs["bayesmi_version"] == bm.__version__
    from bayesmi.spec import spec_from_json

    assert spec_from_json(attrs["spec"]) == two_variable_spec
