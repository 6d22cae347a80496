"""Analysis-compatible chained imputation (analysis= with engine="chained"): kernel, contract,
checks, and known-truth recovery (slow)."""

import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayesmi as bm
from bayesmi.data.checks import check_spec
from bayesmi.data.encoding import encode
from bayesmi.engines.compatible import compatible_models
from bayesmi.engines.samplers.metropolis import dependents, metropolis_update

ANALYSIS = "y ~ x + w + (1 | g)"


def _random_intercept_point(name, intercept, sigma, beta=None):
    """A random-intercept Gibbs state with (practically) no cluster effects."""
    point = {
        f"{name}::intercept_std": np.asarray(intercept),
        f"{name}::tau_std_log__": np.asarray(np.log(1e-8)),
        f"{name}::sigma_std_log__": np.asarray(np.log(sigma)),
        f"{name}::eta": np.zeros(20),
    }
    if beta is not None:
        point[f"{name}::beta_std"] = np.array([beta])
    return point


def test_metropolis_update_draws_from_the_covariate_times_analysis_conditional():
    """x ~ N(1, 2^2), y | x ~ N(0.5 + 1.5 x, 1), parameters fixed: every missing x's
    conditional is normal, precision 1/4 + 1.5^2 and mean (1/4 + 1.5 (y - 0.5)) / 2.5.
    After the Metropolis rounds the standardised cells are N(0, 1) (1,000 cells); without the
    analysis factor their mean would be about 0.5 SD off and their SD 2.5."""
    rng = np.random.default_rng(4)
    n = 2000
    x = 1 + 2 * rng.standard_normal(n)
    y = 0.5 + 1.5 * x + rng.standard_normal(n)
    frame = pd.DataFrame({"g": np.repeat(np.arange(20), n // 20), "x": x, "y": y})
    frame.loc[rng.random(n) < 0.5, "x"] = np.nan
    data = encode(frame, "g")
    spec = check_spec(
        {
            "x": bm.random_intercept("x ~ 1 + (1 | g)"),
            "y": bm.random_intercept("y ~ x + (1 | g)"),
        },
        data,
    )
    models = compatible_models(data, spec, "y")
    sx, sy = models["x"].scaling, models["y"].scaling
    c, s = sy.x_center[0], sy.x_scale[0]
    points = {
        "x": _random_intercept_point("x", (1 - sx.y_center) / sx.y_scale, 2 / sx.y_scale),
        "y": _random_intercept_point(
            "y",
            (0.5 - sy.y_center + 1.5 * c) / sy.y_scale,
            1 / sy.y_scale,
            beta=1.5 * s / sy.y_scale,
        ),
    }
    current = {"x": data.values("x"), "y": data.values("y")}
    missing = data.missing["x"]
    current["x"][missing] = np.nanmean(current["x"])
    assert dependents(models) == {"x": ["y"], "y": []}
    acceptance = metropolis_update(
        data, "x", models, points, current, ["y"], rounds=100, rng=np.random.default_rng(5)
    )
    precision = 1 / 4 + 1.5**2
    mean = (1 / 4 + 1.5 * (y[missing] - 0.5)) / precision
    z = (current["x"][missing] - mean) * np.sqrt(precision)
    print(f"acceptance {acceptance:.3f}, z mean {z.mean():+.4f}, z SD {z.std():.4f}")
    assert 0.05 < acceptance < 0.9
    assert abs(z.mean()) < 0.1
    assert z.std() == pytest.approx(1.0, abs=0.07)
    np.testing.assert_array_equal(current["x"][~missing], x[~missing])


def _compatible_frame():
    """x (incomplete), b (binary, incomplete), w complete, y partly missing."""
    rng = np.random.default_rng(8)
    n = 160
    g = np.repeat(np.arange(8), 20)
    w = rng.standard_normal(n)
    x = 0.4 * w + rng.standard_normal(n)
    b = (rng.random(n) < 0.4).astype(float)
    y = x + w + 0.5 * b + rng.normal(0, 0.5, 8)[g] + rng.standard_normal(n)
    frame = pd.DataFrame({"g": g, "w": w, "x": x, "b": b, "y": y})
    frame.loc[rng.random(n) < 0.25, "x"] = np.nan
    frame.loc[rng.random(n) < 0.2, "b"] = np.nan
    frame.loc[rng.random(n) < 0.1, "y"] = np.nan
    return frame


@pytest.fixture(scope="module")
def compatible_data():
    return _compatible_frame()


SPEC = {
    "x": bm.random_intercept("x ~ w + (1 | g)"),
    "b": bm.binary("b ~ x + w + (1 | g)"),
}


@pytest.fixture(scope="module")
def compatible_idata(compatible_data, impute_quietly):
    return impute_quietly(compatible_data, SPEC, analysis="y ~ x * w + b + (1 | g)", steps=3)


def test_analysis_model_is_the_last_factor_of_a_chained_run(compatible_idata, compatible_data):
    idata = compatible_idata
    assert idata.attrs["engine"] == "chained"
    assert idata.attrs["analysis"] == "y ~ x * w + b + (1 | g)"
    coefficients = idata.posterior["y::beta"].coords["y::beta_dim"].values
    assert list(coefficients) == ["Intercept", "x", "w", "x:w", "b"]
    assert idata.posterior["y::missing"].shape[-1] == compatible_data["y"].isna().sum()
    assert set(np.unique(idata.posterior["b::missing"])) <= {0.0, 1.0}
    observed = compatible_data.notna()
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert frame.notna().all().all()
        assert frame[observed].equals(compatible_data[observed])
    pd.testing.assert_frame_equal(compatible_data, _compatible_frame())  # caller's, untouched


def test_compatible_same_seed_same_result(compatible_data, impute_quietly, compatible_idata):
    again = impute_quietly(
        compatible_data, SPEC, analysis="y ~ x * w + b + (1 | g)", steps=3, cores=2
    )
    for name in ("x", "b", "y"):
        np.testing.assert_array_equal(
            again.posterior[f"{name}::missing"].to_numpy(),
            compatible_idata.posterior[f"{name}::missing"].to_numpy(),
        )


def test_compatible_runs_scan_twenty_times_per_iteration_by_default(compatible_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            compatible_data,
            SPEC,
            cluster="g",
            analysis=ANALYSIS,
            chains=1,
            iterations=2,
            tune=5,
            seed=2,
            progressbar=False,
        )
    assert idata.attrs["steps"] == 20


@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        (SPEC, {"sampler": "nuts"}, "sampler='nuts' cannot take part"),
        (
            {"x": bm.fixed_cluster("x ~ w")},
            {},
            "'x' is imputed by fixed_cluster, which analysis= with engine='chained'",
        ),
        (
            {"x": bm.random_intercept("x ~ w + (1 | g)", pmm=True)},
            {},
            "'x' is imputed by predictive mean matching",
        ),
        (
            {"x": bm.random_intercept("x ~ w + (1 | g)"), "b": bm.binary("b ~ x_mean + (1 | g)")},
            {},
            "uses the cluster means of x",
        ),
        (
            {"b": bm.binary("b ~ x + (1 | g)"), "x": bm.random_intercept("x ~ w + (1 | g)")},
            {},
            r"the model of 'b', .*, uses 'x', which comes after it",
        ),
        (
            {"x": bm.random_intercept("x ~ y + (1 | g)")},
            {},
            "uses the analysis outcome 'y'",
        ),
    ],
)
def test_compatible_refuses_what_it_cannot_hold(compatible_data, spec, options, message):
    with pytest.raises(ValueError, match=message):
        bm.impute(compatible_data, spec, cluster="g", analysis=ANALYSIS, **options)


def _slope_sd(frame):
    fit = smf.mixedlm("y ~ x", frame, groups="cluster", re_formula="~x").fit()
    return float(np.sqrt(fit.cov_re.loc["x", "x"]))


@pytest.mark.slow
def test_chained_analysis_recovers_random_slope_sd():
    """Issue 16: the joint engine's random-slope case (J=100 of 20, SD(u1) 0.4, 30% of x MAR on
    y), chained with analysis=, 10 chains of 20 iterations: pooled random-slope SD within 0.04
    of the complete-data estimate, no convergence warning."""
    sim = bm.simulate.simulate_slope_predictor(seed=11)
    complete = _slope_sd(sim.complete)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", bm.ConvergenceWarning)
        idata = bm.impute(
            sim.incomplete,
            {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")},
            cluster="cluster",
            analysis="y ~ x + (1 + x | cluster)",
            chains=10,
            iterations=20,
            seed=1,
            progressbar=False,
        )
    elapsed = time.perf_counter() - start
    estimate = np.mean([_slope_sd(frame) for frame in bm.completed(idata)])
    print(
        f"random-slope SD: complete {complete:.4f}, chained+analysis {estimate:.4f} "
        f"({estimate - complete:+.4f}), {elapsed:.1f} s"
    )
    assert estimate == pytest.approx(complete, abs=0.04)


@pytest.mark.slow
def test_chained_analysis_recovers_interaction():
    """y = x + w + 0.5 x w + e, 30% of x missing: pooled interaction within 0.07 of 0.5 (the
    joint engine's criterion)."""
    sim = bm.simulate.simulate_interaction(seed=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            sim.incomplete,
            {"x": bm.random_intercept("x ~ w + (1 | cluster)")},
            cluster="cluster",
            analysis="y ~ x * w + (1 | cluster)",
            chains=10,
            iterations=20,
            seed=1,
            progressbar=False,
        )
    estimate = np.mean(
        [smf.ols("y ~ x * w", frame).fit().params["x:w"] for frame in bm.completed(idata)]
    )
    complete = smf.ols("y ~ x * w", sim.complete).fit().params["x:w"]
    print(f"interaction: truth 0.5, complete {complete:.4f}, chained+analysis {estimate:.4f}")
    assert estimate == pytest.approx(0.5, abs=0.07)


@pytest.mark.slow
def test_chained_analysis_agrees_with_the_joint_engine():
    """The same joint distribution (x's random-intercept factor, the random-slope analysis
    model; 300 rows): posterior means of every parameter of the Gibbs-Metropolis chains and of
    NUTS within 4 combined Monte Carlo SEs."""
    sim = bm.simulate.simulate_slope_predictor(clusters=30, cluster_size=10, seed=3)
    spec = {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")}
    runs = {
        "chained": {"chains": 4, "iterations": 400, "draws": 380},
        "joint": {"engine": "joint", "chains": 4, "iterations": 500, "draws": 500, "tune": 500},
    }
    summaries = {}
    for engine, options in runs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = bm.impute(
                sim.incomplete,
                spec,
                cluster="cluster",
                analysis="y ~ x + (1 + x | cluster)",
                seed=1,
                progressbar=False,
                **options,
            )
        names = ["y::beta", "y::re_sd", "y::sigma", "x::beta", "x::tau", "x::sigma"]
        summaries[engine] = az.summary(idata, var_names=names)[["mean", "mcse_mean"]]
    chained, joint = summaries["chained"], summaries["joint"]
    print(pd.concat(summaries, axis=1).round(4).to_string())
    bound = 4 * np.sqrt(chained["mcse_mean"] ** 2 + joint["mcse_mean"] ** 2)
    assert ((chained["mean"] - joint["mean"]).abs() < bound).all()


def test_compatible_run_checkpoints_and_rebuilds_from_them(compatible_data, tmp_path):
    options = {
        "cluster": "g",
        "analysis": ANALYSIS,
        "chains": 2,
        "iterations": 4,
        "tune": 5,
        "steps": 2,
        "seed": 3,
        "cores": 1,
        "progressbar": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        plain = bm.impute(compatible_data, SPEC, **options)
        saved = bm.impute(compatible_data, SPEC, checkpoint=tmp_path / "c", **options)
        rebuilt = bm.impute(compatible_data, SPEC, checkpoint=tmp_path / "c", **options)
    for result in (saved, rebuilt):
        for name in ("x", "b", "y"):
            np.testing.assert_array_equal(
                result.posterior[f"{name}::missing"].to_numpy(),
                plain.posterior[f"{name}::missing"].to_numpy(),
            )


def _factor_frame(n_clusters=50, size=20, seed=5):
    """c nominal (3, strings), o ordinal (0-3), both incomplete (MAR on y); y = ... + 0.8 o w."""
    rng = np.random.default_rng(seed)
    n = n_clusters * size
    g = np.repeat(np.arange(n_clusters), size)
    w = rng.standard_normal(n)
    logits = np.column_stack([np.zeros(n), 0.3 + 0.5 * w, -0.2 - 0.5 * w])
    c = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    o = np.clip(np.round(1 + 0.8 * w + rng.standard_normal(n)), 0, 3)
    u = rng.normal(0, 0.5, n_clusters)[g]
    y = 1 + np.array([0, 1.0, -0.8])[c] + 0.6 * o + 0.5 * w + 0.8 * o * w + u
    y = y + rng.standard_normal(n)
    labels = np.array(["red", "green", "blue"])[c]
    complete = pd.DataFrame({"g": g, "w": w, "c": pd.Categorical(labels), "o": o, "y": y})
    incomplete = complete.copy()
    deleted = 1 / (1 + np.exp(-(-1.2 + 0.8 * (y - y.mean()) / y.std())))
    incomplete.loc[rng.random(n) < deleted, "c"] = np.nan
    incomplete.loc[rng.random(n) < deleted, "o"] = np.nan
    return complete, incomplete


FACTOR_SPEC = {"c": bm.categorical("c ~ w + (1 | g)"), "o": bm.ordinal("o ~ w + c + (1 | g)")}


def test_nominal_and_ordinal_covariates_take_part(impute_quietly):
    _, data = _factor_frame(n_clusters=8, size=15)
    idata = impute_quietly(data, FACTOR_SPEC, analysis="y ~ c + o * w + (1 | g)", steps=3)
    coefficients = list(idata.posterior["y::beta"].coords["y::beta_dim"].values)
    assert coefficients == ["Intercept", "c[green]", "c[red]", "o", "w", "o:w"]
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert set(frame["c"].unique()) <= {"blue", "green", "red"}
        assert set(frame["o"].unique()) <= {0.0, 1.0, 2.0, 3.0}
        assert frame["c"].dtype == data["c"].dtype


@pytest.mark.slow
def test_chained_analysis_recovers_effects_of_factor_covariates():
    """1,000 rows, a nominal and an ordinal covariate 25% missing at random given y, the
    analysis model with an ordinal-by-continuous interaction: pooled OLS coefficients within
    0.1 of the complete data's (largest gap seen: 0.043)."""
    complete, incomplete = _factor_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            incomplete,
            FACTOR_SPEC,
            cluster="g",
            analysis="y ~ c + o * w + (1 | g)",
            chains=10,
            iterations=20,
            seed=1,
            progressbar=False,
        )
    formula = "y ~ C(c, Treatment('red')) + o * w"
    truth = smf.ols(formula, complete).fit().params
    pooled = np.mean([smf.ols(formula, frame).fit().params for frame in bm.completed(idata)], 0)
    print(pd.DataFrame({"complete": truth, "chained+analysis": pooled}).round(3).to_string())
    np.testing.assert_allclose(pooled, truth, atol=0.1)


def test_metropolis_update_moves_a_cluster_level_variable_by_whole_clusters():
    """w_j ~ N(1, 2^2) per cluster (bm.cluster_level("w ~ 1")), y_ij | w_j ~ N(0.5 + 1.5 w_j, 1),
    parameters fixed: a missing w_j's conditional is normal, precision 1/4 + n_j 1.5^2 and mean
    (1/4 + 1.5 sum_i (y_ij - 0.5)) / precision. After the Metropolis rounds the standardised
    values of 200 missing clusters are N(0, 1), constant within each cluster, and a cluster
    that reports w in some rows keeps that value in all of them. (Proposals from w's own
    model, four times wider than the conditional, are accepted 14% of the time: 60 rounds
    left the SD at 1.13, 300 at 1.07, 1,000 at 1.02.)"""
    rng = np.random.default_rng(4)
    n_clusters, size = 400, 5
    g = np.repeat(np.arange(n_clusters), size)
    w = (1 + 2 * rng.standard_normal(n_clusters))[g]
    y = 0.5 + 1.5 * w + rng.standard_normal(g.size)
    frame = pd.DataFrame({"g": g, "w": w, "y": y})
    lost = rng.permutation(n_clusters)[:200]
    frame.loc[np.isin(g, lost), "w"] = np.nan
    frame.loc[(g == 7) & (np.arange(g.size) % size > 2), "w"] = np.nan  # reported in part
    data = encode(frame, "g")
    spec = check_spec(
        {"w": bm.cluster_level("w ~ 1"), "y": bm.random_intercept("y ~ w + (1 | g)")}, data
    )
    models = compatible_models(data, spec, "y")
    sw, sy = models["w"].scaling, models["y"].scaling
    c, s = sy.x_center[0], sy.x_scale[0]
    points = {
        "w": {
            "w::intercept_std": np.asarray((1 - sw.y_center) / sw.y_scale),
            "w::sigma_std_log__": np.asarray(np.log(2 / sw.y_scale)),
        },
        "y": _random_intercept_point(
            "y", (0.5 - sy.y_center + 1.5 * c) / sy.y_scale, 1 / sy.y_scale, 1.5 * s / sy.y_scale
        )
        | {"y::eta": np.zeros(n_clusters)},
    }
    current = {"w": data.values("w"), "y": data.values("y")}
    missing = data.missing["w"]
    current["w"][np.isin(g, lost)] = 1.0
    current["w"][g == 7] = w[g == 7]
    acceptance = metropolis_update(
        data, "w", models, points, current, ["y"], rounds=1000, rng=np.random.default_rng(5)
    )
    per_cluster = current["w"].reshape(n_clusters, size)
    np.testing.assert_array_equal(per_cluster.min(axis=1), per_cluster.max(axis=1))
    np.testing.assert_array_equal(current["w"][g == 7], w[g == 7])
    np.testing.assert_array_equal(current["w"][~missing], w[~missing])
    precision = 1 / 4 + size * 1.5**2
    sums = np.bincount(g, y - 0.5, minlength=n_clusters)
    mean = (1 / 4 + 1.5 * sums) / precision
    z = (per_cluster[lost, 0] - mean[lost]) * np.sqrt(precision)
    print(f"acceptance {acceptance:.3f}, z mean {z.mean():+.4f}, z SD {z.std():.4f}")
    assert 0.01 < acceptance < 0.5
    assert abs(z.mean()) < 0.1
    assert z.std() == pytest.approx(1.0, abs=0.07)
