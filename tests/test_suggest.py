"""bm.suggest: the proposed model for each incomplete variable, and its use in impute."""

import warnings

import numpy as np
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
    assert list(spec.table["model"]) == ["cluster_level", "binary", "random_slopes"]
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
    for frame in bm.completed(idata):
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
