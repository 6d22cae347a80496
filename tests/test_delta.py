"""Delta adjustment (pattern mixture): imputations shifted away from MAR by a chosen amount."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.special import expit

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.data.shifts import delta_shifts
from bayesmi.models import FACTORIES
from bayesmi.models.conditional import jittered_start
from bayesmi.spec import spec_from_json, spec_to_json
from bayesmi.spec.model import ImputationModel

SETTINGS = {"cluster": "cluster", "chains": 2, "iterations": 6, "seed": 4, "progressbar": False}


@pytest.fixture(scope="module")
def small():
    return bm.simulate.simulate_random_intercept(clusters=10, cluster_size=12, seed=3).incomplete


def impute(data, spec, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(data, spec, **SETTINGS | settings)


def built(data, spec):
    """The model of `spec` on `data`, its predictors set and its delta resolved."""
    encoded = encode(data, "cluster")
    model = FACTORIES[spec.kind](spec, encoded)
    model.set_predictors(encoded.design(model.columns))
    model.delta_shifts = delta_shifts(spec, encoded)
    return model, encoded


def test_delta_zero_is_the_mar_run_exactly(small):
    plain = impute(small, {"y": bm.random_intercept("y ~ x + (1 | cluster)")})
    zero = impute(small, {"y": bm.random_intercept("y ~ x + (1 | cluster)", delta=0)})
    for group in ("posterior", "warmup_posterior", "sample_stats"):
        for name, values in plain[group].data_vars.items():
            np.testing.assert_array_equal(values.to_numpy(), zero[group][name].to_numpy())
    assert plain.attrs == zero.attrs


def test_normal_draw_moves_by_exactly_delta_and_only_in_named_clusters(small):
    """Same parameter draw, same random numbers: each cell moves by its cluster's delta."""
    plain, data = built(small, bm.random_intercept("y ~ x + (1 | cluster)"))
    point = plain.gibbs.start(np.random.default_rng(0))
    predictors = data.design(plain.columns)
    base = plain.draw_missing(point, predictors, np.random.default_rng(1))
    labels = data.cluster_labels
    shift = bm.delta({labels[0]: -0.5, labels[3]: 2.0})
    for delta, expected in [
        (-0.7, np.full(base.size, -0.7)),
        (shift, np.select([data.cluster_codes == 0, data.cluster_codes == 3], [-0.5, 2.0])),
    ]:
        model, _ = built(small, bm.random_intercept("y ~ x + (1 | cluster)", delta=delta))
        moved = model.draw_missing(point, predictors, np.random.default_rng(1))
        want = expected if expected.size == base.size else expected[data.missing["y"]]
        np.testing.assert_allclose(moved - base, want, atol=1e-12)
    assert np.count_nonzero(want) < want.size  # the clusters not named stayed


def test_delta_from_a_column_shifts_each_row_by_its_value(small):
    data = small.assign(shift=np.arange(len(small)) / 10.0)
    plain, encoded = built(data, bm.random_intercept("y ~ x + (1 | cluster)"))
    model, _ = built(data, bm.random_intercept("y ~ x + (1 | cluster)", delta="shift"))
    point = plain.gibbs.start(np.random.default_rng(0))
    predictors = encoded.design(plain.columns)
    base = plain.draw_missing(point, predictors, np.random.default_rng(1))
    moved = model.draw_missing(point, predictors, np.random.default_rng(1))
    np.testing.assert_allclose(moved - base, data["shift"].to_numpy()[data["y"].isna()])


def test_matching_imputes_the_donors_values_shifted(small):
    plain, data = built(small, bm.random_intercept("y ~ x + (1 | cluster)", pmm=True))
    model, _ = built(small, bm.random_intercept("y ~ x + (1 | cluster)", pmm=True, delta=0.25))
    point = plain.gibbs.start(np.random.default_rng(0))
    predictors = data.design(plain.columns)
    base = plain.draw_missing(point, predictors, np.random.default_rng(1))
    moved = model.draw_missing(point, predictors, np.random.default_rng(1))
    assert np.isin(base, small["y"].dropna()).all()
    np.testing.assert_allclose(moved - base, 0.25)


