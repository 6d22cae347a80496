"""Random intercepts of several grouping factors: three nested levels and crossed factors."""

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy.special import expit
from statsmodels.tools.sm_exceptions import ConvergenceWarning as StatsmodelsConvergence

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.engines.samplers.updaters import GibbsUpdater
from bayesmi.models import FACTORIES
from bayesmi.models.multilevel import InterceptsModel

NESTED = "y ~ x + c + s + (1 | school) + (1 | classroom)"


@pytest.fixture(scope="module")
def three():
    sim = bm.simulate.simulate_three_level(schools=8, classes=3, pupils=6, seed=3)
    return sim.incomplete.assign(c=sim.complete["c"], s=sim.complete["s"])


def impute(data, spec, cluster, **settings):
    options = {"chains": 2, "iterations": 5, "seed": 2, "progressbar": False} | settings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(data, spec, cluster, **options)


@pytest.mark.parametrize(
    "formula", [NESTED, "y ~ x + c + s + (1 | school/classroom)"], ids=["terms", "slash"]
)
def test_three_levels_impute_with_a_variance_per_level(three, formula):
    idata = impute(three, {"y": bm.random_intercept(formula)}, ["school", "classroom"])
    posterior = idata.posterior
    assert posterior["y::tau"].shape[-1] == 2
    assert posterior["y::u_school"].shape[-1] == 8
    classes = [
        name for name in posterior.data_vars if name.startswith("y::u_") and "school" != name[5:]
    ]
    (klass,) = classes
    assert posterior[klass].shape[-1] == 24
    assert np.all(posterior["y::tau"] > 0)
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = three["y"].notna()
        assert frame.loc[observed, "y"].equals(three.loc[observed, "y"])
        assert frame["y"].notna().all()


def test_nested_factor_without_cluster_list_is_built_from_the_columns(three):
    """cluster='school' and (1 | school/classroom): classrooms combined with their school."""
    model = bm.random_intercept("y ~ x + (1 | school/classroom)")
    built = FACTORIES["random_intercept"](model, encode(three.drop(columns=["c", "s"]), "school"))
    assert isinstance(built, InterceptsModel)
    assert [grouping.n_groups for grouping in built.groupings] == [8, 24]
    assert built.groupings[1].name == "school:classroom"


def test_a_group_without_observed_rows_draws_its_effect_from_its_population(three):
    """A class with no observed y: its effect is drawn from N(0, tau_class^2) each iteration."""
    data = three.copy()
    empty = (data["school"] == 2) & (data["classroom"] == 1)
    data.loc[empty, "y"] = np.nan
    idata = impute(
        data,
        {"y": bm.random_intercept(NESTED)},
        ["school", "classroom"],
        chains=4,
        iterations=60,
        draws=50,
    )
    draws = idata.posterior["y::u_classroom"].sel({"y::classroom": "2:1"}).to_numpy().ravel()
    tau = idata.posterior["y::tau"].sel({"y::factor": "classroom"}).to_numpy().ravel()
    assert np.std(draws / tau) == pytest.approx(1.0, abs=0.3)
    assert abs(np.mean(draws / tau)) < 0.4


def test_crossed_factors_impute(three):
    sim = bm.simulate.simulate_crossed(schools=6, areas=5, pupils=120, seed=1)
    spec = {"y": bm.random_intercept("y ~ x + (1 | school) + (1 | area)")}
    idata = impute(sim.incomplete, spec, "school")
    assert list(idata.posterior["y::tau"].coords["y::factor"].values) == ["school", "area"]
    assert idata.posterior["y::u_area"].shape[-1] == 5


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("y ~ x + (1 | school) + (1 | room)", "grouping factor 'room' is not a column of the data"),
        ("y ~ x + (1 | school) + (1 | gappy)", "cluster column 'gappy' has 1 missing values"),
        ("y ~ x + (1 | school) + (1 | one)", "holds 1 cluster"),
    ],
)
def test_bad_grouping_factors_are_refused_before_sampling(three, formula, message):
    data = three.assign(one=1, gappy=np.r_[np.nan, np.ones(len(three) - 1)])
    with pytest.raises(ValueError, match=message):
        bm.impute(data, {"y": bm.random_intercept(formula)}, "school", progressbar=False)


