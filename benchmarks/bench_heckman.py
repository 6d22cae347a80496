"""Per-iteration cost of the Heckman, binary, factor and count models against the normal sweep.

Simulated MNAR data (`bm.simulate.simulate_heckman`, 50 clusters of 50, 2,500 rows, about 40%
of y missing), continuous and binary, each by NUTS (the default) and with ``sampler="gibbs"``
(data augmentation after NUTS' warm-up); the binary MAR model by its Polya-Gamma Gibbs sampler
(the default) and by NUTS; a nominal (3 categories) and an ordinal (5) target of the same size
(`simulate_categorical`, `simulate_ordinal`, 30% missing) and a negative binomial count
(`simulate_count`, alpha 2), each by its Gibbs sampler and by NUTS. One chain per model runs
in this process through the engine's own loop (`bayesmi.engines.block.run_block`); the
time of each iteration is read from its progress callback, so compilation and the first
iteration (NUTS tuning) are left out. A run's figure is the median over iterations 2-30: one
variable's update (``steps=5`` transitions or Gibbs sweeps) and its predictive draw. Every model
runs in each of three rounds and the least of its three figures is reported: on a shared
machine one model's figure moved by 40% between two runs of the script, and a ratio of two
figures taken minutes apart moved with it.

Run: ``python benchmarks/bench_heckman.py`` (about six minutes).
"""

from __future__ import annotations

from timing import seconds_per_iteration

import bayesmi as bm

ROUNDS = 3
"""Each model is timed once per round, the rounds one after another; the least time counts."""


def main() -> None:
    outcome, selection = "y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)"
    continuous = bm.simulate.simulate_heckman(seed=1).incomplete
    binary = bm.simulate.simulate_heckman(seed=1, binary=True).incomplete
    runs = [
        (
            "continuous",
            "random_intercept, Gibbs",
            continuous,
            bm.random_intercept("y ~ x + z + (1 | cluster)"),
            "auto",
        ),
        (
            "continuous",
            "random_intercept, NUTS",
            continuous,
            bm.random_intercept("y ~ x + z + (1 | cluster)"),
            "nuts",
        ),
        ("continuous", "heckman", continuous, bm.heckman(outcome, selection), "auto"),
        ("continuous", "heckman, Gibbs", continuous, bm.heckman(outcome, selection), "gibbs"),
        (
            "continuous",
            "heckman, cluster_rho",
            continuous,
            bm.heckman(outcome, selection, cluster_rho=True),
            "auto",
        ),
        (
            "binary",
            "binary (MAR), Gibbs",
            binary,
            bm.binary("y ~ x + z + (1 | cluster)"),
            "auto",
        ),
        ("binary", "binary (MAR), NUTS", binary, bm.binary("y ~ x + z + (1 | cluster)"), "nuts"),
        (
            "binary",
            "heckman, binary",
            binary,
            bm.heckman(outcome, selection, family="binary"),
            "auto",
        ),
        (
            "binary",
            "heckman, binary, Gibbs",
            binary,
            bm.heckman(outcome, selection, family="binary"),
            "gibbs",
        ),
    ]
    size = {"clusters": 50, "cluster_size": 50}
    factors = {
        "categorical (3)": (bm.simulate.simulate_categorical(**size, seed=1), bm.categorical),
        "ordinal (5)": (bm.simulate.simulate_ordinal(**size, seed=1), bm.ordinal),
    }
    counts = bm.simulate.simulate_count(**size, alpha=2.0, seed=1).incomplete
    for sampler, label in (("auto", "Gibbs"), ("nuts", "NUTS")):
        model = bm.count("y ~ x + (1 | cluster)", family="negative_binomial")
        runs.append(("count", f"negative binomial, {label}", counts, model, sampler))
    for name, (sim, constructor) in factors.items():
        for sampler, label in (("auto", "Gibbs"), ("nuts", "NUTS")):
            model = constructor("y ~ x + (1 | cluster)")
            runs.append(("factor", f"{name}, {label}", sim.incomplete, model, sampler))
    rounds = {name: [] for _, name, *_ in runs}
    for _ in range(ROUNDS):  # interleaved: a burst of load on the machine hits one round
        for _, name, data, model, sampler in runs:
            rounds[name].append(1e3 * seconds_per_iteration(data, {"y": model}, sampler))
    times = {name: min(values) for name, values in rounds.items()}
    print(f"{'data':<12}{'model':<28}{'ms / iteration':>16}   rounds")
    for kind, name, *_ in runs:
        each = " ".join(f"{value:.1f}" for value in rounds[name])
        print(f"{kind:<12}{name:<28}{times[name]:>16.1f}   {each}")
    print()
    for name, baseline in [
        ("binary (MAR), Gibbs", "random_intercept, Gibbs"),
        ("binary (MAR), NUTS", "binary (MAR), Gibbs"),
        ("heckman", "random_intercept, Gibbs"),
        ("heckman, Gibbs", "random_intercept, Gibbs"),
        ("heckman", "heckman, Gibbs"),
        ("heckman", "random_intercept, NUTS"),
        ("heckman, cluster_rho", "random_intercept, Gibbs"),
        ("heckman, binary", "binary (MAR), NUTS"),
        ("heckman, binary", "random_intercept, Gibbs"),
        ("heckman, binary, Gibbs", "random_intercept, Gibbs"),
        ("heckman, binary", "heckman, binary, Gibbs"),
        ("categorical (3), Gibbs", "random_intercept, Gibbs"),
        ("categorical (3), NUTS", "categorical (3), Gibbs"),
        ("ordinal (5), Gibbs", "random_intercept, Gibbs"),
        ("ordinal (5), NUTS", "ordinal (5), Gibbs"),
        ("negative binomial, Gibbs", "random_intercept, Gibbs"),
        ("negative binomial, NUTS", "negative binomial, Gibbs"),
    ]:
        print(f"{name} / {baseline}: {times[name] / times[baseline]:.1f}x")


if __name__ == "__main__":
    main()
