"""Longitudinal data: occasions ordered by time=, AR(1) residuals over them."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.gibbs.autoregressive import ar1_log_likelihood
from bayesmi.models.serial import SerialStructure

QUICK = {"chains": 2, "iterations": 6, "steps": 2, "progressbar": False, "cores": 1}
AR1 = {"y": bm.random_slopes("y ~ time + x + (1 + time | id)", residual="ar1")}


def panel() -> pd.DataFrame:
    """Three persons, rows shuffled, irregular times, y missing in some occasions."""
    frame = pd.DataFrame(
        {
            "id": [2, 1, 1, 3, 2, 1, 3, 2, 1],
            "time": [1.5, 2.0, 0.0, 0.0, 0.0, 1.0, 3.0, 0.5, 4.0],
            "x": np.linspace(-1, 1, 9),
            "y": [1.0, np.nan, 0.5, 2.0, 0.2, np.nan, 1.0, np.nan, 3.0],
        },
        index=[f"r{k}" for k in range(9)],
    )
    return frame


def test_occasions_order_each_persons_rows_by_time():
    occasions = encode(panel(), "id", time="time").occasions
    # person 1: r2 (0), r5 (1), r1 (2), r8 (4); person 2: r4, r7, r0; person 3: r3, r6
    np.testing.assert_array_equal(occasions.order, [2, 5, 1, 8, 4, 7, 0, 3, 6])
    np.testing.assert_array_equal(occasions.previous, [7, 5, -1, -1, -1, 2, 3, 4, 1])
    np.testing.assert_array_equal(occasions.next, [-1, 8, 5, 6, 7, 1, -1, 0, -1])
    np.testing.assert_array_equal(occasions.rank, [2, 2, 0, 0, 0, 1, 1, 1, 3])
    observed = panel()["y"].notna().to_numpy()
    np.testing.assert_array_equal(occasions.nearest_among(observed), [4, 2, -1, -1, -1, 2, 3, 4, 2])
    np.testing.assert_array_equal(
        occasions.nearest_among(observed, later=True), [-1, 8, 8, 6, 0, 8, -1, 0, -1]
    )


def test_times_must_be_known_numbers_and_distinct_within_a_person():
    frame = panel()
    repeated = frame.assign(time=frame["time"].where(frame.index != "r5", 2.0))
    with pytest.raises(
        ValueError, match="repeats a time within a cluster: rows r1, r5 share time 2"
    ):
        bm.impute(repeated, AR1, cluster="id", time="time", **QUICK)
    with pytest.raises(ValueError, match="time column 'time' is missing in rows r3;"):
        bm.impute(frame.assign(time=frame["time"].where(frame.index != "r3")), AR1, time="time")
    with pytest.raises(TypeError, match="must hold numbers"):
        bm.impute(frame.assign(time=frame["time"].astype(str)), AR1, cluster="id", time="time")
    with pytest.raises(ValueError, match="time column 'visit' is not in the data"):
        bm.impute(frame, AR1, cluster="id", time="visit")
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["time"] * 7, unit="D")
    occasions = encode(frame.assign(time=dates), "id", time="time").occasions
    np.testing.assert_allclose(occasions.times, frame["time"].to_numpy() * 7)  # in days


def test_ar1_residuals_are_refused_where_the_run_cannot_hold_them():
    frame = panel()
    with pytest.raises(ValueError, match=r"say which column holds the time, impute\(\.\.\., time"):
        bm.impute(frame, AR1, cluster="id", **QUICK)
    with pytest.raises(ValueError, match="engine='joint' does not hold yet"):
        bm.impute(frame, AR1, cluster="id", time="time", engine="joint", progressbar=False)
    outcome = frame.assign(w=np.arange(9.0))
    with pytest.raises(ValueError, match="on a covariate's model; the analysis model may have"):
        bm.impute(outcome, AR1, cluster="id", time="time", analysis="w ~ y + (1 | id)", **QUICK)
    raters = frame.assign(rater=["a", "b", "a", "a", "b", "b", "a", "a", "b"])
    rated = {"y": bm.random_intercept("y ~ x + (1 | id) + (1 | rater)", residual="ar1")}
    with pytest.raises(ValueError, match=r"'rater', which changes within a person's occasions"):
        bm.impute(raters, rated, cluster="id", time="time", **QUICK)
    with pytest.raises(ValueError, match="Drop pmm=True"):
        bm.random_intercept("y ~ x + (1 | id)", residual="ar1", pmm=True)
    with pytest.raises(ValueError, match="residual must be one of 'independent', 'ar1'"):
        bm.random_intercept("y ~ x + (1 | id)", residual="ar2")


def test_ar1_log_likelihood_is_the_multivariate_normal_density():
    """Irregular times, a gap: the chain of conditionals equals the joint density."""
    times = np.array([0.0, 0.7, 2.0, 2.5, 5.0])
    residual = np.array([0.3, -0.5, 1.2, 0.9, -0.1])
    sigma, phi = 1.3, 0.55
    covariance = sigma**2 * phi ** np.abs(times[:, None] - times[None, :])
    expected = stats.multivariate_normal(np.zeros(5), covariance).logpdf(residual)
    previous, gap = np.array([-1, 0, 1, 2, 3]), np.r_[1.0, np.diff(times)]
    found = ar1_log_likelihood(residual, previous, gap, sigma, phi) - 2.5 * np.log(2 * np.pi)
    assert found == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("other_sd", [0.8, 2.0])
def test_missing_residuals_are_drawn_from_their_conditional_given_the_observed(other_sd):
    """Occasions 0, 1, 2.5, 4, 6 with 1 and 2.5 and 6 missing: the draws' mean and covariance
    are the multivariate normal conditional's (20,000 draws), also where the other person's
    residual SD differs (the heteroscedastic model: each row's SD its person's)."""
    times = np.array([0.0, 1.0, 2.5, 4.0, 6.0])
    observed = np.array([True, False, False, True, False])
    frame = pd.DataFrame({"id": 1, "time": times, "y": np.where(observed, 0.0, np.nan)})
    frame = pd.concat([frame, frame.assign(id=2)], ignore_index=True)  # two clusters
    data = encode(frame, "id", time="time")
    serial = SerialStructure.of(data, data.missing["y"] == 0)
    sigma, phi = 0.8, 0.7
    row_sd = np.repeat([sigma, other_sd], 5)
    residual = np.zeros(10)
    residual[[0, 3, 5, 8]] = [1.0, -0.5, 1.0, -0.5]
    missing = np.flatnonzero(data.missing["y"])
    rng = np.random.default_rng(1)
    draws = np.array(
        [serial.draw_residuals(residual, missing, row_sd, phi, rng) for _ in range(20000)]
    )
    scale = other_sd / sigma
    np.testing.assert_allclose(
        draws[:, 3:].std(axis=0), scale * draws[:, :3].std(axis=0), rtol=0.05
    )
    draws = draws[:, :3]
    covariance = sigma**2 * phi ** np.abs(times[:, None] - times[None, :])
    known, unknown = np.flatnonzero(observed), np.flatnonzero(~observed)
    gain = covariance[np.ix_(unknown, known)] @ np.linalg.inv(covariance[np.ix_(known, known)])
    mean = gain @ np.array([1.0, -0.5])
    conditional = covariance[np.ix_(unknown, unknown)] - gain @ covariance[np.ix_(known, unknown)]
    np.testing.assert_allclose(draws.mean(axis=0), mean, atol=0.02)
    np.testing.assert_allclose(np.cov(draws.T), conditional, atol=0.02)


def test_an_ar1_run_records_phi_keeps_the_observed_and_repeats_with_its_seed():
    sim = bm.simulate.simulate_longitudinal(persons=30, occasions=5, seed=2)
    frame = sim.incomplete.sample(frac=1.0, random_state=3)  # rows in any order
    before = frame.copy()
    idata = bm.impute(frame, AR1, cluster="id", time="time", seed=4, **QUICK)
    pd.testing.assert_frame_equal(frame, before)
    assert idata.attrs["time"] == "time"
    phi = idata.posterior["y::phi"]
    assert phi.shape == (2, 1)
    assert ((phi > 0) & (phi < 1)).all()
    for completed in bm.completed(idata):
        observed = frame["y"].notna()
        pd.testing.assert_series_equal(completed.loc[observed, "y"], frame.loc[observed, "y"])
        assert completed["y"].notna().all()
    again = bm.impute(frame, AR1, cluster="id", time="time", seed=4, **QUICK)
    np.testing.assert_array_equal(idata.posterior["y::missing"], again.posterior["y::missing"])


def _lag1_residual_correlation(frame: pd.DataFrame) -> float:
    """Within-person lag-1 correlation of a growth model's conditional residuals."""
    import statsmodels.formula.api as smf

    fit = smf.mixedlm("y ~ time + x", frame, groups="id", re_formula="~time").fit()
    residual = frame.assign(e=fit.resid).sort_values(["id", "time"])
    lagged = residual.groupby("id")["e"].shift()
    both = lagged.notna()
    return float(np.corrcoef(residual["e"][both], lagged[both])[0, 1])


