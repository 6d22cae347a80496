"""Checkpoints: a killed or interrupted run resumes to exactly the uninterrupted result."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.engines.checkpoint import saved_iterations

SCRIPT = """
import sys, warnings
import bayesmi as bm
warnings.simplefilter("ignore")
data = bm.datasets.load_popmis()
spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
bm.impute(data, spec, cluster="school", chains=2, iterations=40, seed=5, sampler="nuts",
          cores=int(sys.argv[2]), progressbar=False, checkpoint=sys.argv[1], checkpoint_every=3)
"""
SETTINGS = {
    "cluster": "school",
    "chains": 2,
    "iterations": 40,
    "seed": 5,
    "sampler": "nuts",
    "progressbar": False,
    "checkpoint_every": 3,
}
SPEC = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}


def run(**settings):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(bm.datasets.load_popmis(), SPEC, **SETTINGS | settings)


@pytest.fixture(scope="module")
def uninterrupted():
    return run(cores=1)


def start(directory, cores):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(directory), str(cores)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(directory, reached, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if reached(saved_iterations(directory)):
                return
        except (EOFError, OSError):  # a file being replaced
            pass
        time.sleep(0.02)
    raise AssertionError(f"no checkpoint reached in {timeout} s: {saved_iterations(directory)}")


def assert_same(left, right):
    for group in ("posterior", "warmup_posterior", "sample_stats"):
        for name, values in left[group].data_vars.items():
            np.testing.assert_array_equal(values.to_numpy(), right[group][name].to_numpy())


def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path, uninterrupted):
    directory = tmp_path / "run.ckpt"
    process = start(directory, cores=1)
    wait_for(directory, lambda saved: 6 <= saved.get(0, 0) < 39)
    process.kill()
    process.wait()
    saved = saved_iterations(directory)
    assert 0 < saved[0] < 40  # interrupted in the middle of the first chain
    resumed = run(cores=1, checkpoint=directory)
    assert_same(resumed, uninterrupted)
    assert saved_iterations(directory) == {0: 40, 1: 40}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_returns_promptly_and_leaves_a_valid_checkpoint(tmp_path, uninterrupted):
    directory = tmp_path / "run.ckpt"
    process = start(directory, cores=2)
    wait_for(directory, lambda saved: min(saved.values(), default=0) >= 3 and len(saved) == 2)
    process.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    process.wait(timeout=30)
    assert time.monotonic() - stopped < 10
    assert process.returncode != 0
    resumed = run(cores=2, checkpoint=directory)
    assert_same(resumed, uninterrupted)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    directory = tmp_path / "run.ckpt"
    run(cores=1, iterations=3, checkpoint=directory)
    with pytest.raises(ValueError, match=r"belongs to another run .*seed"):
        run(cores=1, iterations=3, checkpoint=directory, seed=6)
    assert os.path.exists(directory / "run.json")


def test_finished_checkpoint_rebuilds_the_result(tmp_path):
    directory = tmp_path / "run.ckpt"
    first = run(cores=1, iterations=6, checkpoint=directory)
    with pytest.warns(UserWarning, match="resumes with its own seed 5"):  # stored seed reused
        again = run(cores=1, iterations=6, checkpoint=directory, seed=None)
    assert_same(first, again)
