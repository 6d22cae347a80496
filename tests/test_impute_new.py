"""bm.impute_new: new rows imputed from a fitted run's stored posterior, without refitting."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import bayesmi as bm

QUICK = {"chains": 2, "iterations": 6, "draws": 2, "seed": 3, "progressbar": False, "cores": 1}
POPULAR = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}


def impute(frame, spec, cluster, **settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(frame, spec, cluster, **(QUICK | settings))


@pytest.fixture(scope="module")
def popmis():
    return bm.datasets.load_popmis()


@pytest.fixture(scope="module")
def held_out(popmis):
    """popmis split: 80 schools fitted (10% of their pupils held out), 20 new schools."""
    rng = np.random.default_rng(1)
    new_schools = rng.choice(popmis["school"].unique(), 20, replace=False)
    new_school = popmis["school"].isin(new_schools).to_numpy()
    held = new_school | (rng.random(len(popmis)) < 0.1)
    test = popmis[held].assign(popular=np.nan)
    return popmis[~held], test, new_school[held]


def test_new_rows_are_completed_in_their_dtypes_and_repeat_with_the_seed(held_out):
    train, test, _ = held_out
    test = test.assign(sex=test["sex"].astype("Int64"))
    test.loc[test.index[:5], "popular"] = 4.5  # observed cells of new rows stay
    idata = impute(train, POPULAR, "school")
    before = test.copy()
    frames = bm.impute_new(idata, test, seed=2)
    pd.testing.assert_frame_equal(test, before)  # the caller's frame is not modified
    assert len(frames) == 4  # chains x draws
    for frame in frames:
        assert frame.index.equals(test.index)
        assert list(frame.columns) == list(test.columns)
        assert frame.dtypes.equals(test.dtypes)
        assert frame["popular"].notna().all()
        assert (frame["popular"].iloc[:5] == 4.5).all()
    again = bm.impute_new(idata, test, seed=2)
    for first, second in zip(frames, again, strict=True):
        pd.testing.assert_frame_equal(first, second)
    other = bm.impute_new(idata, test, seed=5)
    assert not np.array_equal(frames[0]["popular"], other[0]["popular"])


def test_new_clusters_are_drawn_from_the_population_and_are_wider(held_out):
    """Across the imputations, a new school's pupils vary more than a fitted school's."""
    train, test, new_school = held_out
    idata = impute(train, POPULAR, "school", chains=4, iterations=20, draws=5)
    frames = bm.impute_new(idata, test, seed=1)
    values = np.stack([frame["popular"].to_numpy() for frame in frames])
    spread = values.std(axis=0)
    assert spread[new_school].mean() > 1.15 * spread[~new_school].mean()
    # pupils of one new school share its drawn effect: their means move together
    school = test["school"].to_numpy()
    first = school[new_school][0]
    members = values[:, school == first]
    assert np.corrcoef(members[:, 0], members[:, 1])[0, 1] > 0.3


def test_several_incomplete_variables_and_factors_are_drawn_in_turn():
    """Two incomplete variables, one a factor of strings predicting the other; a netCDF copy
    and a DataTree give the same frames."""
    sim = bm.simulate.simulate_random_intercept(clusters=20, cluster_size=12, seed=4)
    frame = sim.incomplete.assign(
        group=lambda f: np.where(f["x"] > 0, "high", "low"),
    )
    frame["group"] = frame["group"].where(np.arange(len(frame)) % 7 != 0)
    spec = {
        "group": bm.binary("group ~ (1 | cluster)"),
        "y": bm.random_intercept("y ~ x + group + (1 | cluster)"),
    }
    train, new = frame.iloc[:200], frame.iloc[200:].copy()
    new.loc[new.index[::2], "group"] = np.nan
    new.loc[new.index[::3], "y"] = np.nan
    idata = impute(train, spec, "cluster")
    frames = bm.impute_new(idata, new, seed=3, iterations=3)
    for completed in frames:
        assert completed[["group", "y"]].notna().all().all()
        assert set(completed["group"]) <= {"high", "low"}
        assert completed["group"].dtype == new["group"].dtype
    tree = bm.impute_new(bm.to_datatree(idata), new, seed=3, iterations=3)
    for first, second in zip(frames, tree, strict=True):
        pd.testing.assert_frame_equal(first, second)


def test_what_impute_new_cannot_do_is_refused(held_out):
    train, test, _ = held_out
    idata = impute(train, POPULAR, "school")
    with pytest.raises(TypeError, match="new_data must be a pandas DataFrame"):
        bm.impute_new(idata, test.to_numpy())
    with pytest.raises(ValueError, match=r"new_data lacks texp; it needs the columns"):
        bm.impute_new(idata, test.drop(columns="texp"))
    with pytest.raises(ValueError, match=r"cluster column 'school' of new_data is missing"):
        bm.impute_new(idata, test.assign(school=np.nan))
    with pytest.raises(ValueError, match="held numbers in the fitted data"):
        bm.impute_new(idata, test.assign(texp="many"))
    with pytest.raises(ValueError, match="iterations must be a positive whole number"):
        bm.impute_new(idata, test, iterations=0)
    joint = impute(train, POPULAR, "school", engine="joint", iterations=20)
    with pytest.raises(ValueError, match="continues a run of the chained engine"):
        bm.impute_new(joint, test)
    shifted = {"popular": bm.random_intercept("popular ~ sex + (1 | school)", delta=-0.5)}
    with pytest.raises(ValueError, match=r"a delta \(MNAR shift\) is not held yet"):
        bm.impute_new(impute(train, shifted, "school"), test)


def test_matching_imputes_observed_values_of_fitted_rows(held_out):
    """pmm=True: every new cell is a popularity score the fitted data observed, near the
    model's prediction (new schools' spread wider, as without matching)."""
    train, test, new_school = held_out
    matched = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)", pmm=True)}
    idata = impute(train, matched, "school", chains=4, iterations=10, draws=3)
    frames = bm.impute_new(idata, test, seed=4)
    values = np.stack([frame["popular"].to_numpy() for frame in frames])
    assert set(np.unique(values)) <= set(train["popular"].dropna().unique())
    spread = values.std(axis=0)
    assert spread[new_school].mean() > spread[~new_school].mean()


def test_an_unknown_category_and_a_new_cluster_of_a_heteroscedastic_model_are_refused():
    sim = bm.simulate.simulate_random_intercept(clusters=10, cluster_size=10, seed=2)
    frame = sim.incomplete.assign(arm=np.where(np.arange(100) % 2, "a", "b"))
    spec = {"y": bm.heteroscedastic("y ~ x + arm + (1 | cluster)")}
    idata = impute(frame.iloc[:80], spec, "cluster")
    new = frame.iloc[80:].assign(y=np.nan)
    with pytest.raises(ValueError, match=r"column 'arm' of new_data holds c \(rows"):
        bm.impute_new(idata, new.assign(arm="c"))
    known = bm.impute_new(idata, new.assign(cluster=frame["cluster"].iloc[0]), seed=1)
    assert known[0]["y"].notna().all()
    with pytest.raises(ValueError, match="a residual SD per group"):
        bm.impute_new(idata, new.assign(cluster=999))


@pytest.mark.slow  # a minute: a statistical check
def test_new_rows_are_imputed_as_the_fit_would_have_imputed_them(popmis, held_out):
    """popmis: fit on the pupils of 80 schools (10% held out) and impute the held-out pupils
    and 20 new schools' with impute_new; then impute them inside one run of all pupils (their
    popularity missing, which adds nothing to the fit). Across the 100 imputations of each,
    the mean and SD of the held-out pupils' values, fitted and new schools apart, agree by
    Kolmogorov-Smirnov tests (p > 0.01), and new schools' rows are wider."""
    train, test, new_school = held_out
    settings = {"chains": 10, "iterations": 30, "draws": 10, "seed": 1, "cores": 2}
    fit = impute(train, POPULAR, "school", **settings)
    frames = bm.impute_new(fit, test, seed=2)
    new_values = np.stack([frame["popular"].to_numpy() for frame in frames])
    together = pd.concat([train, test]).sort_index()
    run = impute(together, POPULAR, "school", **(settings | {"seed": 4}))
    positions = together.index.get_indexer(test.index)
    run_values = np.stack([frame["popular"].to_numpy()[positions] for frame in bm.completed(run)])
    for rows, label in ((~new_school, "fitted schools"), (new_school, "new schools")):
        for statistic in (np.mean, np.std):
            ours, theirs = (
                statistic(new_values[:, rows], axis=1),
                statistic(run_values[:, rows], axis=1),
            )
            result = stats.ks_2samp(ours, theirs)
            print(
                f"{label} {statistic.__name__}: impute_new {ours.mean():.3f} "
                f"(SD {ours.std():.3f}), one run {theirs.mean():.3f} (SD {theirs.std():.3f}), "
                f"KS p {result.pvalue:.3f}"
            )
            assert result.pvalue > 0.01
    spread = new_values.std(axis=0)
    assert spread[new_school].mean() > spread[~new_school].mean()


