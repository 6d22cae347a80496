"""Analysis-compatible imputation of a random slope on an incomplete predictor: chained vs joint.

The joint engine's slow-test case (`bm.simulate.simulate_slope_predictor(seed=11)`: 100
clusters of 20, random slope SD 0.4, 30% of x missing at random given y), analysis model
``y ~ x + (1 + x | cluster)``, x's own model ``x ~ 1 + (1 | cluster)``:

- the chained engine with ``analysis=`` (Gibbs sweeps and Metropolis steps), 10 chains of 20
  iterations, the defaults;
- the joint engine with ``analysis=`` (one NUTS run), 10 chains of 50 draws after 500 tuning
  steps, the settings of its slow test; the baseline.

Printed: wall time (warm: each configuration runs once before it is timed, so compilation
is left out), the pooled random-slope SD of statsmodels' MixedLM over the imputations against
the complete data's, and the time ratio.

Run: ``python benchmarks/bench_compatible.py`` (about 10 minutes, most of it the joint engine).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import statsmodels.formula.api as smf

import bayesmi as bm

RUNS = {
    "chained + analysis": {"chains": 10, "iterations": 20},
    "joint + analysis": {"engine": "joint", "chains": 10, "iterations": 50, "tune": 500},
}


def slope_sd(frame) -> float:
    fit = smf.mixedlm("y ~ x", frame, groups="cluster", re_formula="~x").fit()
    return float(np.sqrt(fit.cov_re.loc["x", "x"]))


def impute(data, options: dict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bm.impute(
            data,
            {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")},
            cluster="cluster",
            analysis="y ~ x + (1 + x | cluster)",
            seed=1,
            progressbar=False,
            **options,
        )


def main() -> None:
    sim = bm.simulate.simulate_slope_predictor(seed=11)
    complete = slope_sd(sim.complete)
    print(f"complete-data random-slope SD: {complete:.4f}")
    print(f"{'run':<22}{'seconds':>10}{'slope SD':>10}{'error':>10}")
    seconds = {}
    for name, options in RUNS.items():
        impute(sim.incomplete, options | {"chains": 2, "iterations": 2, "tune": 10})  # compile
        start = time.perf_counter()
        idata = impute(sim.incomplete, options)
        seconds[name] = time.perf_counter() - start
        estimate = float(np.mean([slope_sd(frame) for frame in bm.completed(idata)]))
        print(f"{name:<22}{seconds[name]:>10.1f}{estimate:>10.4f}{estimate - complete:>+10.4f}")
    ratio = seconds["joint + analysis"] / seconds["chained + analysis"]
    print(f"\njoint / chained time: {ratio:.1f}x")


if __name__ == "__main__":
    main()
