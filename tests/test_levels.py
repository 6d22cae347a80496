"""Several grouping factors: nested levels encoded, variables' levels, means per level."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm
from bayesmi.data import encode
from bayesmi.data.levels import cluster_from_formulas, nested_groupings
from bayesmi.spec.terms import Term


@pytest.fixture(scope="module")
def three():
    return bm.simulate.simulate_three_level(schools=6, classes=3, pupils=5, seed=1).incomplete


def test_classes_restarting_in_each_school_are_nested_by_combination(three):
    data = encode(three, ["school", "classroom"])
    school, klass = data.groupings
    assert (school.name, klass.name, klass.columns) == (
        "school",
        "classroom",
        ("school", "classroom"),
    )
    assert (school.n_groups, klass.n_groups, data.n_clusters) == (6, 18, 18)
    assert data.cluster == "classroom"
    np.testing.assert_array_equal(data.cluster_codes, klass.codes)
    assert klass.labels[0] == "1:1"
    assert klass.labels[klass.codes[-1]] == "6:3"
    np.testing.assert_array_equal(klass.sizes, 5)
    assert klass.within(school)
    assert not school.within(klass)
    np.testing.assert_array_equal(klass.parents(school), np.repeat(np.arange(6), 3))


def test_class_labels_unique_across_schools_are_kept(three):
    frame = three.assign(**{"classroom": three["school"] * 10 + three["classroom"]})
    (_, klass) = nested_groupings(frame, ["school", "classroom"])
    assert list(klass.labels[:3]) == [11, 12, 13]
    two_level = encode(frame, "classroom")
    np.testing.assert_array_equal(
        encode(frame, ["school", "classroom"]).cluster_codes, two_level.cluster_codes
    )


def test_levels_of_pupil_class_and_school_variables(three):
    data = encode(three, ["school", "classroom"])
    assert data.level == {"x": 1, "c": 2, "s": 3, "y": 1}
    assert "school" not in data.level
    assert "classroom" not in data.level
    assert encode(three, "classroom").level["s"] == 1  # classes 1..3 of different schools mix
    assert encode(three, "school").level == {"classroom": 1, "x": 1, "c": 1, "s": 2, "y": 1}


def test_cluster_means_per_level(three):
    data = encode(three, ["school", "classroom"])
    x = three["x"].to_numpy()
    by_school = three.groupby("school")["x"].transform("mean").to_numpy()
    by_class = three.groupby(["school", "classroom"])["x"].transform("mean").to_numpy()
    np.testing.assert_allclose(data.cluster_means(x, "school"), by_school)
    np.testing.assert_allclose(data.cluster_means(x), by_class)
    (school_mean,) = data.design_columns([Term(("x_mean_school",))])
    (class_mean,) = data.design_columns([Term(("x_mean",))])
    np.testing.assert_allclose(data.column_values(school_mean), by_school)
    np.testing.assert_allclose(data.column_values(class_mean), by_class)
    assert data.term_level(Term(("x_mean_school",))) == 3
    assert data.term_level(Term(("x_mean",))) == 2
    assert data.term_level(Term(("x_mean_school", "c"))) == 2
    assert data.term_level(Term(("x",))) == 1
    with pytest.raises(ValueError, match="grouping factor 'area' is not a column of the data"):
        data.grouping("area")


@pytest.mark.parametrize(
    ("cluster", "error", "message"),
    [
        (["school", "school"], ValueError, "names school more than once"),
        (["school", 3], TypeError, "lists column names"),
        ([], TypeError, "a column name \\(str\\) or a list of them"),
        (["school", "room"], ValueError, "cluster column 'room' is not in data"),
        (["one", "classroom"], ValueError, "holds 1 cluster"),
    ],
)
def test_bad_levels_are_refused(three, cluster, error, message):
    with pytest.raises(error, match=message):
        encode(three.assign(one=1), cluster)


def test_simulated_three_levels_have_the_stated_variances():
    sim = bm.simulate.simulate_three_level(schools=400, classes=5, pupils=10, seed=2)
    frame = sim.complete
    residual = frame["y"] - 0.5 * frame["x"] - 0.3 * frame["c"] - 0.3 * frame["s"]
    school = residual.groupby(frame["school"]).transform("mean")
    klass = residual.groupby([frame["school"], frame["classroom"]]).transform("mean")
    within = float((residual - klass).var()) * 10 / 9  # pupils per class 10
    between_class = float(
        (klass - school).groupby([frame["school"], frame["classroom"]]).first().var()
    )
    assert within == pytest.approx(0.7, rel=0.05)
    assert between_class - within / 10 * 4 / 5 == pytest.approx(0.10, abs=0.02)
    assert sim.incomplete["y"].isna().mean() == pytest.approx(0.3, abs=0.03)
    assert sim.incomplete.groupby(["school", "classroom"])["c"].count().eq(
        0
    ).mean() == pytest.approx(0.2, abs=0.04)


def test_crossed_factors_are_not_nested():
    frame = bm.simulate.simulate_crossed(seed=3).complete
    school, area = (nested_groupings(frame, column)[0] for column in ("school", "area"))
    assert not area.within(school)
    assert not school.within(area)
    assert isinstance(frame, pd.DataFrame)


def test_missing_pattern_per_level(three):
    pattern = bm.missing_pattern(three, ["school", "classroom"], level="school")
    schools = pattern.clusters
    assert schools.index.name == "school"
    assert len(schools) == 6
    np.testing.assert_array_equal(schools["n"], 15)
    assert schools["s_systematic"].tolist() == three.groupby("school")["s"].count().eq(0).tolist()
    assert schools["y_missing"].sum() == three["y"].isna().sum()
    classes = bm.missing_pattern(three, ["school", "classroom"]).clusters
    assert classes.index.name == "classroom"
    assert len(classes) == 18
    expected = three.groupby(["school", "classroom"])["c"].count().eq(0).to_numpy()
    np.testing.assert_array_equal(classes["c_systematic"], expected)


def test_a_class_id_found_in_two_schools_is_not_nested(three):
    frame = three.assign(classroom=three["school"] * 10 + three["classroom"])
    frame.loc[frame.index[:3], "classroom"] = 23  # school 1's first pupils in class 23 of school 2
    with pytest.raises(ValueError, match=r"'classroom' is not nested in 'school'.*except 23"):
        encode(frame, ["school", "classroom"])
    restarted = three.assign(classroom=three["classroom"].map({1: "a", 2: "b", 3: "c"}))
    assert encode(restarted, ["school", "classroom"]).n_clusters == 18


def test_grouping_structure_says_what_is_nested_and_what_crossed(three):
    table = bm.grouping_structure(three, ["school", "school:classroom", "classroom"])
    assert table["groups"].tolist() == [6, 18, 3]
    assert table.loc["school:classroom", "nested_in"] == "school, classroom"
    assert table.loc["school", "crossed_with"] == "classroom"  # labels restart in each school
    assert table.loc["school:classroom", "crossed_with"] == ""
    crossed = bm.grouping_structure(
        bm.simulate.simulate_crossed(seed=1).complete, ["school", "area"]
    )
    assert crossed["crossed_with"].tolist() == ["area", "school"]
    assert crossed["nested_in"].tolist() == ["", ""]


def test_cluster_read_from_the_formulas(three):
    frame = three.assign(area=np.arange(len(three)) % 4)
    ids = three.assign(classroom=three["school"] * 10 + three["classroom"])
    assert cluster_from_formulas(three, ["school"]) == "school"
    assert cluster_from_formulas(three, ["school", "school:classroom"]) == ("school", "classroom")
    assert cluster_from_formulas(ids, ["classroom", "school"]) == ("school", "classroom")
    assert cluster_from_formulas(three, ["school", "classroom"]) == "school"  # not nested alone
    assert cluster_from_formulas(frame, ["school", "area"]) == "school"  # crossed
    with pytest.raises(ValueError, match="give cluster="):
        cluster_from_formulas(three, [])
    with pytest.raises(ValueError, match="'school:room' names room, which are not columns"):
        cluster_from_formulas(three, ["school:room"])


def test_impute_without_cluster_reads_it_from_the_formulas(three):
    spec = {"y": bm.random_intercept("y ~ x + c + (1 | school/classroom)")}
    data = three.assign(c=three["c"].fillna(0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        idata = bm.impute(data, spec, chains=2, iterations=3, seed=1, progressbar=False)
    assert idata.posterior["y::tau"].shape[-1] == 2
    assert idata.posterior["y::u_classroom"].shape[-1] == 18
