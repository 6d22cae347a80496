"""Contract of every conditional model factory: data containers, draws and back-transforms."""

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.models import FACTORIES
from bayesmi.models.scaling import starting_predictors

SPECS = {
    "random_intercept": bm.random_intercept("y ~ w + z + (1 | g)"),
    "fixed_cluster": bm.fixed_cluster("y ~ w"),
    "random_slopes": bm.random_slopes("y ~ w + z + w_mean + (1 + w | g)"),
    "heteroscedastic": bm.heteroscedastic("y ~ w + z + (1 + w | g)"),
    "binary": bm.binary("b ~ w + z + (1 + w | g)"),
    "cluster_level": bm.cluster_level("zm ~ w_mean"),
    "heckman": bm.heckman("y ~ w + (1 | g)", "~ w + z + (1 | g)"),
}


def test_every_model_kind_has_a_contract_case():
    assert set(SPECS) == set(FACTORIES)


@pytest.fixture(params=sorted(SPECS))
def built(request, two_variable_data):
    frame = two_variable_data.drop(columns="x").copy()
    frame["b"] = (frame["y"] > frame["y"].median()).astype(float).where(frame["y"].notna())
    frame["zm"] = frame["z"].where(~frame["g"].isin([2, 5]))
    data = encode(frame, "g")
    spec = SPECS[request.param]
    return data, FACTORIES[spec.kind](spec, data)


def test_predictors_are_data_containers(built):
    data, model = built
    name = f"{model.target}::X"
    container = model.model[name]
    assert model.model.named_vars_to_dims[name] == (
        f"{model.target}::obs_row",
        f"{model.target}::predictor",
    )
    if "rho" in model.parameter_dims:  # heckman: outcome rows in X, every row in W
        observed = int((~data.missing["y"]).sum())
        assert container.get_value().shape == (observed, 1)
        assert model.model[f"{model.target}::W"].get_value().shape == (len(data.frame), 2)
        return
    assert container.get_value().shape == (len(model.likelihood_rows), len(model.predictors))
    if model.target == "zm":
        assert len(model.likelihood_rows) == data.n_clusters - 2


def test_set_predictors_changes_the_log_density(built):
    data, model = built
    point = model.model.initial_point()
    point = {key: value + 0.3 for key, value in point.items()}
    logp = model.model.compile_logp()
    x = starting_predictors(data, model.columns)
    model.set_predictors(x)
    before = logp(point)
    model.set_predictors(x + 1.0)
    assert logp(point) != pytest.approx(before)
    model.set_predictors(x)
    assert logp(point) == pytest.approx(before)


def test_draws_fill_the_missing_rows_on_the_data_scale(built):
    data, model = built
    point = model.model.initial_point()
    x = starting_predictors(data, model.columns)
    draws = model.draw_missing(point, x, np.random.default_rng(0))
    missing = data.missing[model.target]
    assert draws.shape == (int(missing.sum()),)
    assert np.all(np.isfinite(draws))
    if model.target == "b":
        assert set(np.unique(draws)) == {0.0, 1.0}
    if model.target == "zm":
        codes = data.cluster_codes[missing]
        for code in np.unique(codes):
            assert np.unique(draws[codes == code]).size == 1


class ZeroNoise:
    """A generator stand-in whose normal draws are all zero: draws become predictive means."""

    def standard_normal(self, size):
        return np.zeros(size)


def test_parameters_reproduce_the_predictive_mean(built):
    """The mean implied by the data-scale parameters equals the model's predictive mean."""
    data, model = built
    if model.target != "y" or "rho" in model.parameter_dims:
        pytest.skip("checked for the normal MAR models of y")
    rng = np.random.default_rng(1)
    point = {k: v + rng.normal(0, 0.5, np.shape(v)) for k, v in model.model.initial_point().items()}
    x = starting_predictors(data, model.columns)
    params = model.parameters(point)
    missing = data.missing["y"]
    codes = data.cluster_codes[missing]
    xm = x[missing]
    if "alpha" in params:
        mean = params["alpha"][codes] + xm @ params["beta"]
    else:
        beta, u = params["beta"], params["u"]
        mean = beta[0] + xm @ beta[1:]
        if u.ndim == 1:
            mean = mean + u[codes]
        else:
            slopes = [model.predictors.index(name) for name in ("w",)]
            z = np.column_stack([np.ones(len(codes)), xm[:, slopes]])
            mean = mean + np.sum(z * u[codes], axis=1)
    np.testing.assert_allclose(model.draw_missing(point, x, ZeroNoise()), mean, rtol=1e-9)


def test_parameter_dims_match_values(built):
    data, model = built
    params = model.parameters(model.model.initial_point())
    assert set(params) == set(model.parameter_dims)
    sizes = {"cluster": data.n_clusters} | {k: len(v) for k, v in model.coords.items()}
    for name, dims in model.parameter_dims.items():
        assert np.shape(params[name]) == tuple(sizes[d] for d in dims)


@pytest.mark.parametrize("kind", ["random_intercept", "heteroscedastic", "binary"])
def test_models_without_predictors_build_and_draw(kind, two_variable_data):
    frame = two_variable_data.drop(columns="x").copy()
    frame["y"] = (frame["y"] > frame["y"].median()).astype(float).where(frame["y"].notna())
    data = encode(frame, "g")
    spec = getattr(bm, kind)("y ~ 1 + (1 | g)")
    model = FACTORIES[kind](spec, data)
    assert model.predictors == ()
    point = model.model.initial_point()
    draws = model.draw_missing(point, starting_predictors(data, ()), np.random.default_rng(0))
    assert draws.shape == (int(frame["y"].isna().sum()),)
    assert model.parameters(point)["beta"].shape == (1,)
