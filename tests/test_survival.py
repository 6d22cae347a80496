"""Survival analysis models (analysis="Surv(time, event) ~ ..."): the Cox kernel against the
partial likelihood and NUTS, the checks of the outcome's columns, runs end to end, and
agreement with R's smcfcs (slow)."""

import json
import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

import bayesmi as bm
from bayesmi.data.encoding import encode
from bayesmi.gibbs.survival import CoxGibbs, RiskSets, WeibullGibbs
from bayesmi.models import build
from bayesmi.spec.serialize import model_from_dict, model_to_dict
from tests.test_result import assert_same_inference_data

DATA = Path(__file__).parent / "data" / "smcfcs"
SPEC = {
    "x": bm.random_intercept("x ~ z + (1 | study)"),
    "b": bm.binary("b ~ x + z + (1 | study)"),
}


def _stratified(seed=1, n=600):
    """Three strata with their own exponential baselines, two predictors, ties in the times."""
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 2))
    rate = np.array([0.5, 1.0, 2.0])[strata] * np.exp(x @ np.array([0.7, -0.4]))
    event_time, censoring = rng.exponential(1 / rate), rng.exponential(1.5, n)
    time = np.round(np.minimum(event_time, censoring), 2) + 0.01
    return time, (event_time <= censoring).astype(float), strata, x


def test_risk_sets_hold_the_rows_at_risk_at_each_event_time():
    time = np.array([1.0, 2.0, 2.0, 3.0, 0.5, 4.0, 1.5])
    event = np.array([1, 1, 0, 1, 0, 1, 1.0])
    strata = np.array([0, 0, 0, 0, 0, 1, 1])
    risk = RiskSets.of(time, event, strata, 2)
    np.testing.assert_array_equal(risk.cuts, [1.0, 2.0, 3.0, 1.5, 4.0])
    np.testing.assert_array_equal(risk.counts, [1, 1, 1, 1, 1])
    # at 1.0: rows 0-3 at risk (row 4 left at 0.5); at 2.0: rows 1-3; at 3.0: row 3
    np.testing.assert_allclose(risk.risk_sums(np.arange(1.0, 8.0)), [10, 9, 4, 13, 6])
    jumps = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    np.testing.assert_allclose(risk.cumulative(jumps), [0.1, 0.3, 0.3, 0.6, 0.0, 0.9, 0.4])
    np.testing.assert_allclose(
        risk.log_hazard(jumps)[event == 1], np.log([0.1, 0.2, 0.3, 0.5, 0.4])
    )


def test_collapsed_gradient_and_curvature_are_those_of_the_log_posterior():
    time, event, strata, x = _stratified()
    kernel = CoxGibbs(RiskSets.of(time, event, strata, 3))
    beta, step = np.array([0.3, -0.1]), 1e-5
    _, gradient, curvature = kernel.collapsed(beta, x, 0.0)

    def log_posterior(b):
        return kernel.collapsed(b, x, 0.0)[0]

    numeric = [
        (log_posterior(beta + e) - log_posterior(beta - e)) / (2 * step) for e in step * np.eye(2)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6)
    hessian = [
        (kernel.collapsed(beta + e, x, 0.0)[1] - kernel.collapsed(beta - e, x, 0.0)[1]) / (2 * step)
        for e in step * np.eye(2)
    ]
    np.testing.assert_allclose(curvature, -np.array(hessian), rtol=1e-5)


def test_cox_sweeps_follow_the_stratified_partial_likelihood():
    """600 rows in 3 strata: the posterior mean and SD of the log hazard ratios are Breslow's
    stratified partial-likelihood estimates and standard errors (statsmodels' PHReg), within
    Monte Carlo error (about 0.003 for the mean from ~1,000 effective draws) plus the prior's
    pull; the Newton-proposal step accepts nearly every proposal."""
    time, event, strata, x = _stratified()
    fit = PHReg(time, x, status=event, strata=strata, ties="breslow").fit()
    kernel = CoxGibbs(RiskSets.of(time, event, strata, 3))
    rng = np.random.default_rng(2)
    state, draws, accepted = kernel.start(2, rng), [], []
    for sweep in range(2200):
        state, accept = kernel.sweep(state, x, rng)
        accepted.append(accept)
        if sweep >= 200:
            draws.append(state["beta"])
    draws = np.array(draws)
    print(draws.mean(0), fit.params, draws.std(0), fit.bse, np.mean(accepted))
    np.testing.assert_allclose(draws.mean(0), fit.params, atol=0.012)
    np.testing.assert_allclose(draws.std(0), fit.bse, rtol=0.08)
    assert np.mean(accepted) > 0.9


