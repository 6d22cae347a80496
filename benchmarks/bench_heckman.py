"""Per-iteration cost of the Heckman model against random_intercept on the same data.

Simulated MNAR data (`bm.simulate.simulate_heckman`, 50 clusters of 50), m = 5 chains on the
machine's cores, compile cache warm (each model is run once before timing). The time per
iteration is (time at 30 iterations - time at 10) / 20; random_intercept is timed both with
its default Gibbs sampler and with NUTS.

Run: ``python benchmarks/bench_heckman.py`` (a few minutes).
"""

from __future__ import annotations

import time
import warnings

import bayesmi as bm


def timed(data, spec, iterations: int, sampler: str) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bm.impute(
            data,
            spec,
            cluster="cluster",
            chains=5,
            iterations=iterations,
            seed=1,
            sampler=sampler,
            progressbar=False,
        )
    return time.perf_counter() - start


def main() -> None:
    data = bm.simulate.simulate_heckman(seed=1).incomplete
    runs = {
        "heckman (NUTS)": (
            {"y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)")},
            "auto",
        ),
        "random_intercept (Gibbs)": (
            {"y": bm.random_intercept("y ~ x + z + (1 | cluster)")},
            "auto",
        ),
        "random_intercept (NUTS)": (
            {"y": bm.random_intercept("y ~ x + z + (1 | cluster)")},
            "nuts",
        ),
    }
    per_iteration = {}
    print(f"{'model':<26}{'10 it s':>9}{'30 it s':>9}{'s/iter':>9}")
    for name, (spec, sampler) in runs.items():
        timed(data, spec, 2, sampler)  # fill the compile cache
        short, long = timed(data, spec, 10, sampler), timed(data, spec, 30, sampler)
        per_iteration[name] = max(long - short, 1e-9) / 20
        print(f"{name:<26}{short:>9.2f}{long:>9.2f}{per_iteration[name]:>9.3f}")
    heckman = per_iteration["heckman (NUTS)"]
    for name in ("random_intercept (Gibbs)", "random_intercept (NUTS)"):
        print(f"heckman / {name}: {heckman / per_iteration[name]:.1f}")


if __name__ == "__main__":
    main()
