import warnings

import arviz as az
import numpy as np
import pytest

import bayesmi as bm
from bayesmi.diagnostics.convergence import _parameter_diagnostics, warn_convergence
from bayesmi.diagnostics.kernels import (
    bound_autocorrelation,
    bulk_ess,
    lag1_autocorrelation,
    rank_rhat,
    rhat_noise_bound,
)
from bayesmi.diagnostics.summary import summary_variables
from bayesmi.result.read import iteration_trace


@pytest.fixture(scope="module")
def longer_run(two_variable_data, impute_quietly):
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + z + (1 | g)")}
    return impute_quietly(data, spec, chains=3, iterations=24, draws=4, seed=7)


@pytest.mark.parametrize(("chains", "draws"), [(2, 4), (4, 9), (5, 20)])
def test_rank_rhat_matches_arviz(chains, draws):
    rng = np.random.default_rng(chains * draws)
    values = rng.standard_normal((chains, draws)) + rng.normal(0, 0.5, (chains, 1))
    assert rank_rhat(values) == pytest.approx(az.rhat(values), rel=1e-12)


@pytest.mark.parametrize(("chains", "draws"), [(1, 6), (2, 4), (4, 9), (5, 20), (10, 100)])
def test_bulk_ess_matches_arviz(chains, draws):
    """A batch of (chain, draw) arrays, autocorrelated, ties and a constant among them."""
    rng = np.random.default_rng(chains * draws)
    batch = rng.standard_normal((6, chains, draws)) + rng.normal(0, 0.5, (6, chains, 1))
    batch[1] = np.cumsum(batch[1], axis=-1)  # strongly autocorrelated
    batch[2] = np.round(batch[2])  # ties
    batch[3] = 2.5  # a constant
    expected = [az.ess(values, method="bulk") for values in batch]
    np.testing.assert_allclose(bulk_ess(batch), expected, rtol=1e-12)


def test_bulk_ess_of_too_few_draws_or_a_nan_is_nan():
    assert np.isnan(bulk_ess(np.ones((2, 3)))).all()
    values = np.random.default_rng(0).standard_normal((2, 8))
    values[0, 3] = np.nan
    assert np.isnan(bulk_ess(values))


def test_noise_bound_shrinks_towards_one_with_more_iterations():
    short, long = rhat_noise_bound(5, 5), rhat_noise_bound(5, 50)
    assert short > 1.3
    assert 1.0 < long < 1.05


def test_mixed_chains_give_no_warning(longer_run):
    rhat = bm.chain_mean_rhat(longer_run)["y"]
    assert rhat < 1.05 or rhat < rhat_noise_bound(3, 12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.ConvergenceWarning)
        warn_convergence(longer_run)


def test_stuck_chains_warn_with_the_numbers(longer_run):
    idata = longer_run.copy()
    for group in ("warmup_posterior", "posterior"):
        means = idata[group]["y::missing_mean"]
        idata[group]["y::missing_mean"] = means + 3.0 * means["chain"]
    rhat = bm.chain_mean_rhat(idata)["y"]
    assert rhat > 2
    with pytest.warns(bm.ConvergenceWarning, match=rf"'y': R-hat .* is {rhat:.3f}, above .*1\.05"):
        warn_convergence(idata)


def test_divergences_warn_with_the_count(longer_run):
    idata = longer_run.copy()
    divergences = idata.sample_stats["y::divergences"].copy()
    divergences[0, 0] = 3
    idata.sample_stats["y::divergences"] = divergences
    with pytest.warns(
        bm.ConvergenceWarning, match=r"'y': 3 divergent NUTS transitions after tuning"
    ):
        warn_convergence(idata)


def test_short_runs_use_every_iteration_unsplit(two_variable_idata):
    trace = iteration_trace(two_variable_idata, "y::missing_mean")
    assert trace.shape == (2, 4)  # second half too short to split
    expected = rank_rhat(trace, split=False)
    assert bm.chain_mean_rhat(two_variable_idata)["y"] == pytest.approx(float(expected))


