"""Time of `bm.impute_new` against refitting with the new rows, on popmis and a larger panel.

A prediction model's new patients can be imputed two ways: by the fitted run
(`bm.impute_new`, no refit) or by imputing the fitted data and the new rows again (the
baseline, what a user without it would run). Both with m = 20 (20 chains, one draw each,
20 iterations), 2 cores; compiled models and R-hat bounds cached by a first, untimed run.

Run: ``python benchmarks/bench_impute_new.py`` (about a minute).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

import bayesmi as bm

SETTINGS = {"chains": 20, "iterations": 20, "seed": 1, "progressbar": False, "cores": 2}


def cases() -> dict[str, tuple[pd.DataFrame, dict, str]]:
    """Each case's data, spec and cluster column."""
    popmis = bm.datasets.load_popmis()
    sim = bm.simulate.simulate_random_intercept(clusters=200, cluster_size=100, seed=3)
    return {
        "popmis (2,000 pupils)": (
            popmis,
            {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")},
            "school",
        ),
        "20,000 rows in 200 clusters": (
            sim.incomplete,
            {"y": bm.random_intercept("y ~ x + (1 | cluster)")},
            "cluster",
        ),
    }


def held_out(frame: pd.DataFrame, cluster: str, target: str) -> tuple[pd.DataFrame, ...]:
    """Fitted rows and new rows: 10% of the rows of 80% of the clusters, all of the others."""
    rng = np.random.default_rng(1)
    labels = frame[cluster].unique()
    new_clusters = rng.choice(labels, len(labels) // 5, replace=False)
    held = frame[cluster].isin(new_clusters).to_numpy() | (rng.random(len(frame)) < 0.1)
    return frame[~held], frame[held].assign(**{target: np.nan})


def main() -> None:
    warnings.simplefilter("ignore", bm.ConvergenceWarning)
    print(f"{'case':<30}{'new rows':>9}{'impute_new s':>14}{'refit s':>9}{'refit/new':>11}")
    for label, (frame, spec, cluster) in cases().items():
        target = next(iter(spec))
        fitted, new = held_out(frame, cluster, target)
        idata = bm.impute(fitted, spec, cluster, **SETTINGS)
        bm.impute_new(idata, new.iloc[:5], seed=1)  # untimed: warm
        start = time.perf_counter()
        bm.impute_new(idata, new, seed=1)
        ours = time.perf_counter() - start
        together = pd.concat([fitted, new])
        bm.impute(together, spec, cluster, **SETTINGS)  # untimed: compile the models
        start = time.perf_counter()
        bm.impute(together, spec, cluster, **SETTINGS)
        refit = time.perf_counter() - start
        print(f"{label:<30}{len(new):>9,}{ours:>14.2f}{refit:>9.2f}{refit / ours:>11.1f}")


if __name__ == "__main__":
    main()