def test_a_run_loaded_back_from_netcdf_imputes_the_same_new_rows(held_out, tmp_path):
    import arviz as az

    train, test, _ = held_out
    idata = impute(train, POPULAR, "school")
    idata.to_netcdf(tmp_path / "run.nc")
    loaded = az.from_netcdf(tmp_path / "run.nc")
    for ours, theirs in zip(
        bm.impute_new(idata, test, seed=7), bm.impute_new(loaded, test, seed=7), strict=True
    ):
        pd.testing.assert_frame_equal(ours, theirs)


def test_a_compatible_run_draws_a_covariate_from_its_conditional_given_the_outcome():
    """analysis="y ~ x + (1 | g)" with x's factor "x ~ (1 | g)": a new row observing y and
    missing x must draw x from p(x | y), normal with precision 1/s_x^2 + b^2/s_y^2 under each
    stored imputation's parameters (the Metropolis step of the compatible engine), not from
    x's own factor. Standardised by that exact conditional, the 30 rows x 20 imputations are
    N(0, 1) (Kolmogorov-Smirnov p > 0.01; drawn from x's factor alone their SD was 1.66). The
    outcome's missing cells are predicted by the analysis model."""
    rng = np.random.default_rng(8)
    groups = np.repeat(np.arange(30), 20)
    x = 0.7 * rng.standard_normal(30)[groups] + rng.standard_normal(600)
    y = 1.0 + 0.8 * x + 0.5 * rng.standard_normal(30)[groups] + rng.standard_normal(600)
    frame = pd.DataFrame({"g": groups, "x": x, "y": y})
    frame.loc[frame.index % 5 == 0, "x"] = np.nan
    held = frame.index % 15 == 7  # 40 rows, in every group
    fitted, new = frame[~held], frame[held].assign(x=np.nan)
    new.loc[new.index[-10:], "y"] = np.nan  # predictions: x and y both missing
    spec = {"x": bm.random_intercept("x ~ (1 | g)")}
    settings = {"chains": 4, "iterations": 12, "draws": 5, "analysis": "y ~ x + (1 | g)"}
    idata = impute(fitted, spec, "g", **settings)
    frames = bm.impute_new(idata, new, seed=2, iterations=20)
    assert all(frame[["x", "y"]].notna().all().all() for frame in frames)
    names = ["x::beta", "x::u", "x::sigma", "y::beta", "y::u", "y::sigma"]
    posterior = idata.posterior[names].stack(m=("chain", "draw"))
    code = new["g"].to_numpy()  # fitted groups 0..29: their position in the trace
    observed = new["y"].notna().to_numpy()
    z = []
    for k, frame in enumerate(frames):
        p = posterior.isel(m=k)
        mean_x = float(p["x::beta"][0]) + p["x::u"].to_numpy()[code]
        b0, b1 = (float(v) for v in p["y::beta"])
        offset = b0 + p["y::u"].to_numpy()[code]
        sx2, sy2 = float(p["x::sigma"]) ** 2, float(p["y::sigma"]) ** 2
        precision = 1 / sx2 + b1**2 / sy2
        mean = (mean_x / sx2 + b1 * (new["y"].to_numpy() - offset) / sy2) / precision
        drawn = frame["x"].to_numpy()
        z.append(((drawn - mean) * np.sqrt(precision))[observed])
    z = np.concatenate(z)
    result = stats.kstest(z, "norm")
    print(f"z: mean {z.mean():.3f}, SD {z.std():.3f}, KS p {result.pvalue:.3f}")
    assert result.pvalue > 0.01
    assert abs(z.std() - 1) < 0.1


