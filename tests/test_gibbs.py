"""The exact Gibbs sweep of the random-intercept model targets the same posterior as NUTS."""

from dataclasses import replace

import arviz as az
import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.engines.samplers.updaters import (
    GibbsUpdater,
    NutsUpdater,
    NutsWarmedGibbsUpdater,
    make_updater,
)
from bayesmi.gibbs.steps import prior_precision, weighted_intercept_draw
from bayesmi.models import FACTORIES
from bayesmi.spec.kinds import gibbs_available, update_method


@pytest.fixture(scope="module")
def model_and_data():
    sim = bm.simulate.simulate_random_intercept(clusters=12, cluster_size=8, seed=4)
    data = encode(sim.incomplete, "cluster")
    spec = bm.random_intercept("y ~ x + (1 | cluster)")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.values("x")[:, None])
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


@pytest.mark.slow  # half a minute of sampling: a statistical check
def test_random_intercept_gibbs_agrees_with_nuts_near_a_zero_variance():
    """ICC 0.002 (tau near 0, where the centred tau step alone barely moves): with the
    interweaving step the sweeps agree with NUTS (means within 4 MC SEs, SDs within 20%)."""
    sim = bm.simulate.simulate_random_intercept(clusters=30, cluster_size=10, icc=0.002, seed=5)
    data = encode(sim.incomplete, "cluster")
    model = FACTORIES["random_intercept"](bm.random_intercept("y ~ x + (1 | cluster)"), data)
    model.set_predictors(data.values("x")[:, None])

    def summary(p):
        return [*p["beta"], float(p["tau"]), float(p["sigma"]), p["u"][0]]

    assert_gibbs_agrees_with_nuts(model, summary, "random intercept, tau near 0")


def slopes_model(sim, spec):
    """The compiled model of `spec` on simulated data, its predictor x set."""
    data = encode(sim.incomplete, "cluster")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.values("x")[:, None])
    return model


def sampled(model, updater, n, burn, summary):
    """`n` draws of `summary(parameters)` after `burn` tuning transitions of `updater`."""
    values = []
    for k in range(burn + n):
        updater.advance(1, tune=k < burn)
        if k >= burn:
            values.append(summary(model.parameters(updater.point)))
    return np.array(values)


@pytest.mark.slow  # 85 s of sampling: a statistical check (test_gibbs_and_nuts_agree stays fast)
@pytest.mark.parametrize(
    "spec",
    [
        bm.random_slopes("y ~ x + (1 + x | cluster)"),
        bm.heteroscedastic("y ~ x + (1 + x | cluster)"),
        bm.heteroscedastic("y ~ x + (1 | cluster)"),
    ],
)
def test_slopes_and_cluster_variances_gibbs_agree_with_nuts(spec):
    """Posterior means and SDs of beta, the random-effect SDs and two cluster residual SDs.

    6000 Gibbs sweeps against 3000 NUTS transitions on 15 clusters of 10. Tolerances: means
    within 0.05 (posterior SDs are 0.08-0.25, so about a quarter of an SD), SDs within 20%;
    the random-intercept SD mixes slowest under Gibbs (ESS about 100 of 6000) and sets them.
    """
    sim = bm.simulate.simulate_random_slopes(clusters=15, cluster_size=10, slope_sd=0.5, seed=4)
    model = slopes_model(sim, spec)

    def summary(p):
        sd = np.atleast_1d(p.get("re_sd", p.get("tau")))
        sigma = np.atleast_1d(p["sigma"])
        return [*p["beta"], *sd, sigma[0], sigma[-1]]

    gibbs = sampled(model, GibbsUpdater(model, np.random.default_rng(1)), 6000, 300, summary)
    nuts = sampled(model, NutsUpdater(model.model, np.random.default_rng(2)), 3000, 500, summary)
    print(spec.kind, gibbs.mean(axis=0).round(3), nuts.mean(axis=0).round(3))
    np.testing.assert_allclose(gibbs.mean(axis=0), nuts.mean(axis=0), atol=0.05)
    np.testing.assert_allclose(gibbs.std(axis=0), nuts.std(axis=0), rtol=0.2)