def test_frailty_sweeps_recover_the_truth():
    """20 clusters of 150, one baseline, frailty SD 0.5, log HR 0.7: the posterior covers
    both, and the frailty SD's chain mixes (ESS over 300 of 2,000 draws)."""
    rng = np.random.default_rng(2)
    clusters = np.repeat(np.arange(20), 150)
    frailty = rng.normal(0, 0.5, 20)
    x = rng.standard_normal((clusters.size, 1))
    event_time = rng.exponential(1 / (0.1 * np.exp(0.7 * x[:, 0] + frailty[clusters])))
    censoring = rng.uniform(0, 15, clusters.size)
    time, event = np.minimum(event_time, censoring), (event_time <= censoring).astype(float)
    kernel = CoxGibbs(RiskSets.of(time, event, np.zeros(time.size, int), 1), clusters, 20)
    state, betas, taus = kernel.start(1, rng), [], []
    for sweep in range(2300):
        state, _ = kernel.sweep(state, x, rng)
        if sweep >= 300:
            betas.append(state["beta"][0])
            taus.append(state["tau"])
    betas, taus = np.array(betas), np.array(taus)
    print(betas.mean(), betas.std(), taus.mean(), taus.std(), az.ess(taus[None]))
    assert abs(betas.mean() - 0.7) < 2.5 * betas.std()
    assert abs(taus.mean() - 0.5) < 2.5 * taus.std()
    assert az.ess(taus[None]) > 300


def test_weibull_sweeps_recover_rates_shapes_and_log_hazard_ratios():
    """4,000 rows in two strata with Weibull shapes 0.8 and 1.6 and rates 0.5 and 0.2: the
    posterior covers every parameter; chains started far from the mode leave it at once."""
    rng = np.random.default_rng(3)
    n = 4000
    strata = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2))
    shape, rate = np.array([0.8, 1.6])[strata], np.array([0.5, 0.2])[strata]
    event_time = (rng.exponential(size=n) / (rate * np.exp(x @ [0.7, -0.4]))) ** (1 / shape)
    censoring = rng.uniform(0, 6, n)
    time, event = np.minimum(event_time, censoring), (event_time <= censoring).astype(float)
    scale = np.median(time)
    kernel = WeibullGibbs(RiskSets.whole(event, strata, 2), log_times=np.log(time / scale))
    state = kernel.start(2, rng) | {"beta": np.array([-3.0, 3.0])}
    draws = {"beta": [], "shape": [], "rate": []}
    for sweep in range(1500):
        state, _ = kernel.sweep(state, x, rng)
        if sweep >= 100:
            draws["beta"].append(state["beta"])
            draws["shape"].append(state["shape"])
            draws["rate"].append(state["jumps"] * scale ** -state["shape"])
    for name, truth in (("beta", [0.7, -0.4]), ("shape", [0.8, 1.6]), ("rate", [0.5, 0.2])):
        values = np.array(draws[name])
        print(name, values.mean(0), values.std(0))
        assert np.all(np.abs(values.mean(0) - truth) < 3 * values.std(0)), name