@pytest.mark.slow
def test_gibbs_agrees_with_nuts_on_three_levels(three):
    """6 schools x 3 classes x 6 pupils: beta, both SDs, sigma and two effects, Gibbs vs NUTS."""
    from test_gibbs import assert_gibbs_agrees_with_nuts

    data = encode(three, ["school", "classroom"])
    model = FACTORIES["random_intercept"](bm.random_intercept(NESTED), data)
    model.set_predictors(data.design(model.columns))

    def summary(p):
        return [*p["beta"][:2], *p["tau"], float(p["sigma"]), p["u_school"][0], p["u_classroom"][0]]

    assert_gibbs_agrees_with_nuts(model, summary, "three levels")


SLOPES = "y ~ x + c + s + (1 + x | school) + (1 | classroom)"


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        bm.random_slopes(SLOPES),
        bm.heteroscedastic("y ~ x + c + s + (1 | school) + (1 | classroom)"),
    ],
    ids=["slopes", "heteroscedastic"],
)
def test_gibbs_agrees_with_nuts_beside_a_factor_with_slopes(three, spec):
    """Random slopes (or a residual SD per school) by school beside classes' intercepts:
    beta, the SDs, sigma and two effects, Gibbs vs NUTS."""
    from test_gibbs import assert_gibbs_agrees_with_nuts

    data = encode(three, ["school", "classroom"])
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None

    def summary(p):
        school = p["u_school"][0].ravel()
        sds = [*np.atleast_1d(p.get("re_sd", [])), *p["tau"], *np.atleast_1d(p["sigma"])[:2]]
        return [*p["beta"][:2], *sds, *school, p["u_classroom"][0]]

    assert_gibbs_agrees_with_nuts(model, summary, spec.kind)


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        bm.binary("b ~ x + (1 | school) + (1 | classroom)"),
        bm.binary("b ~ x + (1 + x | school) + (1 | classroom)"),
        bm.count("n ~ x + (1 | school) + (1 | classroom)", family="negative_binomial"),
    ],
    ids=["binary", "binary-slopes", "negative-binomial"],
)
def test_polya_gamma_gibbs_agrees_with_nuts_with_classes_in_schools(spec):
    """10 schools x 3 classes x 10 pupils, a 0/1 or count target: beta, the SDs (and the
    dispersion) and two effects, Gibbs vs NUTS."""
    from test_gibbs import assert_gibbs_agrees_with_nuts

    sim = bm.simulate.simulate_three_level(schools=10, classes=3, pupils=10, seed=4)
    rng = np.random.default_rng(4)
    y = sim.complete["y"].to_numpy()
    frame = sim.complete.assign(
        b=(y + rng.logistic(size=y.size) > 0).astype(float),
        n=rng.poisson(np.exp(0.5 * y) * rng.gamma(2.0, 0.5, y.size)).astype(float),
    )
    frame[spec.target] = frame[spec.target].mask(frame.index % 4 == 0)
    data = encode(frame.drop(columns="y"), ["school", "classroom"])
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None

    def summary(p):
        sds = [*np.atleast_1d(p.get("re_sd", [])), *p["tau"], *np.atleast_1d(p.get("alpha", []))]
        return [*p["beta"], *sds, *p["u_school"][0].ravel(), p["u_classroom"][0]]

    assert_gibbs_agrees_with_nuts(model, summary, spec.formula)


QUIET_LEVEL = [
    bm.random_intercept("y ~ x + c + s + (1 | school) + (1 | classroom)"),
    bm.heteroscedastic("y ~ x + c + s + (1 | school) + (1 | classroom)"),
    bm.binary("b ~ x + (1 | school) + (1 | classroom)"),
]


def quiet_level_model(spec):
    """The compiled model of `spec` on 10 schools x 3 classes x 8 pupils with a class ICC of
    0.002 (y normal, b its 0/1 version with a quarter missing)."""
    sim = bm.simulate.simulate_three_level(schools=10, classes=3, pupils=8, icc_class=0.002, seed=5)
    rng = np.random.default_rng(4)
    y = sim.complete["y"].to_numpy()
    b = pd.Series(y + rng.logistic(size=y.size) > 0, dtype=float)
    frame = sim.incomplete.assign(
        c=sim.complete["c"], s=sim.complete["s"], b=b.mask(b.index % 4 == 0)
    )
    data = encode(frame.drop(columns="b" if spec.target == "y" else "y"), ["school", "classroom"])
    model = FACTORIES[spec.kind](spec, data)
    model.set_predictors(data.design(model.columns))
    assert model.gibbs is not None
    return model


