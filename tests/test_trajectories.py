"""Persons' trajectories: the numbers and the spaghetti plot."""

import matplotlib.pyplot as plt
import pytest

import bayesmi as bm
from bayesmi.result.trajectories import trajectories

SPEC = {"y": bm.random_slopes("y ~ time + x + (1 + time | id)", residual="ar1")}


@pytest.fixture(scope="module")
def run():
    sim = bm.simulate.simulate_longitudinal(persons=24, occasions=5, missing=0.4, seed=3)
    settings = {"chains": 3, "iterations": 4, "steps": 2, "progressbar": False, "cores": 1}
    return sim.incomplete, bm.impute(
        sim.incomplete, SPEC, cluster="id", time="time", seed=1, **settings
    )


def test_trajectories_hold_each_occasion_of_the_chosen_persons_per_imputation(run):
    frame, idata = run
    lines = trajectories(idata, "y", n_persons=4, imputations=2)
    assert lines.attrs == {"person": "id", "time": "time"}
    assert lines["person"].nunique() == 4
    assert len(lines) == 4 * 5 * 2
    missing = frame["y"].isna().groupby(frame["id"]).sum()
    observed = frame["y"].notna().groupby(frame["id"]).sum()
    eligible = missing[observed >= 2].sort_values(ascending=False, kind="stable")
    assert set(lines["person"]) == set(eligible.index[:4])
    for _, row in lines[~lines["imputed"]].iterrows():
        at = (frame["id"] == row["person"]) & (frame["time"] == row["time"])
        assert frame.loc[at, "y"].item() == row["value"]
    assert lines["value"].notna().all()
    both = lines.pivot_table(index=["person", "time"], columns="imputation", values="value")
    flags = lines[lines["imputation"] == 0].set_index(["person", "time"])["imputed"]
    differ = both[0] != both[1]
    assert (differ == flags.loc[both.index]).all()  # imputations differ exactly where imputed


def test_plot_trajectories_draws_a_panel_per_arm_with_a_legend(run):
    _, idata = run
    axes = bm.plot_trajectories(idata, "y", by="treat", n_persons=3, imputations=2)
    assert len(axes) == 2
    assert [axis.get_title() for axis in axes] == [
        "y: 3 persons, treat = 0",
        "y: 3 persons, treat = 1",
    ]
    labels = [text.get_text() for text in axes[0].get_legend().get_texts()]
    assert labels == ["observed", "imputed (2 imputations)"]
    assert axes[0].get_xlabel() == "time"
    assert axes[0].get_ylabel() == "y"
    plt.close("all")


def test_bad_trajectory_requests_are_refused(run):
    _, idata = run
    with pytest.raises(ValueError, match="by='x' varies within persons"):
        bm.plot_trajectories(idata, "y", by="x")
    with pytest.raises(ValueError, match="persons 999 are not clusters"):
        trajectories(idata, "y", persons=[999])
    with pytest.raises(ValueError, match="'x' was not imputed"):
        trajectories(idata, "x")
    with pytest.raises(ValueError, match="say which column holds the occasions' time"):
        trajectories(idata, "y", time="visit")
    plt.close("all")