@pytest.mark.slow
@pytest.mark.parametrize("family", ["cox", "weibull"])
def test_survival_sweeps_agree_with_nuts_on_the_same_model(family):
    """The survival model's PyMC model (a frailty, two strata, 300 rows) sampled by NUTS and
    its Gibbs sweeps: posterior means within 0.25 posterior SD and SDs within 15% (for the
    Weibull also the first stratum's shape)."""
    import pymc as pm

    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame({"g": np.repeat(np.arange(10), 30), "x": rng.standard_normal(n)})
    frame["s"] = rng.integers(0, 2, n)
    frailty = rng.normal(0, 0.6, 10)[frame["g"]]
    event_time = rng.exponential(1 / np.exp(0.8 * frame["x"] + frailty))
    censoring = rng.uniform(0, 2, n)
    frame["t"], frame["d"] = np.minimum(event_time, censoring), (event_time <= censoring) * 1
    data = encode(frame, "g")
    model = build(bm.survival("Surv(t, d) ~ x + strata(s) + (1 | g)", family=family), data)
    with model.model:
        nuts = pm.sample(1000, tune=1000, chains=2, random_seed=1, progressbar=False)
    reference = {
        "beta": nuts.posterior["t::beta_std"].values.ravel(),
        "tau": nuts.posterior["t::tau_std"].values.ravel(),
    }
    if family == "weibull":
        reference["shape"] = np.exp(nuts.posterior["t::log_shape"].values[..., 0].ravel())
    rng = np.random.default_rng(6)
    state = model.gibbs.start(rng)
    draws = {name: [] for name in reference}
    for sweep in range(4500):
        state, _ = model.gibbs.sweep(state, rng)
        if sweep >= 500:
            (cause,) = state["causes"]
            draws["beta"].append(cause["beta"][0])
            draws["tau"].append(cause["tau"])
            if family == "weibull":
                draws["shape"].append(cause["shape"][0])
    for name, values in reference.items():
        gibbs = np.array(draws[name])
        print(name, gibbs.mean(), values.mean(), gibbs.std(), values.std())
        reference_sd = values.std()
        assert abs(gibbs.mean() - values.mean()) < 0.25 * reference_sd
        assert gibbs.std() == pytest.approx(reference_sd, rel=0.15)


@pytest.fixture(scope="module")
def survival_frame():
    return bm.simulate.simulate_survival(studies=6, patients=40, seed=11).incomplete


def _impute(frame, analysis, spec=SPEC, **settings):
    options = {"chains": 2, "iterations": 4, "draws": 2, "steps": 2, "seed": 1, "cores": 1}
    options |= {"progressbar": False} | settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(frame, spec, cluster="study", analysis=analysis, **options)


def test_survival_run_keeps_the_data_and_traces_log_hazard_ratios(survival_frame, tmp_path):
    frame = survival_frame.astype({"event": "int8"})
    before = frame.copy()
    idata = _impute(frame, "Surv(time, event) ~ x + z + b + strata(study)")
    pd.testing.assert_frame_equal(frame, before)
    assert list(idata.posterior["time::beta"].coords["time::beta_dim"].values) == ["x", "z", "b"]
    for completed in bm.completed(idata):
        assert completed.dtypes.equals(frame.dtypes)
        observed = frame.notna()
        pd.testing.assert_frame_equal(completed[observed], frame[observed])
        assert completed.notna().all().all()
    path = tmp_path / "survival.nc"
    idata.to_netcdf(str(path))
    loaded = az.from_netcdf(str(path))
    assert_same_inference_data(idata, loaded)
    for before, after in zip(bm.completed(idata), bm.completed(loaded), strict=True):
        pd.testing.assert_frame_equal(before, after)


def test_fit_each_reads_lifelines_cox_fits_stratified_and_cluster_robust(survival_frame):
    """lifelines' CoxPHFitter with strata, and with cluster-robust SEs: its estimates and
    (robust) covariance per imputation, the same numbers the fitter reports."""
    lifelines = pytest.importorskip("lifelines")
    idata = _impute(survival_frame, "Surv(time, event) ~ x + z + b + strata(study)")
    columns = ["x", "z", "b", "time", "event", "study"]
    for options in ({"strata": ["study"]}, {"cluster_col": "study"}):
        fitted = []

        def cox(frame, options=options, fitted=fitted):
            fit = lifelines.CoxPHFitter().fit(frame[columns], "time", "event", **options)
            fitted.append(fit)
            return fit

        fits = bm.fit_each(idata, cox)
        for fit, result in zip(fits, fitted, strict=True):
            pd.testing.assert_series_equal(fit.estimates, result.params_, check_names=False)
            np.testing.assert_allclose(fit.covariance.to_numpy(), result.variance_matrix_)
        pooled = bm.pool(fits)
        assert list(pooled.index) == ["x", "z", "b"]
        means = np.mean([result.params_.to_numpy() for result in fitted], axis=0)
        np.testing.assert_allclose(pooled["estimate"], means)


@pytest.fixture(scope="module")
def survival_idata(survival_frame):
    return _impute(survival_frame, "Surv(time, event) ~ x + z + b + strata(study)")


