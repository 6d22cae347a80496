"""How the chained engine's cost grows with rows: 2,000, 20,000 and 200,000, 30% of y missing.

Random-intercept and random-slope data (`bm.simulate`), m = 5 chains on the machine's cores,
each configuration in a fresh subprocess (compile cache warm). Printed per configuration: wall
time of `bm.impute` at 10 and 20 iterations, the time per iteration (their difference / 10),
the ratio of time per iteration to the 20,000-row one divided by the ratio of rows (1.0 =
linear), and the peak resident memory of the main process and of the largest chain process
(the run's peak is at most main + cores x chain process).

Run: ``python benchmarks/bench_scale.py`` (a few minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = """
import json, resource, sys, time, warnings
import bayesmi as bm
kind, rows, iterations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clusters = rows // 20
if kind == "random_intercept":
    sim = bm.simulate.simulate_random_intercept(clusters=clusters, cluster_size=20, missing=0.3,
                                                seed=1)
    model = bm.random_intercept("y ~ x + (1 | cluster)")
else:
    sim = bm.simulate.simulate_random_slopes(clusters=clusters, cluster_size=20, missing=0.3,
                                             seed=1)
    model = bm.random_slopes("y ~ x + (1 + x | cluster)")
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    bm.impute(sim.incomplete, {"y": model}, cluster="cluster", chains=5, iterations=iterations,
              seed=1, progressbar=False)
elapsed = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "main_mb": own, "chain_mb": children}))
"""


def run(kind: str, rows: int, iterations: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(rows), str(iterations)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"machine: {os.cpu_count()} cores; m = 5 chains; 30% of y missing")
    print(
        f"{'model':<18}{'rows':>9}{'10 it s':>9}{'20 it s':>9}{'s/iter':>9}"
        f"{'linearity':>10}{'main MB':>9}{'chain MB':>9}"
    )
    for kind in ("random_intercept", "random_slopes"):
        per_iteration = {}
        for rows in (2_000, 20_000, 200_000):
            short, long = run(kind, rows, 10), run(kind, rows, 20)
            per_iteration[rows] = max(long["seconds"] - short["seconds"], 1e-9) / 10
            linearity = (
                per_iteration[rows] / per_iteration[20_000] / (rows / 20_000)
                if 20_000 in per_iteration
                else float("nan")
            )
            print(
                f"{kind:<18}{rows:>9}{short['seconds']:>9.2f}{long['seconds']:>9.2f}"
                f"{per_iteration[rows]:>9.3f}{linearity:>10.2f}{long['main_mb']:>9.0f}"
                f"{long['chain_mb']:>9.0f}"
            )


if __name__ == "__main__":
    main()
