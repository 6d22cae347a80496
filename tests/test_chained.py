import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


def test_observed_cells_are_unchanged(two_variable_data, two_variable_idata):
    frames = list(bm.completed(two_variable_idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = two_variable_data.notna()
        assert frame[observed].equals(two_variable_data[observed])
        assert not frame.isna().any().any()


def test_callers_frame_is_untouched(two_variable_spec, impute_quietly, make_data):
    data = make_data(seed=5)
    before = data.copy(deep=True)
    impute_quietly(data, two_variable_spec)
    pd.testing.assert_frame_equal(data, before)


def test_layout_of_the_posterior(two_variable_data, two_variable_idata):
    posterior = two_variable_idata.posterior
    assert posterior.sizes["chain"] == 2
    assert posterior.sizes["draw"] == 2
    assert two_variable_idata.warmup_posterior.sizes["draw"] == 2
    assert list(posterior["y::beta"].coords["y::beta_dim"].values) == ["Intercept", "x", "w", "z"]
    missing_rows = two_variable_data.index[two_variable_data["x"].isna()]
    assert list(posterior["x::missing_row"].values) == list(missing_rows)
    assert posterior["y::u"].dims == ("chain", "draw", "cluster")
    assert set(two_variable_idata.sample_stats.data_vars) >= {
        "y::divergences",
        "y::step_size",
        "y::tree_depth",
        "y::acceptance_rate",
    }
    assert not any("_dim_0" in dim for dim in posterior.dims)


def test_imputations_differ_between_chains(two_variable_idata):
    cells = two_variable_idata.posterior["y::missing"].to_numpy()
    assert not np.allclose(cells[0, -1], cells[1, -1])


def test_same_seed_same_result_however_scheduled(
    two_variable_data, two_variable_spec, impute_quietly
):
    """Serial and two-process runs with one seed give equal InferenceData (bar timestamps)."""
    serial = impute_quietly(two_variable_data, two_variable_spec, seed=11, cores=1)
    parallel = impute_quietly(two_variable_data, two_variable_spec, seed=11, cores=2)
    other = impute_quietly(two_variable_data, two_variable_spec, seed=12, cores=1)
    assert serial.groups() == parallel.groups()
    for group in serial.groups():
        assert serial[group].equals(parallel[group]), group
    assert serial.attrs == parallel.attrs
    assert not np.allclose(serial.posterior["y::missing"], other.posterior["y::missing"])


def test_seed_none_is_recorded_and_repeatable(two_variable_data, two_variable_spec, impute_quietly):
    first = impute_quietly(two_variable_data, two_variable_spec, seed=None)
    again = impute_quietly(two_variable_data, two_variable_spec, seed=int(first.attrs["seed"]))
    np.testing.assert_array_equal(first.posterior["y::missing"], again.posterior["y::missing"])


def test_imputed_predictor_moves_with_the_chain(two_variable_idata):
    """x is imputed and is a predictor of y: its cells change between iterations."""
    cells = two_variable_idata.posterior["x::missing"].to_numpy()
    assert not np.allclose(cells[:, 0], cells[:, 1])


def test_fixed_cluster_drops_cluster_level_predictors_with_a_warning(
    two_variable_data, impute_quietly
):
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.fixed_cluster("y ~ w + z")}
    with pytest.warns(UserWarning, match="cluster-level predictors z"):
        idata = impute_quietly(data, spec)
    assert list(idata.posterior["y::beta"].coords["y::beta_dim"].values) == ["w"]
    assert idata.posterior["y::alpha"].sizes["cluster"] == 8


def test_complete_target_is_left_out_with_a_warning(two_variable_data, impute_quietly):
    data = two_variable_data.assign(x=two_variable_data["x"].fillna(0.0))
    spec = {
        "y": bm.random_intercept("y ~ x + (1 | g)"),
        "x": bm.random_intercept("x ~ w + (1 | g)"),
    }
    with pytest.warns(UserWarning, match="x have no missing values"):
        idata = impute_quietly(data, spec)
    assert "x::missing" not in idata.posterior
    assert "y::missing" in idata.posterior


def test_systematically_missing_cluster_is_imputed_by_random_intercept(
    two_variable_data, impute_quietly
):
    data = two_variable_data.drop(columns="x")
    data.loc[data["g"] == 3, "y"] = np.nan
    idata = impute_quietly(data, {"y": bm.random_intercept("y ~ w + (1 | g)")})
    frames = list(bm.completed(idata))
    assert all(frame.loc[frame["g"] == 3, "y"].notna().all() for frame in frames)


def test_progress_bar_shows_every_chain(two_variable_data, capsys):
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        bm.impute(data, spec, cluster="g", chains=2, iterations=3, tune=20, seed=1, cores=1)
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "chain 0" in text
    assert "chain 1" in text
    assert "3/3" in text


def test_every_model_kind_chained_in_one_run(make_data, impute_quietly):
    """Incomplete predictors with random slopes, binary and cluster-level variables together."""
    data = make_data(seed=8)
    rng = np.random.default_rng(8)
    data["b"] = (data["w"] + rng.normal(size=len(data)) > 0).astype(float)
    data.loc[rng.random(len(data)) < 0.2, "b"] = np.nan
    data["zm"] = data["z"].where(~data["g"].isin([1, 6]))
    spec = {
        "y": bm.random_slopes("y ~ x + b + zm + (1 + x | g)"),
        "x": bm.heteroscedastic("x ~ y + w + (1 | g)"),
        "b": bm.binary("b ~ y + x + (1 | g)"),
        "zm": bm.cluster_level("zm ~ y_mean + x_mean"),
    }
    idata = impute_quietly(data, spec)
    frames = list(bm.completed(idata))
    assert frames  # the loop below must check something
    for frame in frames:
        observed = data.notna()
        assert frame[observed].equals(data[observed])
        assert not frame[list(spec)].isna().any().any()
        assert set(frame["b"].unique()) <= {0.0, 1.0}
        assert frame.groupby("g")["zm"].nunique().max() == 1
    assert idata.posterior["y::u"].dims == ("chain", "draw", "cluster", "y::re")


def test_dask_local_cluster_gives_the_local_result(two_variable_data, impute_quietly):
    """Chains on a Dask LocalCluster with two workers equal the local run with the same seed."""
    distributed = pytest.importorskip("distributed")
    data = two_variable_data.drop(columns="x")
    spec = {"y": bm.random_slopes("y ~ w + (1 + w | g)")}
    local = impute_quietly(data, spec, seed=5)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = impute_quietly(data, spec, seed=5, executor=client.get_executor())
    for group in local.groups():
        assert local[group].equals(remote[group]), group


def test_executor_must_be_an_executor(two_variable_data):
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        bm.impute(
            two_variable_data.drop(columns="x"),
            {"y": bm.random_intercept("y ~ w + (1 | g)")},
            cluster="g",
            executor="dask",
        )


THREADS_THEN_COMPILE = """
import warnings
warnings.simplefilter("ignore")
from concurrent.futures import ThreadPoolExecutor
import bayesmi as bm
from bayesmi.data import encode
from bayesmi.models import FACTORIES

def python_operations():
    sim = bm.simulate.simulate_binary(clusters=10, cluster_size=10, seed=1)
    spec = bm.binary("y ~ x + (1 | cluster)")
    model = FACTORIES["binary"](spec, encode(sim.incomplete, "cluster"))
    function = model.logp_dlogp_function()._pytensor_function
    return sum(not hasattr(thunk, "cthunk") for thunk in function.vm.thunks)

sim = bm.simulate.simulate_binary(clusters=12, cluster_size=10, seed=2)
spec = {"y": bm.binary("y ~ x + (1 | cluster)")}
with ThreadPoolExecutor(4) as pool:
    bm.impute(sim.incomplete, spec, cluster="cluster", chains=4, iterations=2, tune=5, steps=1,
              seed=0, executor=pool, progressbar=False)
print(python_operations())
"""


def test_chains_on_threads_leave_later_models_compiled(tmp_path):
    """Chains compiling on a thread pool at once left every later model running in Python.

    In a fresh process (the state at stake is the process's): without bayesmi's compile lock
    the binary model's log density then had 90 operations in Python instead of 2 (Gemv, for
    want of a BLAS link, and AdvancedIncSubtensor1, which have no C code here).
    """
    import subprocess
    import sys

    script = tmp_path / "threads.py"
    script.write_text(THREADS_THEN_COMPILE)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) <= 2