def test_plot_imputed_by_event_status_draws_each_group_apart(survival_frame, survival_idata):
    """One density panel per event status, each from its own rows: the observed curve is the
    KDE of the observed x of those rows, one curve per imputation of their imputed cells."""
    from scipy.stats import gaussian_kde

    axes = bm.plot_imputed(survival_idata, "x", by="event")
    assert len(axes) == 3
    missing = survival_frame["x"].isna()
    for axis, status in zip(axes[:2], (0, 1), strict=True):
        assert axis.get_title().endswith(f"rows with event = {status}")
        lines = axis.get_lines()
        observed = survival_frame.loc[(survival_frame["event"] == status) & ~missing, "x"]
        grid, curve = lines[0].get_data()
        np.testing.assert_allclose(curve, gaussian_kde(observed)(grid))
        imputations = (
            survival_idata.posterior.sizes["chain"] * survival_idata.posterior.sizes["draw"]
        )
        assert len(lines) == 1 + imputations
    shares = bm.plot_imputed(survival_idata, "b", by="event")
    assert len(shares) == 3
    assert shares[1].get_ylim() == (0, 1)
    with pytest.raises(ValueError, match="by='x' must be another column"):
        bm.plot_imputed(survival_idata, "x", by="x")
    with pytest.raises(ValueError, match="by='b' has missing values"):
        bm.plot_imputed(survival_idata, "x", by="b")
    with pytest.raises(ValueError, match=r"by='time' has \d+ values"):
        bm.plot_imputed(survival_idata, "x", by="time")


def test_frailty_and_competing_causes_trace_per_cause(survival_frame):
    frame = survival_frame.copy()
    rng = np.random.default_rng(3)
    frame["event"] = np.where(frame["event"] == 1, rng.integers(1, 3, len(frame)), 0)
    idata = _impute(frame, "Surv(time, event) ~ x + z + (1 | study)", spec={"x": SPEC["x"]})
    beta = idata.posterior["time::beta"]
    assert beta.dims[2:] == ("time::cause", "time::beta_dim")
    assert list(beta.coords["time::cause"].values) == ["1", "2"]
    assert idata.posterior["time::tau"].dims[2:] == ("time::cause",)
    assert idata.posterior["time::u"].sizes["cluster"] == 6


def test_weibull_analysis_is_given_as_a_model_and_traces_its_baseline(survival_frame):
    model = bm.survival("Surv(time, event) ~ x + z + strata(study)", family="weibull")
    idata = _impute(survival_frame, model, spec={"x": SPEC["x"]})
    assert idata.attrs["analysis"] == "Surv(time, event) ~ x + z + strata(study) [family=weibull]"
    for name in ("time::shape", "time::scale"):
        assert idata.posterior[name].dims[2:] == ("time::stratum",)
        assert (idata.posterior[name] > 0).all()
    assert list(idata.posterior["time::stratum"].values) == [str(s) for s in range(1, 7)]


