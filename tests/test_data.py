import numpy as np
import pandas as pd

import bayesmi as bm
from bayesmi.data import encode


def test_cluster_codes_follow_sorted_labels():
    frame = pd.DataFrame({"g": ["b", "a", "b", "c"], "y": [1.0, np.nan, 2.0, 3.0]})
    encoded = encode(frame, "g")
    assert list(encoded.cluster_labels) == ["a", "b", "c"]
    assert list(encoded.cluster_codes) == [1, 0, 1, 2]
    assert list(encoded.cluster_sizes) == [1, 2, 1]


def test_levels_of_popmis():
    encoded = encode(bm.datasets.load_popmis(), "school")
    assert encoded.level["texp"] == 2
    assert encoded.level["teachpop"] == 1
    assert encoded.level["sex"] == 1
    assert encoded.level["popular"] == 1
    assert "school" not in encoded.level


def test_systematic_and_sporadic_clusters():
    frame = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3], "y": [np.nan, np.nan, 1.0, np.nan, 2.0, 3.0]})
    encoded = encode(frame, "g")
    assert list(encoded.systematic_clusters("y")) == [0]
    assert list(encoded.sporadic_clusters("y")) == [1]


def test_encoding_copies_the_frame():
    frame = pd.DataFrame({"g": [1, 1, 2], "y": [1.0, np.nan, 2.0]})
    encoded = encode(frame, "g")
    encoded.frame.loc[1, "y"] = 5.0
    assert np.isnan(frame.loc[1, "y"])


def test_missing_pattern_of_popmis():
    data = bm.datasets.load_popmis()
    pattern = bm.missing_pattern(data, cluster="school")
    table = pattern.patterns
    assert list(table.columns)[-2:] == ["popular", "n_missing"]
    assert table.loc["total", "popular"] == 848
    assert table.loc["total", "count"] == 2000
    assert table.drop(index="total")["count"].sum() == 2000
    assert table.loc[1, "count"] == 848
    assert table.loc[1, "n_missing"] == 1
    clusters = pattern.clusters
    assert clusters.shape[0] == 100
    assert clusters["n"].sum() == 2000
    assert clusters["popular_missing"].sum() == 848
    assert not clusters["popular_systematic"].any()


def test_missing_pattern_flags_systematic_clusters():
    frame = pd.DataFrame(
        {"g": [1, 1, 2, 2], "y": [np.nan, np.nan, 1.0, np.nan], "x": [1.0, 2.0, np.nan, 4.0]}
    )
    pattern = bm.missing_pattern(frame, cluster="g")
    assert list(pattern.clusters["y_systematic"]) == [True, False]
    assert list(pattern.clusters["x_missing"]) == [0, 1]
    rows = pattern.patterns.drop(index="total")
    assert rows["count"].sum() == 4
    assert list(rows.columns) == ["count", "g", "x", "y", "n_missing"]
