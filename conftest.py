"""Doctest namespace for the examples in bayesmi's docstrings."""

import numpy as np
import pandas as pd
import pytest

import bayesmi as bm


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace["bm"] = bm
    doctest_namespace["df"] = bm.datasets.load_popmis()
    doctest_namespace["np"] = np
    doctest_namespace["pd"] = pd