@pytest.mark.parametrize("formula", ["y ~ x + (1 | cluster)", "y ~ x + (1 + x | cluster)"])
def test_a_nominal_variable_is_drawn_with_each_imputations_category_probabilities(formula):
    """bm.categorical (3 colours), 100 held-out rows of fitted clusters: over 40 imputations
    the share of each drawn category matches the mean of the softmax probabilities computed
    from the stored coefficients and cluster effects (within 0.02; SE about 0.008)."""
    sim = bm.simulate.simulate_categorical(clusters=20, cluster_size=30, seed=1)
    held = sim.incomplete.index % 6 == 0
    train, new = sim.incomplete[~held], sim.incomplete[held].assign(y=np.nan)
    spec = {"y": bm.categorical(formula)}
    idata = impute(train, spec, "cluster", chains=4, iterations=10, draws=10)
    frames = bm.impute_new(idata, new, seed=1)
    posterior = idata.posterior[["y::beta", "y::u"]].stack(m=("chain", "draw"))
    labels = list(posterior["cluster"].to_numpy())
    codes = np.array([labels.index(label) for label in new["cluster"]])
    x = new["x"].to_numpy()
    z = np.column_stack([np.ones(len(x)), x])
    expected, drawn = [], []
    for k, frame in enumerate(frames):
        p = posterior.isel(m=k)
        beta = p["y::beta"].to_numpy()  # (green, blue) x (Intercept, x)
        effects = p["y::u"].to_numpy().reshape(len(labels), 2, -1)[codes]
        eta = (
            beta[:, 0] + x[:, None] * beta[:, 1] + (effects * z[:, None, : effects.shape[2]]).sum(2)
        )
        odds = np.exp(np.column_stack([np.zeros(len(x)), eta]))
        expected.append((odds / odds.sum(axis=1, keepdims=True)).mean(axis=0))
        drawn.append([(frame["y"] == colour).mean() for colour in ["red", "green", "blue"]])
    np.testing.assert_allclose(np.mean(drawn, axis=0), np.mean(expected, axis=0), atol=0.02)
    assert frames[0]["y"].dtype == train["y"].dtype  # the fitted categorical, not all-NaN floats


