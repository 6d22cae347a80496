"""Contract of every conditional model factory: data containers, draws and back-transforms."""

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.models import FACTORIES
from bayesmi.models._blocks import predictor_values

SPECS = {
    "random_intercept": bm.random_intercept("y ~ w + z + (1 | g)"),
    "fixed_cluster": bm.fixed_cluster("y ~ w"),
}


@pytest.fixture(params=sorted(SPECS))
def built(request, two_variable_data):
    data = encode(two_variable_data.drop(columns="x"), "g")
    spec = SPECS[request.param]
    return data, FACTORIES[spec.kind](spec, data)


def test_predictors_are_data_containers(built):
    data, model = built
    container = model.model["y::X"]
    assert model.model.named_vars_to_dims["y::X"] == ("y::obs_row", "y::predictor")
    assert container.get_value().shape == (int((~data.missing["y"]).sum()), len(model.predictors))


def test_set_predictors_changes_the_log_density(built):
    data, model = built
    point = model.model.initial_point()
    point = {key: value + 0.3 for key, value in point.items()}
    logp = model.model.compile_logp()
    x = predictor_values(data, model.predictors)
    model.set_predictors(x)
    before = logp(point)
    model.set_predictors(x + 1.0)
    assert logp(point) != pytest.approx(before)
    model.set_predictors(x)
    assert logp(point) == pytest.approx(before)


def test_draws_fill_the_missing_rows_on_the_data_scale(built):
    data, model = built
    point = model.model.initial_point()
    x = predictor_values(data, model.predictors)
    draws = model.draw_missing(point, x, np.random.default_rng(0))
    assert draws.shape == (int(data.missing["y"].sum()),)
    assert np.all(np.isfinite(draws))


def test_parameters_reproduce_the_standardised_mean(built):
    """The mean implied by the original-scale parameters equals the model's mean."""
    data, model = built
    rng = np.random.default_rng(1)
    point = {k: v + rng.normal(0, 0.5, np.shape(v)) for k, v in model.model.initial_point().items()}
    x = predictor_values(data, model.predictors)
    params = model.parameters(point)
    missing = data.missing["y"]
    codes = data.cluster_codes[missing]
    if "alpha" in params:
        mean = params["alpha"][codes] + x[missing] @ params["beta"]
    else:
        beta = params["beta"]
        mean = beta[0] + x[missing] @ beta[1:] + params["u"][codes]
    noise = model.draw_missing(point, x, np.random.default_rng(2))
    zero_noise = noise - model.scaling.y_scale * _sigma(point) * _normals(len(codes), 2)
    np.testing.assert_allclose(mean, zero_noise, rtol=1e-10, atol=1e-10)


def _sigma(point):
    (name,) = [key for key in point if key.endswith("sigma_std_log__")]
    return float(np.exp(point[name]))


def _normals(n, seed):
    return np.random.default_rng(seed).standard_normal(n)


def test_parameter_dims_match_values(built):
    data, model = built
    params = model.parameters(model.model.initial_point())
    assert set(params) == set(model.parameter_dims)
    sizes = {"cluster": data.n_clusters} | {k: len(v) for k, v in model.coords.items()}
    for name, dims in model.parameter_dims.items():
        assert np.shape(params[name]) == tuple(sizes[d] for d in dims)
