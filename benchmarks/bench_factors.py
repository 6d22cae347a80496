"""Per-iteration cost of the categorical, ordinal, count and matching models on 2,000 rows.

Simulated data, 100 clusters of 20 (2,000 rows), about 30% of the target missing: a nominal
variable with 3 categories, an ordinal one with 5, Poisson and negative binomial counts, and the
random-intercept normal model with and without predictive mean matching (Gibbs sweeps), the
baseline. One chain per model runs in this process through the engine's own loop
(`bayesmi.engines.block.run_block`); the time of each iteration is read from its progress
callback, so compilation and the first iteration (NUTS tuning) are left out. The figure is the
median over iterations 2-30: one variable's update (``steps=5`` transitions or Gibbs sweeps) and
its predictive draw.

Run: ``python benchmarks/bench_factors.py`` (a few minutes).
"""

from __future__ import annotations

from timing import seconds_per_iteration

import bayesmi as bm

SIZE = {"clusters": 100, "cluster_size": 20}


def main() -> None:
    normal = bm.simulate.simulate_random_intercept(**SIZE, missing=0.3, seed=1).incomplete
    formula = "y ~ x + (1 | cluster)"
    runs = [
        ("random_intercept, Gibbs", normal, bm.random_intercept(formula)),
        ("random_intercept, pmm", normal, bm.random_intercept(formula, pmm=True)),
        (
            "categorical (3)",
            bm.simulate.simulate_categorical(**SIZE, seed=1).incomplete,
            bm.categorical(formula),
        ),
        (
            "ordinal (5)",
            bm.simulate.simulate_ordinal(**SIZE, seed=1).incomplete,
            bm.ordinal(formula),
        ),
        (
            "count, poisson",
            bm.simulate.simulate_count(**SIZE, seed=1).incomplete,
            bm.count(formula),
        ),
        (
            "count, negative_binomial",
            bm.simulate.simulate_count(**SIZE, alpha=1.5, seed=1).incomplete,
            bm.count(formula, family="negative_binomial"),
        ),
    ]
    times = {}
    print(f"{'model':<28}{'ms / iteration':>16}{'x Gibbs':>10}")
    for name, data, model in runs:
        times[name] = 1e3 * seconds_per_iteration(data, {"y": model})
        ratio = times[name] / times["random_intercept, Gibbs"]
        print(f"{name:<28}{times[name]:>16.1f}{ratio:>10.1f}")


if __name__ == "__main__":
    main()
