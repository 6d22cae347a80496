"""Property-based checks over random small clustered frames (hypothesis).

Whatever the frame: observed cells never change, binary variables stay 0/1, level-2
imputations are constant within clusters, completed frames keep the input's shape and row
labels, and the same seed gives the same result. 10 examples per property in the default run,
50 with ``-m slow``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayesmi as bm

SPEC = {
    "z": bm.cluster_level("z ~ x_mean"),
    "b": bm.binary("b ~ x + z + (1 | g)"),
    "y": bm.random_intercept("y ~ x + b + z + (1 | g)"),
}


@st.composite
def clustered_frames(draw):
    """4-8 clusters of 2-8 rows; y, b (0/1) and z (level 2) partly missing; odd row labels."""
    clusters = draw(st.integers(4, 8))
    sizes = draw(st.lists(st.integers(2, 8), min_size=clusters, max_size=clusters))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(clusters), sizes)
    n = g.size
    x = rng.standard_normal(n)
    z = rng.standard_normal(clusters)[g]
    b = (x + rng.standard_normal(n) > 0).astype(float)
    y = x + b + z + rng.standard_normal(n)
    frame = pd.DataFrame({"g": g, "x": x, "z": z, "b": b, "y": y})
    share = draw(st.floats(0.1, 0.5))
    for column in ("y", "b"):
        missing = rng.random(n) < share
        missing[rng.choice(n, 2, replace=False)] = False  # at least two observed values
        missing[rng.integers(n)] = True  # at least one missing
        frame.loc[missing, column] = np.nan
    lost = rng.choice(clusters, size=max(1, clusters // 3), replace=False)
    frame.loc[frame["g"].isin(lost), "z"] = np.nan
    labels = draw(st.sampled_from(["default", "shifted", "strings"]))
    if labels == "shifted":
        frame.index = frame.index * 3 + 10
    elif labels == "strings":
        frame.index = [f"row{k}" for k in range(n)]
    return frame


def impute(frame, seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bm.impute(
            frame,
            SPEC,
            cluster="g",
            chains=2,
            iterations=2,
            tune=20,
            steps=1,
            seed=seed,
            cores=1,
            progressbar=False,
        )


EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
MANY = settings(EXAMPLES, max_examples=50)


def check_properties(frame, seed):
    before = frame.copy()
    idata = impute(frame, seed)
    assert frame.equals(before)  # the caller's frame is untouched
    observed = frame.notna()
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for completed in frames:
        assert completed.shape == frame.shape
        assert list(completed.index) == list(frame.index)
        assert completed[observed].equals(frame[observed])
        assert completed[["y", "b", "z"]].notna().all().all()
        assert set(completed["b"].unique()) <= {0.0, 1.0}
        assert (completed.groupby("g")["z"].nunique() == 1).all()
    again = impute(frame, seed)
    for name in ("y", "b", "z"):
        np.testing.assert_array_equal(
            idata.posterior[f"{name}::missing"].to_numpy(),
            again.posterior[f"{name}::missing"].to_numpy(),
        )


@EXAMPLES
@given(frame=clustered_frames(), seed=st.integers(0, 1000))
def test_properties_hold_for_random_frames(frame, seed):
    check_properties(frame, seed)


@pytest.mark.slow
@MANY
@given(frame=clustered_frames(), seed=st.integers(0, 1000))
def test_properties_hold_for_many_random_frames(frame, seed):
    check_properties(frame, seed)