def test_single_iteration_runs_have_no_rhat(two_variable_data, two_variable_spec, impute_quietly):
    idata = impute_quietly(two_variable_data, two_variable_spec, iterations=1, draws=1)
    assert np.isnan(bm.chain_mean_rhat(idata)["y"])


def test_non_converged_run_warns_and_converged_run_does_not():
    """2 iterations from over-dispersed starts, one untuned NUTS transition each: R-hat of
    the chain means far above 1.05 and a warning; 20 iterations of the default run: neither."""
    data = bm.datasets.load_popmis()
    spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    settings = {"cluster": "school", "chains": 10, "seed": 1, "progressbar": False}
    with pytest.warns(bm.ConvergenceWarning) as caught:
        stuck = bm.impute(
            data,
            spec,
            iterations=2,
            start="overdispersed",
            sampler="nuts",
            tune=0,
            steps=1,
            **settings,
        )
    assert bm.chain_mean_rhat(stuck)["popular"] > 1.5
    messages = [str(warning.message) for warning in caught]
    assert any("10 chains of 2 iterations (the whole run, unsplit)" in m for m in messages)
    assert any("20 divergent NUTS transitions" in m for m in messages)  # untuned step size
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.ConvergenceWarning)
        converged = bm.impute(data, spec, iterations=20, **settings)
    assert bm.chain_mean_rhat(converged)["popular"] < 1.05


def test_overdispersed_starts_spread_the_chains(two_variable_data):
    from bayesmi.data import encode
    from bayesmi.engines.chained import starting_values
    from bayesmi.engines.options import ChainedSettings

    data = encode(two_variable_data, "g")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    mean, sd = data.observed_moments("y")
    low = starting_values(data, spec, np.random.default_rng(0), -1.0)["y"]
    high = starting_values(data, spec, np.random.default_rng(0), 1.0)["y"]
    missing = data.missing["y"]
    assert np.all(low[missing] == pytest.approx(mean - 3 * sd))
    assert np.all(high[missing] == pytest.approx(mean + 3 * sd))
    assert ChainedSettings(1, 1, 0, 1, 0.8, "auto").start == "observed"


def test_max_treedepth_hits_warn_with_the_count(longer_run):
    idata = longer_run.copy()
    hits = idata.sample_stats["y::max_treedepth_hits"].copy()
    hits[1, 2] = 4
    idata.sample_stats["y::max_treedepth_hits"] = hits
    with pytest.warns(bm.ConvergenceWarning, match=r"'y': 4 NUTS transitions stopped at the"):
        warn_convergence(idata)


@pytest.fixture(scope="module")
def hundred_draw_run(two_variable_data, impute_quietly):
    """4 chains x 60 iterations: a window of 4 x 30 = 120 chain means."""
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + z + (1 | g)")}
    return impute_quietly(data, spec, chains=4, iterations=60, draws=1, seed=3)


def _with_chain_means(idata, values):
    idata = idata.copy()
    idata.warmup_posterior["y::missing_mean"].values[:] = values[:, :-1]
    idata.posterior["y::missing_mean"].values[:] = values[:, -1:]
    return idata


def test_autocorrelated_chain_means_warn_with_their_ess(hundred_draw_run):
    walk = np.cumsum(np.random.default_rng(1).standard_normal((4, 60)), axis=1) * 0.01
    idata = _with_chain_means(hundred_draw_run, walk)
    expected = az.ess(walk[:, 30:])
    with pytest.warns(bm.ConvergenceWarning) as caught:  # R-hat fails too
        warn_convergence(idata)
    messages = [str(warning.message) for warning in caught]
    ess_message = f"is {expected:.0f} from 120 iterations (4 chains x 30), below 60"
    assert any("effective sample size" in m and ess_message in m for m in messages)


def test_independent_chain_means_do_not_warn_about_ess(hundred_draw_run):
    noise = np.random.default_rng(2).standard_normal((4, 60))
    idata = _with_chain_means(hundred_draw_run, noise)
    assert az.ess(noise[:, 30:]) > 100
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_convergence(idata)
    assert not [w for w in caught if "chain means" in str(w.message)]


