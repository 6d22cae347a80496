"""Contract of every conditional model factory: data containers, draws and back-transforms."""

import numpy as np
import pandas as pd
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
    "categorical": bm.categorical("c3 ~ w + z + (1 + w | g)"),
    "ordinal": bm.ordinal("o ~ w + z + (1 | g)"),
    "count": bm.count("n ~ w + z + (1 + w | g)"),
    "negative_binomial": bm.count("n ~ w + (1 | g)", family="negative_binomial"),
    "random_intercept_pmm": bm.random_intercept("y ~ w + z + (1 | g)", pmm=True),
    "heteroscedastic_pmm": bm.heteroscedastic("y ~ w + z + (1 + w | g)", pmm=True),
    "fixed_cluster_pmm": bm.fixed_cluster("y ~ w", pmm=True, donors=3),
    "cluster_level_pmm": bm.cluster_level("zm ~ w_mean", pmm=True),
    "cluster_level_categorical": bm.cluster_level("kind ~ w_mean", family="categorical"),
    "cluster_level_ordinal": bm.cluster_level("rank ~ w_mean", family="ordinal"),
    "cluster_level_binary": bm.cluster_level("flag ~ w_mean", family="binary"),
    "cluster_level_poisson": bm.cluster_level("size ~ w_mean", family="poisson"),
    "survival": bm.survival("Surv(t, d) ~ w + z + (1 | g)"),
    "survival_weibull": bm.survival("Surv(t, d) ~ w + strata(g)", family="weibull"),
}
SUPPORT = {"b": {0.0, 1.0}, "c3": {0.0, 1.0, 2.0}, "o": {1.0, 2.0, 3.0}, "kind": {0.0, 1.0, 2.0}}
"""The values a draw may take: category codes, or an ordinal column's numbers."""


def test_every_model_kind_has_a_contract_case():
    assert {spec.kind for spec in SPECS.values()} == set(FACTORIES)


def contract_frame(two_variable_data):
    """The contract data: y and its transforms, cluster-level columns missing in 2 clusters."""
    frame = two_variable_data.drop(columns="x").copy()
    observed = frame["y"].notna()
    frame["b"] = (frame["y"] > frame["y"].median()).astype(float).where(observed)
    frame["c3"] = pd.qcut(frame["y"], 3, labels=["low", "mid", "high"])
    frame["o"] = pd.qcut(frame["y"], 3, labels=False).add(1.0)
    frame["n"] = np.floor(np.exp(frame["y"] - frame["y"].min())).clip(upper=30)
    frame["zm"] = frame["z"].where(~frame["g"].isin([2, 5]))
    per_cluster = frame.groupby("g")["z"].transform("mean").rank(method="dense")
    systematic = ~frame["g"].isin([2, 5])
    frame["kind"] = pd.Categorical(np.array(["a", "b", "c"])[(per_cluster % 3).astype(int)])
    frame["kind"] = frame["kind"].where(systematic)
    frame["rank"] = (per_cluster % 3 + 1).where(systematic)
    frame["flag"] = (per_cluster % 2).where(systematic)
    frame["size"] = (per_cluster % 5).where(systematic)
    frame["t"] = np.exp(-0.5 * frame["w"]) * (1 + np.arange(len(frame)) % 7)
    frame["d"] = (np.arange(len(frame)) % 3 > 0).astype(int)  # events in every cluster
    return frame


@pytest.fixture(scope="module", params=sorted(SPECS))
def built(request, two_variable_data):
    """One compiled model per case, shared by the contract tests (each leaves it as found)."""
    data = encode(contract_frame(two_variable_data), "g")
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
    if model.target in SUPPORT:
        assert set(np.unique(draws)) <= SUPPORT[model.target]
    if model.target in ("n", "size"):
        assert np.all((draws >= 0) & (draws == np.round(draws)))
    if model.donors:
        assert set(np.unique(draws)) <= set(data.values(model.target)[~missing])
    if model.target in ("zm", "kind", "rank", "flag", "size"):
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
    if model.target != "y" or "rho" in model.parameter_dims or model.donors:
        pytest.skip("checked for the normal MAR models of y, drawn from the model")
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


@pytest.mark.parametrize("family", ["gaussian", "binary"])
def test_cluster_level_models_without_predictors_build_and_draw(family, two_variable_data):
    """``cluster_level("zm ~ 1")``: an intercept only (its rows' dim was once left undefined)."""
    frame = contract_frame(two_variable_data)
    target = "zm" if family == "gaussian" else "flag"
    data = encode(frame, "g")
    model = FACTORIES["cluster_level"](bm.cluster_level(f"{target} ~ 1", family=family), data)
    point = model.model.initial_point()
    draws = model.draw_missing(point, starting_predictors(data, ()), np.random.default_rng(0))
    assert draws.shape == (int(frame[target].isna().sum()),)
    assert model.parameters(point)["beta"].shape == (1,)