def test_a_light_gibbs_run_stays_in_this_process_unless_cores_are_given(
    two_variable_data, two_variable_spec, monkeypatch
):
    """Starting workers costs more than a second of Gibbs sweeps saves (issue 29)."""
    from bayesmi.engines import parallel
    from bayesmi.engines.parallel import LIGHT_ROW_SWEEPS, processes_for

    assert processes_for(LIGHT_ROW_SWEEPS - 1, gibbs_only=True, cores=2, cores_given=False) == 1
    assert processes_for(LIGHT_ROW_SWEEPS, gibbs_only=True, cores=2, cores_given=False) == 2
    assert processes_for(100, gibbs_only=False, cores=2, cores_given=False) == 2
    assert processes_for(100, gibbs_only=True, cores=2, cores_given=True) == 2
    started = []
    original = parallel._in_processes
    monkeypatch.setattr(parallel, "_in_processes", lambda *a: started.append(1) or original(*a))
    settings = {"cluster": "g", "chains": 2, "iterations": 3, "seed": 1, "progressbar": False}
    serial = bm.impute(two_variable_data, two_variable_spec, **settings)
    assert started == []
    parallel_run = bm.impute(two_variable_data, two_variable_spec, cores=2, **settings)
    assert started == [1]
    np.testing.assert_array_equal(
        serial.posterior["y::missing"], parallel_run.posterior["y::missing"]
    )
