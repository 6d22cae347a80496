"""The Heckman selection model: spec checks, contract, and known-truth recovery (slow)."""

import warnings

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.models import FACTORIES
from bayesmi.result.read import iteration_trace
from bayesmi.spec import model_from_dict, model_to_dict

OUTCOME = "y ~ x + (1 | cluster)"
SELECTION = "~ x + z + (1 | cluster)"


def test_spec_keeps_both_equations():
    model = bm.heckman(OUTCOME, SELECTION)
    assert model.kind == "heckman"
    assert model.predictors == ("x",)
    assert model.selection == ("x", "z")
    assert model.columns == ("x", "z")


@pytest.mark.parametrize(
    ("selection", "message"),
    [
        ("~ x + (1 | cluster)", "no variable that the outcome formula"),
        ("r ~ x + z + (1 | cluster)", "has a left-hand side"),
        ("~ x + z + (1 + z | cluster)", r"needs the random intercept \(1 \| cluster\)"),
    ],
)
def test_identification_checks(selection, message):
    with pytest.raises(ValueError, match=message):
        bm.heckman(OUTCOME, selection)


def test_target_without_missing_values_is_refused():
    sim = bm.simulate.simulate_heckman(clusters=6, cluster_size=10, seed=1)
    with pytest.raises(ValueError, match="heckman target 'y' has no missing values"):
        bm.impute(sim.complete, {"y": bm.heckman(OUTCOME, SELECTION)}, cluster="cluster")


def test_heckman_imputes_and_reports_rho(impute_quietly):
    sim = bm.simulate.simulate_heckman(clusters=8, cluster_size=20, seed=2)
    data = sim.incomplete.rename(columns={"cluster": "g"})
    spec = {"y": bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)")}
    idata = impute_quietly(data, spec)
    rho = idata.posterior["y::rho"].to_numpy()
    assert np.all((rho > -1) & (rho < 1))
    assert list(idata.posterior["y::gamma"].coords["y::gamma_dim"].values) == [
        "Intercept",
        "x",
        "z",
    ]
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = data.notna()
        assert frame[observed].equals(data[observed])
        assert frame["y"].notna().all()


def test_spec_options_round_trip_through_json():
    model = bm.heckman(OUTCOME, SELECTION, family="binary", cluster_rho=True)
    assert (model.family, model.cluster_rho) == ("binary", True)
    restored = model_from_dict(model_to_dict(model))
    assert restored == model
    old = model_to_dict(bm.binary("y ~ x + (1 | g)"))
    del old["family"]
    assert model_from_dict(old).family == "binary"


def test_unknown_family_is_refused():
    with pytest.raises(
        ValueError, match="family of a heckman model must be 'gaussian' or 'binary', not 'poisson'"
    ):
        bm.heckman(OUTCOME, SELECTION, family="poisson")


def test_binary_heckman_refuses_a_target_that_is_not_0_1():
    sim = bm.simulate.simulate_heckman(clusters=6, cluster_size=10, seed=1)
    spec = {"y": bm.heckman(OUTCOME, SELECTION, family="binary")}
    with pytest.raises(ValueError, match="binary target 'y' has values other than 0 and 1"):
        bm.impute(sim.incomplete, spec, cluster="cluster")


def test_binary_heckman_imputes_zeros_and_ones(impute_quietly):
    sim = bm.simulate.simulate_heckman(clusters=8, cluster_size=20, seed=3, binary=True)
    data = sim.incomplete.rename(columns={"cluster": "g"})
    spec = {"y": bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)", family="binary")}
    idata = impute_quietly(data, spec)
    assert "y::sigma" not in idata.posterior
    imputed = idata.posterior["y::missing"].to_numpy()
    assert set(np.unique(imputed)) == {0.0, 1.0}
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = data["y"].notna()
        assert frame.loc[observed, "y"].equals(data.loc[observed, "y"])


def test_cluster_rho_is_reported_per_cluster(impute_quietly):
    sim = bm.simulate.simulate_heckman(clusters=6, cluster_size=20, seed=4)
    data = sim.incomplete.rename(columns={"cluster": "g"})
    spec = {"y": bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)", cluster_rho=True)}
    idata = impute_quietly(data, spec, iterations=8)
    rho_j = idata.posterior["y::rho_cluster"]
    assert rho_j.dims == ("chain", "draw", "cluster")
    assert np.all(np.abs(rho_j.to_numpy()) < 1)
    table = bm.selection_summary(idata, "y")
    assert list(table.index) == ["overall", 1, 2, 3, 4, 5, 6]
    missing = data["y"].isna().groupby(data["g"]).sum()
    assert table["missing"].iloc[1:].tolist() == missing.tolist()
    assert table.loc["overall", "missing"] == missing.sum()
    assert table["n"].iloc[1:].tolist() == [20] * 6
    assert np.all(table["lower"] <= table["mean"])
    assert np.all(table["mean"] <= table["upper"])
    window = idata.warmup_posterior["y::rho_cluster"].to_numpy()[:, 4:, 2].ravel()
    window = np.concatenate([window, idata.posterior["y::rho_cluster"].to_numpy()[..., 2].ravel()])
    assert table.loc[3, "mean"] == pytest.approx(window.mean())


