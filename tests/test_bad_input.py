"""Odd and bad inputs (issue 10): each is handled correctly or refused before sampling with an
error naming the column, rows or clusters and the fix."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm

RI = "y ~ x + (1 | g)"


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    g = np.repeat(np.arange(6), 10)
    data = pd.DataFrame({"g": g, "x": rng.standard_normal(60), "w": rng.standard_normal(60)})
    data["y"] = data["x"] + rng.standard_normal(60)
    data.loc[[1, 5, 9, 20, 33], "y"] = np.nan
    return data


@pytest.fixture
def no_sampling(monkeypatch):
    """Errors must come before any model is built."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built before the input was checked")

    monkeypatch.setattr("bayesmi.engines.parallel.run_block", refuse)


def impute(data, spec, **settings):
    options = {"chains": 2, "iterations": 3, "tune": 30, "steps": 2, "seed": 1, "cores": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(data, spec, cluster="g", progressbar=False, **options | settings)


def check_completed(idata, data):
    """Observed cells unchanged, no missing cell left, row labels kept."""
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for completed in frames:
        assert list(completed.index) == list(data.index)
        observed = data.notna()
        assert completed[observed].equals(data[observed])
        assert completed.notna().all().all()


@pytest.mark.usefixtures("no_sampling")
def test_date_predictors_are_refused(frame):
    frame["s"] = pd.date_range("2020-01-01", periods=len(frame))
    message = "column 's' used in .* holds neither numbers nor categories .*astype\\('category'\\)"
    with pytest.raises(TypeError, match=message):
        impute(frame, {"y": bm.random_intercept("y ~ s + (1 | g)")})


@pytest.mark.usefixtures("no_sampling")
@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_values_are_refused_with_their_rows(frame, value):
    frame.loc[[4, 7], "x"] = value
    with pytest.raises(ValueError, match=r"column 'x' has infinite values \(rows 4, 7\)"):
        impute(frame, {"y": bm.random_intercept(RI)})


@pytest.mark.usefixtures("no_sampling")
def test_duplicated_row_labels_are_refused(frame):
    frame.index = [0, 0, *range(2, 60)]
    with pytest.raises(ValueError, match=r"duplicated row labels \(0\).*reset_index"):
        impute(frame, {"y": bm.random_intercept(RI)})


@pytest.mark.usefixtures("no_sampling")
def test_single_observed_value_is_refused(frame):
    frame.loc[1:, "y"] = np.nan
    with pytest.raises(ValueError, match="target 'y' has 1 observed value"):
        impute(frame, {"y": bm.random_intercept(RI)})


@pytest.mark.usefixtures("no_sampling")
def test_constant_predictor_is_refused(frame):
    frame["k"] = 1.0
    with pytest.raises(ValueError, match=r"predictor 'k' of .* is constant .* drop it"):
        impute(frame, {"y": bm.random_intercept("y ~ x + k + (1 | g)")})


@pytest.mark.usefixtures("no_sampling")
def test_collinear_predictors_are_refused_by_name(frame):
    frame["x2"] = 2 * frame["x"] - 1
    with pytest.raises(ValueError, match=r"predictors x, x2 of .* are perfectly collinear"):
        impute(frame, {"y": bm.random_intercept("y ~ x + w + x2 + (1 | g)")})


@pytest.mark.usefixtures("no_sampling")
def test_incomplete_predictor_without_a_model_names_its_rows(frame):
    frame["x"] = frame["x"].astype("Float64")
    frame.loc[[3, 8], "x"] = pd.NA
    with pytest.raises(ValueError, match=r"predictor 'x' .* 2 missing values \(rows 3, 8\)"):
        impute(frame, {"y": bm.random_intercept(RI)})


def test_nullable_dtypes_with_pd_na_are_imputed(frame):
    frame["y"] = frame["y"].astype("Float64")
    frame["b"] = pd.array([True, False, False] * 20, dtype="boolean")
    frame.loc[[2, 11, 40], "b"] = pd.NA
    frame["n"] = pd.array(np.arange(60) % 4, dtype="Int64")
    spec = {
        "y": bm.random_intercept("y ~ x + n + (1 | g)"),
        "b": bm.binary("b ~ x + (1 | g)"),
    }
    idata = impute(frame, spec)
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for completed in frames:
        assert completed["y"].notna().all()
        assert set(completed["b"].astype(float).unique()) <= {0.0, 1.0}
        assert completed.loc[0, "y"] == frame.loc[0, "y"]


def test_non_default_index_and_string_clusters_keep_their_labels(frame):
    frame.index = [f"r{k}" for k in range(60)]
    frame["g"] = frame["g"].map(lambda code: f"school {code}")
    idata = impute(frame, {"y": bm.random_intercept(RI)})
    check_completed(idata, frame)
    assert list(idata.posterior["y::u"].coords["cluster"].values)[:2] == ["school 0", "school 1"]


def test_float_cluster_ids(frame):
    frame["g"] = frame["g"] + 0.5
    idata = impute(frame, {"y": bm.random_intercept(RI)})
    check_completed(idata, frame)
    assert list(idata.constant_data["cluster"].values) == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]


def test_cluster_of_size_one(frame):
    frame.loc[59, "g"] = 99
    frame.loc[59, "y"] = np.nan
    idata = impute(frame, {"y": bm.random_intercept(RI)})
    check_completed(idata, frame)
    assert idata.constant_data["cluster_size"].sel(cluster=99).item() == 1


def test_cluster_with_every_variable_missing(frame):
    frame.loc[frame["g"] == 2, ["x", "y"]] = np.nan
    spec = {"x": bm.random_intercept("x ~ w + (1 | g)"), "y": bm.random_intercept(RI)}
    idata = impute(frame, spec)
    check_completed(idata, frame)
    table = bm.missing_pattern(frame, cluster="g").clusters
    assert table.loc[2, ["x_systematic", "y_systematic"]].all()


def test_binary_target_all_zero_in_a_cluster(frame):
    frame["b"] = (frame["x"] > 0).astype(float)
    frame.loc[frame["g"] == 1, "b"] = 0.0
    frame.loc[[12, 13, 30], "b"] = np.nan
    frame = frame.drop(columns="y")
    idata = impute(frame, {"b": bm.binary("b ~ x + (1 | g)")})
    check_completed(idata, frame)
    assert set(np.unique(idata.posterior["b::missing"])) <= {0.0, 1.0}


def test_target_without_missing_values_is_passed_through(frame):
    complete = frame.dropna()
    with pytest.warns(UserWarning, match="nothing to impute"):
        idata = impute(complete, {"y": bm.random_intercept(RI)})
    frames = list(bm.completed(idata))
    assert frames
    assert all(completed.equals(complete) for completed in frames)
