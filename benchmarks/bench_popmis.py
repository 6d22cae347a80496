"""Wall time of the tutorial's imputation models on popmis, m = 10, iterations = 10.

Each model runs in a fresh subprocess, first with an empty PyTensor compile directory (cold:
compiling included), then again with that directory filled (warm); only the `bm.impute` call
is timed. Printed beside each: peak memory of the subprocess, the R-hat and ESS per second of
the chain means of the imputed values, the pooled MixedLM fixed effects and their largest
distance to R's, and the ratio to R mice's wall time on a 2-core machine
(tests/data/tutorial.json, median of 3 runs: mice 3.15.0, R 4.2.2). The near-limit baseline is
a plain numpy Gibbs sampler (benchmarks/baseline_gibbs.py) timed in this process.

Run: ``python benchmarks/bench_popmis.py`` (about 5 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = json.loads((ROOT / "tests" / "data" / "tutorial.json").read_text())
MODELS = {
    "random_intercept": ("step1_2lpan_ri", "popular ~ sex + texp + (1 | school)", "auto"),
    "random_intercept (NUTS)": ("step1_2lpan_ri", "popular ~ sex + texp + (1 | school)", "nuts"),
    "random_slopes": ("step2_2lpan_rs_sex", "popular ~ sex + texp + (1 + sex | school)", "auto"),
    "heteroscedastic": ("step3_2lnorm_rs_sex", "popular ~ sex + texp + (1 + sex | school)", "auto"),
}

CHILD = """
import json, resource, sys, time, warnings
import arviz as az, numpy as np, statsmodels.formula.api as smf
import bayesmi as bm
kind, formula, sampler = sys.argv[1:4]
constructor = getattr(bm, kind.split(" ")[0])
data = bm.datasets.load_popmis()
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", bm.ConvergenceWarning)
    idata = bm.impute(data, {"popular": constructor(formula)}, cluster="school", chains=10,
                      iterations=10, seed=2026, sampler=sampler, progressbar=False)
elapsed = time.perf_counter() - start
means = np.concatenate([idata[g]["popular::missing_mean"].to_numpy()
                        for g in ("warmup_posterior", "posterior")], axis=1)
fits = bm.fit_each(idata, lambda d: smf.mixedlm("popular ~ sex + texp", d,
                                                 groups="school").fit(reml=True))
pooled = bm.pool(fits)["estimate"].to_dict()
print(json.dumps({"seconds": elapsed, "rhat": bm.chain_mean_rhat(idata)["popular"],
                  "ess": float(az.ess(means)), "pooled": pooled,
                  "warnings": len(caught),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(kind: str, formula: str, sampler: str, compiledir: str) -> dict:
    environment = os.environ | {"PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, kind, formula, sampler],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def baseline_seconds() -> float:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pandas as pd
    from baseline_gibbs import impute_random_intercept

    data = pd.read_csv(ROOT / "bayesmi" / "datasets" / "popmis.csv")
    codes = pd.factorize(data["school"], sort=True)[0]
    y = data["popular"].to_numpy(float)
    x = data[["sex", "texp"]].to_numpy(float)
    start = time.perf_counter()
    impute_random_intercept(y, x, codes, chains=10, iterations=10, seed=1)
    return time.perf_counter() - start


def main() -> None:
    baseline = baseline_seconds()
    print(
        f"machine: {os.cpu_count()} cores; numpy Gibbs baseline (RI, m=10, 10 it): {baseline:.3f} s"
    )
    header = (
        f"{'model':<26}{'cold s':>8}{'warm s':>8}{'R s':>7}{'warm/R':>8}{'warm/np':>9}"
        f"{'peak MB':>9}{'R-hat':>7}{'ESS/s':>8}{'max |FE - R|':>14}"
    )
    print(header)
    for kind, (step, formula, sampler) in MODELS.items():
        with tempfile.TemporaryDirectory() as compiledir:
            cold = run_child(kind, formula, sampler, compiledir)
            warm = run_child(kind, formula, sampler, compiledir)
        reference = REFERENCE["steps"][step]
        r_seconds = reference["wall_s"]["median"]
        fixed = {"Intercept": "(Intercept)", "sex": "sex", "texp": "texp"}
        distance = max(
            abs(warm["pooled"][term] - reference["fixed"][r_term]["estimate"])
            for term, r_term in fixed.items()
        )
        print(
            f"{kind:<26}{cold['seconds']:>8.2f}{warm['seconds']:>8.2f}{r_seconds:>7.2f}"
            f"{warm['seconds'] / r_seconds:>8.2f}{warm['seconds'] / baseline:>9.1f}"
            f"{warm['peak_mb']:>9.0f}{warm['rhat']:>7.3f}{warm['ess'] / warm['seconds']:>8.1f}"
            f"{distance:>14.4f}"
        )
    print("R times: mice wall_s medians from tests/data/tutorial.json (mice 3.15.0, 2 cores)")


if __name__ == "__main__":
    main()