def test_an_ar1_model_draws_a_new_visit_given_the_persons_neighbouring_visits():
    """residual="ar1": a held-out visit of each of 40 persons, re-inserted as new data, is
    drawn from its conditional given the person's other visits (the fit's, completed by the
    same imputation): residuals N(0, sigma^2 phi^|t-s|), so standardised by the multivariate
    normal conditional the 40 x 20 draws are N(0, 1) (KS p > 0.01)."""
    sim = bm.simulate.simulate_longitudinal(persons=40, occasions=6, phi=0.7, seed=4)
    frame = sim.incomplete
    held = (frame["time"] == 2 + frame["id"] % 2).to_numpy()  # visit 2 or 3 of every person
    fitted, new = frame[~held], frame[held].assign(y=np.nan)
    spec = {"y": bm.random_intercept("y ~ time + x + (1 | id)", residual="ar1")}
    idata = impute(fitted, spec, "id", time="time", chains=4, iterations=12, draws=5)
    frames = bm.impute_new(idata, new, seed=3, iterations=1)
    names = ["y::beta", "y::u", "y::sigma", "y::phi"]
    posterior = idata.posterior[names].stack(m=("chain", "draw"))
    persons = list(posterior["cluster"].to_numpy())
    z = []
    for k, (completed, drawn) in enumerate(zip(bm.completed(idata), frames, strict=True)):
        p = posterior.isel(m=k)
        b0, b_time, b_x = (float(v) for v in p["y::beta"])
        u, sigma, phi = p["y::u"].to_numpy(), float(p["y::sigma"]), float(p["y::phi"])
        for _, row in drawn.iterrows():
            visits = completed[completed["id"] == row["id"]]
            times = np.r_[visits["time"].to_numpy(), row["time"]]
            values = np.r_[visits["y"].to_numpy(), row["y"]]
            xs = np.r_[visits["x"].to_numpy(), row["x"]]
            residual = values - (b0 + b_time * times + b_x * xs + u[persons.index(row["id"])])
            cov = sigma**2 * phi ** np.abs(times[:, None] - times[None, :])
            gain = cov[-1, :-1] @ np.linalg.inv(cov[:-1, :-1])
            mean = gain @ residual[:-1]
            sd = np.sqrt(cov[-1, -1] - gain @ cov[:-1, -1])
            z.append((residual[-1] - mean) / sd)
    z = np.array(z)
    result = stats.kstest(z, "norm")
    print(f"z: mean {z.mean():.3f}, SD {z.std():.3f}, KS p {result.pvalue:.3f}")
    assert result.pvalue > 0.01


