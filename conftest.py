"""Doctest namespace for the examples in bayesmi's docstrings.

Every example may use ``bm``, ``np``, ``pd``, ``df`` (popmis) and ``idata``: the popmis
imputation of `bayesmi.impute`'s own example, made once per test session (so the examples of
completion, pooling, diagnostics and plots do not each impute again).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


@pytest.fixture(scope="session")
def _popmis_idata():
    spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bm.ConvergenceWarning)
        return bm.impute(
            bm.datasets.load_popmis(),
            spec,
            cluster="school",
            chains=3,
            iterations=8,
            tune=50,
            seed=1,
            progressbar=False,
        )


@pytest.fixture(autouse=True)
def _doctest_namespace(request, doctest_namespace):
    doctest_namespace["bm"] = bm
    doctest_namespace["df"] = bm.datasets.load_popmis()
    doctest_namespace["np"] = np
    doctest_namespace["pd"] = pd
    if type(request.node).__name__ == "DoctestItem":
        doctest_namespace["idata"] = request.getfixturevalue("_popmis_idata")