def test_ess_threshold_is_100_or_half_the_draws():
    from bayesmi.diagnostics.convergence import ess_threshold

    assert np.isnan(ess_threshold(60))  # too few draws: R-hat alone
    assert ess_threshold(100) == 50  # the README's 10 chains x 10
    assert ess_threshold(120) == 60
    assert ess_threshold(1000) == 100


def _with_parameter(idata, name, values):
    """Replace a parameter's trace (chain, iteration) over burn-in and kept draws."""
    idata = idata.copy()
    for group, part in (("warmup_posterior", values[:, :-1]), ("posterior", values[:, -1:])):
        trace = idata[group][name].copy()
        trace.values[..., 0] = part if trace.ndim == 3 else trace.values[..., 0]
        idata[group][name] = trace
    return idata


@pytest.mark.parametrize("seed", range(5))
def test_a_parameter_whose_chains_have_not_mixed_warns_by_name(hundred_draw_run, seed):
    """The intercept's chains stuck at different levels (R-hat about 1.3-2): a warning naming
    y::beta[Intercept] with its R-hat, in every seed; the chain means are untouched."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((4, 60)) * 0.05 + 3.5 + 0.06 * np.arange(4)[:, None]
    idata = _with_parameter(hundred_draw_run, "y::beta", values)
    rhat = float(az.rhat(values[:, 30:]))
    assert rhat > 1.1
    with pytest.warns(bm.ConvergenceWarning) as caught:
        warn_convergence(idata)
    messages = [str(warning.message) for warning in caught]
    assert any(
        m.startswith("parameter y::beta[Intercept]") and f"R-hat {rhat:.3f}" in m for m in messages
    ), messages


def test_well_mixed_parameters_do_not_warn(hundred_draw_run):
    """Independent draws in place of the intercept's trace: no warning."""
    values = np.random.default_rng(5).standard_normal((4, 60)) * 0.05 + 3.5
    idata = _with_parameter(hundred_draw_run, "y::beta", values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_convergence(idata)
    assert not [w for w in caught if "y::beta" in str(w.message)]


def test_summary_drops_the_correlations_constants_and_repeats(impute_quietly, two_variable_data):
    data = two_variable_data.assign(v=np.random.default_rng(0).normal(size=len(two_variable_data)))
    spec = {"y": bm.random_slopes("y ~ w + v + (1 + w + v | g)")}
    idata = impute_quietly(data.drop(columns="x"), spec, chains=2, iterations=4)
    names = [name for name in bm.summary(idata).index if "re_corr" in name]
    assert names == ["y::re_corr[w, Intercept]", "y::re_corr[v, Intercept]", "y::re_corr[v, w]"]


@pytest.mark.parametrize("iterations", [12, 7])
def test_the_warnings_judge_the_numbers_of_arviz_summary(
    impute_quietly, two_variable_data, iterations
):
    """R-hat and bulk ESS of every parameter, labelled as bm.summary labels them (issue 29)."""
    data = two_variable_data.assign(v=np.random.default_rng(0).normal(size=len(two_variable_data)))
    spec = {"y": bm.random_slopes("y ~ w + v + (1 + w + v | g)")}
    idata = impute_quietly(data.drop(columns="x"), spec, chains=3, iterations=iterations)
    table = _parameter_diagnostics(idata)
    names = [name for name in summary_variables(idata) if "::missing" not in name]
    expected = bm.summary(idata, var_names=names, kind="diagnostics", round_to="none")
    assert list(table.index) == list(expected.index)
    assert "y::re_corr[v, w]" in table.index
    assert "y::re_corr[w, w]" not in table.index
    for column in ("r_hat", "ess_bulk"):
        np.testing.assert_allclose(table[column], expected[column], rtol=1e-12, err_msg=column)


def _ar1(rng, runs, chains, draws, autocorrelation):
    """Stationary normal AR(1) chains (runs, chains, draws)."""
    chain = rng.standard_normal((runs, chains, draws))
    for t in range(1, draws):
        chain[..., t] = (
            autocorrelation * chain[..., t - 1] + np.sqrt(1 - autocorrelation**2) * chain[..., t]
        )
    return chain


def test_the_noise_bound_follows_the_chains_autocorrelation():
    """10 chains of 10 well-mixed AR(1) draws with autocorrelation 0.2 (a chained run's
    coefficient whose imputed predictor feeds back on it): R-hat exceeds the 99% bound of
    independent draws in several percent of runs, the bound for their own estimated
    autocorrelation in about 1%."""
    chains = _ar1(np.random.default_rng(11), 3000, 10, 10, 0.2)
    rhat = rank_rhat(chains)
    independent = rhat_noise_bound(10, 10)
    own = np.array([rhat_noise_bound(10, 10, True, 1, a) for a in bound_autocorrelation(chains)])
    assert np.mean(rhat > independent) > 0.04
    assert np.mean(rhat > own) < 0.015
    assert rhat_noise_bound(10, 10, True, 1, 0.2) > independent + 0.05


def test_chains_apart_do_not_raise_the_autocorrelation():
    """Chains stuck at different levels: each chain is centred on its own mean, so the
    autocorrelation (and with it the noise bound) stays that of the draws within chains."""
    rng = np.random.default_rng(12)
    draws = rng.standard_normal((500, 10, 10))
    apart = draws + 3.0 * rng.standard_normal((500, 10, 1))
    assert np.median(rank_rhat(apart)) > 2
    assert lag1_autocorrelation(apart).mean() == pytest.approx(-0.1, abs=0.02)  # -1 / n
    assert bound_autocorrelation(apart).mean() == pytest.approx(
        bound_autocorrelation(draws).mean(), abs=0.01
    )


def test_ranks_are_scipys_average_ranks_to_the_last_bit():
    """The R-hat kernels' own ranks (one sort per row) against scipy's rankdata."""
    from scipy.stats import rankdata

    from bayesmi.diagnostics.kernels import _ranks

    rng = np.random.default_rng(2)
    cases = [
        rng.standard_normal((500, 100)),
        np.round(rng.standard_normal((50, 40)), 1),  # many ties
        rng.integers(0, 3, (20, 30)).astype(float),
        np.array([[0.0, -0.0, 1.0], [2.0, 2.0, 2.0]]),
        np.array([[1.0, np.nan, 2.0], [3.0, 3.0, 1.0]]),
        rng.standard_normal((2, 3, 4, 10)),
    ]
    for values in cases:
        expected = rankdata(values, axis=-1, method="average")
        np.testing.assert_array_equal(_ranks(values), expected)


def test_noise_bounds_are_stored_once_per_machine(tmp_path, monkeypatch):
    """Simulated once, read back by the next process; another version or an unwritable
    directory is a simulation again, with the same number."""
    from bayesmi.diagnostics import bound_store, kernels

    monkeypatch.setenv("BAYESMI_CACHE_DIR", str(tmp_path / "cache"))
    kernels._noise_bound.cache_clear()
    kernels._stored_bounds.cache_clear()
    first = rhat_noise_bound(4, 6, True, 2, 0.1)
    stored = bound_store.load_bounds()
    assert stored == {"4,6,1,2,0.10": first}
    kernels._noise_bound.cache_clear()
    kernels._stored_bounds.cache_clear()
    calls = []
    monkeypatch.setattr(kernels, "_simulated_bound", lambda *args: calls.append(args) or 9.0)
    assert rhat_noise_bound(4, 6, True, 2, 0.1) == first  # read back, not simulated
    assert calls == []
    path = bound_store.store_path()
    path.write_text(path.read_text().replace(bound_store.VERSION, "another"))
    assert bound_store.load_bounds() == {}
    path.write_text("{cut short")
    assert bound_store.load_bounds() == {}
    monkeypatch.setenv("BAYESMI_CACHE_DIR", str(path / "not-a-directory"))
    bound_store.save_bound("1,2,1,1,0.00", 1.5)  # nothing written, nothing raised
    assert bound_store.load_bounds() == {}
    kernels._noise_bound.cache_clear()
    kernels._stored_bounds.cache_clear()