def test_binary_delta_shifts_the_logit_by_its_value():
    """Share of ones among 4,000 draws of each missing cell = mean of expit(eta + delta)."""
    sim = bm.simulate.simulate_random_intercept(clusters=8, cluster_size=10, seed=2)
    frame = sim.complete.assign(b=(sim.complete["y"] > 1).astype(float))
    frame.loc[frame.index[::4], "b"] = np.nan
    frame = frame.drop(columns="y")
    model, data = built(frame, bm.binary("b ~ x + (1 | cluster)", delta=1.5))
    point = model.gibbs.start(np.random.default_rng(0))
    predictors = data.design(model.columns)
    rng = np.random.default_rng(5)
    draws = np.array([model.draw_missing(point, predictors, rng) for _ in range(4000)])
    x = model.scaling.x(predictors)
    rows = np.flatnonzero(data.missing["b"])
    eta = model._linear_predictor(model._unpack(point), x, rows)
    np.testing.assert_allclose(draws.mean(axis=0).mean(), expit(eta + 1.5).mean(), atol=0.01)
    shifted_up = draws.mean(axis=0) - expit(eta)
    assert (shifted_up > 0).mean() > 0.9


@pytest.mark.parametrize(
    ("simulate", "constructor"),
    [
        (bm.simulate.simulate_ordinal, bm.ordinal),
        (bm.simulate.simulate_categorical, bm.categorical),
        (bm.simulate.simulate_count, bm.count),
    ],
)
def test_discrete_models_draw_with_their_shift(simulate, constructor):
    """delta 4: ordinal codes move up, categories off the reference, counts up (log scale)."""
    frame = simulate(clusters=6, cluster_size=10, seed=1).incomplete
    plain, data = built(frame, constructor("y ~ x + (1 | cluster)"))
    model, _ = built(frame, constructor("y ~ x + (1 | cluster)", delta=4.0))
    rng = np.random.default_rng(0)
    point = plain.gibbs.start(rng) if plain.gibbs else jittered_start(plain.model, rng)
    predictors = data.design(plain.columns)
    base, moved = (
        np.array([m.draw_missing(point, predictors, np.random.default_rng(k)) for k in range(50)])
        for m in (plain, model)
    )
    if constructor is bm.categorical:
        assert (moved == 0).mean() < (base == 0).mean() - 0.2  # code 0: the reference
    else:
        assert moved.astype(float).mean() > base.astype(float).mean() + 0.5


def test_delta_round_trips_through_json_and_the_result(small):
    spec = {
        "y": bm.random_intercept("y ~ x + (1 | cluster)", delta=bm.delta({1: -0.5}, default=0.1)),
        "b": bm.binary("b ~ y + (1 | cluster)", delta="shift"),
        "z": bm.cluster_level("z ~ y_mean", family="poisson", delta=0.5),
    }
    assert spec_from_json(spec_to_json(spec)) == spec
    idata = impute(small, {"y": bm.random_intercept("y ~ x + (1 | cluster)", delta=-0.3)})
    assert spec_from_json(idata.attrs["spec"])["y"].delta == bm.Delta(-0.3)


@pytest.mark.parametrize(
    ("delta", "error", "message"),
    [
        (True, TypeError, "must be a number, a mapping"),
        ([0.5], TypeError, "must be a number, a mapping"),
        (float("inf"), ValueError, "finite number"),
        ({"nowhere": 1.0}, ValueError, "names clusters not in 'cluster': nowhere"),
        ("nosuchcolumn", ValueError, "column 'nosuchcolumn', which is not in the data"),
        ("label", TypeError, "must be numeric"),
        ("gappy", ValueError, "no finite value in"),
    ],
)
def test_bad_delta_is_refused_before_anything_runs(small, delta, error, message):
    data = small.assign(label="a", gappy=np.where(small["y"].isna(), np.nan, 1.0))
    with pytest.raises(error, match=message):
        impute(data, {"y": bm.random_intercept("y ~ x + (1 | cluster)", delta=delta)})


