"""The Heckman selection model: spec checks, contract, and known-truth recovery (slow)."""

import warnings

import numpy as np
import pytest

import bayesmi as bm

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
    for frame in bm.completed(idata):
        observed = data.notna()
        assert frame[observed].equals(data[observed])
        assert frame["y"].notna().all()


def pooled_mean(data, spec, seed=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            data, spec, cluster="cluster", chains=10, iterations=10, seed=seed, progressbar=False
        )
    frames = list(bm.completed(idata))
    slopes = [np.polyfit(frame["x"], frame["y"], 1)[0] for frame in frames]
    return np.mean([frame["y"].mean() for frame in frames]), np.mean(slopes), idata


@pytest.mark.slow
def test_mnar_recovered_by_heckman_not_by_mar_model():
    """J=50 of 50, corr(e, d) = 0.6, about 40% missing (issue 7).

    random_intercept (MAR) misses the complete-data mean by more than 0.1; heckman is within
    0.05 of it, its pooled slope within 0.05, and the 95% interval of rho covers 0.6.
    """
    sim = bm.simulate.simulate_heckman(rho=0.6, seed=7)
    complete_mean = sim.complete["y"].mean()
    complete_slope = np.polyfit(sim.complete["x"], sim.complete["y"], 1)[0]
    mar_mean, _, _ = pooled_mean(
        sim.incomplete, {"y": bm.random_intercept("y ~ x + z + (1 | cluster)")}
    )
    mean, slope, idata = pooled_mean(sim.incomplete, {"y": bm.heckman(OUTCOME, SELECTION)})
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
