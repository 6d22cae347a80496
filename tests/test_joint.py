"""The joint engine: contract, checks, and known-truth recovery (slow)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayesmi as bm

JOINT = {"engine": "joint", "iterations": 20, "tune": 100}
LONG_JOINT = {"engine": "joint", "chains": 10, "iterations": 50, "tune": 500}


@pytest.fixture(scope="module")
def joint_idata(two_variable_data, impute_quietly):
    spec = {
        "x": bm.random_intercept("x ~ w + (1 | g)"),
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
    }
    return impute_quietly(two_variable_data, spec, **JOINT)


def test_joint_result_has_the_chained_layout(joint_idata, two_variable_data):
    assert joint_idata.attrs["engine"] == "joint"
    assert joint_idata.posterior["y::missing"].shape == (2, 2, two_variable_data["y"].isna().sum())
    assert joint_idata.warmup_posterior["x::beta"].shape == (2, 18, 2)
    assert list(joint_idata.posterior["y::beta"].coords["y::beta_dim"].values) == [
        "Intercept",
        "x",
        "w",
        "z",
    ]
    frames = list(bm.completed(joint_idata))
    assert len(frames) == 4
    observed = two_variable_data.notna()
    for frame in frames:
        assert frame[observed].equals(two_variable_data[observed])
        assert frame[["x", "y"]].notna().all().all()


def test_joint_netcdf_round_trip(joint_idata, tmp_path):
    path = tmp_path / "joint.nc"
    joint_idata.to_netcdf(path)
    loaded = bm.completed(__import__("arviz").from_netcdf(path))
    for left, right in zip(loaded, bm.completed(joint_idata), strict=True):
        pd.testing.assert_frame_equal(left, right)


def test_joint_same_seed_same_result(two_variable_data, impute_quietly, joint_idata):
    spec = {
        "x": bm.random_intercept("x ~ w + (1 | g)"),
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
    }
    again = impute_quietly(two_variable_data, spec, cores=2, **JOINT)
    np.testing.assert_array_equal(
        again.posterior["y::missing"].to_numpy(), joint_idata.posterior["y::missing"].to_numpy()
    )


def test_joint_refuses_a_factor_using_a_later_variable(two_variable_data, two_variable_spec):
    with pytest.raises(ValueError, match=r"the model of 'y', .*, uses 'x', which comes after"):
        bm.impute(two_variable_data, two_variable_spec, cluster="g", engine="joint")


def test_joint_refuses_models_it_does_not_hold(two_variable_data):
    spec = {"y": bm.fixed_cluster("y ~ w")}
    with pytest.raises(ValueError, match="'y' is imputed by fixed_cluster, which the joint"):
        bm.impute(two_variable_data.drop(columns="x"), spec, cluster="g", engine="joint")


def test_analysis_outcome_may_not_predict_an_earlier_factor(two_variable_data):
    spec = {"x": bm.random_intercept("x ~ y + w + (1 | g)")}
    data = two_variable_data.dropna(subset=["y"])
    with pytest.raises(ValueError, match="uses the analysis outcome 'y'"):
        bm.impute(data, spec, cluster="g", engine="joint", analysis="y ~ x + w + (1 | g)")


def test_unknown_nuts_sampler_is_refused(two_variable_data):
    spec = {"x": bm.random_intercept("x ~ w + (1 | g)")}
    with pytest.raises(ValueError, match="nuts_sampler must be one of"):
        bm.impute(two_variable_data, spec, cluster="g", engine="joint", nuts_sampler="stan")


def test_analysis_with_interaction_and_binary_cells(impute_quietly):
    """A binary incomplete variable (Gibbs step) and an interaction in the analysis model."""
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame(
        {
            "g": np.repeat(np.arange(6), 20),
            "w": rng.standard_normal(n),
            "b": (rng.random(n) < 0.4).astype(float),
        }
    )
    frame["x"] = 0.3 * frame["w"] + rng.standard_normal(n)
    frame["y"] = frame["x"] + frame["b"] + 0.5 * frame["x"] * frame["w"] + rng.standard_normal(n)
    frame.loc[rng.random(n) < 0.2, "x"] = np.nan
    frame.loc[rng.random(n) < 0.2, "b"] = np.nan
    spec = {
        "b": bm.binary("b ~ w + (1 | g)"),
        "x": bm.random_intercept("x ~ w + b + (1 | g)"),
    }
    idata = impute_quietly(frame, spec, analysis="y ~ x * w + b + (1 | g)", **JOINT)
    assert set(np.unique(idata.posterior["b::missing"])) <= {0.0, 1.0}
    coefficients = idata.posterior["y::beta"].coords["y::beta_dim"].values
    assert list(coefficients) == ["Intercept", "x", "w", "x:w", "b"]
    assert idata.posterior["y::missing"].shape[-1] == 0
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for completed in frames:
        assert completed.notna().all().all()


def pooled(idata, analysis):
    fits = [analysis(frame) for frame in bm.completed(idata)]
    return np.mean(fits, axis=0)


def slope_sd(frame):
    fit = smf.mixedlm("y ~ x", frame, groups="cluster", re_formula="~x").fit()
    return float(np.sqrt(fit.cov_re.loc["x", "x"]))


def quietly(data, spec, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bm.impute(data, spec, cluster="cluster", seed=1, progressbar=False, **options)


@pytest.mark.slow
def test_analysis_compatible_random_slope_sd():
    """J=100 of 20, SD(u1) 0.4, 30% of x MAR on y: the pooled random-slope SD of the
    analysis-compatible joint model within 0.04 of the complete-data estimate (issue 8)."""
    sim = bm.simulate.simulate_slope_predictor(seed=11)
    complete = slope_sd(sim.complete)
    joint = quietly(
        sim.incomplete,
        {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")},
        analysis="y ~ x + (1 + x | cluster)",
        **LONG_JOINT,
    )
    chained = quietly(
        sim.incomplete,
        {"x": bm.random_slopes("x ~ y + (1 + y | cluster)")},
        chains=10,
        iterations=20,
    )
    joint_sd = pooled(joint, slope_sd)
    chained_sd = pooled(chained, slope_sd)
    print(
        f"random-slope SD: complete {complete:.4f}, joint+analysis {joint_sd:.4f} "
        f"({joint_sd - complete:+.4f}), chained random_slopes {chained_sd:.4f} "
        f"({chained_sd - complete:+.4f})"
    )
    assert joint_sd == pytest.approx(complete, abs=0.04)


@pytest.mark.slow
def test_analysis_compatible_interaction():
    """y = x + w + 0.5 x w + e, 30% of x missing: pooled interaction within 0.07 of 0.5."""
    sim = bm.simulate.simulate_interaction(seed=12)
    joint = quietly(
        sim.incomplete,
        {"x": bm.random_intercept("x ~ w + (1 | cluster)")},
        analysis="y ~ x * w + (1 | cluster)",
        **LONG_JOINT,
    )
    estimate = pooled(joint, lambda d: smf.ols("y ~ x * w", d).fit().params["x:w"])
    complete = smf.ols("y ~ x * w", sim.complete).fit().params["x:w"]
    print(f"interaction: truth 0.5, complete {complete:.4f}, joint+analysis {estimate:.4f}")
    assert estimate == pytest.approx(0.5, abs=0.07)


@pytest.mark.slow
def test_joint_and_chained_agree_on_random_intercept_example():
    """The foundation example (J=50 of 20, 40% of y MAR on x): pooled mean and slope of
    joint and chained random_intercept within 0.03 of each other."""
    sim = bm.simulate.simulate_random_intercept(seed=20261125)
    spec = {"y": bm.random_intercept("y ~ x + (1 | cluster)")}
    results = {}
    for engine, options in {
        "chained": {"iterations": 20},
        "joint": LONG_JOINT,
    }.items():
        idata = quietly(sim.incomplete, spec, **{"chains": 10} | options)
        frames = list(bm.completed(idata))
        results[engine] = (
            np.mean([frame["y"].mean() for frame in frames]),
            np.mean([np.polyfit(frame["x"], frame["y"], 1)[0] for frame in frames]),
        )
    print(f"joint vs chained (mean, slope): {results}")
    assert results["joint"][0] == pytest.approx(results["chained"][0], abs=0.03)
    assert results["joint"][1] == pytest.approx(results["chained"][1], abs=0.03)
