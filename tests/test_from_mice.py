import pandas as pd
import pytest

import bayesmi as bm


def test_2l_pan_with_a_random_slope_and_a_cluster_mean():
    pred = pd.DataFrame(
        {"school": [-2], "sex": [2], "texp": [1], "teachpop": [3], "popular": [0]},
        index=["popular"],
    )
    spec = bm.from_mice({"popular": "2l.pan"}, pred, cluster="school")
    model = spec["popular"]
    assert model.kind == "random_slopes"
    assert model.predictors == ("sex", "texp", "teachpop", "teachpop_mean")
    assert model.slopes == ("sex",)
    assert model.group == "school"


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("2l.pan", "random_intercept"),
        ("2l.lmer", "random_intercept"),
        ("2l.norm", "heteroscedastic"),
        ("2l.bin", "binary"),
    ],
)
def test_multilevel_methods(method, kind):
    spec = bm.from_mice({"y": method}, {"y": {"g": -2, "x": 1}}, cluster="g")
    assert spec["y"].kind == kind
    assert spec["y"].predictors == ("x",)


@pytest.mark.parametrize("method", ["2lonly.norm", "2lonly.mean"])
def test_cluster_level_methods_use_cluster_means(method):
    spec = bm.from_mice({"z": method}, {"z": {"g": -2, "x": 1, "w": 1}}, cluster="g")
    assert spec["z"].kind == "cluster_level"
    assert spec["z"].predictors == ("x_mean", "w_mean")


def test_norm_with_cluster_dummies_is_fixed_cluster():
    spec = bm.from_mice({"y": "norm"}, {"y": {"g": 1, "x": 1}}, cluster="g")
    assert spec["y"].kind == "fixed_cluster"
    assert spec["y"].predictors == ("x",)


def test_empty_methods_are_skipped_and_order_is_kept():
    pred = {"y": {"g": -2, "x": 1}, "x": {"g": -2, "y": 1}, "g": {}}
    spec = bm.from_mice({"x": "2l.pan", "g": "", "y": "2l.pan"}, pred, cluster="g")
    assert list(spec) == ["x", "y"]


@pytest.mark.parametrize(
    ("method", "pred", "message"),
    [
        ("cart", {"g": -2, "x": 1}, "method 'cart', which bayesmi cannot map"),
        ("pmm", {"x": 1}, "ignores the clustering. Use '2l.pmm'"),
        ("logreg", {"x": 1}, "single-level method that ignores the clustering. Use '2l.bin'"),
        ("norm", {"x": 1}, "Use '2l.pan'"),
        ("2l.pan", {"g": -2, "h": -2}, "codes h as the cluster variable"),
        ("2l.pan", {"g": -2, "y": 1}, "'y' predicts itself"),
        ("2lonly.norm", {"g": -2, "x": 2}, "has no random slopes"),
        ("2l.pan", {"g": -2, "x": 5}, r"codes \[5\]"),
    ],
)
def test_unmappable_input_is_refused(method, pred, message):
    with pytest.raises(ValueError, match=message):
        bm.from_mice({"y": method}, {"y": pred}, cluster="g")


def test_missing_row_is_refused():
    with pytest.raises(ValueError, match=r"'y' has method '2l\.pan' but no row"):
        bm.from_mice({"y": "2l.pan"}, {"x": {"g": -2}}, cluster="g")


def test_from_mice_spec_imputes(make_data, impute_quietly):
    data = make_data(seed=2)
    pred = {"y": {"g": -2, "x": 2, "w": 1}, "x": {"g": -2, "y": 1, "w": 3}}
    spec = bm.from_mice({"y": "2l.pan", "x": "2l.norm"}, pred, cluster="g")
    idata = impute_quietly(data, spec)
    assert idata.posterior["y::re_sd"].sizes["y::re"] == 2
    assert idata.posterior["x::sigma"].sizes["cluster"] == 8


def test_matching_methods_map_to_pmm_models():
    pred = {"y": {"g": -2, "x": 2}, "z": {"g": -2, "x": 1}, "w": {"g": -2, "x": 1}}
    spec = bm.from_mice({"y": "2l.pmm", "z": "2lonly.pmm", "w": "pmm"}, pred, cluster="g")
    assert [(m.kind, m.pmm) for m in spec.values()] == [
        ("random_slopes", True),
        ("cluster_level", True),
        ("random_intercept", True),
    ]
    assert spec["z"].formula == "z ~ x_mean"


@pytest.mark.parametrize(
    ("method", "model"),
    [("polyreg", "categorical"), ("polr", "ordinal"), ("logreg", "binary")],
)
def test_single_level_category_methods_with_the_cluster_name_the_model(method, model):
    with pytest.raises(ValueError, match=rf"bm\.{model}\('y ~ x \+ \(1 \| g\)'\)"):
        bm.from_mice({"y": method}, {"y": {"g": 1, "x": 1}}, cluster="g")


def test_ml_lmer_with_levels_id_gives_a_random_intercept_per_level():
    pred = {"y": {"x": 1, "classroom": 1, "school": 1}}
    spec = bm.from_mice(
        {"y": "ml.lmer"}, pred, cluster="school", levels_id={"y": ["school", "classroom"]}
    )
    assert spec["y"].formula == "y ~ x + (1 | school) + (1 | classroom)"
    assert spec["y"].groups == ("school", "classroom")
    with pytest.raises(ValueError, match="needs its grouping variables"):
        bm.from_mice({"y": "ml.lmer"}, pred, cluster="school")
    with pytest.raises(ValueError, match=r"codes \{'x': 2\}"):
        bm.from_mice(
            {"y": "ml.lmer"}, {"y": {"x": 2}}, cluster="school", levels_id={"y": ["school"]}
        )