def test_a_new_clusters_observed_rows_inform_its_effect():
    """A new cluster (not in the fit) whose new rows observe y for 15 and miss it for 10:
    under each stored imputation's parameters its effect given those 15 is
    N(m, v), v = 1 / (15 / sigma^2 + 1 / tau^2), so a missing cell is N(x'beta + m,
    sigma^2 + v); standardised by that the 10 x 40 draws are N(0, 1) (KS p > 0.01); with the
    effect drawn from the population alone they were not (mean -0.83, SD 1.22)."""
    sim = bm.simulate.simulate_random_intercept(clusters=30, cluster_size=20, seed=6)
    fitted = sim.incomplete
    rng = np.random.default_rng(2)
    x = rng.standard_normal(25)
    new = pd.DataFrame({"cluster": 999, "x": x, "y": 2.0 + 0.5 * x + rng.standard_normal(25)})
    new.loc[new.index[15:], "y"] = np.nan
    spec = {"y": bm.random_intercept("y ~ x + (1 | cluster)")}
    idata = impute(fitted[list(new.columns)], spec, "cluster", chains=4, iterations=12, draws=10)
    frames = bm.impute_new(idata, new, seed=4)
    posterior = idata.posterior[["y::beta", "y::tau", "y::sigma"]].stack(m=("chain", "draw"))
    observed = new["y"].notna().to_numpy()
    z = []
    for k, frame in enumerate(frames):
        p = posterior.isel(m=k)
        b0, b1 = (float(v) for v in p["y::beta"])
        tau2, sigma2 = float(p["y::tau"]) ** 2, float(p["y::sigma"]) ** 2
        fixed = b0 + b1 * x
        v = 1 / (observed.sum() / sigma2 + 1 / tau2)
        m = v * np.sum(new["y"].to_numpy()[observed] - fixed[observed]) / sigma2
        drawn = frame["y"].to_numpy()[~observed]
        z.append((drawn - fixed[~observed] - m) / np.sqrt(sigma2 + v))
    z = np.concatenate(z)
    result = stats.kstest(z, "norm")
    print(f"z: mean {z.mean():.3f}, SD {z.std():.3f}, KS p {result.pvalue:.3f}")
    assert result.pvalue > 0.01


def test_an_ordinal_model_without_predictors_draws_its_categories():
    """No intercept and no predictor: the stored run has no beta; the thresholds and the
    clusters' effects alone give the categories, in the fitted column's categorical dtype."""
    sim = bm.simulate.simulate_ordinal(clusters=15, cluster_size=20, seed=1)
    spec = {"y": bm.ordinal("y ~ (1 | cluster)")}
    idata = impute(sim.incomplete.iloc[:250], spec, "cluster")
    assert "y::beta" not in idata.posterior
    new = sim.incomplete.iloc[250:].assign(y=np.nan)
    for frame in bm.impute_new(idata, new, seed=1):
        assert frame["y"].notna().all()
        assert frame["y"].dtype == sim.incomplete["y"].dtype


def test_a_new_visit_at_a_time_the_person_has_is_refused_naming_both_rows():
    sim = bm.simulate.simulate_longitudinal(persons=20, occasions=5, seed=1)
    spec = {"y": bm.random_intercept("y ~ time + (1 | id)", residual="ar1")}
    idata = impute(sim.incomplete, spec, "id", time="time")
    new = sim.incomplete.iloc[:3].assign(y=np.nan)  # person 1's visits 0, 1, 2 again
    with pytest.raises(ValueError, match="rows fitted row 0, new_data row 0 share time 0"):
        bm.impute_new(idata, new)


def grid_means(
    log_like: np.ndarray, tau: float, grid: np.ndarray, means: np.ndarray
) -> tuple[float, float]:
    """Return the rows' mean of `means` (rows, grid of b) averaged over p(b | data), prior
    N(0, tau^2) times `log_like`, and over the prior alone."""
    log_prior = -0.5 * (grid / tau) ** 2
    posterior = np.exp(log_prior + log_like - np.max(log_prior + log_like))
    prior = np.exp(log_prior)
    return (
        float(np.mean(means @ (posterior / posterior.sum()))),
        float(np.mean(means @ (prior / prior.sum()))),
    )