def test_random_intercept_uses_gibbs_and_nuts_on_request(two_variable_data, impute_quietly):
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    auto = impute_quietly(data, spec)
    nuts = impute_quietly(data, spec, sampler="nuts")
    assert np.isnan(auto.sample_stats["y::step_size"]).all()
    assert (nuts.sample_stats["y::step_size"] > 0).all()
    assert auto.attrs["sampler"] == "auto"


def test_unknown_sampler_is_refused(two_variable_data):
    with pytest.raises(ValueError, match="sampler must be one of 'auto', 'gibbs', 'nuts'"):
        bm.impute(
            two_variable_data.drop(columns="x"),
            {"y": bm.random_intercept("y ~ w + (1 | g)")},
            cluster="g",
            sampler="hmc",
        )


def test_heckman_gibbs_sampler_only_on_request(two_variable_data, impute_quietly):
    """'gibbs' is 'auto' plus the Heckman sampler, which 'auto' leaves to NUTS."""
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    auto, gibbs = impute_quietly(data, spec), impute_quietly(data, spec, sampler="gibbs")
    np.testing.assert_array_equal(auto.posterior["y::missing"], gibbs.posterior["y::missing"])
    for family in ("gaussian", "binary"):
        sim = bm.simulate.simulate_heckman(
            clusters=6, cluster_size=10, seed=1, binary=family == "binary"
        )
        heckman = bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", family=family)
        model = FACTORIES["heckman"](heckman, encode(sim.incomplete, "cluster"))
        assert model.gibbs is not None
        assert update_method(heckman, "auto") == "nuts"
        updater = make_updater(
            model, update_method(heckman, "gibbs"), np.random.default_rng(1), 0.8
        )
        assert isinstance(updater, NutsWarmedGibbsUpdater)  # swept from where NUTS' warm-up ends
        assert np.isfinite(updater.advance(3, tune=True).step_size)
        nuts_point = updater.point
        assert np.isnan(updater.advance(3, tune=False).step_size)
        assert updater.sweeping
        assert "rho" in updater.point
        start = model.gibbs.from_nuts(nuts_point)
        assert model.parameters(start)["rho"] == pytest.approx(
            model.parameters(nuts_point)["rho"], abs=1e-12
        )
        fixed = replace(heckman, rho=0.3)  # no minor mode of rho to leave: no NUTS warm-up
        model = FACTORIES["heckman"](fixed, encode(sim.incomplete, "cluster"))
        for sampler, updater_type in (("gibbs", GibbsUpdater), ("auto", NutsUpdater)):
            method = update_method(fixed, sampler)
            updater = make_updater(model, method, np.random.default_rng(1), 0.8)
            assert type(updater) is updater_type


