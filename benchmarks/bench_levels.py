"""Per-iteration time of the three-level random-intercept model beside the two-level one.

Pupils in classes in schools (`bm.simulate.simulate_three_level`, 4 classes of 15 pupils per
school, 30% of y missing) at 6,000 rows (100 schools) and 60,000 rows (1,000 schools): the
three-level model ``(1 | school) + (1 | classroom)`` (`bayesmi.models.multilevel`, Gibbs)
against the two-level ``(1 | classroom)`` on the same data, classes nested in schools. One
chain per model runs in this process through the engine's own loop; a figure is the median
time of iterations 2-30 (``steps=5`` sweeps and the predictive draw), the least of two rounds.

Then a 0/1 target in the same design (``b = 1(y + logistic noise > 0)``, 30% missing) at 6,000
rows, ``(1 | school) + (1 | classroom)``: the Polya-Gamma Gibbs sweeps
(`bayesmi.gibbs.FactorsGibbs`) against NUTS, the model's sampler before them.

Run: ``python benchmarks/bench_levels.py`` (about two minutes).
"""

from __future__ import annotations

import numpy as np
from timing import seconds_per_iteration

import bayesmi as bm

ROUNDS = 2


def main() -> None:
    print(f"{'rows':>7} {'two levels ms':>14} {'three levels ms':>16} {'ratio':>6}")
    for schools in (100, 1000):
        sim = bm.simulate.simulate_three_level(schools=schools, seed=1)
        data = sim.incomplete.assign(c=sim.complete["c"], s=sim.complete["s"])
        cluster = ["school", "classroom"]
        two = {"y": bm.random_intercept("y ~ x + c + s + (1 | classroom)")}
        three = {"y": bm.random_intercept("y ~ x + c + s + (1 | school) + (1 | classroom)")}
        best = [float("inf"), float("inf")]
        for _ in range(ROUNDS):
            for k, spec in enumerate((two, three)):
                seconds = seconds_per_iteration(data, spec, cluster=cluster)
                best[k] = min(best[k], seconds)
        print(
            f"{len(data):>7} {1e3 * best[0]:>14.2f} {1e3 * best[1]:>16.2f} "
            f"{best[1] / best[0]:>6.2f}"
        )


def binary() -> None:
    sim = bm.simulate.simulate_three_level(schools=100, seed=1)
    rng = np.random.default_rng(1)
    y = sim.complete["y"].to_numpy()
    data = sim.complete.assign(b=(y + rng.logistic(size=y.size) > 0).astype(float))
    data["b"] = data["b"].mask(rng.random(y.size) < 0.3)
    data = data.drop(columns="y")
    spec = {"b": bm.binary("b ~ x + c + s + (1 | school) + (1 | classroom)")}
    best = {
        sampler: min(
            seconds_per_iteration(data, spec, sampler=sampler, cluster=["school", "classroom"])
            for _ in range(ROUNDS)
        )
        for sampler in ("gibbs", "nuts")
    }
    print(f"\nbinary, three levels, {len(data)} rows (ms per iteration)")
    print(f"{'NUTS':>8} {'Gibbs':>8} {'ratio':>6}")
    nuts, gibbs = best["nuts"], best["gibbs"]
    print(f"{1e3 * nuts:>8.2f} {1e3 * gibbs:>8.2f} {nuts / gibbs:>6.1f}")


if __name__ == "__main__":
    main()
    binary()
