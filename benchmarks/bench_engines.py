"""Chained vs joint engine, and PyMC's NUTS vs nutpie, on the same data.

The foundation example (`bm.simulate.simulate_random_intercept`, 50 clusters of 20, 40% of y
missing at random given x), y imputed by random_intercept, m = 4 chains on the machine's
cores, 200 iterations each (joint: 200 draws after 500 tuning draws). Each configuration runs
once to fill the compile cache, then again timed. Printed: wall time of `bm.impute`, peak
memory of this process, and the minimum over the pooled quantities (the chain mean of the
imputed cells, the fixed effects, tau and sigma) of ESS per second, ESS from the last half of
each chain; ratios to the chained engine with its Gibbs sampler.

Run: ``python benchmarks/bench_engines.py`` (a few minutes; nutpie rows where installed).
"""

from __future__ import annotations

import importlib.util
import resource
import time
import warnings

import arviz as az
import numpy as np

import bayesmi as bm
from bayesmi.result.read import iteration_trace

ITERATIONS = 200


def run(options: dict) -> tuple[float, float]:
    data = bm.simulate.simulate_random_intercept(seed=20261125).incomplete
    spec = {"y": bm.random_intercept("y ~ x + (1 | cluster)")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = {"chains": 4, "iterations": ITERATIONS, "seed": 1, "progressbar": False}
        bm.impute(data, spec, cluster="cluster", **settings | options)
        start = time.perf_counter()
        idata = bm.impute(data, spec, cluster="cluster", **settings | options)
        seconds = time.perf_counter() - start
    ess = []
    for name in ("missing_mean", "beta", "tau", "sigma"):
        trace = iteration_trace(idata, f"y::{name}")
        trace = trace[:, trace.shape[1] // 2 :].reshape(trace.shape[0], ITERATIONS // 2, -1)
        ess += [float(az.ess(trace[..., k])) for k in range(trace.shape[-1])]
    return seconds, min(ess) / seconds


def main() -> None:
    configurations = {
        "chained, Gibbs": {},
        "chained, NUTS": {"sampler": "nuts"},
        "joint, PyMC NUTS": {"engine": "joint", "tune": 500},
    }
    if importlib.util.find_spec("nutpie") is not None:
        configurations["joint, nutpie"] = {"engine": "joint", "tune": 500, "nuts_sampler": "nutpie"}
    results = {}
    print(f"{'engine':<20}{'wall s':>9}{'min ESS/s':>11}{'peak MB':>9}")
    for name, options in configurations.items():
        seconds, ess_rate = run(options)
        peak = (
            max(
                resource.getrusage(who).ru_maxrss
                for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
            )
            / 1024
        )
        results[name] = (seconds, ess_rate)
        print(f"{name:<20}{seconds:>9.2f}{ess_rate:>11.1f}{peak:>9.0f}")
    base_seconds, base_rate = results["chained, Gibbs"]
    print()
    for name, (seconds, rate) in results.items():
        print(
            f"{name} / chained, Gibbs: wall time {seconds / base_seconds:.2f}x, "
            f"min ESS per second {rate / base_rate:.3f}x"
        )


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
