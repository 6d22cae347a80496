import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


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