@pytest.mark.slow
def test_covariance_step_with_few_clusters_agrees_with_nuts():
    """Four clusters, two random effects: no proper inverse-Wishart likelihood factor.

    The proposal's df is then q and the acceptance carries |T|^power (models/_gibbs.py); the
    posterior (mostly the LKJ/half-normal prior) must still be NUTS's. 20000 sweeps against
    6000 NUTS transitions (target_accept 0.95). Posterior SDs are 0.12-0.5: means within 0.1,
    SDs within 20%. Seen: random-intercept SD 0.473 (Gibbs) vs 0.508 (NUTS), posterior SD 0.38.
    """
    sim = bm.simulate.simulate_random_slopes(clusters=4, cluster_size=15, slope_sd=0.5, seed=4)
    model = slopes_model(sim, bm.random_slopes("y ~ x + (1 + x | cluster)"))

    def summary(p):
        return [*p["beta"], *p["re_sd"], p["re_corr"][0, 1], float(p["sigma"])]

    gibbs = sampled(model, GibbsUpdater(model, np.random.default_rng(1)), 20000, 500, summary)
    nuts_updater = NutsUpdater(model.model, np.random.default_rng(2), 0.95)
    nuts = sampled(model, nuts_updater, 6000, 1000, summary)
    np.testing.assert_allclose(gibbs.mean(axis=0), nuts.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(gibbs.std(axis=0), nuts.std(axis=0), rtol=0.2)


@pytest.mark.slow  # about a minute of sampling: a statistical check
@pytest.mark.parametrize(
    "spec",
    [bm.binary("y ~ x + (1 | cluster)"), bm.binary("y ~ x + (1 + x | cluster)")],
)
def test_polya_gamma_gibbs_agrees_with_nuts_on_the_logistic_model(spec):
    """Posterior means and SDs of beta and the random-effect SDs, 20 clusters of 20.

    4000 Polya-Gamma Gibbs sweeps against 3000 NUTS transitions. Means agree within 4 Monte
    Carlo standard errors of their difference, each from its chain's effective sample size
    (the random-slope SD mixes slowly under both samplers: ESS in the low hundreds); SDs
    within 20%.
    """
    sim = bm.simulate.simulate_binary(clusters=20, cluster_size=20, seed=4)
    model = slopes_model(sim, spec)
    assert model.gibbs is not None

    def summary(p):
        return [*p["beta"], *np.atleast_1d(p.get("re_sd", p.get("tau")))]

    assert_gibbs_agrees_with_nuts(model, summary, spec.formula)


def assert_gibbs_agrees_with_nuts(model, summary, label: str) -> None:
    """4000 Gibbs sweeps against 3000 NUTS transitions: means within 4 MC SEs, SDs within 20%."""
    gibbs = sampled(model, GibbsUpdater(model, np.random.default_rng(1)), 4000, 200, summary)
    nuts = sampled(model, NutsUpdater(model.model, np.random.default_rng(2)), 3000, 500, summary)
    se = np.sqrt(monte_carlo_variance(gibbs) + monte_carlo_variance(nuts))
    difference = np.abs(gibbs.mean(axis=0) - nuts.mean(axis=0))
    print(label, gibbs.mean(axis=0).round(3), nuts.mean(axis=0).round(3), se.round(3))
    np.testing.assert_array_less(difference, 4 * se)
    np.testing.assert_allclose(gibbs.std(axis=0), nuts.std(axis=0), rtol=0.2)


def monte_carlo_variance(draws: np.ndarray) -> np.ndarray:
    """Squared Monte Carlo standard error of each column's mean, from its ESS (one chain)."""
    ess = np.array([az.ess(column[None, :]) for column in draws.T])
    return draws.var(axis=0) / ess


LINEAR_FAMILIES = ["gaussian", "binary", "categorical", "ordinal", "negative_binomial"]


def cluster_level_target(values: pd.Series, clusters: pd.Series, family: str) -> pd.Series:
    """A cluster-level variable of the family made from a continuous one (NaN kept)."""
    if family == "gaussian":
        return values
    if family == "binary":
        return (values > values.median()).where(values.notna())
    if family == "negative_binomial":  # overdispersed: a gamma mixture of Poissons
        rng = np.random.default_rng(7)
        means = np.exp(1.0 + 0.5 * values.fillna(0.0).to_numpy())
        counts = pd.Series(rng.poisson(rng.gamma(2.0, means / 2.0)), index=values.index)
        return counts.groupby(clusters).transform("first").astype(float).where(values.notna())
    cuts = [-np.inf, *values.quantile([0.3, 0.6] if family == "categorical" else [0.25, 0.5, 0.75])]
    labels = ["low", "mid", "high", "top"][: len(cuts)]
    return pd.cut(values, [*cuts, np.inf], labels=labels, ordered=family == "ordinal")


@pytest.mark.slow  # two minutes of sampling: a statistical check
@pytest.mark.parametrize(
    "kind", ["fixed_cluster", *(f"cluster_level_{f}" for f in LINEAR_FAMILIES)]
)
def test_conjugate_gibbs_agrees_with_nuts_on_the_linear_models(kind):
    """fixed_cluster (intercept per cluster), and cluster_level of every family with a sweep
    of its regression (`LinearGibbs`, `bayesmi.gibbs.regressions`), 40 clusters: coefficients,
    thresholds, residual SD and dispersion, means within 4 MC SEs, SDs within 20%."""
    frame = None
    if kind == "fixed_cluster":
        sim = bm.simulate.simulate_random_intercept(clusters=12, cluster_size=8, seed=4)
        spec, column = bm.fixed_cluster("y ~ x"), "x"
    else:
        sim = bm.simulate.simulate_cluster_level(clusters=40, cluster_size=5, seed=4)
        target = next(c for c in sim.incomplete if sim.incomplete[c].isna().any())
        family = kind.removeprefix("cluster_level_")
        frame = sim.incomplete.assign(
            **{
                target: cluster_level_target(
                    sim.incomplete[target], sim.incomplete["cluster"], family
                )
            }
        )
        spec, column = bm.cluster_level(f"{target} ~ x_mean", family=family), None
    data = encode(sim.incomplete if frame is None else frame, "cluster")
    model = FACTORIES[spec.kind](spec, data)
    x = data.values(column)[:, None] if column else data.design(model.columns)
    model.set_predictors(x)
    assert model.gibbs is not None

    def summary(p):
        others = [float(p["sigma"])] if "sigma" in p else []
        if kind == "cluster_level_negative_binomial":
            others.append(float(np.log(p["alpha"])))
        thresholds = list(np.ravel(p.get("thresholds", [])))
        coefficients = p["alpha"] if kind == "fixed_cluster" else p["beta"]
        return [*np.ravel(coefficients)[:4], *thresholds, *others]

    assert_gibbs_agrees_with_nuts(model, summary, kind)


@pytest.mark.slow  # about two minutes of sampling: a statistical check
@pytest.mark.parametrize(
    "spec",
    [bm.categorical("y ~ x + (1 | cluster)"), bm.categorical("y ~ x + (1 + x | cluster)")],
)
def test_polya_gamma_gibbs_agrees_with_nuts_on_the_multinomial_model(spec):
    """Categorical (3 categories, correlated cluster effects), 20 clusters of 20.

    Posterior means of every coefficient and effect SD within 4 Monte Carlo standard errors,
    SDs within 20%, 4000 Gibbs sweeps against 3000 NUTS transitions.
    """
    sim = bm.simulate.simulate_categorical(clusters=20, cluster_size=20, seed=4)
    model = slopes_model(sim, spec)
    assert model.gibbs is not None

    def summary(p):
        return [*p["beta"].ravel(), *p["re_sd"]]

    assert_gibbs_agrees_with_nuts(model, summary, spec.formula)


@pytest.mark.slow  # about a minute of sampling: a statistical check
@pytest.mark.parametrize(
    "spec", [bm.ordinal("y ~ x + (1 | cluster)"), bm.ordinal("y ~ x + (1 + x | cluster)")]
)
def test_latent_variable_gibbs_agrees_with_nuts_on_the_ordinal_model(spec):
    """Cumulative logit, 5 categories, 20 clusters of 20: thresholds, slope and effect SDs.

    Means within 4 Monte Carlo standard errors, SDs within 20%, 4000 Gibbs sweeps against
    3000 NUTS transitions.
    """
    sim = bm.simulate.simulate_ordinal(clusters=20, cluster_size=20, seed=4)
    model = slopes_model(sim, spec)
    assert model.gibbs is not None

    def summary(p):
        return [*p["thresholds"], *p["beta"], *np.atleast_1d(p.get("re_sd", p.get("tau")))]

    assert_gibbs_agrees_with_nuts(model, summary, spec.formula)


@pytest.mark.slow  # about two minutes of sampling per case: a statistical check
@pytest.mark.parametrize(
    ("family", "rho"), [("gaussian", None), ("binary", None), ("gaussian", 0.5), ("binary", 0.5)]
)
@pytest.mark.parametrize("outcome", ["y ~ x + (1 | cluster)", "y ~ x + (1 + x | cluster)"])
def test_data_augmentation_gibbs_agrees_with_nuts_on_the_heckman_model(outcome, family, rho):
    """Heckman, gaussian and binary (a bivariate probit with selection), rho estimated or
    fixed, 20 clusters of 25: both equations' coefficients, rho, sigma (gaussian), the effects'
    SDs."""
    binary = family == "binary"
    sim = bm.simulate.simulate_heckman(clusters=20, cluster_size=25, seed=4, binary=binary)
    spec = bm.heckman(outcome, "~ x + z + (1 | cluster)", family=family, rho=rho)
    data = encode(sim.incomplete, "cluster")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None
    scalars = ("tau_v", "rho") if binary else ("tau_v", "rho", "sigma")
    scalars = scalars if rho is None else scalars[:1] + scalars[2:]  # a fixed rho has no SD

    def summary(p):
        effect_sd = np.atleast_1d(p.get("re_sd", p.get("tau")))
        return [*p["beta"], *p["gamma"], *(float(p[k]) for k in scalars), *effect_sd]

    assert_gibbs_agrees_with_nuts(model, summary, f"{family}, rho {rho}: {outcome}")


@pytest.mark.slow  # about a minute of sampling: a statistical check
@pytest.mark.parametrize("formula", ["y ~ x + (1 | cluster)", "y ~ x + (1 + x | cluster)"])
def test_polya_gamma_gibbs_agrees_with_nuts_on_the_negative_binomial_model(formula):
    """Negative binomial counts (alpha 2), 20 clusters of 15: coefficients, alpha, SDs."""
    sim = bm.simulate.simulate_count(clusters=20, cluster_size=15, alpha=2.0, seed=3)
    spec = bm.count(formula, family="negative_binomial")
    data = encode(sim.incomplete, "cluster")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None

    def summary(p):
        return [*p["beta"], float(p["alpha"]), *np.atleast_1d(p.get("re_sd", p.get("tau")))]

    assert_gibbs_agrees_with_nuts(model, summary, formula)


def test_compiled_weighted_intercept_draw_equals_the_numpy_formula():
    """The compiled kernel against the closed form in numpy, the same normal noise."""
    rng = np.random.default_rng(0)
    n, clusters = 500, 12
    w = np.column_stack([np.ones(n), rng.standard_normal((n, 3)) + np.array([0.5, 0.0, 1.0])])
    kappa, omega = rng.random(n) - 0.5, rng.random(n) + 0.1
    codes = rng.integers(0, clusters, n)
    prior = prior_precision(4, 5.0)
    draw_rng = np.random.default_rng(3)
    theta, u, weight, residual_sums = weighted_intercept_draw(
        w, kappa, omega, codes, clusters, 0.7, prior, draw_rng
    )
    noise = np.random.default_rng(3)
    weight_numpy = np.bincount(codes, weights=omega, minlength=clusters)
    sums = np.array([(w * omega[:, None])[codes == j].sum(axis=0) for j in range(clusters)])
    kappa_sums = np.bincount(codes, weights=kappa, minlength=clusters)
    shrink = 1 / (weight_numpy + 1 / 0.7)
    precision = (w * omega[:, None]).T @ w - sums.T @ (shrink[:, None] * sums) + np.diag(prior)
    rhs = w.T @ kappa - sums.T @ (shrink * kappa_sums)
    chol = np.linalg.cholesky(precision)
    expected = np.linalg.solve(precision, rhs) + np.linalg.solve(chol.T, noise.standard_normal(4))
    expected_sums = kappa_sums - sums @ expected
    expected_u = shrink * expected_sums + np.sqrt(shrink) * noise.standard_normal(clusters)
    np.testing.assert_allclose(theta, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(u, expected_u, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weight, weight_numpy, rtol=1e-12)
    np.testing.assert_allclose(residual_sums, expected_sums, rtol=1e-10, atol=1e-12)


def _kind_cases():
    counts = bm.simulate.simulate_count(clusters=6, cluster_size=8, seed=1).incomplete
    factor = bm.simulate.simulate_categorical(clusters=6, cluster_size=8, seed=1).incomplete
    ordinal = bm.simulate.simulate_ordinal(clusters=6, cluster_size=8, seed=1).incomplete
    normal = bm.simulate.simulate_random_intercept(clusters=6, cluster_size=8, seed=1).incomplete
    level2 = bm.simulate.simulate_cluster_level(clusters=12, cluster_size=4, seed=1)
    target = next(c for c in level2.incomplete if level2.incomplete[c].isna().any())
    binary = normal.assign(b=(normal["x"] > 0).astype(float))
    binary.loc[binary.index[::5], "b"] = np.nan
    selection = bm.simulate.simulate_heckman(clusters=6, cluster_size=10, seed=1).incomplete
    normal, binary, factor, ordinal, counts = (
        frame.assign(area=np.arange(len(frame)) % 3)
        for frame in (normal, binary, factor, ordinal, counts)
    )
    crossed = "(1 | cluster) + (1 | area)"
    return [
        (normal, bm.random_intercept(f"y ~ x + {crossed}")),
        (normal, bm.random_slopes("y ~ x + (1 + x | cluster) + (1 | area)")),
        (normal, bm.heteroscedastic(f"y ~ x + {crossed}")),
        (binary, bm.binary(f"b ~ x + {crossed}")),
        (factor, bm.categorical(f"y ~ x + {crossed}")),
        (ordinal, bm.ordinal(f"y ~ x + {crossed}")),
        (counts, bm.count(f"y ~ x + {crossed}")),
        (counts, bm.count(f"y ~ x + {crossed}", family="negative_binomial")),
        (normal, bm.random_intercept("y ~ x + (1 | cluster)")),
        (normal, bm.random_slopes("y ~ x + (1 + x | cluster)")),
        (normal, bm.heteroscedastic("y ~ x + (1 | cluster)")),
        (normal, bm.fixed_cluster("y ~ x")),
        (binary, bm.binary("b ~ x + (1 | cluster)")),
        (factor, bm.categorical("y ~ x + (1 | cluster)")),
        (ordinal, bm.ordinal("y ~ x + (1 | cluster)")),
        (counts, bm.count("y ~ x + (1 | cluster)")),
        (counts, bm.count("y ~ x + (1 | cluster)", family="negative_binomial")),
        (level2.incomplete, bm.cluster_level(f"{target} ~ x_mean")),
        (selection, bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)")),
        (selection, bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", rho=0.3)),
        (
            selection,
            bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", cluster_rho=True),
        ),
    ]


def test_the_factories_build_a_gibbs_sampler_exactly_where_the_kind_table_says():
    """`gibbs_available` (from the spec, before building) against the built model, every kind;
    `update_method` sweeps only models that have a sampler, and NUTS alone with "nuts"."""
    expected_gibbs = 0
    for frame, spec in _kind_cases():
        model = FACTORIES[spec.kind](spec, encode(frame, "cluster"))
        assert (model.gibbs is not None) == gibbs_available(spec), (spec.kind, spec.family)
        expected_gibbs += gibbs_available(spec)
        for sampler in ("auto", "gibbs"):
            if update_method(spec, sampler) != "nuts":
                assert model.gibbs is not None, (spec.kind, spec.family, sampler)
        assert update_method(spec, "nuts") == "nuts"
    assert expected_gibbs == 16  # not poisson (twice), crossed ordinal or categorical, cluster_rho


def test_compiled_normal_log_cdf_and_selection_likelihood_equal_scipy():
    """`log_normal_cdf` against scipy's log_ndtr from -60 to 40 (both tails, the branch at -35),
    and the Heckman kernels against their numpy formulas."""
    from scipy.special import log_ndtr

    from bayesmi.gibbs.kernels import (
        log_normal_cdf,
        mills_moments,
        selection_log_likelihood,
    )

    x = np.concatenate([np.linspace(-60, 40, 20001), [-35.0 - 1e-9, -35.0 + 1e-9, 0.0]])
    ours = np.array([log_normal_cdf(value) for value in x])
    np.testing.assert_allclose(ours, log_ndtr(x), rtol=1e-12, atol=1e-15)
    rng = np.random.default_rng(3)
    centred, eta = rng.normal(0, 1.5, 400), rng.normal(0, 2, 400)
    b0, sigma, rho = 0.3, 1.4, -0.7
    r = (centred - b0) / sigma
    expected = np.sum(log_ndtr((eta + rho * r) / np.sqrt(1 - rho**2)) - r**2 / 2)
    assert selection_log_likelihood(centred, eta, b0, sigma, rho) == pytest.approx(
        expected, rel=1e-12
    )
    mills = np.exp(-(eta**2) / 2 - 0.5 * np.log(2 * np.pi) - log_ndtr(eta))
    np.testing.assert_allclose(
        mills_moments(eta), [mills.mean(), np.mean(mills * (mills + eta))], rtol=1e-12
    )


def test_binary_heckman_sweeps_keep_each_latent_outcome_on_its_side():
    """The observed rows' latent y* (the sampler's state) stays positive exactly where y = 1."""
    sim = bm.simulate.simulate_heckman(clusters=6, cluster_size=10, seed=1, binary=True)
    spec = bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", family="binary")
    data = encode(sim.incomplete, "cluster")
    model = FACTORIES["heckman"](spec, data)
    model.set_predictors(data.design(model.columns))
    rng = np.random.default_rng(2)
    state = model.gibbs.start(rng)
    y = sim.incomplete["y"].dropna().to_numpy()
    for _ in range(20):
        state, _ = model.gibbs.sweep(state, rng)
        np.testing.assert_array_equal(state["outcome_latent"] > 0, y == 1)
        assert -1 < state["rho"] < 1


def test_cluster_sums_add_in_row_order_as_bincount_does():
    """The sparse indicator product gives bincount's floats exactly (sums in row order)."""
    from bayesmi.gibbs.steps import cluster_sums

    rng = np.random.default_rng(3)
    for n, clusters, k in [(5000, 80, 10), (100, 7, 1), (50, 60, 3)]:
        codes = rng.integers(0, clusters, n)
        rows = rng.standard_normal((k, n)) * 1e3
        expected = np.column_stack(
            [np.bincount(codes, weights=row, minlength=clusters) for row in rows]
        )
        np.testing.assert_array_equal(cluster_sums(rows, codes, clusters), expected)


@pytest.mark.slow  # a minute of sampling: a statistical check
@pytest.mark.parametrize(
    "spec",
    [
        bm.random_intercept("y ~ x + (1 | id)", residual="ar1"),
        bm.random_slopes("y ~ time + x + (1 + time | id) + (1 | centre)", residual="ar1"),
        bm.random_slopes("y ~ time + x + (1 + time | id)", residual="ar1"),
        bm.heteroscedastic("y ~ time + x + (1 + time | id)", residual="ar1"),
    ],
)
def test_autoregressive_gibbs_agrees_with_nuts(spec):
    """AR(1) residuals over irregular occasions (`AutoregressiveGibbs`), 40 persons of up to 6
    occasions with y 30% missing (heteroscedastic: the persons' residual SDs log-normal, SD
    0.5; with centres: persons in 8 centres of SD 0.8): coefficients, effect SDs, sigma (per
    person: their mean) and phi, means within 4 MC SEs, SDs within 20%."""
    spread = 0.5 if spec.kind == "heteroscedastic" else 0.0  # persons' residual SDs differ
    sim = bm.simulate.simulate_longitudinal(
        persons=40, occasions=6, phi=0.6, seed=3, sigma_spread=spread
    )
    frame = sim.incomplete.copy()
    frame["time"] = frame["time"] + np.random.default_rng(4).uniform(-0.3, 0.3, len(frame))
    frame = frame.drop(index=frame.index[::7])  # unbalanced
    cluster = "id"
    if spec.other_groups:  # persons in 8 centres, centre SD 0.8
        frame["centre"] = (frame["id"] - 1) // 5
        frame["y"] += 0.8 * np.random.default_rng(5).standard_normal(8)[frame["centre"]]
        cluster = ["centre", "id"]
    data = encode(frame, cluster, time="time")
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None

    def summary(p):
        spread = [*np.atleast_1d(p.get("re_sd", p.get("tau")))]
        spread += [*np.atleast_1d(p["tau"])] if "re_sd" in p and "tau" in p else []
        sigma = np.asarray(p["sigma"])  # one, or one per person (their mean)
        return [*p["beta"], *spread, float(np.mean(sigma)), float(p["phi"])]

    assert_gibbs_agrees_with_nuts(model, summary, spec.formula)