@pytest.mark.parametrize("spec", QUIET_LEVEL, ids=["normal", "heteroscedastic", "binary"])
def test_a_level_with_almost_no_variance_mixes(spec):
    """The class SD near 0: its ESS from 1000 sweeps is above 50 (216, 81 and 215 with the
    interweaving step; 3, 22 and 32 with the centred step alone)."""
    from test_gibbs import sampled

    model = quiet_level_model(spec)
    updater = GibbsUpdater(model, np.random.default_rng(1))
    tau = sampled(model, updater, 1000, 100, lambda p: p["tau"][-1])
    assert az.ess(tau[None, :]) > 50


@pytest.mark.slow
@pytest.mark.parametrize("spec", QUIET_LEVEL, ids=["normal", "heteroscedastic", "binary"])
def test_gibbs_agrees_with_nuts_when_a_level_has_almost_no_variance(spec):
    """Class ICC 0.002 (class tau near 0, where the centred tau step alone barely moves):
    beta, the SDs and two effects, Gibbs vs NUTS."""
    from test_gibbs import assert_gibbs_agrees_with_nuts

    def summary(p):
        sds = [*p["tau"], *np.atleast_1d(p.get("sigma", []))[:1]]
        return [*p["beta"][:2], *sds, p["u_school"][0], p["u_classroom"][0]]

    assert_gibbs_agrees_with_nuts(quiet_level_model(spec), summary, spec.kind)


def three_level_analysis(frame):
    """The three-level analysis (REML): schools' random intercepts, classes' as a variance
    component."""
    return smf.mixedlm(
        "y ~ x + c + s",
        frame,
        groups="school",
        re_formula="1",
        vc_formula={"classroom": "0 + C(classroom)"},
    ).fit(reml=True)


def three_level_fit(frame):
    """The three-level analysis' slope of x, class and school variances."""
    fit = three_level_analysis(frame)
    return np.array([fit.fe_params["x"], float(fit.vcomp[0]), float(fit.cov_re.iloc[0, 0])])


@pytest.mark.slow
def test_three_level_imputation_keeps_both_variances():
    """40 schools x 4 classes x 15 pupils, ICC 0.10 (class) and 0.20 (school), 30% of y MAR.

    The pooled class and school variances of the three-level analysis are within 20% of the
    complete data's and the slope within 0.05; imputing by school only understates the class
    variance (seed 1: complete 0.119, three levels 0.119, school only 0.061; seed 2: 0.109,
    0.094, 0.041).
    """
    sim = bm.simulate.simulate_three_level(seed=1)
    data = sim.incomplete.assign(c=sim.complete["c"], s=sim.complete["s"])
    complete = three_level_fit(sim.complete)
    settings = {"chains": 10, "iterations": 20, "seed": 1}
    three = impute(data, {"y": bm.random_intercept(NESTED)}, ["school", "classroom"], **settings)
    two = impute(
        data, {"y": bm.random_intercept("y ~ x + c + s + (1 | school)")}, "school", **settings
    )
    pooled = {
        label: np.mean([three_level_fit(frame) for frame in bm.completed(idata)], axis=0)
        for label, idata in (("three", three), ("school only", two))
    }
    print(f"complete {complete.round(4)}, { ({k: v.round(4) for k, v in pooled.items()}) }")
    assert pooled["three"][0] == pytest.approx(complete[0], abs=0.05)
    np.testing.assert_allclose(pooled["three"][1:], complete[1:], rtol=0.2)
    assert pooled["school only"][1] < 0.7 * complete[1]


def slopes_fit(frame):
    """Slope of x, its variance between schools, class and school variances (REML; Powell
    first: statsmodels' default BFGS stops unconverged on these data, seeds 1 and 2)."""
    fit = smf.mixedlm(
        "y ~ x + c + s",
        frame,
        groups="school",
        re_formula="1 + x",
        vc_formula={"classroom": "0 + C(classroom)"},
    ).fit(reml=True, method=["powell", "lbfgs"])
    assert fit.converged
    cov = fit.cov_re.to_numpy()
    return np.array([fit.fe_params["x"], cov[1, 1], float(fit.vcomp[0]), cov[0, 0]])


