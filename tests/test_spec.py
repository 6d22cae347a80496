import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.spec import Term, spec_from_json, spec_to_json


def test_random_intercept_parses_target_predictors_and_group():
    model = bm.random_intercept("popular ~ sex + texp + (1 | school)")
    assert (model.kind, model.target, model.predictors, model.group) == (
        "random_intercept",
        "popular",
        ("sex", "texp"),
        "school",
    )


def test_fixed_cluster_has_no_group():
    model = bm.fixed_cluster("popular ~ sex")
    assert model.group is None
    assert model.predictors == ("sex",)


def test_intercept_only_formula():
    assert bm.random_intercept("y ~ 1 + (1 | g)").predictors == ()


@pytest.mark.parametrize(
    ("factory", "formula", "message"),
    [
        (bm.fixed_cluster, "y ~ x + (1 | g)", "fixed_cluster takes no grouping term"),
        (bm.random_intercept, "y ~ x", "exactly one grouping term"),
        (bm.random_intercept, "y ~ x + (1 + x | g)", "random slopes on x: use bm.random_slopes"),
        (bm.random_slopes, "y ~ x + (1 + x | g) + (1 + x | h)", "slopes on one grouping factor"),
        (bm.random_intercept, "y ~ x + (1 | g) + (1 + x | h)", "random slopes on x"),
        (bm.random_intercept, "y ~ log(x) + (1 | g)", "is not a column name, C"),
        (bm.random_intercept, "y ~ I(x * z) + (1 | g)", "is not a column name, C"),
        (bm.random_intercept, "y ~ 0 + x + (1 | g)", "removes the intercept"),
        (bm.random_intercept, "y ~ x +", "cannot parse the formula"),
        (bm.fixed_cluster, "~ x", "has no target"),
    ],
)
def test_bad_formulas_are_refused(factory, formula, message):
    with pytest.raises(ValueError, match=message):
        factory(formula)


def test_formula_must_be_a_string():
    with pytest.raises(TypeError, match="formula must be a string"):
        bm.random_intercept(3)


def test_spec_json_round_trip_keeps_order():
    spec = {
        "y": bm.random_intercept("y ~ x + (1 | g)"),
        "x": bm.fixed_cluster("x ~ y"),
    }
    back = spec_from_json(spec_to_json(spec))
    assert back == spec
    assert list(back) == ["y", "x"]


def test_interactions_are_products_of_the_current_values(two_variable_data, impute_quietly):
    model = bm.random_intercept("y ~ x * w + (1 | g)")
    assert model.predictors == ("x", "w", "x:w")
    idata = impute_quietly(
        two_variable_data,
        {"y": model, "x": bm.random_intercept("x ~ y + w + (1 | g)")},
    )
    assert list(idata.posterior["y::beta"].coords["y::beta_dim"].values) == [
        "Intercept",
        "x",
        "w",
        "x:w",
    ]
    data = encode(two_variable_data, "g")
    current = {"x": np.arange(len(two_variable_data), dtype=float)}
    expected = current["x"] * two_variable_data["w"].to_numpy()
    np.testing.assert_allclose(
        data.design(data.design_columns([Term(("x", "w"))]), current)[:, 0], expected
    )
    assert data.term_level(Term(("x", "w"))) == 1
    assert data.term_level(Term(("z", "w_mean"))) == 2
