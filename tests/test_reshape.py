"""Wide and long formats of repeated measures, dtypes kept."""

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


def long_panel() -> pd.DataFrame:
    frame = bm.simulate.simulate_longitudinal(persons=5, occasions=3, seed=1).incomplete
    frame["arm"] = pd.Categorical(
        np.where(frame["treat"] > 0, "drug", "placebo"), ["placebo", "drug"], ordered=True
    )
    frame["score"] = pd.array(np.arange(len(frame)) % 5, dtype="Int64")
    frame.loc[3, "score"] = pd.NA
    frame["grade"] = pd.Categorical(np.where(frame["x"] > 0, "hi", "lo"))
    frame["time"] = frame["time"].astype("int64")
    return frame


def test_long_to_wide_and_back_gives_the_same_frame_and_dtypes():
    frame = long_panel()
    wide = bm.long_to_wide(frame, "id", "time")
    assert list(wide.columns[:3]) == ["id", "treat", "arm"]  # constant within person
    assert {"y_2", "grade_0", "x_1"} <= set(wide.columns)
    assert wide.shape == (5, 3 + 4 * 3)
    assert wide["arm"].dtype == frame["arm"].dtype
    assert wide["score_1"].dtype == "Int64"
    assert wide["grade_2"].dtype == frame["grade"].dtype
    person = frame[frame["id"] == 2].set_index("time")
    assert wide.loc[1, "y_1"] == person.loc[1, "y"] or np.isnan(person.loc[1, "y"])
    back = bm.wide_to_long(wide, "id", ["x", "y", "score", "grade"], time="time")
    expected = frame.sort_values(["id", "time"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back[expected.columns], expected)


def test_an_occasion_a_person_lacks_is_missing_both_ways():
    frame = long_panel().drop(index=[4])  # person 2 lacks time 1
    wide = bm.long_to_wide(frame, "id", "time", varying=["y", "score"])
    assert pd.isna(wide.loc[1, "y_1"])
    assert wide.loc[1, "score_1"] is pd.NA
    back = bm.wide_to_long(wide, "id", ["y", "score"])
    assert len(back) == 15
    missing = back[(back["id"] == 2) & (back["time"] == 1)]
    assert missing["y"].isna().all()


def test_wide_columns_with_text_occasions_and_a_missing_stub_column():
    wide = pd.DataFrame(
        {"id": [1, 2], "y_pre": [1.0, 2.0], "y_post": [3.0, 4.0], "z_post": [0.1, 0.2]}
    )
    long = bm.wide_to_long(wide, "id", ["y", "z"], time="visit")
    assert long["visit"].tolist() == ["post", "pre", "post", "pre"]
    assert long["z"].isna().tolist() == [False, True, False, True]
    assert long["y"].tolist() == [3.0, 1.0, 4.0, 2.0]


def test_bad_reshapes_are_refused_naming_what_is_wrong():
    wide = pd.DataFrame({"id": [1, 1], "y_1": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(ValueError, match="id column 'id' repeats in rows a, b"):
        bm.wide_to_long(wide, "id", ["y"])
    with pytest.raises(ValueError, match="no column of stub 'w'"):
        bm.wide_to_long(wide.assign(id=[1, 2]), "id", ["w"])
    frame = long_panel()
    doubled = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="repeat a 'time' of their 'id'"):
        bm.long_to_wide(doubled, "id", "time")
    with pytest.raises(ValueError, match="column 'visit' is not in the data"):
        bm.long_to_wide(frame, "id", "visit")
