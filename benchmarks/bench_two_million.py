"""Two million rows: one incomplete normal variable in 20,000 clusters of 100, m = 5.

Issue 29, point 5: `bm.simulate.simulate_random_intercept` with 200,000, 1,000,000 and
2,000,000 rows (30% of y missing), imputed by the random-intercept model, 5 chains, 10 and 20
iterations, twice each in a fresh subprocess per size (compile cache warm; the least time of
each counts). Printed per size: wall time of
`bm.impute` at 10 iterations (the acceptance: under 60 s), the time of 10 more iterations (their
difference), its ratio to the next smaller size's divided by the ratio of rows (1.0 = linear in
rows; at 200,000 rows 10 more iterations take a tenth of a second, so the first ratio carries
the fixed cost per iteration and the noise of two runs' difference), and the peak resident
memory of the main process and of the largest chain process (under 8 GB together).

Run: ``python benchmarks/bench_two_million.py`` (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time, warnings
import bayesmi as bm
rows = int(sys.argv[1])
sim = bm.simulate.simulate_random_intercept(clusters=rows // 100, cluster_size=100, missing=0.3,
                                            seed=1)
seconds = {10: [], 20: []}
for iterations in (10, 20, 10, 20):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bm.impute(sim.incomplete, {"y": bm.random_intercept("y ~ x + (1 | cluster)")},
                  cluster="cluster", chains=5, iterations=iterations, seed=1, progressbar=False)
    seconds[iterations].append(time.perf_counter() - start)
print(json.dumps({"short": min(seconds[10]), "long": min(seconds[20]),
                  "own_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chain_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(rows: int) -> dict:
    """Impute `rows` rows with 10 and 20 iterations, twice each in one process: the least."""
    command = [sys.executable, "-c", CHILD, str(rows)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    run(2000)  # fills the compile cache
    print(
        f"{'rows':>10} {'10 it s':>8} {'+10 it s':>9} {'linear':>7} {'main MB':>8} {'chain MB':>9}"
    )
    base = None
    for rows in (200_000, 1_000_000, 2_000_000):
        measured = run(rows)
        extra = measured["long"] - measured["short"]
        base = base or (rows, extra)
        linear = (extra / base[1]) / (rows / base[0])
        base = (rows, extra)
        own, chain = measured["own_mb"], measured["chain_mb"]
        print(
            f"{rows:>10} {measured['short']:8.2f} {extra:9.2f} {linear:7.2f} {own:8.0f} "
            f"{chain:9.0f}"
        )


if __name__ == "__main__":
    main()
