import functools
import os
import sys
import tempfile
import warnings

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayesmi as bm
from bayesmi.engines import admission, dispatch

# Noise bounds the tests simulate are stored here, not in the user's cache directory.
os.environ["BAYESMI_CACHE_DIR"] = tempfile.mkdtemp(prefix="bayesmi-test-cache-")


class AdmissionGuard:
    """Records anything compiled or sampled inside `bayesmi.impute` before its checks end.

    `impute` checks everything in `bayesmi.engines.admission.admit`; while a call of `admit`
    is on the stack, the guard refuses every PyTensor compilation (the function every
    `pytensor.function` goes through), `pymc.sample`, the chained engine's chains, the joint
    engine's run and the shared NUTS adaptation (which compiles first of all). It looks at the
    stack rather than wrapping `admit`, so warnings still point at the test's own line.
    """

    def __init__(self) -> None:
        self.offences: list[str] = []

    @staticmethod
    def admitting() -> bool:
        frame = sys._getframe(2)
        while frame is not None and frame.f_code is not admission.admit.__code__:
            frame = frame.f_back
        return frame is not None

    def refuse(self, what: str, function):
        @functools.wraps(function)
        def watched(*args, **kwargs):
            if self.admitting():
                self.offences.append(what)
                raise AssertionError(f"{what} before impute's checks ended")
            return function(*args, **kwargs)

        return watched


@pytest.fixture(autouse=True)
def admission_guard(monkeypatch):
    """Fail any test in which something compiles or samples before impute's checks end."""
    guard = AdmissionGuard()
    compiler = sys.modules["pytensor.compile.function.pfunc"]
    compiled = guard.refuse("a PyTensor function was compiled", compiler.orig_function)
    monkeypatch.setattr(compiler, "orig_function", compiled)
    monkeypatch.setattr(pm, "sample", guard.refuse("pymc.sample ran", pm.sample))
    for name in ("run_chains", "run_joint", "shared_adaptation"):
        started = guard.refuse(f"{name} started", getattr(dispatch, name))
        monkeypatch.setattr(dispatch, name, started)
    yield guard
    assert not guard.offences, guard.offences


def make_two_variable_data(seed: int = 0, clusters: int = 8, size: int = 10) -> pd.DataFrame:
    """Small clustered frame: y and x both incomplete, w complete, z level 2 complete."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(clusters), size)
    u = rng.normal(0, 0.7, clusters)
    z = rng.normal(0, 1, clusters)[cluster]
    w = rng.normal(0, 1, cluster.size)
    x = 0.5 * w + rng.normal(0, 1, cluster.size)
    y = 1 + 0.5 * x + 0.3 * z + u[cluster] + rng.normal(0, 1, cluster.size)
    frame = pd.DataFrame({"g": cluster, "y": y, "x": x, "w": w, "z": z})
    frame.loc[rng.random(cluster.size) < 0.3, "y"] = np.nan
    frame.loc[rng.random(cluster.size) < 0.2, "x"] = np.nan
    return frame


@pytest.fixture(scope="session")
def make_data():
    return make_two_variable_data


@pytest.fixture(scope="session")
def two_variable_data() -> pd.DataFrame:
    return make_two_variable_data()


@pytest.fixture(scope="session")
def two_variable_spec() -> dict:
    return {
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
        "x": bm.random_intercept("x ~ y + w + (1 | g)"),
    }


def run(data, spec, **settings):
    """A short, quiet imputation."""
    options = {"chains": 2, "iterations": 4, "draws": 2, "tune": 40, "steps": 2, "seed": 1}
    options |= {"cores": 1, "progressbar": False} | settings
    if options.get("engine") == "joint":
        del options["steps"]  # a chained-engine option, refused by the joint engine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(data, spec, cluster="g", **options)


@pytest.fixture(scope="session")
def impute_quietly():
    return run


@pytest.fixture(scope="session")
def two_variable_idata(two_variable_data, two_variable_spec):
    return run(two_variable_data, two_variable_spec)