def test_survival_spec_round_trips_and_reads_its_columns():
    model = bm.survival("Surv(`follow up`, died) ~ age + strata(trial) + stage")
    assert model.target == "follow up"
    assert model.predictors == ("age", "stage")
    assert model.family == "cox"
    assert model_from_dict(model_to_dict(model)) == model
    weibull = bm.survival("Surv(t, d) ~ x + (1 | g)", family="weibull")
    assert model_from_dict(model_to_dict(weibull)) == weibull
    with pytest.raises(ValueError, match="family of a survival model must be 'cox' or 'weibull'"):
        bm.survival("Surv(t, d) ~ x", family="gaussian")


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("Surv(t) ~ x", "cannot read the survival formula"),
        ("Surv(t, d) ~ x + strata(a) + strata(b)", "strata() 2 times"),
        ("Surv(t, d) ~ x + (1 + x | g)", "frailty"),
    ],
)
def test_survival_formulas_that_cannot_be_read_are_refused(formula, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bm.survival(formula)


def _setting(column, rows, value):
    """A change of a frame: `column` set to `value` in the rows `rows(frame)` selects."""

    def change(frame):
        if not float(value).is_integer():  # 2.5 in a column of whole numbers
            frame[column] = frame[column].astype(float)
        frame.loc[rows(frame), column] = value

    return change


def _every(frame):
    return frame.index


BAD_INPUT = [
    (_setting("time", lambda f: [3, 7], np.nan), None, r"missing in rows 3, 7"),
    (_setting("time", lambda f: [2], -1.0), None, "negative in rows 2"),
    (_setting("event", lambda f: [5], 2.5), None, r"rows 5 \(values 2.5\)"),
    (_setting("event", lambda f: f["event"] == 1, 2), None, "causes 1 never occur"),
    (_setting("event", _every, 0), None, "no row has an event"),
    (_setting("time", lambda f: f.index[f["event"] == 1][:2], 0.0), None, "event at time 0"),
    (_setting("event", lambda f: f["study"] == 2, 0), None, r"strata 2 of 'study'.*no event"),
    (None, "Surv(time, event) ~ x + z + event + strata(study)", "survival model itself"),
    (None, "Surv(time, missing_col) ~ x", "event column 'missing_col'"),
]


@pytest.mark.parametrize(("change", "analysis", "message"), BAD_INPUT)
def test_bad_survival_input_is_refused_before_anything_runs(
    survival_frame, change, analysis, message
):
    frame = survival_frame.copy()
    if change is not None:
        change(frame)
    analysis = analysis or "Surv(time, event) ~ x + z + b + strata(study)"
    with pytest.raises(ValueError, match=message):
        _impute(frame, analysis)


def test_imputing_the_time_or_reading_the_event_in_a_covariate_model_is_refused(survival_frame):
    frame = survival_frame.copy()
    frame.loc[4, "event"] = np.nan
    with pytest.raises(ValueError, match=r"'event' .* missing in rows 4"):
        _impute(frame, "Surv(time, event) ~ x + z + b")
    with pytest.raises(ValueError, match="event times and events are never imputed"):
        _impute(
            survival_frame,
            "Surv(time, event) ~ x + z",
            spec={"event": bm.binary("event ~ z + (1 | study)"), "x": SPEC["x"]},
        )
    with pytest.raises(ValueError, match="uses 'event', a column of the survival outcome"):
        _impute(
            survival_frame,
            "Surv(time, event) ~ x + z",
            spec={"x": bm.random_intercept("x ~ z + event + (1 | study)")},
        )


@pytest.mark.slow
def test_cox_imputation_agrees_with_smcfcs():
    """1,000 single-level patients (tests/data/smcfcs), x normal and b binary each 30% MAR
    on the event and time: pooled log hazard ratios within half of smcfcs' pooled SE of
    smcfcs' (m = 100 both; R script beside the numbers)."""
    frame = pd.read_csv(DATA / "cox.csv")
    reference = json.loads((DATA / "cox.json").read_text())
    idata = _impute(
        frame,
        "Surv(time, event) ~ x + z + b",
        chains=10,
        iterations=30,
        draws=10,
        steps=20,
        seed=4,
        cores=2,
    )
    fits = bm.fit_each(
        idata,
        lambda f: PHReg(f.time, f[["x", "z", "b"]], status=f.event, ties="breslow").fit(),
    )
    pooled = bm.pool(fits)
    for term in ("x", "z", "b"):
        gap = pooled.loc[term, "estimate"] - reference["estimate"][term]
        print(term, pooled.loc[term, "estimate"], reference["estimate"][term], gap)
        assert abs(gap) < 0.5 * reference["std_error"][term]


def test_nelson_aalen_is_lifelines_estimate_at_every_rows_time():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(1)
    time = np.round(rng.exponential(size=300), 1) + 0.1  # many ties
    event = rng.integers(0, 2, 300)
    fitter = lifelines.NelsonAalenFitter(nelson_aalen_smoothing=False).fit(time, event)
    expected = fitter.cumulative_hazard_at_times(time).to_numpy()
    np.testing.assert_allclose(bm.nelson_aalen(time, event), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="must be complete"):
        bm.nelson_aalen([1.0, np.nan], [1, 0])


def test_negative_binomial_row_likelihood_is_the_log_pmf():
    from scipy import stats

    from bayesmi.families import FAMILIES

    family = FAMILIES["negative_binomial"]
    y, eta, alpha = np.array([0.0, 1, 4, 17]), np.array([-1.0, 0.2, 1.5, 2.0]), 2.5
    mu = np.exp(eta)
    expected = stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))
    np.testing.assert_allclose(family.row_log_likelihood(eta, y, {"alpha": alpha}), expected)


