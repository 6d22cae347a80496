"""Exports for Stata and SPSS read back, and mice's imputations read from R and pooled."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import bayesmi as bm

DATA = Path(__file__).parent / "data" / "mice_mids"
QUICK = {"chains": 3, "iterations": 4, "seed": 5, "progressbar": False, "cores": 1}


@pytest.fixture(scope="module")
def run():
    """Pupils in schools with an incomplete number and an incomplete factor of text."""
    sim = bm.simulate.simulate_random_intercept(clusters=12, cluster_size=8, seed=3)
    frame = sim.incomplete.assign(
        arm=pd.Categorical(np.where(np.arange(96) % 3 == 0, "control", "treated")),
        note=np.where(np.arange(96) % 2 == 0, "a", "b"),
    )
    frame["arm"] = frame["arm"].where(np.arange(96) % 5 != 0)
    spec = {
        "arm": bm.binary("arm ~ x + (1 | cluster)"),
        "y": bm.random_intercept("y ~ x + arm + (1 | cluster)"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return frame, bm.impute(frame, spec, "cluster", **QUICK)


def test_stata_flong_file_reads_back_with_its_values_labels_and_m(run, tmp_path):
    frame, idata = run
    path = bm.to_stata(idata, tmp_path / "imp.dta")
    stacked = pd.read_stata(path)
    assert sorted(stacked["_mi_m"].unique()) == [0, 1, 2, 3]
    assert (stacked.groupby("_mi_m")["_mi_id"].apply(list) == [list(range(1, 97))] * 4).all()
    original = stacked[stacked["_mi_m"] == 0]
    incomplete = frame[["arm", "y"]].isna().any(axis=1).to_numpy()
    np.testing.assert_array_equal(original["_mi_miss"].to_numpy(), incomplete.astype(float))
    assert stacked.loc[stacked["_mi_m"] > 0, "_mi_miss"].isna().all()
    assert list(stacked["arm"].cat.categories) == ["control", "treated"]  # value labels
    np.testing.assert_array_equal(original["y"].to_numpy(), frame["y"].to_numpy())
    for m, completed in enumerate(bm.completed(idata), start=1):
        part = stacked[stacked["_mi_m"] == m]
        np.testing.assert_allclose(part["y"].to_numpy(), completed["y"].to_numpy())
        assert part["arm"].astype(str).tolist() == completed["arm"].astype(str).tolist()
        assert part["note"].tolist() == completed["note"].tolist()
    with pd.io.stata.StataReader(path) as reader:
        assert reader.variable_labels()["y"] == "imputed (bayesmi)"


def test_spss_file_reads_back_with_its_values_labels_and_m(run, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    frame, idata = run
    path = bm.to_spss(idata, tmp_path / "imp.sav")
    stacked, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    assert sorted(stacked["Imputation_"].unique()) == [0, 1, 2, 3]
    assert meta.variable_value_labels["arm"] == {1.0: "control", 2.0: "treated"}
    assert meta.column_names_to_labels["y"] == "imputed (bayesmi)"
    original = stacked[stacked["Imputation_"] == 0]
    assert original["arm"].isna().sum() == frame["arm"].isna().sum()
    for m, completed in enumerate(bm.completed(idata), start=1):
        part = stacked[stacked["Imputation_"] == m]
        np.testing.assert_allclose(part["y"].to_numpy(), completed["y"].to_numpy())
        assert part["arm"].astype(str).tolist() == completed["arm"].astype(str).tolist()
        assert part["note"].tolist() == completed["note"].tolist()


def test_a_mids_made_by_r_pools_to_mices_own_numbers():
    """nhanes2 imputed by R's mice 3.15 (m = 5, tests/data/mice_mids/make_mids.R): read back,
    lm(chl ~ age + bmi + hyp) on each and pooled by Rubin's rules, as mice's pool()."""
    idata = bm.read_mids(DATA / "nhanes2_mids.csv")
    reference = pd.read_csv(DATA / "nhanes2_pool.csv")
    frames = list(bm.completed(idata))
    assert len(frames) == 5
    assert all(frame[["bmi", "hyp", "chl"]].notna().all().all() for frame in frames)
    fits = [smf.ols("chl ~ age + bmi + hyp", frame).fit() for frame in frames]
    names = {"Intercept": "(Intercept)", "age[T.40-59]": "age40-59", "age[T.60-99]": "age60-99"}
    names |= {"hyp[T.yes]": "hypyes"}
    pooled = bm.pool(fits).rename(index=lambda term: names.get(term, term))
    pooled = pooled.loc[reference["term"]]
    np.testing.assert_allclose(pooled["estimate"], reference["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(pooled["std_error"], reference["std.error"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(pooled["df"], reference["df"], rtol=1e-6)


def test_a_mids_round_trips_through_r_format_and_bad_files_are_refused(run, tmp_path):
    _, idata = run
    path = bm.to_mids_csv(idata, tmp_path / "imp.csv")
    again = bm.read_mids(path)
    for ours, theirs in zip(bm.completed(idata), bm.completed(again), strict=True):
        np.testing.assert_allclose(ours["y"].to_numpy(), theirs["y"].to_numpy())
        assert ours["arm"].astype(str).tolist() == theirs["arm"].astype(str).tolist()
    long = pd.read_csv(path)
    with pytest.raises(ValueError, match=r"no \.imp 0"):
        bm.read_mids(long[long[".imp"] > 0])
    with pytest.raises(ValueError, match=r"no '?\.id'? column"):
        bm.read_mids(long.drop(columns=".id"))


def test_mices_imputations_are_plotted_per_cluster_or_as_one():
    import matplotlib.pyplot as plt

    by_age = bm.read_mids(DATA / "nhanes2_mids.csv", cluster="age")
    density, strips = bm.plot_imputed(by_age, "chl")
    assert strips.get_xlabel() == "age"
    assert {label.get_text() for label in strips.get_xticklabels()} == {
        "20-39",
        "40-59",
        "60-99",
    }
    assert len(density.get_lines()) == 1 + 5  # observed and the 5 imputations
    plt.close("all")
    alone = bm.read_mids(DATA / "nhanes2_mids.csv")
    _, strips = bm.plot_imputed(alone, "bmi")
    assert [label.get_text() for label in strips.get_xticklabels()] == ["all rows"]
    plt.close("all")
    with pytest.raises(ValueError, match="cluster 'school' is not a complete column"):
        bm.read_mids(DATA / "nhanes2_mids.csv", cluster="school")