def test_ar1_residuals_take_centres_above_the_persons():
    """Occasions in persons in centres: the centres' intercepts are drawn beside the AR(1)
    model's (`FactorsGibbs` on its whitened rows), and recorded."""
    sim = bm.simulate.simulate_longitudinal(persons=30, occasions=5, seed=2)
    frame = sim.incomplete.assign(centre=lambda f: (f["id"] - 1) // 5)
    spec = {"y": bm.random_slopes("y ~ time + x + (1 + time | id) + (1 | centre)", residual="ar1")}
    idata = bm.impute(frame, spec, cluster=["centre", "id"], time="time", seed=4, **QUICK)
    posterior = idata.posterior
    assert posterior["y::u_centre"].shape == (2, 1, 6)
    assert posterior["y::u_id"].shape[-2:] == (30, 2)
    assert ((posterior["y::phi"] > 0) & (posterior["y::phi"] < 1)).all()
    assert float(posterior["y::tau"].min()) > 0
    completed = next(bm.completed(idata))
    assert completed["y"].notna().all()
    observed = frame["y"].notna()
    pd.testing.assert_series_equal(completed.loc[observed, "y"], frame.loc[observed, "y"])


@pytest.mark.slow  # half a minute: a statistical check
def test_ar1_imputation_recovers_phi_and_the_residual_autocorrelation():
    """300 persons x 6 occasions, phi 0.6, 30% of y MAR on x. phi's posterior mean within two
    posterior SDs and 0.1 of the truth; the lag-1 correlation of a growth model's conditional
    residuals on the completed data within 0.04 of the complete data's (averaged over the
    imputations), which independent residuals miss."""
    sim = bm.simulate.simulate_longitudinal(persons=300, occasions=6, phi=0.6, seed=11)
    settings = {"chains": 10, "iterations": 30, "seed": 5, "progressbar": False, "cores": 2}
    idata = bm.impute(sim.incomplete, AR1, cluster="id", time="time", **settings)
    phi = idata.posterior["y::phi"]
    mean, sd = float(phi.mean()), float(phi.std())
    complete = _lag1_residual_correlation(sim.complete)
    with_ar1 = np.mean([_lag1_residual_correlation(d) for d in bm.completed(idata)])
    independent = {"y": bm.random_slopes("y ~ time + x + (1 + time | id)")}
    plain = bm.impute(sim.incomplete, independent, cluster="id", **settings)
    without = np.mean([_lag1_residual_correlation(d) for d in bm.completed(plain)])
    print(f"phi {mean:.3f} (SD {sd:.3f}); lag-1 r complete {complete:.3f}, AR(1) {with_ar1:.3f},")
    print(f"independent residuals {without:.3f}")
    assert abs(mean - 0.6) < min(2 * sd, 0.1)
    assert abs(with_ar1 - complete) < 0.04
    assert abs(without - complete) > abs(with_ar1 - complete)


@pytest.mark.slow  # half a minute: a statistical check
def test_heteroscedastic_ar1_imputation_recovers_phi_and_each_persons_residual_sd():
    """300 persons x 6 occasions, phi 0.6, persons' residual SDs log-normal (SD 0.5), 30% of
    y MAR: phi's posterior mean within two posterior SDs and 0.1 of the truth, and the
    persons' posterior mean SDs follow their true ones (correlation of logs above 0.5); the
    imputations keep each person's spread: the completed data's per-person residual SDs
    track the true ones as closely as the complete data's do (within 0.1)."""
    sim = bm.simulate.simulate_longitudinal(
        persons=300, occasions=6, phi=0.6, seed=12, sigma_spread=0.5
    )
    spec = {"y": bm.heteroscedastic("y ~ time + x + (1 + time | id)", residual="ar1")}
    settings = {"chains": 10, "iterations": 60, "seed": 5, "progressbar": False, "cores": 2}
    idata = bm.impute(sim.incomplete, spec, cluster="id", time="time", **settings)
    phi = idata.posterior["y::phi"]
    mean, sd = float(phi.mean()), float(phi.std())
    sigma = idata.posterior["y::sigma"].mean(("chain", "draw")).to_numpy()
    truth = sim.truth["person_sigma"]
    found = np.corrcoef(np.log(sigma), np.log(truth))[0, 1]

    def spread(frame: pd.DataFrame) -> float:
        """Correlation of each person's log SD of y around their own trend with the truth."""
        fitted = frame.groupby("id")["y"].transform(lambda y: y - y.mean())
        person_sd = fitted.groupby(frame["id"]).std().to_numpy()
        return float(np.corrcoef(np.log(person_sd), np.log(truth))[0, 1])

    completed = np.mean([spread(d) for d in bm.completed(idata)])
    complete = spread(sim.complete)
    print(f"phi {mean:.3f} (SD {sd:.3f}); corr(log sigma_i) {found:.3f};")
    print(f"per-person spread vs truth: completed {completed:.3f}, complete {complete:.3f}")
    assert abs(mean - 0.6) < min(2 * sd, 0.1)
    assert found > 0.5
    assert abs(completed - complete) < 0.1


@pytest.mark.parametrize("per_person", [False, True])
@pytest.mark.parametrize("effects", [1, 2, 3])
def test_ar1_marginal_log_likelihood_integrates_the_effects_out(per_person, effects):
    """Two persons, random intercept (and slopes of t, t^2): the multivariate normal density of
    each person's rows with covariance Z T Z' + sigma^2 R(phi), up to the same constant;
    sigma^2 one, or each person's own (the heteroscedastic model)."""
    from bayesmi.gibbs.autoregressive import ar1_marginal_log_likelihood

    times = [np.array([0.0, 1.0, 2.5, 4.0]), np.array([0.5, 1.0, 3.0])]
    rng = np.random.default_rng(2)
    residual = rng.standard_normal(7)
    t_all = np.concatenate(times)
    z = np.column_stack([np.ones(7), t_all, t_all**2])[:, :effects]
    codes = np.array([0, 0, 0, 0, 1, 1, 1])
    previous = np.array([-1, 0, 1, 2, -1, 4, 5])
    gap = np.r_[1.0, np.diff(times[0]), 1.0, np.diff(times[1])]
    covariance = np.array([[0.5, 0.1, 0.0], [0.1, 0.2, 0.02], [0.0, 0.02, 0.05]])
    covariance = covariance[:effects, :effects]
    person_sigma2, phi = np.array([0.8, 1.7]) if per_person else np.array([0.8, 0.8]), 0.6
    expected = 0.0
    for person, t in enumerate(times):
        rows = codes == person
        serial = person_sigma2[person] * phi ** np.abs(t[:, None] - t[None, :])
        v = z[rows] @ covariance @ z[rows].T + serial
        expected += stats.multivariate_normal(np.zeros(rows.sum()), v).logpdf(residual[rows])
    sigma2 = person_sigma2[codes] if per_person else 0.8
    found = ar1_marginal_log_likelihood(
        residual, z, codes, 3, previous, gap, sigma2, phi, covariance
    )  # a third person without rows adds nothing
    assert found - 3.5 * np.log(2 * np.pi) == pytest.approx(expected, rel=1e-12)


def test_lag_and_lead_terms_read_the_neighbouring_occasions_in_time_order():
    """Rows shuffled and times irregular: lag(x) is x at the person's previous occasion, 0 at
    the first, where no_lag(1) is 1; lead likewise; lag(x, 2) two back; a factor's lag is its
    lagged indicators; the current imputations are read."""
    frame = panel().assign(g=pd.Categorical(list("ababbabab")))
    data = encode(frame, "id", time="time")
    terms = bm.random_intercept("y ~ lag(x) + lead(x) + lag(x, 2) + lag(g) + (1 | id)")
    columns = data.design_columns(terms.fixed_terms)
    assert [c.name for c in columns] == [
        "lag(x)",
        "lead(x)",
        "lag(x, 2)",
        "lag(g)[b]",
        "no_lag(1)",
        "no_lead(1)",
        "no_lag(2)",
    ]
    x = frame["x"].to_numpy()
    design = data.design(columns, {"x": x})
    occasions = data.occasions
    # person 1 in time order: rows 2, 5, 1, 8
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 0], [0.0, x[2], x[5], x[1]])
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 1], [x[5], x[1], x[8], 0.0])
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 2], [0.0, 0.0, x[2], x[5]])
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 4], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 6], [1.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(design[:, 5], (occasions.next < 0).astype(float))
    g_is_b = (frame["g"] == "b").to_numpy(dtype=float)
    np.testing.assert_array_equal(design[[2, 5, 1, 8], 3], [0.0, g_is_b[2], g_is_b[5], g_is_b[1]])
    imputed = x.copy()
    imputed[5] = 9.0
    assert data.design(columns, {"x": imputed})[1, 0] == 9.0  # row 1 follows row 5


def test_lagged_terms_are_refused_where_they_cannot_be_read():
    frame = panel().assign(w=np.arange(9.0))
    spec = {"y": bm.random_intercept("y ~ lag(y) + (1 | id)")}
    with pytest.raises(ValueError, match=r"predicted by its own value at another occasion"):
        bm.impute(frame, spec, cluster="id", time="time", **QUICK)
    spec = {"y": bm.random_intercept("y ~ lag(x) + (1 | id)")}
    with pytest.raises(ValueError, match=r"say which column orders the occasions"):
        bm.impute(frame, spec, cluster="id", **QUICK)
    with pytest.raises(ValueError, match="lag\\(x\\) in 'y ~ lag\\(x\\) \\+ \\(1 \\| id\\)' reads"):
        bm.impute(frame, spec, cluster="id", time="time", analysis="w ~ y + (1 | id)", **QUICK)
    with pytest.raises(ValueError, match="which engine='joint' does not hold yet"):
        bm.impute(frame, spec, cluster="id", time="time", engine="joint", progressbar=False)


def _lagged_effect_data(seed: int, persons: int = 400, occasions: int = 5):
    """y_t = 0.5 x_t + 0.4 x_(t-1) + u + e; x 30% missing at random given y."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(persons), occasions)
    time = np.tile(np.arange(occasions, dtype=float), persons)
    x = rng.standard_normal(person.size) + 0.5 * rng.standard_normal(persons)[person]
    lagged = np.r_[0.0, x[:-1]] * (time > 0)
    y = 0.5 * x + 0.4 * lagged + rng.normal(0, 0.5, persons)[person] + rng.standard_normal(x.size)
    complete = pd.DataFrame({"id": person, "time": time, "x": x, "y": y})
    incomplete = complete.copy()
    incomplete.loc[rng.random(x.size) < 1 / (1 + np.exp(-(y - 1.5))), "x"] = np.nan
    return incomplete, complete


def _lag_coefficient(frame: pd.DataFrame) -> float:
    """OLS of y on x and x at the previous occasion (later occasions only)."""
    import statsmodels.formula.api as smf

    ordered = frame.sort_values(["id", "time"])
    ordered = ordered.assign(x_before=ordered.groupby("id")["x"].shift())
    return float(smf.ols("y ~ x + x_before", ordered.dropna()).fit().params["x_before"])


@pytest.mark.slow  # half a minute: a statistical check
def test_a_lead_term_lets_an_occasion_be_imputed_from_the_next_one():
    """x at wave t predicts y at t + 1 (0.4): imputing x with lead(y) recovers the lagged
    effect (within 0.05 of the complete data's, over the imputations); without it the
    imputations of x ignore the next wave and the effect shrinks."""
    incomplete, complete = _lagged_effect_data(seed=7)
    settings = {"chains": 10, "iterations": 20, "seed": 3, "progressbar": False, "cores": 2}
    with_lead = {"x": bm.random_intercept("x ~ y + lead(y) + (1 | id)")}
    without = {"x": bm.random_intercept("x ~ y + (1 | id)")}
    truth = _lag_coefficient(complete)
    found = {}
    for name, spec in (("with lead(y)", with_lead), ("without", without)):
        idata = bm.impute(incomplete, spec, cluster="id", time="time", **settings)
        found[name] = np.mean([_lag_coefficient(frame) for frame in bm.completed(idata)])
    print(f"complete {truth:.3f}, {found}")
    assert abs(found["with lead(y)"] - truth) < 0.05
    assert abs(found["without"] - truth) > 2 * abs(found["with lead(y)"] - truth)


def test_an_ar1_analysis_weighs_each_row_with_its_next_observed_occasion():
    """row_terms: a row's own AR(1) term plus its next observed occasion's, which together
    add up to the likelihood's change when the row's residual moves; independent_sets keeps
    neighbouring observed occasions apart."""
    frame = panel()
    data = encode(frame, "id", time="time")
    observed = frame["y"].notna().to_numpy()
    serial = SerialStructure.of(data, observed)
    previous, gap = serial.observed_links
    residual = np.linspace(-1.0, 1.5, observed.sum())
    terms = serial.row_terms(residual, 0.9, 0.6)
    for k in range(residual.size):
        moved = residual.copy()
        moved[k] += 0.3
        change = ar1_log_likelihood(moved, previous, gap, 0.9, 0.6) - ar1_log_likelihood(
            residual, previous, gap, 0.9, 0.6
        )
        assert serial.row_terms(moved, 0.9, 0.6)[k] - terms[k] == pytest.approx(change)
    first, second = serial.independent_sets(np.arange(9))
    for part in (first, second):
        positions = serial.observed_position[part]
        positions = positions[positions >= 0]
        linked = previous[positions]
        assert not np.isin(linked[linked >= 0], positions).any()
    assert sorted(np.concatenate([first, second])) == list(range(9))


def test_a_growth_analysis_with_ar1_residuals_imputes_its_covariates_compatibly():
    sim = bm.simulate.simulate_longitudinal(persons=30, occasions=4, seed=5)
    frame = sim.incomplete.copy()
    frame.loc[frame.index[::3], "x"] = np.nan
    spec = {"x": bm.random_intercept("x ~ time + treat + (1 | id)")}
    analysis = bm.random_slopes("y ~ time * treat + x + (1 + time | id)", residual="ar1")
    idata = bm.impute(frame, spec, cluster="id", time="time", analysis=analysis, seed=2, **QUICK)
    assert "y::phi" in idata.posterior
    assert "x::missing" in idata.posterior
    for completed in bm.completed(idata):
        assert completed[["x", "y"]].notna().all().all()
    covariate = {"x": bm.random_intercept("x ~ time + treat + (1 | id)", residual="ar1")}
    with pytest.raises(ValueError, match="on a covariate's model"):
        bm.impute(frame, covariate, cluster="id", time="time", analysis=analysis, **QUICK)


def test_a_growth_analysis_with_centres_imputes_its_covariates_compatibly():
    """Occasions in persons in centres: the covariate's model and the AR(1) growth model each
    with the centres' intercepts (three levels through the compatible route)."""
    sim = bm.simulate.simulate_longitudinal(persons=30, occasions=4, seed=5)
    frame = sim.incomplete.assign(centre=lambda f: (f["id"] - 1) // 6)
    frame.loc[frame.index[::3], "x"] = np.nan
    spec = {"x": bm.random_intercept("x ~ time + treat + (1 | id) + (1 | centre)")}
    analysis = bm.random_slopes(
        "y ~ time * treat + x + (1 + time | id) + (1 | centre)", residual="ar1"
    )
    settings = {"cluster": ["centre", "id"], "time": "time", "analysis": analysis, "seed": 2}
    idata = bm.impute(frame, spec, **settings, **QUICK)
    posterior = idata.posterior
    assert posterior["y::u_centre"].shape[-1] == 5
    assert posterior["x::u_centre"].shape[-1] == 5
    assert "y::phi" in posterior
    observed = frame["x"].notna()
    for completed in bm.completed(idata):
        assert completed[["x", "y"]].notna().all().all()
        pd.testing.assert_series_equal(completed.loc[observed, "x"], frame.loc[observed, "x"])
