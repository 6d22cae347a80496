"""Tipping-point analysis over delta shifts, and its plot."""

import warnings
from concurrent.futures import ThreadPoolExecutor

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from matplotlib.collections import PolyCollection

import bayesmi as bm
from bayesmi.engines import chained

DELTAS = [0.0, -0.25, -0.5, -0.75, -1.0, -1.5, -2.0]
SPEC = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}


def mean_popularity(frame):
    return smf.ols("popular ~ 1", frame).fit()


def popmis_table(deltas, **options):
    """Mean popularity over `deltas` (3 chains of 6 iterations, seed 2)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.tipping_point(
            bm.datasets.load_popmis(),
            SPEC,
            "school",
            "popular",
            deltas,
            mean_popularity,
            "Intercept",
            reference=5.0,
            chains=3,
            iterations=6,
            seed=2,
            progressbar=False,
            **options,
        )


@pytest.fixture(scope="module")
def table():
    return popmis_table(DELTAS)


def test_table_has_a_row_per_delta_shifted_exactly(table):
    """One variable, one seed: every run draws the same parameters, so the pooled mean moves by
    delta times the share of missing popularity scores, to rounding."""
    assert list(table.columns) == ["delta", *bm.sensitivity.tipping.TABLE_COLUMNS]
    assert table["delta"].tolist() == DELTAS
    share = bm.datasets.load_popmis()["popular"].isna().mean()
    moved = table["estimate"] - table["estimate"].iloc[0]
    np.testing.assert_allclose(moved, np.array(DELTAS) * share, atol=1e-9)
    assert (table["conf_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["conf_high"]).all()
    assert table["fmi"].between(0, 1).all()


def test_tipping_point_is_the_first_interval_holding_the_reference(table):
    first = next(row.delta for row in table.itertuples() if row.conf_low <= 5.0 <= row.conf_high)
    assert table.attrs["tipping_point"] == first
    assert table.attrs["tipping_point"] not in (DELTAS[0], None)  # it does tip, not at MAR
    assert bm.sensitivity.first_inside(table, "delta", reference=100.0) is None


def test_plot_draws_points_band_reference_and_tipping_delta(table):
    ax = bm.plot_tipping_point(table)
    estimate = next(line for line in ax.get_lines() if line.get_label() == "pooled estimate")
    np.testing.assert_allclose(estimate.get_xdata(), sorted(DELTAS))
    np.testing.assert_allclose(
        estimate.get_ydata(), table.sort_values("delta")["estimate"].to_numpy()
    )
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(table["conf_low"].min())
    assert vertices[:, 1].max() == pytest.approx(table["conf_high"].max())
    tipping = next(line for line in ax.get_lines() if line.get_label().startswith("tipping"))
    assert tipping.get_xdata()[0] == table.attrs["tipping_point"]
    reference = next(line for line in ax.get_lines() if line.get_label().startswith("reference"))
    assert reference.get_ydata()[0] == 5.0
    assert "popular" in ax.get_xlabel()
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("variable", "deltas", "term", "message"),
    [
        ("sex", DELTAS, "Intercept", "variable 'sex' has no model in spec"),
        ("popular", [], "Intercept", "non-empty sequence of finite numbers"),
        ("popular", [0.0, "big"], "Intercept", "non-empty sequence of finite numbers"),
        ("popular", [0.0], "texp", "term 'texp' is not among the analysis' terms"),
    ],
)
def test_bad_arguments_are_refused(variable, deltas, term, message):
    with pytest.raises(ValueError, match=message):
        bm.tipping_point(
            bm.datasets.load_popmis(),
            SPEC,
            "school",
            variable,
            deltas,
            mean_popularity,
            term,
            chains=2,
            iterations=2,
            seed=1,
            progressbar=False,
        )


def test_over_rho_fixes_the_heckman_correlation_on_a_grid():
    data = bm.simulate.simulate_heckman(clusters=8, cluster_size=15, seed=3).incomplete
    spec = {"y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)")}
    settings = {"chains": 2, "iterations": 4, "tune": 30, "seed": 1, "progressbar": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        table = bm.tipping_point(
            data,
            spec,
            "cluster",
            "y",
            [0.0, 0.8],
            lambda frame: smf.ols("y ~ 1", frame).fit(),
            "Intercept",
            over="rho",
            **settings,
        )
    assert table.columns[0] == "rho"
    assert table["rho"].tolist() == [0.0, 0.8]
    # a missing value is drawn given it was not observed: with rho > 0, below the observed
    assert table["estimate"].is_monotonic_decreasing
    ax = bm.plot_tipping_point(table)
    assert ax.get_xlabel().startswith("rho")
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="over='rho' fixes the error correlation of a heckman"):
        bm.tipping_point(
            data,
            {"y": bm.random_intercept("y ~ x + (1 | cluster)")},
            "cluster",
            "y",
            [0.2],
            lambda frame: None,
            "Intercept",
            over="rho",
        )


@pytest.mark.parametrize("sampler", ["auto", "gibbs"])
def test_runs_differing_in_rho_or_delta_share_compiled_models_with_fresh_results(sampler):
    """A grid compiles once (`models_key` leaves out delta and rho's value); a run on reused
    models gives what a run on freshly compiled ones gives, imputations and parameters."""
    data = bm.simulate.simulate_heckman(clusters=8, cluster_size=15, seed=3).incomplete
    data["w"] = data["x"] + np.random.default_rng(0).normal(size=len(data))
    data.loc[data.index[::7], "w"] = np.nan
    settings = {"chains": 2, "iterations": 3, "tune": 30, "seed": 5, "progressbar": False}
    settings |= {"cores": 1, "sampler": sampler}

    def spec(rho, delta):
        return {
            "y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", rho=rho),
            "w": bm.random_intercept("w ~ x + y + (1 | cluster)", delta=delta),
        }

    def run(rho, delta):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bm.ConvergenceWarning)
            return bm.impute(data, spec(rho, delta), "cluster", **settings)

    chained.forget_compiled_models()
    fresh = run(0.6, -1.0)
    chained.forget_compiled_models()
    run(0.0, 0.0)
    compiled = dict(chained._COMPILED.models)
    reused = run(0.6, -1.0)
    now = chained._COMPILED.models
    assert all(now[name] is compiled[name] for name in ("y", "w"))
    assert reused.groups() == fresh.groups()
    for group in fresh.groups():
        assert reused[group].equals(fresh[group]), group
    assert float(reused.posterior["y::rho"].min()) == float(reused.posterior["y::rho"].max()) == 0.6
    other = bm.impute(data, spec(None, -1.0), "cluster", **settings | {"iterations": 1})
    assert chained._COMPILED.models["y"] is not now["y"]
    assert "y::rho" in other.posterior


def test_runs_on_an_executor_as_impute_does(table):
    """The runs' chains on a caller's executor (threads here, each its own compiled models)
    give the local table."""
    with ThreadPoolExecutor(max_workers=2) as executor:
        remote = popmis_table(DELTAS[:3], executor=executor)
    pd.testing.assert_frame_equal(remote, table.iloc[:3])