def test_a_new_clusters_observed_rows_inform_a_logit_models_effect():
    """Binary y, a new cluster whose true effect is +1.5 (logit scale): 40 new rows observe y,
    20 miss it. Under each stored imputation's parameters the missing cells' probability of a
    1 is the integral of expit(x'beta + b) over p(b | the 40 observed), computed on a grid;
    averaged over 40 imputations the drawn share of ones is within 0.05 of it (SE about
    0.02), where drawing b from the population alone misses it by more."""
    sim = bm.simulate.simulate_binary(clusters=30, cluster_size=20, seed=5)
    fitted = sim.incomplete[["cluster", "x", "y"]]
    rng = np.random.default_rng(3)
    x = rng.standard_normal(60)
    spec = {"y": bm.binary("y ~ x + (1 | cluster)")}
    idata = impute(fitted, spec, "cluster", chains=4, iterations=12, draws=10)
    posterior = idata.posterior[["y::beta", "y::tau"]].stack(m=("chain", "draw"))
    b0, b1 = (float(v) for v in posterior["y::beta"].mean("m"))
    y = (rng.random(60) < expit(b0 + b1 * x + 1.5)).astype(float)
    new = pd.DataFrame({"cluster": 999, "x": x, "y": y})
    new.loc[new.index[40:], "y"] = np.nan
    observed = new["y"].notna().to_numpy()
    frames = bm.impute_new(idata, new, seed=4, iterations=15)
    grid = np.linspace(-8, 8, 801)
    expected, drawn, population = [], [], []
    for k, frame in enumerate(frames):
        p = posterior.isel(m=k)
        beta0, beta1 = (float(v) for v in p["y::beta"])
        tau = float(p["y::tau"])
        eta = beta0 + beta1 * x
        log_like = np.sum(
            y[observed, None] * (eta[observed, None] + grid)
            - np.logaddexp(0, eta[observed, None] + grid),
            axis=0,
        )
        exact, prior = grid_means(log_like, tau, grid, expit(eta[~observed, None] + grid))
        expected.append(exact)
        population.append(prior)
        drawn.append(frame["y"].to_numpy()[~observed].mean())
    print(
        f"share of ones: drawn {np.mean(drawn):.4f}, exact {np.mean(expected):.4f}, "
        f"population alone {np.mean(population):.3f}"
    )
    assert abs(np.mean(drawn) - np.mean(expected)) < 0.05
    assert abs(np.mean(population) - np.mean(expected)) > 0.1


def test_a_new_clusters_observed_rows_inform_a_count_models_effect():
    """Negative binomial counts, a new cluster whose true effect is +1 (log scale): the mean
    of its 20 missing counts over 40 imputations is within 10% of E[exp(x'beta + b)] under
    p(b | its 40 observed counts) on a grid, where the population alone misses by more."""
    from scipy.special import gammaln

    sim = bm.simulate.simulate_count(clusters=30, cluster_size=20, seed=5)
    fitted = sim.incomplete[["cluster", "x", "y"]]
    spec = {"y": bm.count("y ~ x + (1 | cluster)", family="negative_binomial")}
    idata = impute(fitted, spec, "cluster", chains=4, iterations=12, draws=10)
    posterior = idata.posterior[["y::beta", "y::tau", "y::alpha"]].stack(m=("chain", "draw"))
    rng = np.random.default_rng(3)
    x = rng.standard_normal(60)
    b0, b1 = (float(v) for v in posterior["y::beta"].mean("m"))
    alpha0 = float(posterior["y::alpha"].mean())
    mu = np.exp(b0 + b1 * x + 1.0)
    y = rng.poisson(rng.gamma(alpha0, mu / alpha0)).astype(float)
    new = pd.DataFrame({"cluster": 999, "x": x, "y": y})
    new.loc[new.index[40:], "y"] = np.nan
    observed = new["y"].notna().to_numpy()
    frames = bm.impute_new(idata, new, seed=4, iterations=15)
    grid = np.linspace(-6, 6, 601)
    expected, drawn, population = [], [], []
    for k, frame in enumerate(frames):
        p = posterior.isel(m=k)
        beta0, beta1 = (float(v) for v in p["y::beta"])
        tau, alpha = float(p["y::tau"]), float(p["y::alpha"])
        eta = beta0 + beta1 * x
        log_mu = eta[observed, None] + grid
        log_total = np.logaddexp(np.log(alpha), log_mu)
        counts = y[observed, None]
        log_like = (
            gammaln(counts + alpha)
            - gammaln(alpha)
            + alpha * (np.log(alpha) - log_total)
            + counts * (log_mu - log_total)
        ).sum(axis=0)
        exact, prior = grid_means(log_like, tau, grid, np.exp(eta[~observed, None] + grid))
        expected.append(exact)
        population.append(prior)
        drawn.append(frame["y"].to_numpy()[~observed].mean())
    print(
        f"mean count: drawn {np.mean(drawn):.2f}, exact {np.mean(expected):.2f}, "
        f"population alone {np.mean(population):.2f}"
    )
    assert abs(np.mean(drawn) / np.mean(expected) - 1) < 0.1
    assert abs(np.mean(population) / np.mean(expected) - 1) > 0.2
