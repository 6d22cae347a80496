"""The survey workload of the benchmarks: six incomplete variables, as a mice user sets it up.

`simulate_school_survey`'s pupils in schools, imputed as mice would with 2l.pan for the four
continuous pupil variables, 2l.bin for ``repeated`` and 2lonly.norm for the school's
``climate``, every other column a predictor (``school`` the cluster). Shared by
`bench_large.py` and `bench_peers.py`.
"""

from __future__ import annotations

import pandas as pd

import bayesmi as bm

METHODS = {
    "climate": "2lonly.norm",
    "math": "2l.pan",
    "reading": "2l.pan",
    "science": "2l.pan",
    "motivation": "2l.pan",
    "repeated": "2l.bin",
}


def survey_spec(data: pd.DataFrame) -> dict:
    """Return the workload's spec for a simulated survey, from mice's methods and matrix."""
    predictors = [name for name in data.columns if name != "school"]
    matrix = {
        target: {"school": -2, **{name: int(name != target) for name in predictors}}
        for target in METHODS
    }
    return bm.from_mice(METHODS, matrix, cluster="school")