def test_selection_summary_refuses_a_mar_variable(two_variable_idata):
    with pytest.raises(ValueError, match="'y' was not imputed by a heckman model"):
        bm.selection_summary(two_variable_idata, "y")


def test_heckman_alongside_a_mar_model_and_a_systematically_missing_cluster(impute_quietly):
    """x imputed by random_intercept in the same run; y entirely missing in cluster 1."""
    sim = bm.simulate.simulate_heckman(clusters=8, cluster_size=20, seed=5)
    data = sim.incomplete.rename(columns={"cluster": "g"})
    data.loc[data["g"] == 1, "y"] = np.nan
    data.loc[data.index[::7], "x"] = np.nan
    spec = {
        "y": bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)"),
        "x": bm.random_intercept("x ~ y + z + (1 | g)"),
    }
    idata = impute_quietly(data, spec, chains=4, iterations=6)
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert frame[["x", "y"]].notna().all().all()
        observed = data.notna()
        assert frame[observed].equals(data[observed])
    # cluster 1 has no observed y: its outcome effect is drawn from the population
    # distribution N(0, tau^2), so u_1 / tau is standard normal over the draws
    u = iteration_trace(idata, "y::u")[:, 2:, 0].ravel()
    tau = iteration_trace(idata, "y::tau")[:, 2:].ravel()
    standardised = u / tau
    assert abs(standardised.mean()) < 0.8
    assert 0.5 < standardised.std() < 1.6


def pooled_mean(data, spec, seed=1, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            data,
            spec,
            cluster="cluster",
            chains=10,
            iterations=10,
            seed=seed,
            progressbar=False,
            **options,
        )
    frames = list(bm.completed(idata))
    slopes = [np.polyfit(frame["x"], frame["y"], 1)[0] for frame in frames]
    return np.mean([frame["y"].mean() for frame in frames]), np.mean(slopes), idata


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["auto", "gibbs"])
def test_mnar_recovered_by_heckman_not_by_mar_model(sampler):
    """J=50 of 50, corr(e, d) = 0.6, about 40% missing (issue 7).

    random_intercept (MAR) misses the complete-data mean by more than 0.1; heckman is within
    0.05 of it, its pooled slope within 0.05, and the 95% interval of rho covers 0.6; by NUTS
    (the default) and by the data-augmentation Gibbs sampler.
    """
    sim = bm.simulate.simulate_heckman(rho=0.6, seed=7)
    complete_mean = sim.complete["y"].mean()
    complete_slope = np.polyfit(sim.complete["x"], sim.complete["y"], 1)[0]
    mar_mean, _, _ = pooled_mean(
        sim.incomplete, {"y": bm.random_intercept("y ~ x + z + (1 | cluster)")}
    )
    spec = {"y": bm.heckman(OUTCOME, SELECTION)}
    mean, slope, idata = pooled_mean(sim.incomplete, spec, sampler=sampler)
    rho = idata.posterior["y::rho"].to_numpy().ravel()
    warm = idata.warmup_posterior["y::rho"].to_numpy()[:, 5:].ravel()
    draws = np.concatenate([rho, warm])
    low, high = np.quantile(draws, [0.025, 0.975])
    print(
        f"complete mean {complete_mean:.4f}, observed {sim.incomplete['y'].mean():.4f}, "
        f"MAR {mar_mean:.4f}, heckman {mean:.4f}; slope {slope:.4f} vs {complete_slope:.4f}; "
        f"rho 95% interval ({low:.3f}, {high:.3f})"
    )
    assert abs(mar_mean - complete_mean) > 0.1
    assert mean == pytest.approx(complete_mean, abs=0.05)
    assert slope == pytest.approx(complete_slope, abs=0.05)
    assert low < 0.6 < high


@pytest.mark.slow
def test_mar_truth_heckman_agrees_with_random_intercept():
    """rho = 0: heckman's pooled mean within 0.03 of random_intercept's; rho's interval covers 0."""
    sim = bm.simulate.simulate_heckman(rho=0.0, seed=8)
    mar_mean, _, _ = pooled_mean(
        sim.incomplete, {"y": bm.random_intercept("y ~ x + z + (1 | cluster)")}
    )
    mean, _, idata = pooled_mean(sim.incomplete, {"y": bm.heckman(OUTCOME, SELECTION)})
    rho = np.concatenate(
        [
            idata.posterior["y::rho"].to_numpy().ravel(),
            idata.warmup_posterior["y::rho"].to_numpy()[:, 5:].ravel(),
        ]
    )
    low, high = np.quantile(rho, [0.025, 0.975])
    print(
        f"MAR truth: complete {sim.complete['y'].mean():.4f}, random_intercept {mar_mean:.4f}, "
        f"heckman {mean:.4f}; rho 95% interval ({low:.3f}, {high:.3f})"
    )
    assert mean == pytest.approx(mar_mean, abs=0.03)
    assert low < 0 < high


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["auto", "gibbs"])
def test_binary_mnar_proportion_recovered(sampler):
    """Binary y with MNAR selection (rho = 0.6): pooled proportion within 0.05 of the complete
    data under heckman(family="binary") by NUTS and by the Gibbs sampler, and rho's 95%
    interval covers 0.6; the MAR binary model misses it by more than 0.05."""
    sim = bm.simulate.simulate_heckman(rho=0.6, seed=9, binary=True)
    complete = sim.complete["y"].mean()
    mar, _, _ = pooled_mean(sim.incomplete, {"y": bm.binary("y ~ x + z + (1 | cluster)")})
    spec = {"y": bm.heckman(OUTCOME, SELECTION, family="binary")}
    proportion, _, idata = pooled_mean(sim.incomplete, spec, sampler=sampler)
    table = bm.selection_summary(idata, "y")
    low, high = table.loc["overall", ["lower", "upper"]]
    print(
        f"binary: complete {complete:.4f}, observed {sim.incomplete['y'].mean():.4f}, "
        f"MAR {mar:.4f}, heckman {proportion:.4f}; rho 95% interval ({low:.3f}, {high:.3f})"
    )
    assert abs(mar - complete) > 0.05
    assert proportion == pytest.approx(complete, abs=0.05)
    assert low < 0.6 < high