def _with_count(seed, n_studies=6, patients=40):
    """Patients in studies with a negative binomial count k (mean exp(0.5 + 0.3 z), alpha 2),
    exponential hazards of each study's own times exp(0.3 k + 0.3 z), k 20% missing among the
    censored and 40% among the dead (MAR on the outcome)."""
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(1, n_studies + 1), patients)
    z = rng.standard_normal(study.size)
    k = rng.poisson(rng.gamma(2.0, np.exp(0.5 + 0.3 * z) / 2.0)).astype(float)
    rate = np.exp(rng.normal(-1.5, 0.3, n_studies))[study - 1] * np.exp(0.3 * k + 0.3 * z)
    event_time, censoring = rng.exponential(1 / rate), rng.uniform(2, 8, study.size)
    complete = pd.DataFrame(
        {
            "study": study,
            "z": z,
            "k": k,
            "time": np.round(np.minimum(event_time, censoring), 3) + 0.001,
            "event": (event_time <= censoring).astype(int),
        }
    )
    frame = complete.copy()
    frame.loc[rng.random(len(frame)) < 0.2 + 0.2 * frame["event"], "k"] = np.nan
    return frame, complete


def test_count_covariates_take_part_by_their_negative_binomial_sampler():
    frame, _ = _with_count(1)
    spec = {"k": bm.count("k ~ z + (1 | study)", family="negative_binomial")}
    idata = _impute(frame, "Surv(time, event) ~ k + z", spec=spec)
    imputed = idata.posterior["k::missing"].values
    assert np.all(imputed >= 0)
    np.testing.assert_array_equal(imputed, np.round(imputed))
    with pytest.raises(ValueError, match="family 'poisson', which has no exact Gibbs sampler"):
        _impute(frame, "Surv(time, event) ~ k + z", spec={"k": bm.count("k ~ z + (1 | study)")})


@pytest.mark.slow
def test_count_covariate_imputed_compatibly_recovers_the_complete_data_hazard_ratio():
    """3,000 patients in 20 studies, k 30% missing (MAR on the outcome): the pooled log hazard
    ratio of k within two of its pooled SEs of the complete data's, and the complete cases'
    further off than the imputation's (they are selected on the outcome)."""
    frame, complete = _with_count(7, n_studies=20, patients=150)
    spec = {"k": bm.count("k ~ z + (1 | study)", family="negative_binomial")}
    analysis = "Surv(time, event) ~ k + z + strata(study)"
    idata = _impute(frame, analysis, spec=spec, chains=10, iterations=20, steps=20, cores=2)

    def cox(data):
        return PHReg(
            data["time"], data[["k", "z"]], status=data["event"], strata=data["study"]
        ).fit()

    pooled = bm.pool(bm.fit_each(idata, cox)).loc["k"]
    truth = cox(complete).params[0]
    cases = cox(frame.dropna()).params[0]
    print(pooled["estimate"], pooled["std_error"], truth, cases)
    assert abs(pooled["estimate"] - truth) < 2 * pooled["std_error"]
    assert abs(cases - truth) > abs(pooled["estimate"] - truth)


def _with_study_covariate(seed, studies=20, patients=150, lost=6):
    """A study-level w (log HR 0.5) missing for `lost` studies, x (log HR 0.7) 15-45% MAR, a study
    frailty of SD 0.5, one exponential baseline."""
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(1, studies + 1), patients)
    z = rng.standard_normal(study.size)
    w = rng.standard_normal(studies)[study - 1]
    x = 0.4 * z + 0.5 * w + rng.standard_normal(study.size)
    frailty = rng.normal(0, 0.5, studies)[study - 1]
    rate = 0.2 * np.exp(0.7 * x + 0.3 * z + 0.5 * w + frailty)
    event_time, censoring = rng.exponential(1 / rate), rng.uniform(2, 8, study.size)
    complete = pd.DataFrame(
        {
            "study": study,
            "z": z,
            "x": x,
            "w": w,
            "time": np.round(np.minimum(event_time, censoring), 3) + 0.001,
            "event": (event_time <= censoring).astype(int),
        }
    )
    frame = complete.copy()
    frame.loc[frame["study"].isin(rng.permutation(studies)[:lost] + 1), "w"] = np.nan
    frame.loc[rng.random(len(frame)) < 0.15 + 0.3 * frame["event"], "x"] = np.nan
    return frame, complete


STUDY_SPEC = {
    "w": bm.cluster_level("w ~ 1"),
    "x": bm.random_intercept("x ~ z + w + (1 | study)"),
}


