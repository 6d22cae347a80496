"""Bad input is refused before any model is compiled, with the column and the fix named."""

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm

RI = "y ~ w + (1 | g)"


@pytest.fixture
def data(two_variable_data):
    return two_variable_data.drop(columns="x").copy()


@pytest.fixture(autouse=True)
def _no_compilation(monkeypatch):
    """Any model build during these tests is a failure: errors must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was built before the input was checked")

    monkeypatch.setattr("bayesmi.engines.parallel.run_block", refuse)


def impute(data, spec, cluster="g", **settings):
    return bm.impute(data, spec, cluster=cluster, progressbar=False, **settings)


def test_data_must_be_a_frame():
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        impute(np.zeros((3, 3)), {"y": bm.random_intercept(RI)})


def test_cluster_column_absent(data):
    with pytest.raises(ValueError, match="cluster column 'school' is not in data"):
        impute(data, {"y": bm.random_intercept(RI)}, cluster="school")


def test_cluster_column_with_missing_values(data):
    data.loc[[4, 17], "g"] = np.nan
    with pytest.raises(ValueError, match=r"cluster column 'g' has 2 missing values \(rows 4, 17\)"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_fewer_than_two_clusters(data):
    data["g"] = 1
    with pytest.raises(ValueError, match="cluster column 'g' holds 1 cluster"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_target_absent(data):
    with pytest.raises(ValueError, match="target 'v' of the formula 'v ~ w"):
        impute(data, {"v": bm.random_intercept("v ~ w + (1 | g)")})


def test_predictor_absent(data):
    with pytest.raises(ValueError, match="predictor 'q' of the formula"):
        impute(data, {"y": bm.random_intercept("y ~ q + (1 | g)")})


def test_categorical_target_of_a_normal_model(data):
    data["y"] = np.where(data["y"] > 0, "high", "low")
    data.loc[data.index[:3], "y"] = None
    with pytest.raises(ValueError, match=r"target 'y' is categorical .* impute it with bm.binary"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_binary_target_with_three_categories(data):
    data["y"] = pd.cut(data["y"], 3, labels=["low", "mid", "high"])
    data.loc[data.index[:3], "y"] = None
    with pytest.raises(ValueError, match=r"binary target 'y' has 3 categories .*bm.categorical"):
        impute(data, {"y": bm.binary(RI)})


def test_predictor_with_missing_values_no_spec_imputes(two_variable_data):
    with pytest.raises(ValueError, match=r"predictor 'x' of .* has 1[0-9] missing values"):
        impute(two_variable_data, {"y": bm.random_intercept("y ~ x + (1 | g)")})


def test_grouping_factor_other_than_the_cluster(data):
    data["h"] = data["g"] % 2
    with pytest.raises(ValueError, match=r"grouping factor 'h' .* is not the cluster column 'g'"):
        impute(data, {"y": bm.random_slopes("y ~ w + (1 + w | h)")})


def test_fully_missing_column(data):
    data["y"] = np.nan
    with pytest.raises(ValueError, match="target 'y' is missing in every row"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_cluster_without_observed_target_under_fixed_cluster(data):
    data.loc[data["g"].isin([2, 5]), "y"] = np.nan
    with pytest.raises(ValueError, match=r"clusters 2, 5 of 'g'\).*bm.random_intercept"):
        impute(data, {"y": bm.fixed_cluster("y ~ w")})


@pytest.mark.parametrize(
    ("setting", "value", "error", "message"),
    [
        ("chains", 0, ValueError, "chains must be at least 1, got 0"),
        ("iterations", 0, ValueError, "iterations must be at least 1, got 0"),
        ("draws", 5, ValueError, r"draws \(5\) cannot exceed iterations \(4\)"),
        ("tune", -1, ValueError, "tune must be at least 0"),
        ("chains", 2.5, TypeError, "chains must be an integer"),
        ("steps", 0, ValueError, "steps must be at least 1"),
        ("cores", 0, ValueError, "cores must be at least 1"),
        ("target_accept", 1.2, ValueError, "target_accept must be a number strictly between"),
    ],
)
def test_bad_settings(data, setting, value, error, message):
    settings = {"iterations": 4} | {setting: value}
    with pytest.raises(error, match=message):
        impute(data, {"y": bm.random_intercept(RI)}, **settings)


def test_spec_must_be_a_mapping(data):
    with pytest.raises(TypeError, match="spec must be a mapping"):
        impute(data, [bm.random_intercept(RI)])


def test_spec_key_must_be_the_target(data):
    with pytest.raises(ValueError, match="spec key 'w' does not match the target"):
        impute(data, {"w": bm.random_intercept(RI)})


def test_infinite_values(data):
    data.loc[7, "w"] = np.inf
    with pytest.raises(ValueError, match=r"column 'w' has infinite values \(rows 7\)"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_duplicated_row_labels(data):
    data.index = [0] * 2 + list(range(2, len(data)))
    with pytest.raises(ValueError, match=r"duplicated row labels \(0\).*reset_index"):
        impute(data, {"y": bm.random_intercept(RI)})


def test_cluster_as_predictor(data):
    with pytest.raises(ValueError, match="cluster column 'g' cannot be"):
        impute(data, {"y": bm.random_intercept("y ~ g + (1 | g)")})


def test_no_missing_anywhere_passes_the_data_through(data):
    data["y"] = data["y"].fillna(0.0)
    with pytest.warns(UserWarning, match="nothing to impute") as caught:
        idata = impute(data, {"y": bm.random_intercept(RI)}, chains=3)
    assert any("y have no missing values" in str(w.message) for w in caught)
    frames = list(bm.completed(idata))
    assert len(frames) == 3
    assert all(frame.equals(data) for frame in frames)


def test_errors_leave_the_frame_alone(data):
    before = data.copy()
    with pytest.raises(ValueError, match="cluster column"):
        impute(data, {"y": bm.random_intercept(RI)}, cluster="nope")
    pd.testing.assert_frame_equal(data, before)


# the model family's level structure ----------------------------------------------------


def test_random_slope_on_a_level_2_variable(data):
    with pytest.raises(ValueError, match=r"random slope on 'z' .*\(level 2\).*not identified"):
        impute(data, {"y": bm.random_slopes("y ~ w + z + (1 + z | g)")})


def test_random_slope_on_a_cluster_mean(data):
    with pytest.raises(ValueError, match="random slope on 'w_mean'"):
        impute(data, {"y": bm.random_slopes("y ~ w + w_mean + (1 + w_mean | g)")})


def test_binary_model_on_a_non_binary_column(data):
    with pytest.raises(ValueError, match="binary target 'y' has values other than 0 and 1"):
        impute(data, {"y": bm.binary("y ~ w + (1 | g)")})


def test_cluster_level_model_on_a_level_1_variable(data):
    with pytest.raises(ValueError, match=r"cluster_level target 'y' varies within clusters \(0, 1"):
        impute(data, {"y": bm.cluster_level("y ~ z")})


def test_cluster_level_model_with_a_raw_level_1_predictor(data):
    data["z2"] = data["z"].where(data["g"] != 3)
    with pytest.raises(ValueError, match="write its cluster mean w_mean instead"):
        impute(data, {"z2": bm.cluster_level("z2 ~ w")})


def test_own_cluster_mean_as_predictor(data):
    with pytest.raises(ValueError, match="'y' is predicted by its own cluster mean"):
        impute(data, {"y": bm.random_intercept("y ~ w + y_mean + (1 | g)")})


def test_cluster_mean_of_an_absent_column(data):
    with pytest.raises(ValueError, match=r"'q_mean' .* \(nor is 'q', whose cluster mean"):
        impute(data, {"y": bm.random_intercept("y ~ q_mean + (1 | g)")})


def test_slope_without_fixed_effect():
    with pytest.raises(ValueError, match="random slope on x but no fixed effect"):
        bm.random_slopes("y ~ w + (1 + x | g)")