def test_delta_is_refused_where_it_has_no_meaning(small):
    with pytest.raises(ValueError, match="not available for a heckman model"):
        ImputationModel("heckman", "y ~ x", "y", (), delta=0.5)
    spec = {"y": bm.random_intercept("y ~ x + (1 | cluster)", delta=0.5)}
    with pytest.raises(ValueError, match="the joint engine and analysis="):
        impute(small, spec, engine="joint")


def cluster_level_data(seed: int = 2) -> pd.DataFrame:
    """Cluster-level z missing for whole clusters, and in a few units of clusters reporting it."""
    frame = bm.simulate.simulate_cluster_level(clusters=30, cluster_size=6, seed=seed).incomplete
    reported = frame.index[frame["z"].notna()]
    frame.loc[reported[::5], "z"] = np.nan  # a unit that misses a value its cluster reports
    return frame


@pytest.mark.parametrize("pmm", [False, True])
def test_cluster_level_draw_moves_each_imputed_cluster_by_its_delta(pmm):
    """Same parameter draw, same random numbers: clusters without z move by their delta, as
    one value; missing units of clusters that report z keep the reported value."""
    frame = cluster_level_data()
    plain, data = built(frame, bm.cluster_level("z ~ x_mean", pmm=pmm))
    point = plain.gibbs.start(np.random.default_rng(0))
    predictors = data.design(plain.columns)
    base = plain.draw_missing(point, predictors, np.random.default_rng(1))
    codes = data.cluster_codes[data.missing["z"]]
    reported = np.isin(codes, data.cluster_codes[~data.missing["z"]])
    assert reported.any()
    assert not reported.all()
    drawn = np.unique(codes[~reported])
    named = {data.cluster_labels[drawn[0]]: 2.0, data.cluster_labels[drawn[1]]: -1.0}
    for delta, expected in [
        (-0.7, np.where(reported, 0.0, -0.7)),
        (bm.delta(named), np.select([codes == drawn[0], codes == drawn[1]], [2.0, -1.0])),
    ]:
        model, _ = built(frame, bm.cluster_level("z ~ x_mean", pmm=pmm, delta=delta))
        moved = model.draw_missing(point, predictors, np.random.default_rng(1))
        np.testing.assert_allclose(moved - base, expected, atol=1e-12)
        values = pd.Series(moved).groupby(codes).nunique()
        assert values.max() == 1  # one value per cluster


def test_cluster_level_binary_delta_shifts_each_clusters_logit():
    """Share of ones among 4,000 draws of each imputed cluster = mean of expit(eta + delta)."""
    frame = cluster_level_data(seed=5)
    frame["b"] = (frame["z"] > frame["z"].median()).astype(float).where(frame["z"].notna())
    frame = frame.drop(columns="z")
    model, data = built(frame, bm.cluster_level("b ~ x_mean", family="binary", delta=1.5))
    rng = np.random.default_rng(0)
    point = model.gibbs.start(rng) if model.gibbs else jittered_start(model.model, rng)
    predictors = data.design(model.columns)
    draws = np.array([model.draw_missing(point, predictors, rng) for _ in range(4000)])
    codes = data.cluster_codes[data.missing["b"]]
    drawn = ~np.isin(codes, data.cluster_codes[~data.missing["b"]])
    eta = model._cluster_means(model._unpack(point), model.scaling.x(predictors))[codes]
    share = draws.mean(axis=0)[drawn]
    np.testing.assert_allclose(share.mean(), expit(eta[drawn] + 1.5).mean(), atol=0.01)
    assert share.mean() > expit(eta[drawn]).mean() + 0.1