@pytest.mark.slow
def test_slopes_beside_classes_keep_the_slope_variance():
    """The slope of x varies between schools (SD 0.3) in pupils in classes in schools, 30% of
    y MAR on x: imputed with (1 + x | school) + (1 | classroom), the pooled slope variance is
    within 25% of the complete data's, class and school variances within 20%, the slope
    within 0.05; without the random slope the slope variance is understated by more than
    half (seed 1: complete 0.114, with slopes 0.102, without 0.039; seed 2: 0.076, 0.080,
    0.033)."""
    sim = bm.simulate.simulate_three_level(seed=1, slope_sd=0.3)
    data = sim.incomplete.assign(c=sim.complete["c"], s=sim.complete["s"])
    complete = slopes_fit(sim.complete)
    settings = {"chains": 10, "iterations": 30, "seed": 1}
    pooled = {}
    for label, model in (
        ("slopes", bm.random_slopes(SLOPES)),
        ("intercepts", bm.random_intercept(NESTED)),
    ):
        idata = impute(data, {"y": model}, ["school", "classroom"], **settings)
        with warnings.catch_warnings():  # Powell's and the Hessian's notes, not ours
            warnings.simplefilter("ignore")
            pooled[label] = np.mean([slopes_fit(frame) for frame in bm.completed(idata)], axis=0)
    print(f"complete {complete.round(4)}, { ({k: v.round(4) for k, v in pooled.items()}) }")
    assert pooled["slopes"][0] == pytest.approx(complete[0], abs=0.05)
    assert pooled["slopes"][1] == pytest.approx(complete[1], rel=0.25)
    np.testing.assert_allclose(pooled["slopes"][2:], complete[2:], rtol=0.2)
    assert pooled["intercepts"][1] < 0.5 * complete[1]


@pytest.mark.slow
def test_crossed_imputation_keeps_both_variances():
    """30 schools x 20 areas, 1,200 pupils, 30% of y MAR: both variance components of the
    crossed analysis within 25% of the complete data's (seed 2: area 0.103 -> 0.097, school
    0.124 -> 0.109). statsmodels' crossed fit fails to converge on seed 1's imputed data."""
    sim = bm.simulate.simulate_crossed(seed=2)
    spec = {"y": bm.random_intercept("y ~ x + (1 | school) + (1 | area)")}

    def fit(frame):
        model = smf.mixedlm(
            "y ~ x",
            frame.assign(one=1),
            groups="one",
            re_formula="0",
            vc_formula={"school": "0 + C(school)", "area": "0 + C(area)"},
        )
        return np.array([float(v) for v in model.fit(reml=True).vcomp])

    idata = impute(sim.incomplete, spec, "school", chains=10, iterations=20, seed=1)
    pooled = np.mean([fit(frame) for frame in bm.completed(idata)], axis=0)
    complete = fit(sim.complete)
    print(f"complete {complete.round(4)}, imputed {pooled.round(4)}")
    np.testing.assert_allclose(pooled, complete, rtol=0.25)


def test_class_and_school_level_variables_stay_constant_at_their_level():
    sim = bm.simulate.simulate_three_level(schools=12, classes=3, pupils=5, seed=4)
    data = sim.incomplete
    assert data.groupby("school")["s"].count().eq(0).any()
    spec = {
        "c": bm.cluster_level("c ~ x_mean + y_mean"),
        "s": bm.cluster_level("s ~ x_mean + y_mean", level="school"),
        "y": bm.random_intercept("y ~ x + c + s + (1 | school) + (1 | classroom)"),
    }
    idata = impute(data, spec, ["school", "classroom"])
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert frame.groupby(["school", "classroom"])["c"].nunique().max() == 1
        assert frame.groupby("school")["s"].nunique().max() == 1
        assert frame[["c", "s", "y"]].notna().all().all()
    school_model = FACTORIES["cluster_level"](spec["s"], encode(data, ["school", "classroom"]))
    assert [column.sources[0].grouping for column in school_model.columns] == ["school"] * 2
    assert len(school_model.first_row) == 12


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (bm.cluster_level("s ~ x_mean", level="area"), "level 'area' is not a grouping column"),
        (bm.cluster_level("c ~ x_mean", level="school"), "'c' varies within clusters"),
        (bm.cluster_level("s ~ x", level="school"), "predictor 'x' .* varies within clusters"),
    ],
)
def test_a_variable_at_a_level_it_does_not_live_on_is_refused(three, model, message):
    with pytest.raises(ValueError, match=message):
        bm.impute(three, {model.target: model}, ["school", "classroom"], progressbar=False)


