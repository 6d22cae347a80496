"""bayesmi.sklearn.MultilevelImputer: the scikit-learn transformer API over impute/impute_new."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from bayesmi.sklearn import MultilevelImputer  # noqa: E402

FAST = {"chains": 2, "iterations": 6, "random_state": 1}

NOT_CLUSTERED = (
    "scikit-learn's generated data are not clustered: the cluster column x0 holds a distinct "
    "float in every row, and a random intercept of groups of one row is refused (as lme4 "
    "does); the behaviour is tested on clustered data in this file"
)
EXPECTED_FAILURES = {
    "check_fit_score_takes_y": NOT_CLUSTERED,
    "check_estimators_overwrite_params": NOT_CLUSTERED,
    "check_dont_overwrite_parameters": NOT_CLUSTERED,
    "check_estimators_fit_returns_self": NOT_CLUSTERED,
    "check_readonly_memmap_input": NOT_CLUSTERED,
    "check_n_features_in_after_fitting": NOT_CLUSTERED,
    "check_estimators_dtypes": NOT_CLUSTERED,
    "check_pipeline_consistency": NOT_CLUSTERED,
    "check_f_contiguous_array_estimator": NOT_CLUSTERED,
    "check_transformer_data_not_an_array": NOT_CLUSTERED,
    "check_transformer_general": NOT_CLUSTERED,
    "check_transformer_preserve_dtypes": NOT_CLUSTERED,
    "check_methods_sample_order_invariance": NOT_CLUSTERED,
    "check_methods_subset_invariance": NOT_CLUSTERED,
    "check_dict_unchanged": NOT_CLUSTERED,
    "check_fit_idempotent": NOT_CLUSTERED,
    "check_fit_check_is_fitted": NOT_CLUSTERED,
    "check_n_features_in": NOT_CLUSTERED,
    "check_fit2d_predict1d": NOT_CLUSTERED,
    "check_dtype_object": (
        "an object array of distinct float strings is a nominal feature of one row per "
        "category, which a multinomial model refuses (each category needs two rows)"
    ),
    "check_estimators_pickle": (
        "the check puts NaN into every column, the cluster id included; a row without its "
        "cluster is refused (pickling is tested on clustered data here)"
    ),
}


@pytest.fixture(scope="module")
def pupils():
    """popmis' pupils: school, popularity (missing), sex, teacher experience; a binary y."""
    df = bm.datasets.load_popmis()
    X = df[["school", "popular", "sex", "texp"]]
    y = (df["teachpop"] > df["teachpop"].median()).astype(int)
    return X, y, df["school"]


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return function(*args, **kwargs)


def test_estimator_checks_pass_where_they_apply():
    """Every scikit-learn estimator check passes but those whose generated data cannot be
    multilevel (listed with the reason)."""
    estimator = MultilevelImputer(0, chains=2, iterations=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = {result["check_name"] for result in results if result["status"] == "failed"}
    passed = {result["check_name"] for result in results if result["status"] == "passed"}
    assert failed <= set(EXPECTED_FAILURES), failed - set(EXPECTED_FAILURES)
    assert {
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimators_empty_data_messages",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_estimator_sparse_array",
        "check_complex_data",
    } <= passed


def test_a_pipeline_with_a_classifier_runs_under_cross_validation(pupils):
    """Folds by school: every test fold's pupils are of schools the imputer never saw."""
    X, y, schools = pupils
    pipeline = make_pipeline(MultilevelImputer("school", **FAST), LogisticRegression(max_iter=500))
    scores = quiet(cross_val_score, pipeline, X, y, cv=GroupKFold(3), groups=schools)
    assert scores.shape == (3,)
    assert np.all((scores > 0.5) & (scores <= 1.0))


def test_the_imputer_is_an_estimator_of_scikit_learn(pupils):
    X, _, _ = pupils
    imputer = MultilevelImputer("school", **FAST)
    assert clone(imputer).get_params() == imputer.get_params()
    assert quiet(imputer.fit, X) is imputer
    assert imputer.n_features_in_ == 4
    assert list(imputer.feature_names_in_) == ["school", "popular", "sex", "texp"]
    assert list(imputer.get_feature_names_out()) == ["popular", "sex", "texp"]
    first = imputer.transform(X.iloc[:50])
    again = imputer.transform(X.iloc[:50])  # the same random_state, the same table
    pd.testing.assert_frame_equal(first, again)
    assert first["popular"].notna().all()
    observed = X["popular"].iloc[:50].notna()
    np.testing.assert_array_equal(first["popular"][observed], X["popular"].iloc[:50][observed])
    loaded = pickle.loads(pickle.dumps(imputer))
    pd.testing.assert_frame_equal(loaded.transform(X.iloc[:50]), first)
    with pytest.raises(ValueError, match="other columns than the data the imputer was fitted"):
        imputer.transform(X[["school", "sex", "popular", "texp"]])


def test_the_table_is_the_mean_or_one_imputation_and_all_are_at_hand(pupils):
    X, _, _ = pupils
    table = quiet(
        MultilevelImputer("school", **FAST).set_output(transform="pandas").fit_transform, X
    )
    imputer = MultilevelImputer("school", imputation=1, keep_cluster=True, **FAST)
    chosen = quiet(imputer.fit_transform, X)
    frames = imputer.completed_
    assert len(frames) == 2
    pd.testing.assert_frame_equal(chosen, frames[1])
    mean = np.mean([frame["popular"] for frame in frames], axis=0)
    np.testing.assert_allclose(table["popular"], mean)
    assert list(table.columns) == ["popular", "sex", "texp"]
    array = quiet(MultilevelImputer(0, **FAST).fit_transform, X.to_numpy())
    assert isinstance(array, np.ndarray)
    assert array.shape == (2000, 3)
    assert not np.isnan(array).any()
    pooled = imputer.transform_all(X.iloc[:30])
    assert len(pooled) == 2
    assert all(frame["popular"].notna().all() for frame in pooled)
    with pytest.raises(ValueError, match="imputation must be 'mean' or a number from 0 to 1"):
        quiet(MultilevelImputer("school", imputation=5, **FAST).fit, X)
    with pytest.raises(ValueError, match="needs cluster="):
        MultilevelImputer(**FAST).fit(X)