def test_cluster_level_delta_column_must_be_constant_where_imputed():
    frame = cluster_level_data()
    without = frame.groupby("cluster")["z"].count() == 0
    missing_cluster = without.index[without][0]
    rows = frame["cluster"] == missing_cluster
    frame["shift"] = -0.5
    constant = impute(frame, {"z": bm.cluster_level("z ~ x_mean", delta="shift")})
    frames = list(bm.completed(constant))
    assert frames  # the loop below must check something
    for completed in frames:
        assert completed.groupby("cluster")["z"].nunique().max() == 1
    reporting = frame["cluster"] == frame.loc[frame["z"].isna() & ~rows, "cluster"].iloc[0]
    frame.loc[reporting, "shift"] = np.linspace(0, 1, reporting.sum())  # z reported: unused
    assert frame.loc[reporting, "z"].notna().any()
    impute(frame, {"z": bm.cluster_level("z ~ x_mean", delta="shift")}, iterations=1)
    frame.loc[rows, "shift"] = np.linspace(0, 1, rows.sum())
    with pytest.raises(ValueError, match=rf"varies within clusters .*\b{missing_cluster}\b"):
        impute(frame, {"z": bm.cluster_level("z ~ x_mean", delta="shift")})


def test_cluster_level_pattern_mixture_truth_recovered_with_its_delta():
    """300 clusters, z missing in 29% of them and those values 0.5 SD lower (MNAR): the mean
    of z over clusters is recovered with delta = -0.5 SD, not under MAR.

    The error of the imputed mean about the complete one has an SD near 0.02-0.03 (between
    imputations 0.022); seeds 1-3 gave -0.039, -0.012, 0.027 with delta and 0.065, 0.093,
    0.138 under MAR (the shift moves the mean by 0.29 x 0.36 = 0.105).
    """
    sim = bm.simulate.simulate_cluster_level(clusters=300, cluster_size=10, seed=2)
    complete, missing = sim.complete.copy(), sim.incomplete["z"].isna()
    sd = float(complete.groupby("cluster")["z"].first().std())
    complete.loc[missing, "z"] -= 0.5 * sd
    truth = complete.groupby("cluster")["z"].first().mean()
    incomplete = complete.assign(z=complete["z"].mask(missing))
    errors = []
    for delta in (0.0, -0.5 * sd):
        spec = {"z": bm.cluster_level("z ~ x_mean", delta=delta)}
        idata = impute(incomplete, spec, chains=20, iterations=10, seed=1)
        means = [frame.groupby("cluster")["z"].first().mean() for frame in bm.completed(idata)]
        errors.append(np.mean(means) - truth)
    assert abs(errors[1]) < 0.06
    assert errors[0] > 0.06


def pattern_mixture(seed: int, shift_of_cluster) -> tuple[pd.DataFrame, float, float]:
    """Random-intercept data, 30% of y missing completely at random, the missing values then
    shifted by `shift_of_cluster(code)` SDs of y: the data, the complete mean and the SD.

    50 clusters of 40: with 20 per cluster the imputed mean's error about the complete-data
    mean has an SD near 0.03 (seeds 11-16: 0.008 to 0.054), with 40 below 0.015.
    """
    sim = bm.simulate.simulate_random_intercept(clusters=50, cluster_size=40, seed=seed)
    complete = sim.complete.copy()
    rng = np.random.default_rng(seed)
    missing = rng.random(len(complete)) < 0.3
    sd = float(complete["y"].std())
    codes = pd.factorize(complete["cluster"], sort=True)[0]
    complete.loc[missing, "y"] += sd * shift_of_cluster(codes[missing])
    incomplete = complete.copy()
    incomplete.loc[missing, "y"] = np.nan
    return incomplete, float(complete["y"].mean()), sd