def test_a_three_level_analysis_pools_each_levels_variance():
    """statsmodels MixedLM with the classes as a variance component: each level's variance
    pooled by its mean over the imputations, named as mitml names them (no ICC, as mitml
    with several clusterings)."""
    sim = bm.simulate.simulate_three_level(schools=20, classes=3, pupils=8, seed=6)
    data = sim.incomplete.assign(c=sim.complete["c"], s=sim.complete["s"])
    idata = impute(data, {"y": bm.random_intercept(NESTED)}, ["school", "classroom"], chains=3)
    analysis = three_level_analysis

    with warnings.catch_warnings():  # statsmodels' optimiser on 60 small classes, not ours
        warnings.simplefilter("ignore", StatsmodelsConvergence)
        fits = bm.fit_each(idata, analysis)
        by_hand = np.mean([float(analysis(frame).vcomp[0]) for frame in bm.completed(idata)])
    pooled = bm.pool_variance_components(fits)
    assert list(pooled.index) == [
        "Intercept~~Intercept|school",
        "Intercept~~Intercept|classroom",
        "Residual~~Residual",
    ]
    assert pooled.loc["Intercept~~Intercept|classroom", "estimate"] == pytest.approx(by_hand)


def test_suggest_follows_the_analysis_levels():
    sim = bm.simulate.simulate_three_level(schools=10, classes=3, pupils=5, seed=5)
    data = sim.incomplete.assign(b=(sim.complete["x"] > 0).astype(float))
    data.loc[data.index[::7], "b"] = np.nan
    spec = bm.suggest(
        data,
        "y ~ x + b + c + s + (1 | school) + (1 | classroom)",
        ["school", "classroom"],
        verbose=False,
    )
    assert list(spec) == ["c", "s", "b", "y"]
    assert spec["c"].kind == spec["s"].kind == "cluster_level"
    assert spec["c"].level is None
    assert spec["s"].level == "school"
    assert spec["s"].formula == "s ~ y_mean + x_mean + b_mean + c_mean"
    assert spec["c"].formula == "c ~ y_mean + x_mean + b_mean + s"
    assert spec["y"].formula == "y ~ x + b + c + s + (1 | school) + (1 | classroom)"
    assert spec["b"].kind == "binary"
    assert spec["b"].groups == ("school", "classroom")
    assert "a random intercept per school and per classroom" in spec.table.loc["b", "reason"]
    idata = impute(data, spec, ["school", "classroom"])
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert frame.groupby("school")["s"].nunique().max() == 1


def test_suggest_keeps_slopes_on_one_factor_beside_the_others(three):
    """The analysis' slope of x by school beside classes' intercepts: the outcome's model has
    both; x, with the random slope, gets the reverse slope on y by school."""
    data = three.assign(x=three["x"].mask(three.index % 6 == 0))
    spec = bm.suggest(
        data,
        "y ~ x + c + (1 | classroom) + (1 + x | school)",
        ["school", "classroom"],
        verbose=False,
    )
    assert spec["y"].formula == "y ~ x + c + (1 + x | school) + (1 | classroom)"
    assert spec["y"].kind == "random_slopes"
    assert spec["x"].formula == "x ~ y + c + (1 + y | school) + (1 | classroom)"
    idata = impute(data, spec, ["school", "classroom"])
    assert idata.posterior["x::re_sd"].shape[2:] == (2,)


def test_heckman_with_several_factors_is_refused():
    with pytest.raises(ValueError, match=r"heckman models one grouping factor; .* has 2"):
        bm.heckman("y ~ x + (1 | school) + (1 | classroom)", "~ x + z + (1 | school)")


