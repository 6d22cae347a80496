"""Repeated measures: AR(1) residuals, a compatible growth model, speed.

A growth curve with known truth (`bm.simulate.simulate_longitudinal`): 300 persons x 6 occasions
(times 0..5), two arms, ``y = 0.5 time + 0.3 time x treat + 0.5 x + u0 + u1 time + e`` with a
random intercept (SD 0.7), a random slope of time (SD 0.2, variance 0.04) and residuals of a
continuous-time AR(1) with phi 0.6; the time-varying covariate ``x`` is 30% missing at random
given ``y``. Each replicate is imputed compatibly with the analysis model

    analysis = bm.random_slopes("y ~ time * treat + x + (1 + time | id)", residual="ar1")

(10 chains x 20 iterations, the last 20 kept: 200 draws of the analysis model's posterior,
which pools by its draws), and the complete data are fitted by R's
``nlme::lme(y ~ time * treat + x, random = ~ time | id, correlation = corCAR1(form = ~ time |
id))`` (`tests/data/longitudinal/nlme_growth.R`, numbers in ``nlme_growth.csv``, made from the
same seeds by ``make_growth_data.py``). Printed per parameter: the mean difference between bayesmi's
posterior mean and nlme's complete-data estimate with its Monte Carlo SE, and the coverage of
the truth by the 95% posterior intervals.

``--speed`` times the imputation of 1,000 persons x 6 occasions (10 chains x 20 iterations, 2
cores), compatible and by chained AR(1) models, and says whether a convergence warning came.

Run: ``python benchmarks/bench_longitudinal.py [--replicates 50] [--speed]``; results are
appended to ``--out`` (JSON lines) as they come.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayesmi as bm

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "data" / "longitudinal"))
from make_growth_data import TRUTH, replicate

ANALYSIS = bm.random_slopes("y ~ time * treat + x + (1 + time | id)", residual="ar1")
SPEC = {"x": bm.random_intercept("x ~ time + treat + (1 | id)")}
NLME = Path(__file__).parents[1] / "tests" / "data" / "longitudinal" / "nlme_growth.csv"
TERMS = ("Intercept", "time", "treat", "time:treat", "x", "slope_variance", "phi")


def imputed(seed: int, chains: int = 10, cores: int = 2) -> tuple[dict, dict, float, bool]:
    """Impute one replicate; return posterior means, 95% intervals, seconds, warned."""
    incomplete, _ = replicate(seed)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        idata = bm.impute(
            incomplete,
            SPEC,
            cluster="id",
            time="time",
            analysis=ANALYSIS,
            chains=chains,
            iterations=40,
            draws=20,
            seed=seed,
            progressbar=False,
            cores=cores,
        )
    seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, bm.ConvergenceWarning) for w in caught)
    post = idata.posterior
    draws = {
        name: post["y::beta"].sel({"y::beta_dim": name}).to_numpy().ravel() for name in TERMS[:5]
    }
    draws["slope_variance"] = post["y::re_sd"].isel({"y::re": 1}).to_numpy().ravel() ** 2
    draws["phi"] = post["y::phi"].to_numpy().ravel()
    means = {name: float(values.mean()) for name, values in draws.items()}
    intervals = {
        name: np.quantile(values, [0.025, 0.975]).tolist() for name, values in draws.items()
    }
    return means, intervals, seconds, warned


def summarise(rows: list[dict]) -> None:
    """Print the mean difference from nlme's complete-data fit and the coverage of the truth."""
    nlme = pd.read_csv(NLME).set_index("seed")
    print(f"{len(rows)} replicates")
    print(f"{'term':>15} {'truth':>7} {'vs complete':>12} {'MC SE':>7} {'coverage':>9}")
    for name in TERMS:
        found = np.array([row["means"][name] for row in rows])
        complete = nlme.loc[[row["seed"] for row in rows], name].to_numpy()
        difference = found - complete
        covered = np.mean(
            [row["intervals"][name][0] <= TRUTH[name] <= row["intervals"][name][1] for row in rows]
        )
        se = difference.std(ddof=1) / np.sqrt(len(rows))
        print(f"{name:>15} {TRUTH[name]:7.3f} {difference.mean():+12.4f} {se:7.4f} {covered:9.3f}")
    print(
        f"mean time {np.mean([row['seconds'] for row in rows]):.1f} s; "
        f"{sum(row['warned'] for row in rows)} runs warned"
    )


def speed() -> None:
    """Time 1,000 persons x 6 occasions, compatible and chained, on 2 cores."""
    sim = bm.simulate.simulate_longitudinal(persons=1000, occasions=6, time_by_treat=0.3, seed=3)
    incomplete = sim.complete.copy()
    rng = np.random.default_rng(4)
    incomplete.loc[rng.random(len(incomplete)) < 0.3, "x"] = np.nan
    incomplete.loc[rng.random(len(incomplete)) < 0.2, "y"] = np.nan
    chained = SPEC | {"y": ANALYSIS}
    settings = {"cluster": "id", "time": "time", "chains": 10, "iterations": 20, "seed": 1}
    for label, options in (
        ("compatible (analysis=)", {"analysis": ANALYSIS}),
        ("chained AR(1) models", {}),
    ):
        spec = SPEC if options else chained
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            bm.impute(incomplete, spec, progressbar=False, cores=2, **settings, **options)
            seconds = time.perf_counter() - start
        warned = [str(w.message)[:120] for w in caught if w.category is bm.ConvergenceWarning]
        print(
            f"{label}: {seconds:.1f} s (1,000 persons x 6, 10 chains x 20 iterations, "
            f"2 cores); warnings: {warned or 'none'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=0)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--out", default="bench_longitudinal.jsonl")
    arguments = parser.parse_args()
    if arguments.speed:
        speed()
    rows = []
    for seed in range(1, arguments.replicates + 1):
        means, intervals, seconds, warned = imputed(seed)
        row = {
            "seed": seed,
            "means": means,
            "intervals": intervals,
            "seconds": seconds,
            "warned": warned,
        }
        rows.append(row)
        with open(arguments.out, "a") as handle:
            handle.write(json.dumps(row) + "\n")
        print(f"replicate {seed}: {seconds:.1f} s, x {means['x']:.3f}", flush=True)
    if rows:
        summarise(rows)


if __name__ == "__main__":
    main()