def pooled_mean(data, model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = bm.impute(
            data,
            {"y": model},
            cluster="cluster",
            chains=20,
            iterations=10,
            seed=1,
            progressbar=False,
        )
        fits = bm.fit_each(idata, lambda d: smf.mixedlm("y ~ 1", d, groups=d["cluster"]).fit())
    return bm.pool(fits).loc["Intercept"]


@pytest.mark.slow
def test_pattern_mixture_truth_recovered_with_its_delta():
    """Missing values shifted by -0.5 SD: delta = -0.5 SD recovers the complete mean within
    0.03 and its 95% interval covers it; MAR (delta 0) misses by about 0.15."""
    data, truth, sd = pattern_mixture(11, lambda codes: np.full(codes.shape, -0.5))
    mar = pooled_mean(data, bm.random_intercept("y ~ x + (1 | cluster)"))
    shifted = pooled_mean(data, bm.random_intercept("y ~ x + (1 | cluster)", delta=-0.5 * sd))
    print(
        f"truth {truth:.4f}, MAR {mar['estimate']:.4f}, delta {shifted['estimate']:.4f} "
        f"({shifted['conf_low']:.4f}, {shifted['conf_high']:.4f})"
    )
    assert abs(mar["estimate"] - truth) > 0.1
    assert shifted["estimate"] == pytest.approx(truth, abs=0.03)
    assert shifted["conf_low"] < truth < shifted["conf_high"]


@pytest.mark.slow
def test_per_cluster_deltas_of_two_groups_recovered():
    """Clusters 0-24 lost values 1 SD lower, 25-49 values 0.2 SD higher: per-cluster delta."""
    data, truth, sd = pattern_mixture(12, lambda codes: np.where(codes < 25, -1.0, 0.2))
    labels = np.sort(data["cluster"].unique())
    shift = bm.delta({label: (-1.0 if k < 25 else 0.2) * sd for k, label in enumerate(labels)})
    mar = pooled_mean(data, bm.random_intercept("y ~ x + (1 | cluster)"))
    shifted = pooled_mean(data, bm.random_intercept("y ~ x + (1 | cluster)", delta=shift))
    print(f"truth {truth:.4f}, MAR {mar['estimate']:.4f}, per cluster {shifted['estimate']:.4f}")
    assert abs(mar["estimate"] - truth) > 0.1
    assert shifted["estimate"] == pytest.approx(truth, abs=0.03)
    assert shifted["conf_low"] < truth < shifted["conf_high"]


def test_binary_pooled_proportion_moves_by_what_the_logit_shift_implies():
    """delta = 1 on the logit scale: the pooled proportion of ones rises above MAR's, to within
    0.02 of the value the model implies, ``mean_i expit(eta_i + 1)`` with each imputation's own
    parameter draw (the draws are stored with the imputations)."""
    sim = bm.simulate.simulate_random_intercept(clusters=20, cluster_size=20, seed=2)
    frame = sim.complete.assign(b=(sim.complete["y"] > 1).astype(float)).drop(columns="y")
    frame.loc[frame.index[::3], "b"] = np.nan
    settings = {"chains": 10, "iterations": 10, "seed": 1}
    proportions = {}
    for delta in (0.0, 1.0):
        idata = impute(frame, {"b": bm.binary("b ~ x + (1 | cluster)", delta=delta)}, **settings)
        proportions[delta] = np.mean([d["b"].mean() for d in bm.completed(idata)])
    beta = idata.posterior["b::beta"].to_numpy().reshape(-1, 2)
    u = idata.posterior["b::u"].to_numpy().reshape(beta.shape[0], -1)
    missing = frame["b"].isna().to_numpy()
    codes = pd.factorize(frame["cluster"], sort=True)[0][missing]
    eta = beta[:, [0]] + beta[:, [1]] * frame["x"].to_numpy()[missing] + u[:, codes]
    implied = (frame["b"].sum() + expit(eta + 1.0).sum(axis=1)).mean() / len(frame)
    print(f"MAR {proportions[0.0]:.4f}, delta 1 {proportions[1.0]:.4f}, implied {implied:.4f}")
    assert proportions[1.0] > proportions[0.0] + 0.03
    assert proportions[1.0] == pytest.approx(implied, abs=0.02)