@pytest.mark.parametrize(
    ("spec", "parameters"),
    [
        (bm.random_slopes(SLOPES), {"re_sd": (2,), "tau": (1,), "u_school": (8, 2)}),
        (
            bm.heteroscedastic("y ~ x + (1 | school) + (1 | classroom)"),
            {"tau": (2,), "sigma": (8,), "u_school": (8,), "u_classroom": (24,)},
        ),
    ],
    ids=["slopes", "heteroscedastic"],
)
def test_a_mixed_model_takes_intercepts_of_further_factors(three, spec, parameters):
    """The school factor (slopes, or a residual SD per school) first, classes' SD in tau."""
    idata = impute(three, {"y": spec}, ["school", "classroom"])
    posterior = idata.posterior
    for name, shape in parameters.items():
        assert posterior[f"y::{name}"].shape[2:] == shape, name
    factors = list(posterior["y::tau"].coords["y::factor"].values)
    assert factors == (["classroom"] if spec.slopes else ["school", "classroom"])
    assert list(posterior["y::u_classroom"].coords["y::classroom"].values[:2]) == ["1:1", "1:2"]
    assert posterior["y::u_classroom"].std() > 0
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = three["y"].notna()
        assert frame.loc[observed, "y"].equals(three.loc[observed, "y"])
        assert frame["y"].notna().all()


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            "y ~ x + s + (1 + s | school) + (1 | classroom)",
            "random slope on 's' by 'school' .* constant within each group of 'school'",
        ),
        (
            "y ~ x + c + (1 + c | classroom) + (1 | school)",
            "random slope on 'c' by 'classroom' .* constant within each group",
        ),
        (
            "y ~ x + (1 + x | school) + (1 + x | classroom)",
            r"slopes on one grouping factor; .* on school, classroom.* \(1 \+ x \| school\)",
        ),
    ],
)
def test_a_slope_its_factor_cannot_carry_is_refused(three, formula, message):
    with pytest.raises(ValueError, match=message):
        bm.impute(three, {"y": bm.random_slopes(formula)}, ["school", "classroom"])


def test_a_class_level_slope_may_vary_between_schools(three):
    """c is constant within classes but varies within schools: a slope by school is identified."""
    spec = {"y": bm.random_slopes("y ~ x + c + (1 + c | school) + (1 | classroom)")}
    idata = impute(three, spec, ["school", "classroom"])
    assert list(idata.posterior["y::re_sd"].coords["y::re"].values) == ["Intercept", "c"]


@pytest.mark.parametrize(
    ("spec", "column"),
    [
        (bm.binary("b ~ x + (1 | school) + (1 | classroom)"), "b"),
        (bm.ordinal("o ~ x + (1 | school) + (1 | classroom)"), "o"),
        (bm.count("n ~ x + (1 | school) + (1 | classroom)"), "n"),
        (bm.categorical("k ~ x + (1 | school) + (1 | classroom)"), "k"),
    ],
    ids=["binary", "ordinal", "count", "categorical"],
)
def test_other_families_take_several_factors(three, spec, column):
    rng = np.random.default_rng(0)
    x = three["x"].to_numpy()
    data = three.assign(
        b=(x + rng.normal(size=len(x)) > 0).astype(float),
        o=pd.Categorical(np.digitize(x + rng.normal(size=len(x)), [-0.5, 0.5]), ordered=True),
        n=rng.poisson(np.exp(0.3 * x)).astype(float),
        k=pd.Categorical.from_codes(
            np.digitize(x + rng.normal(size=len(x)), [-0.5, 0.5]), ["a", "b", "c"]
        ),
    )
    data[column] = data[column].mask(data.index % 4 == 0)
    idata = impute(data.drop(columns="y"), {column: spec}, ["school", "classroom"])
    posterior = idata.posterior
    factors = list(posterior[f"{column}::tau"].coords[f"{column}::factor"].values)
    if column == "k":  # the school's effects correlated between categories, classes' apart
        assert factors == ["classroom"]
        assert posterior[f"{column}::tau"].shape[2:] == (1, 2)
        assert posterior[f"{column}::u_school"].shape[2:] == (8, 2)
        assert posterior[f"{column}::u_classroom"].shape[2:] == (24, 2)
    else:
        assert factors == ["school", "classroom"]
        assert posterior[f"{column}::u_classroom"].shape[2:] == (24,)
    completed = bm.completed(idata)
    observed = data[column].notna()
    for frame in completed:
        assert frame[column].notna().all()
        assert frame.loc[observed, column].equals(data.loc[observed, column])
        values = frame[column].to_numpy()
        if column == "n":  # counts: whole numbers, any size
            assert np.all((values >= 0) & (values == np.round(values)))
        else:
            assert set(values) <= set(data[column].dropna())


