"""Factors in, factors out: dummies of factor predictors, every dtype given back, clear errors."""

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.spec.terms import parse_formula

FAST = {"chains": 2, "iterations": 4, "tune": 20, "progressbar": False, "seed": 5}


def make_school():
    """12 schools of 8 pupils: factors of every kind beside numbers, some of them incomplete."""
    rng = np.random.default_rng(3)
    n = 96
    g = np.repeat(np.arange(12), 8)
    x = rng.normal(size=n)
    sex = np.where(rng.random(n) < 0.5, "boy", "girl")
    frame = pd.DataFrame(
        {
            "school": g,
            "x": x,
            "y": 1
            + 0.5 * x
            + 0.4 * (sex == "girl")
            + rng.normal(0, 0.5, 12)[g]
            + rng.normal(size=n),
            "sex": pd.Series(sex, dtype=object),
            "ses": pd.Categorical(
                rng.choice(["low", "mid", "high"], n),
                categories=["low", "mid", "high"],
                ordered=True,
            ),
            "score": pd.array(rng.integers(2, 10, n), dtype="Int64"),
            "flag": pd.array(rng.random(n) < 0.4, dtype="boolean"),
            "name": pd.array([f"p{k}" for k in range(n)], dtype="string"),
            "weight": rng.normal(size=n).astype(np.float32),
            "level": pd.Categorical(rng.choice([3, 1, 2], n), categories=[3, 1, 2]),
            "ratio": pd.array(rng.random(n), dtype="Float64"),
            "count": rng.integers(0, 5, n),
        }
    )
    missing = rng.random((n, 4)) < 0.2
    frame.loc[missing[:, 0], "y"] = np.nan
    frame.loc[missing[:, 1], "sex"] = None
    frame.loc[missing[:, 2], "score"] = pd.NA
    frame.loc[missing[:, 3], "flag"] = pd.NA
    return frame


@pytest.fixture
def school():
    return make_school()


def test_factor_terms_give_one_dummy_per_non_reference_category(school):
    data = encode(school, "school")
    formula = parse_formula("y ~ sex + ses + sex_mean + sex:x + C(count)")
    columns = data.design_columns(formula.fixed)
    assert [column.name for column in columns] == [
        "sex[girl]",
        "ses[mid]",
        "ses[high]",
        "sex_mean[girl]",
        "sex[girl]:x",
        "C(count)[1]",
        "C(count)[2]",
        "C(count)[3]",
        "C(count)[4]",
    ]
    values = data.design(columns)
    girl = (school["sex"] == "girl").to_numpy(dtype=float)
    girl[school["sex"].isna().to_numpy()] = np.nan
    np.testing.assert_array_equal(values[:, 0], girl)
    np.testing.assert_array_equal(values[:, 2], (school["ses"] == "high").to_numpy(dtype=float))
    proportion = school.assign(girl=girl).groupby("school")["girl"].transform("mean")
    np.testing.assert_allclose(values[:, 3], proportion.to_numpy())
    np.testing.assert_array_equal(values[:, 4], girl * school["x"].to_numpy())
    np.testing.assert_array_equal(values[:, 5], (school["count"] == 1).to_numpy(dtype=float))


def test_dummies_follow_the_current_imputations(school):
    data = encode(school, "school")
    (column,) = data.design_columns(parse_formula("y ~ sex").fixed)
    codes = data.values("sex")
    codes[np.isnan(codes)] = 1.0  # every missing sex imputed "girl"
    np.testing.assert_array_equal(data.design([column], {"sex": codes})[:, 0], codes)