def test_study_level_covariates_are_imputed_a_study_at_a_time():
    frame, _ = _with_study_covariate(2, studies=8, patients=30, lost=3)
    reported_study = frame.loc[frame["w"].notna(), "study"].iloc[0]
    in_part = frame.index[frame["study"] == reported_study][:5]
    frame.loc[in_part, "w"] = np.nan  # reported by the study's other rows
    idata = _impute(frame, "Surv(time, event) ~ x + z + w + (1 | study)", spec=STUDY_SPEC)
    for completed in bm.completed(idata):
        assert completed.groupby("study")["w"].nunique().max() == 1
        reported = frame["w"].notna()
        np.testing.assert_array_equal(completed.loc[reported, "w"], frame.loc[reported, "w"])
        in_study = completed["study"] == reported_study
        assert (completed.loc[in_study, "w"] == frame.loc[in_study, "w"].dropna().iloc[0]).all()
    binary = frame.assign(w=(frame["w"] > 0).where(frame["w"].notna()).astype(float))
    spec = {"w": bm.cluster_level("w ~ 1", family="binary"), "x": STUDY_SPEC["x"]}
    idata = _impute(binary, "Surv(time, event) ~ x + z + w", spec=spec)
    for completed in bm.completed(idata):
        assert completed.groupby("study")["w"].nunique().max() == 1
        assert set(completed["w"].unique()) <= {0.0, 1.0}
    counts = frame.assign(w=frame["w"].round().abs())
    spec = {"w": bm.cluster_level("w ~ 1", family="poisson")}
    with pytest.raises(ValueError, match="which has no exact Gibbs sampler"):
        _impute(counts, "Surv(time, event) ~ w", spec=spec)


@pytest.mark.parametrize("family", ["categorical", "ordinal", "negative_binomial"])
def test_study_level_categories_and_counts_are_imputed_by_their_regression_sweeps(family):
    """A study-level w of three categories (nominal or ordered) or a count, missing for whole
    studies: its Gibbs sweep takes part in an analysis= run; every completed w is one of the
    column's categories (a count: a whole number), one value per study, reported ones kept."""
    frame, _ = _with_study_covariate(4, studies=10, patients=20, lost=4)
    if family == "negative_binomial":
        w = np.floor(np.exp(frame["w"] + 1.0))
    else:
        w = pd.cut(frame["w"], [-np.inf, -0.4, 0.4, np.inf], labels=["low", "mid", "high"])
        w = w.cat.as_ordered() if family == "ordinal" else w
    frame = frame.assign(w=w)
    spec = {"w": bm.cluster_level("w ~ 1", family=family), "x": STUDY_SPEC["x"]}
    analysis = "Surv(time, event) ~ x + z + w + (1 | study)"
    idata = _impute(frame, analysis, spec=spec)
    parameter = "w::thresholds" if family == "ordinal" else "w::beta"  # ordinal: no intercept
    assert idata.posterior[parameter].notnull().all()
    reported = frame["w"].notna()
    for completed in bm.completed(idata):
        assert completed["w"].dtype == frame["w"].dtype
        assert completed.groupby("study", observed=True)["w"].nunique().max() == 1
        assert completed["w"].notna().all()
        pd.testing.assert_series_equal(completed.loc[reported, "w"], frame.loc[reported, "w"])
        if family == "negative_binomial":
            assert (completed["w"] == np.floor(completed["w"])).all()
            assert completed["w"].min() >= 0


@pytest.mark.slow
def test_study_level_covariate_imputed_compatibly_recovers_complete_data_estimates():
    """3,000 patients in 20 studies, w missing for 6 whole studies, x 30% MAR, frailty SD 0.5,
    analysis with a frailty: the pooled log hazard ratios of x and w (a Cox model without
    strata, on each completed data set) within two pooled SEs of the complete data's."""
    frame, complete = _with_study_covariate(3)
    analysis = "Surv(time, event) ~ x + z + w + (1 | study)"
    idata = _impute(frame, analysis, spec=STUDY_SPEC, chains=10, iterations=20, steps=20, cores=2)

    def cox(data):
        return PHReg(data["time"], data[["x", "z", "w"]], status=data["event"]).fit()

    pooled = bm.pool(bm.fit_each(idata, cox))
    truth = pd.Series(cox(complete).params, index=["x", "z", "w"])
    print(pooled[["estimate", "std_error"]], truth)
    for term in ("x", "w"):
        assert abs(pooled.loc[term, "estimate"] - truth[term]) < 2 * pooled.loc[term, "std_error"]
