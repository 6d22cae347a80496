"""The exact Gibbs sweep of the random-intercept model targets the same posterior as NUTS."""

import numpy as np
import pytest

import bayesmi as bm
from bayesmi._updaters import GibbsUpdater, NutsUpdater
from bayesmi.data import encode
from bayesmi.models import FACTORIES


@pytest.fixture(scope="module")
def model_and_data():
    sim = bm.simulate.simulate_random_intercept(clusters=12, cluster_size=8, seed=4)
    data = encode(sim.incomplete, "cluster")
    spec = bm.random_intercept("y ~ x + (1 | cluster)")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.predictor("x")[:, None])
    return model


def posterior_draws(updater, model, n, burn):
    draws = []
    for k in range(burn + n):
        updater.advance(1, tune=k < burn)
        if k >= burn:
            params = model.parameters(updater.point)
            draws.append([*params["beta"], params["tau"], params["sigma"], params["u"][0]])
    return np.array(draws)


def test_gibbs_and_nuts_agree(model_and_data):
    """Posterior means and SDs of beta, tau, sigma and one cluster effect agree.

    4000 Gibbs sweeps against 4000 NUTS transitions; the tolerance is 4 Monte Carlo standard
    errors of the difference (ESS taken as a quarter of the draws for both samplers).
    """
    model = model_and_data
    assert model.gibbs is not None
    gibbs = posterior_draws(GibbsUpdater(model, np.random.default_rng(1)), model, 4000, 200)
    nuts = posterior_draws(NutsUpdater(model.model, np.random.default_rng(2)), model, 4000, 500)
    se = np.sqrt(gibbs.var(axis=0) / 1000 + nuts.var(axis=0) / 1000)
    print("gibbs", gibbs.mean(axis=0).round(3), "nuts", nuts.mean(axis=0).round(3))
    np.testing.assert_array_less(np.abs(gibbs.mean(axis=0) - nuts.mean(axis=0)), 4 * se)
    np.testing.assert_allclose(gibbs.std(axis=0), nuts.std(axis=0), rtol=0.15)


def test_random_intercept_uses_gibbs_and_nuts_on_request(two_variable_data, impute_quietly):
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    auto = impute_quietly(data, spec)
    nuts = impute_quietly(data, spec, sampler="nuts")
    assert np.isnan(auto.sample_stats["y::step_size"]).all()
    assert (nuts.sample_stats["y::step_size"] > 0).all()
    assert auto.attrs["sampler"] == "auto"


def test_unknown_sampler_is_refused(two_variable_data):
    with pytest.raises(ValueError, match="sampler must be 'auto' or 'nuts'"):
        bm.impute(
            two_variable_data.drop(columns="x"),
            {"y": bm.random_intercept("y ~ w + (1 | g)")},
            cluster="g",
            sampler="gibbs",
        )
