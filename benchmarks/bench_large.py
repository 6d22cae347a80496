"""A large survey imputed with the spec a mice user writes: wall time, peak memory, ESS/s.

`bm.simulate.simulate_school_survey`: 28,000 pupils in 280 schools, 13 columns, four
incomplete continuous pupil variables (mice 2l.pan), one incomplete binary (2l.bin) and one
incomplete school variable (2lonly.norm), 20% missing each; every other column predicts each
target (code 1), the school is the cluster (-2), and `bm.from_mice` turns that into the spec.
m = 5 chains, 5 and 20 iterations, then 280,000 pupils (2,800 schools) at 5 iterations. Each
run is a fresh subprocess after one warm-up run that fills the compile cache.

Printed per run: wall time of `bm.impute`, peak resident memory of the whole process tree
(sampled every 50 ms), the smallest ESS per second over the variables' chain means of the
imputed values (warm-up iterations included), and the ratios the issue asks for: to mice's
1012 s for the 28,000-row run at m = 5 and 5 iterations (mice 2l.pan, 2l.bin, 2lonly.norm on a
2-core machine; mice's 2l.pan on popmis, m = 10, 10 iterations took 6.0 s there that day), and
of the 280,000-row time to the 28,000-row time.

Run: ``python benchmarks/bench_large.py`` (about 10 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

MICE_SECONDS = 1012.0
MICE_POPMIS_SECONDS = 6.0

BENCHMARKS = str(Path(__file__).resolve().parent)
"""Where `survey_workload` is, for the child process."""

CHILD = """
import json, sys, time, warnings
sys.path.insert(0, BENCHMARKS)
from survey_workload import METHODS, survey_spec
import arviz as az, numpy as np
import bayesmi as bm
schools, iterations = int(sys.argv[1]), int(sys.argv[2])
data = bm.simulate.simulate_school_survey(schools=schools, pupils=100, seed=1).incomplete
spec = survey_spec(data)
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", bm.ConvergenceWarning)
    idata = bm.impute(data, spec, cluster="school", chains=5, iterations=iterations, seed=1,
                      progressbar=False)
elapsed = time.perf_counter() - start
ess = {}
for name in METHODS:
    means = np.concatenate([idata[group][f"{name}::missing_mean"].to_numpy()
                            for group in ("warmup_posterior", "posterior")], axis=1)
    ess[name] = float(az.ess(means))
samplers = {name: model.kind for name, model in spec.items()}
print(json.dumps({"seconds": elapsed, "ess": ess, "kinds": samplers,
                  "warnings": [str(w.message)[:120] for w in caught]}))
"""


CHILD_SCRIPT = CHILD.replace("BENCHMARKS", repr(BENCHMARKS))


def run(schools: int, iterations: int) -> dict:
    """Run one imputation in a subprocess; return its figures and the tree's peak memory."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD_SCRIPT, str(schools), str(iterations)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0.0]
    watcher = threading.Thread(target=_watch_memory, args=(process.pid, peak), daemon=True)
    watcher.start()
    stdout, stderr = process.communicate()
    watcher.join()
    if process.returncode:
        raise RuntimeError(stderr[-3000:])
    figures = json.loads(stdout.strip().splitlines()[-1])
    figures["peak_mb"] = peak[0]
    return figures


def _watch_memory(pid: int, peak: list[float]) -> None:
    """Track the largest summed RSS of `pid` and its children until it exits."""
    try:
        root = psutil.Process(pid)
        while root.is_running() and root.status() != psutil.STATUS_ZOMBIE:
            tree = [root, *root.children(recursive=True)]
            total = 0
            for process in tree:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            peak[0] = max(peak[0], total / 2**20)
            time.sleep(0.05)
    except psutil.NoSuchProcess:
        return


def main() -> None:
    print(f"machine: {os.cpu_count()} cores; m = 5 chains")
    print(
        f"mice: {MICE_SECONDS:.0f} s (28,000 rows, 5 iterations; its popmis 2l.pan m=10 10 it: "
        f"{MICE_POPMIS_SECONDS} s that day)"
    )
    run(280, 2)  # warm-up: fills the compile cache
    print(
        f"{'rows':>8}{'iter':>6}{'wall s':>9}{'x mice':>8}{'peak MB':>9}{'min ESS/s':>11}"
        f"{'(variable)':>13}{'warnings':>10}"
    )
    times = {}
    for schools, iterations in ((280, 5), (280, 20), (2800, 5)):
        figures = run(schools, iterations)
        rows = schools * 100
        times[(rows, iterations)] = figures["seconds"]
        rates = {name: ess / figures["seconds"] for name, ess in figures["ess"].items()}
        slowest = min(rates, key=rates.get)
        print(
            f"{rows:>8}{iterations:>6}{figures['seconds']:>9.1f}"
            f"{figures['seconds'] / MICE_SECONDS:>8.3f}{figures['peak_mb']:>9.0f}"
            f"{rates[slowest]:>11.2f}{slowest:>13}{len(figures['warnings']):>10}"
        )
        for message in figures["warnings"]:
            print(f"    warning: {message}")
    print(f"kinds: {figures['kinds']}")
    print(f"280,000 / 28,000 rows at 5 iterations: {times[(280_000, 5)] / times[(28_000, 5)]:.2f}x")


if __name__ == "__main__":
    main()
