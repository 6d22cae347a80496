"""bm.suggest: the proposed model for each incomplete variable, and its use in impute."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm

ANALYSIS = "popular ~ sex + texp + (1 + sex | school)"


def test_popmis_outcome_keeps_the_analysis_random_slope(capsys):
    spec = bm.suggest(bm.datasets.load_popmis(), ANALYSIS, cluster="school")
    assert list(spec) == ["popular"]
    assert spec["popular"].kind == "random_slopes"
    assert spec["popular"].predictors == ("sex", "texp")
    assert spec["popular"].slopes == ("sex",)
    printed = capsys.readouterr().out
    assert "outcome of the analysis" in printed
    assert "random_slopes" in printed


@pytest.fixture(scope="module")
def odd_popmis():
    """popmis with texp (level 2) missing in three schools and sex (0/1) missing in 10%."""
    frame = bm.datasets.load_popmis()
    rng = np.random.default_rng(1)
    frame.loc[frame["school"].isin([3, 7, 9]), "texp"] = np.nan
    frame.loc[rng.random(len(frame)) < 0.1, "sex"] = np.nan
    return frame


def test_level_two_and_binary_variables_get_their_models(odd_popmis):
    spec = bm.suggest(odd_popmis, ANALYSIS, cluster="school", verbose=False)
    assert list(spec) == ["texp", "sex", "popular"]
    assert spec["texp"].kind == "cluster_level"
    assert spec["texp"].predictors == ("popular_mean", "sex_mean")
    assert spec["sex"].kind == "binary"
    assert spec["sex"].predictors == ("popular", "texp")
    assert spec["sex"].slopes == ("popular",)  # sex has a random slope in the analysis
    assert spec["popular"].kind == "random_slopes"
    # teacher experience and popularity are whole numbers: matching keeps them so
    assert list(spec.table["model"]) == ["cluster_level (pmm)", "binary", "random_slopes (pmm)"]
    assert "level 2" in spec.table.loc["texp", "reason"]
    assert "2l.bin" in spec.table.loc["sex", "reason"]


def test_without_random_slopes_level_one_variables_get_random_intercepts():
    sim = bm.simulate.simulate_random_intercept(seed=3)
    data = sim.incomplete.assign(x=sim.incomplete["x"].where(sim.incomplete.index % 5 != 0))
    spec = bm.suggest(data, "y ~ x + (1 | cluster)", cluster="cluster", verbose=False)
    assert [(name, model.kind) for name, model in spec.items()] == [
        ("x", "random_intercept"),
        ("y", "random_intercept"),
    ]
    assert spec["x"].predictors == ("y",)


def test_suggested_spec_runs_in_impute(odd_popmis):
    """The spec runs as proposed (on 20 of the 100 schools: binary's NUTS on all 2000 rows with
    40 tuning steps sometimes adapts to a tiny step size and took 7 minutes in one test run)."""
    small = odd_popmis[odd_popmis["school"] <= 20]
    spec = bm.suggest(small, ANALYSIS, cluster="school", verbose=False)
    assert [model.kind for model in spec.values()] == ["cluster_level", "binary", "random_slopes"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(
            small,
            spec,
            cluster="school",
            chains=2,
            iterations=3,
            tune=40,
            steps=2,
            seed=1,
            cores=1,
            progressbar=False,
        )
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        assert frame[["popular", "sex", "texp"]].notna().all().all()
        assert set(frame["sex"].unique()) <= {0.0, 1.0}
        assert (frame.groupby("school")["texp"].nunique() == 1).all()


def test_bad_analysis_is_refused(odd_popmis):
    with pytest.raises(ValueError, match="grouped by 'class', not by the cluster column"):
        bm.suggest(odd_popmis, "popular ~ sex + (1 | class)", cluster="school")
    with pytest.raises(ValueError, match="'iq' in the analysis model"):
        bm.suggest(odd_popmis, "popular ~ iq + (1 | school)", cluster="school")
    complete = odd_popmis.dropna()
    with pytest.raises(ValueError, match="no variable of the analysis model"):
        bm.suggest(complete, ANALYSIS, cluster="school")


def test_models_follow_the_dtypes():
    """Strings with two categories, ordered and unordered categoricals, a level-2 factor and
    whole-number scores each get their family, and say why."""
    frame = bm.datasets.load_popmis()
    rng = np.random.default_rng(2)
    frame["sex"] = np.where(frame["sex"] == 1, "girl", "boy").astype(object)
    frame["ses"] = pd.Categorical(
        rng.choice(["low", "mid", "high"], len(frame)), ["low", "mid", "high"], ordered=True
    )
    frame["club"] = pd.Categorical(rng.choice(["a", "b", "c"], len(frame)))
    denomination = pd.Series(rng.choice(["x", "y", "z"], 100), index=range(1, 101))
    frame["denomination"] = pd.Categorical(frame["school"].map(denomination))
    frame["score"] = frame["popular"].round()
    for column in ("sex", "ses", "club", "denomination"):
        frame.loc[rng.random(len(frame)) < 0.1, column] = np.nan
    frame.loc[frame["school"] < 10, "denomination"] = np.nan
    frame.loc[frame["school"] >= 10, "denomination"] = frame["school"].map(denomination)
    analysis = "score ~ sex + ses + club + denomination + (1 | school)"
    spec = bm.suggest(frame, analysis, cluster="school", verbose=False)
    kinds = {name: (model.kind, model.family, model.pmm) for name, model in spec.items()}
    assert kinds == {
        "denomination": ("cluster_level", "categorical", False),
        "sex": ("binary", "binary", False),
        "ses": ("ordinal", "ordinal", False),
        "club": ("categorical", "categorical", False),
        "score": ("random_intercept", "gaussian", True),
    }
    assert spec.table.loc["denomination", "model"] == "cluster_level (categorical)"
    assert "unordered categories" in spec.table.loc["club", "reason"]
    assert "predictive mean matching" in spec.table.loc["score", "reason"]


def test_with_time_time_varying_variables_get_ar1_residuals_and_invariant_ones_a_person_model():
    """A growth analysis of a two-arm trial: the outcome and a time-varying covariate get AR(1)
    residuals, the arm (constant within person) the person-level model without the person's
    mean time (the design's, constant in a balanced panel); the spec runs."""
    sim = bm.simulate.simulate_longitudinal(persons=40, occasions=4, seed=2)
    frame = sim.incomplete.copy()
    frame.loc[frame.index[::4], "x"] = np.nan
    frame.loc[frame["id"].isin([3, 5, 7]), "treat"] = np.nan
    analysis = "y ~ time * treat + x + (1 + time | id)"
    spec = bm.suggest(frame, analysis, cluster="id", time="time", verbose=False)
    assert spec["y"].kind == "random_slopes"
    assert spec["y"].residual == "ar1"
    assert spec["x"].residual == "ar1"
    assert spec["treat"].formula == "treat ~ y_mean + x_mean"
    assert spec.table.loc["x", "model"] == "random_intercept (residual=ar1)"
    assert "time-invariant" in spec.table.loc["treat", "reason"]
    assert not any("'time'" in note for note in spec.notes)
    plain = bm.suggest(frame, analysis, cluster="id", verbose=False)
    assert plain["y"].residual == "independent"
    settings = {"chains": 2, "iterations": 3, "steps": 2, "progressbar": False, "cores": 1}
    idata = bm.impute(frame, spec, cluster="id", time="time", **settings)
    assert "x::phi" in idata.posterior
    with pytest.raises(ValueError, match="time column 'visit' is not in the data"):
        bm.suggest(frame, analysis, cluster="id", time="visit", verbose=False)