def test_the_joint_engine_refuses_several_factors(three):
    spec = {"x": bm.random_intercept("x ~ c + (1 | school) + (1 | classroom)")}
    data = three.assign(x=three["x"].mask(three.index % 5 == 0))
    with pytest.raises(ValueError, match="the joint engine holds models grouped by the cluster"):
        bm.impute(data, spec, ["school", "classroom"], progressbar=False, engine="joint")


@pytest.mark.parametrize(
    "spec",
    [
        bm.random_intercept("x ~ c + (1 | school) + (1 | classroom)"),
        bm.random_slopes("x ~ c + (1 + c | school) + (1 | classroom)"),
        bm.binary("b ~ c + (1 | school) + (1 | classroom)"),
    ],
    ids=["intercepts", "slopes", "binary"],
)
def test_an_analysis_with_classes_in_schools_imputes_its_covariates(three, spec):
    """analysis= with several grouping factors: the covariate's model and the analysis model
    keep both levels' effects, observed cells stay, the run repeats with its seed."""
    data = three.assign(x=three["x"].mask(three.index % 5 == 0))
    data["b"] = (data["x"] > 0).astype(float).where(data["x"].notna())
    data = data.assign(**{spec.target: data[spec.target].mask(three.index % 4 == 1)})
    analysis = f"y ~ {spec.target} + c + s + (1 | school) + (1 | classroom)"
    settings = {"analysis": analysis, "progressbar": False}
    idata = impute(data, {spec.target: spec}, ["school", "classroom"], **settings)
    posterior = idata.posterior
    assert posterior["y::tau"].shape[-1] == 2  # school and class intercepts' SDs
    assert posterior[f"{spec.target}::u_classroom"].shape[-1] == 24
    column = spec.target
    observed = data[column].notna()
    for frame in bm.completed(idata):
        assert frame[[column, "y"]].notna().all().all()
        pd.testing.assert_series_equal(frame.loc[observed, column], data.loc[observed, column])
    again = impute(data, {spec.target: spec}, ["school", "classroom"], **settings)
    np.testing.assert_array_equal(
        posterior[f"{column}::missing"], again.posterior[f"{column}::missing"]
    )


@pytest.mark.slow
def test_a_three_level_analysis_imputes_a_covariate_missing_on_the_outcome():
    """40 schools x 4 classes x 15 pupils, x 30% missing with probability rising in y (MAR
    given y): the analysis-compatible run's pooled slope of x within 0.05 of the complete
    data's and the class and school variances within 20%, where complete cases miss."""
    sim = bm.simulate.simulate_three_level(seed=2)
    complete = sim.complete
    rng = np.random.default_rng(3)
    deleted = rng.random(len(complete)) < expit(-1.2 + 1.5 * (complete["y"] - complete["y"].mean()))
    data = complete.assign(x=complete["x"].mask(deleted))
    spec = {"x": bm.random_intercept("x ~ c + s + (1 | school) + (1 | classroom)")}
    settings = {"chains": 10, "iterations": 30, "seed": 1, "analysis": NESTED}
    idata = impute(data, spec, ["school", "classroom"], **settings)
    truth = three_level_fit(complete)
    pooled = np.mean([three_level_fit(frame) for frame in bm.completed(idata)], axis=0)
    cases = three_level_fit(data.dropna(subset=["x"]))
    print(f"x missing {deleted.mean():.2f}; complete {truth.round(4)}, imputed {pooled.round(4)}")
    print(f"complete cases {cases.round(4)}")
    assert pooled[0] == pytest.approx(truth[0], abs=0.05)
    np.testing.assert_allclose(pooled[1:], truth[1:], rtol=0.2)
    assert abs(cases[0] - truth[0]) > 0.05


def test_compiled_models_are_not_reused_across_another_nesting(three):
    """Same frame and spec, classes alone (3 labels) then nested in schools (24 classes): the
    second run compiles its own models (the key holds the grouping columns)."""
    spec = {"y": bm.random_intercept("y ~ x + c + s + (1 | classroom)")}
    alone = impute(three, spec, "classroom", cores=1)
    nested = impute(three, spec, ["school", "classroom"], cores=1)
    assert alone.posterior["y::u"].shape[2] == 3
    assert nested.posterior["y::u"].shape[2] == 24
