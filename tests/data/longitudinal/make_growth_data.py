"""The growth-curve replicates of benchmarks/bench_longitudinal.py, and their complete data for R.

``python tests/data/longitudinal/make_growth_data.py OUT.csv [N]`` writes the complete data of
replicates 1..N (default 50), a column ``seed`` telling them apart, for ``nlme_growth.R``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import bayesmi as bm
from bayesmi.simulate.common import delete_cells, deletion_probability

TRUTH = {
    "Intercept": 0.0,
    "time": 0.5,
    "treat": 0.0,
    "time:treat": 0.3,
    "x": 0.5,
    "slope_variance": 0.2**2,
    "phi": 0.6,
}


def replicate(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """300 persons x 6 occasions, y complete; x 30% missing at random given y."""
    sim = bm.simulate.simulate_longitudinal(
        persons=300, occasions=6, phi=0.6, time_by_treat=0.3, seed=seed
    )
    complete = sim.complete
    rng = np.random.default_rng(10_000 + seed)
    probability = deletion_probability(complete["y"].to_numpy(), 0.3, "mar")
    return delete_cells(complete, "x", probability, rng), complete


def main(path: str, count: int = 50) -> None:
    frames = [replicate(seed)[1].assign(seed=seed) for seed in range(1, count + 1)]
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)


if __name__ == "__main__":
    main(sys.argv[1], *(int(value) for value in sys.argv[2:3]))