@pytest.fixture(scope="module")
def imputed():
    school = make_school()
    spec = {
        "sex": bm.binary("sex ~ y + x + (1 | school)"),
        "flag": bm.binary("flag ~ x + (1 | school)"),
        "score": bm.random_intercept("score ~ x + sex + (1 | school)", pmm=True),
        "y": bm.random_intercept("y ~ x + sex + ses + flag + score + (1 | school)"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(school, spec, cluster="school", **FAST)


def test_every_column_comes_back_in_its_dtype(school, imputed):
    original = school.copy()
    frames = list(bm.completed(imputed))
    assert school.equals(original)
    for frame in frames:
        assert frame.dtypes.equals(school.dtypes)
        for column in school.columns:
            observed = school[column].notna().to_numpy()
            assert frame[column][observed].equals(school[column][observed]), column
        assert frame.notna().all().all()
        assert set(frame["sex"]) == {"boy", "girl"}
        assert frame["score"].isin(school["score"].dropna()).all()


def test_completed_frames_survive_netcdf(imputed, tmp_path):
    path = tmp_path / "factors.nc"
    imputed.to_netcdf(path)
    loaded = az.from_netcdf(path)
    for before, after in zip(bm.completed(imputed), bm.completed(loaded), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_long_format_keeps_the_dtypes(school, imputed):
    long = bm.complete(imputed, "long")
    assert long.drop(columns=[".imp", ".id"]).dtypes.equals(school.dtypes)


@pytest.mark.parametrize(
    ("change", "model", "message"),
    [
        (
            lambda f: f.assign(ses=f["ses"].where(f.index != 0, "low").cat.add_categories("top")),
            bm.random_intercept("y ~ ses + (1 | school)"),
            r"factor 'ses' has categories observed in fewer than 2 rows: 'top' \(0\)",
        ),
        (
            lambda f: f.assign(sex=f["sex"].astype("category")),
            bm.ordinal("sex ~ x + (1 | school)"),
            "has unordered categories .*use bm.categorical",
        ),
        (
            lambda f: f.assign(count=f["count"].astype(float).where(f.index != 3, -1.0)),
            bm.count("count ~ x + (1 | school)"),
            r"not non-negative whole numbers \(-1\)",
        ),
        (
            lambda f: f.assign(count=f["count"] + 0.5),
            bm.count("count ~ x + (1 | school)"),
            "not non-negative whole numbers",
        ),
    ],
)
def test_unsupported_factors_are_refused_before_sampling(school, change, model, message):
    frame = change(school)
    frame.loc[frame.index[5:9], model.target] = None
    with pytest.raises(ValueError, match=message):
        bm.impute(frame, {model.target: model}, cluster="school", **FAST)


def test_categorical_target_with_more_categories_than_the_rows_support(school):
    """40 categories in 96 rows: most have 2 rows, fewer than the 3 coefficients of each."""
    frame = school.assign(name=[f"c{k % 40:02d}" for k in range(96)])
    model = bm.categorical("name ~ x + count + (1 | school)")
    with pytest.raises(
        ValueError, match=r"has categories observed in fewer than 3 rows.*one per coefficient"
    ):
        bm.impute(
            frame.assign(name=frame["name"].where(frame.index != 0)),
            {"name": model},
            cluster="school",
            **FAST,
        )


def test_mids_csv_writes_factor_labels(imputed, tmp_path):
    path = bm.to_mids_csv(imputed, tmp_path / "imputations.csv")
    long = pd.read_csv(path)
    completed = long[long[".imp"] > 0]
    assert set(completed["sex"]) == {"boy", "girl"}
    assert set(completed["ses"]) == {"low", "mid", "high"}
    assert set(completed["flag"]) == {True, False}
    assert long.loc[long[".imp"] == 0, "sex"].isna().sum() == make_school()["sex"].isna().sum()


def test_factor_predictors_pool_and_are_tested_as_a_whole(imputed):
    import statsmodels.formula.api as smf

    fits = bm.fit_each(imputed, lambda d: smf.ols("y ~ x + C(ses) + sex", d).fit())
    pooled = bm.pool(fits)
    assert ["C(ses)[T.mid]", "C(ses)[T.high]", "sex[T.girl]"] == list(pooled.index[1:4])
    whole = bm.wald_test(fits, ["C(ses)"])
    dummies = bm.wald_test(fits, ["C(ses)[T.mid]", "C(ses)[T.high]"])
    assert whole["df1"] == 2
    pd.testing.assert_series_equal(whole, dummies)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"score": bm.ordinal("score ~ x + (1 | school)")}, "ordinal, which the joint engine"),
        ({"sex": bm.binary("sex ~ x + (1 | school)")}, "categorical columns sex"),
        ({"y": bm.random_intercept("y ~ x + ses + (1 | school)")}, "engine='chained'"),
    ],
)
def test_the_joint_engine_refuses_factors_by_name(school, spec, message):
    with pytest.raises(ValueError, match=message):
        bm.impute(school, spec, cluster="school", engine="joint", progressbar=False)


def test_factor_of_a_column_imputed_off_its_values_is_refused(school):
    spec = {
        "score": bm.random_intercept("score ~ x + (1 | school)"),
        "y": bm.random_intercept("y ~ C(score) + (1 | school)"),
    }
    with pytest.raises(ValueError, match=r"reads 'score' as a factor .* with pmm=True"):
        bm.impute(school, spec, cluster="school", **FAST)


def test_plots_of_a_two_category_factor_name_the_category(imputed):
    axes = bm.plot_imputed(imputed, "sex")
    assert axes[0].get_ylabel() == "proportion of sex = girl"
    axes = bm.plot_trace(imputed, "sex")
    assert len(axes) == 2


def test_columns_of_unhashable_values_are_not_factors(school):
    frame = school.assign(tags=[[k] for k in range(len(school))])
    data = encode(frame, "school")
    assert "tags" not in data.factors
    assert "tags" not in data.level
    assert set(data.factors) == {"sex", "ses", "flag", "name", "level"}