@pytest.mark.slow
def test_cluster_rho_recovers_the_mean_and_the_spread_of_rho():
    """cluster_rho on data whose rho is common (0.6): the mean is recovered as with a common rho,
    the overall rho's interval covers 0.6, and the between-cluster SD of atanh(rho_j) stays
    small (its 97.5% quantile below 0.6: half-normal prior's is 1.1)."""
    sim = bm.simulate.simulate_heckman(rho=0.6, seed=7)
    spec = {"y": bm.heckman(OUTCOME, SELECTION, cluster_rho=True)}
    mean, _, idata = pooled_mean(sim.incomplete, spec)
    table = bm.selection_summary(idata, "y")
    spread = iteration_trace(idata, "y::atanh_rho_sd")[:, 5:].ravel()
    low, high = table.loc["overall", ["lower", "upper"]]
    print(
        f"cluster rho: complete {sim.complete['y'].mean():.4f}, heckman {mean:.4f}; rho "
        f"({low:.3f}, {high:.3f}); SD of atanh rho_j 97.5% {np.quantile(spread, 0.975):.3f}"
    )
    assert mean == pytest.approx(sim.complete["y"].mean(), abs=0.05)
    assert low < 0.6 < high
    assert np.quantile(spread, 0.975) < 0.6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rho": 1.0}, "between -1 and 1"),
        ({"rho": True}, "between -1 and 1"),
        ({"rho": 0.3, "cluster_rho": True}, "give one of them"),
    ],
)
def test_bad_fixed_rho_is_refused(options, message):
    with pytest.raises(ValueError, match=message):
        bm.heckman(OUTCOME, SELECTION, **options)


def test_fixed_rho_is_kept_reported_and_round_trips(impute_quietly):
    data = bm.simulate.simulate_heckman(clusters=8, cluster_size=15, seed=2).incomplete
    data = data.rename(columns={"cluster": "g"})
    model = bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)", rho=0.45)
    assert model_from_dict(model_to_dict(model)) == model
    encoded = encode(data, "g")
    built = FACTORIES["heckman"](model, encoded)
    assert "y::atanh_rho" not in built.model.named_vars
    built.set_predictors(encoded.design(built.columns))
    rng = np.random.default_rng(3)
    state = built.gibbs.start(rng)
    for _ in range(5):  # the sweeps leave rho where it was fixed, and move sigma
        state, _ = built.gibbs.sweep(state, rng)
        assert state["rho"] == 0.45
    assert state["sigma"] != 1.0
    idata = impute_quietly(data, {"y": model}, sampler="gibbs")
    np.testing.assert_array_equal(idata.posterior["y::rho"], 0.45)


@pytest.mark.slow
def test_fixed_rho_reproduces_the_free_model_and_zero_the_mar_model():
    """rho fixed at the free model's posterior mean: completed mean within 0.03 of the free
    model's; rho = 0: within 0.03 of the MAR random-intercept model with the same outcome."""
    sim = bm.simulate.simulate_heckman(rho=0.6, seed=7)
    outcome = "y ~ x + (1 | cluster)"
    free, _, idata = pooled_mean(sim.incomplete, {"y": bm.heckman(outcome, SELECTION)})
    rho = float(idata.posterior["y::rho"].mean())
    fixed, _, _ = pooled_mean(sim.incomplete, {"y": bm.heckman(outcome, SELECTION, rho=rho)})
    zero, _, _ = pooled_mean(sim.incomplete, {"y": bm.heckman(outcome, SELECTION, rho=0.0)})
    mar, _, _ = pooled_mean(sim.incomplete, {"y": bm.random_intercept(outcome)})
    print(f"free {free:.4f} (rho {rho:.3f}), fixed {fixed:.4f}; rho 0 {zero:.4f}, MAR {mar:.4f}")
    assert fixed == pytest.approx(free, abs=0.03)
    assert zero == pytest.approx(mar, abs=0.03)
    assert abs(free - mar) > 0.1  # the two checks are not the same check
