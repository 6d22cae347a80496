"""Two million rows: one incomplete normal variable in 20,000 clusters of 100, m = 5.

Issue 29, point 5: `bm.simulate.simulate_random_intercept` with 200,000 and 2,000,000 rows (30%
of y missing), imputed by the random-intercept model, 5 chains, 10 and 20 iterations, each run
in a fresh subprocess (compile cache warm). Printed per size: wall time of `bm.impute` at 10
iterations (the acceptance: under 60 s), the time of 10 more iterations (their difference), its
ratio to the 200,000-row one divided by the ratio of rows (1.0 = linear in rows), and the peak
resident memory of the main process and of the largest chain process (under 8 GB together).

Run: ``python benchmarks/bench_two_million.py`` (about a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time, warnings
import bayesmi as bm
rows, iterations = int(sys.argv[1]), int(sys.argv[2])
sim = bm.simulate.simulate_random_intercept(clusters=rows // 100, cluster_size=100, missing=0.3,
                                            seed=1)
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    bm.impute(sim.incomplete, {"y": bm.random_intercept("y ~ x + (1 | cluster)")},
              cluster="cluster", chains=5, iterations=iterations, seed=1, progressbar=False)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "own_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chain_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run(rows: int, iterations: int) -> dict:
    command = [sys.executable, "-c", CHILD, str(rows), str(iterations)]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    run(2000, 2)  # fills the compile cache
    print(
        f"{'rows':>10} {'10 it s':>8} {'+10 it s':>9} {'linear':>7} {'main MB':>8} {'chain MB':>9}"
    )
    base = None
    for rows in (200_000, 2_000_000):
        short, long = run(rows, 10), run(rows, 20)
        extra = long["seconds"] - short["seconds"]
        base = base or (rows, extra)
        linear = (extra / base[1]) / (rows / base[0])
        own, chain = max(short["own_mb"], long["own_mb"]), max(short["chain_mb"], long["chain_mb"])
        print(
            f"{rows:>10} {short['seconds']:8.2f} {extra:9.2f} {linear:7.2f} {own:8.0f} {chain:9.0f}"
        )


if __name__ == "__main__":
    main()
