"""Covariates of a stratified Cox model across studies: compatible imputation against truth.

An IPD meta-analysis with known truth (`bm.simulate.simulate_survival`): 20 studies of 150
patients, a baseline hazard of each study's own (Weibull, shapes and scales differing), a study
frailty of SD 0.5 (absorbed by the strata), ``x`` normal with between-study SD 0.5 and log
hazard ratio 0.7, ``b`` binary (-0.5), ``z`` complete (0.3); ``x`` and ``b`` each 30% missing,
MAR on the event and the time. The analysis, on each completed data set, is the stratified Cox
model ``Surv(time, event) ~ x + z + b + strata(study)`` (statsmodels' PHReg, Breslow ties),
pooled by Rubin's rules. Two imputations per replicate, m = 10 each (10 chains x 20
iterations, the defaults of ``analysis=``):

- compatible: ``analysis="Surv(time, event) ~ x + z + b + strata(study)"``, the covariates'
  own models ``x ~ z + (1 | study)`` and ``b ~ x + z + (1 | study)``;
- mice's approximation (White and Royston 2009): no analysis model, the covariates' models with
  the event and the Nelson-Aalen cumulative hazard ``H(t)`` as predictors, as 2l.pan and 2l.bin
  would be run (bayesmi's random-intercept and binary models, the same way).

Printed per method: mean bias of the pooled log HR of ``x`` (and ``b``) over the replicates,
its Monte Carlo SE, the 95% interval coverage with its Monte Carlo SE, and the mean time.
``--speed`` times one replicate's compatible imputation on 2 cores and says whether a
convergence warning was raised.

Run: ``python benchmarks/bench_survival.py [--replicates 100] [--speed]`` (about 20 s per
replicate on 2 cores); results are appended to ``--out`` (JSON lines) as they come.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

import bayesmi as bm

ANALYSIS = "Surv(time, event) ~ x + z + b + strata(study)"
COMPATIBLE = {
    "x": bm.random_intercept("x ~ z + (1 | study)"),
    "b": bm.binary("b ~ x + z + (1 | study)"),
}
APPROXIMATION = {
    "x": bm.random_intercept("x ~ z + b + event + hazard + (1 | study)"),
    "b": bm.binary("b ~ x + z + event + hazard + (1 | study)"),
}
TERMS = ("x", "b")


def cox(frame: pd.DataFrame):
    return PHReg(
        frame["time"],
        frame[["x", "z", "b"]],
        status=frame["event"],
        strata=frame["study"],
        ties="breslow",
    ).fit()


def pooled(idata) -> pd.DataFrame:
    return bm.pool(bm.fit_each(idata, cox))


def impute(frame: pd.DataFrame, method: str, seed: int):
    options = {"cluster": "study", "chains": 10, "iterations": 20, "seed": seed}
    options["progressbar"] = False
    if method == "compatible":
        return bm.impute(frame, COMPATIBLE, analysis=ANALYSIS, **options)
    hazard = bm.nelson_aalen(frame["time"], frame["event"])
    return bm.impute(frame.assign(hazard=hazard), APPROXIMATION, **options)


def replicate(seed: int) -> dict:
    sim = bm.simulate.simulate_survival(seed=seed)
    row = {"seed": seed}
    for method in ("compatible", "approximation"):
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", bm.ConvergenceWarning)
            idata = impute(sim.incomplete, method, seed)
        row[f"{method}_seconds"] = time.perf_counter() - started
        row[f"{method}_warnings"] = sum(
            issubclass(w.category, bm.ConvergenceWarning) for w in caught
        )
        table = pooled(idata)
        for term in TERMS:
            truth = sim.truth[f"log_hr_{term}"]
            estimate = float(table.loc[term, "estimate"])
            low, high = table.loc[term, ["conf_low", "conf_high"]].astype(float)
            row[f"{method}_{term}"] = estimate
            row[f"{method}_{term}_covered"] = bool(low <= truth <= high)
    complete = cox(sim.complete)
    for position, term in enumerate(("x", "z", "b")):
        if term in TERMS:
            row[f"complete_{term}"] = float(complete.params[position])
    return row


def summarise(rows: list[dict]) -> None:
    n = len(rows)
    print(f"{n} replicates")
    print(f"{'method':<14}{'term':<6}{'bias':>9}{'MC SE':>8}{'coverage':>10}{'MC SE':>8}{'s':>7}")
    for method in ("compatible", "approximation", "complete"):
        for term in TERMS:
            truth = 0.7 if term == "x" else -0.5
            values = np.array([row[f"{method}_{term}"] for row in rows])
            bias, se = values.mean() - truth, values.std(ddof=1) / np.sqrt(n)
            cover = (
                ""
                if method == "complete"
                else np.mean([row[f"{method}_{term}_covered"] for row in rows])
            )
            cover_text = (
                "" if cover == "" else f"{cover:10.3f}{np.sqrt(cover * (1 - cover) / n):8.3f}"
            )
            seconds = (
                "" if method == "complete" else np.mean([r[f"{method}_seconds"] for r in rows])
            )
            seconds_text = "" if seconds == "" else f"{seconds:7.1f}"
            print(f"{method:<14}{term:<6}{bias:+9.4f}{se:8.4f}{cover_text:>18}{seconds_text}")
    warned = sum(row["compatible_warnings"] > 0 for row in rows)
    print(f"compatible runs with a convergence warning: {warned} of {n}")
    band = 2 * np.sqrt(0.95 * 0.05 / n)
    print(
        f"coverage band (two MC SEs about 0.95 at {n} replicates): "
        f"{0.95 - band:.3f}-{0.95 + band:.3f}"
    )


def speed() -> None:
    sim = bm.simulate.simulate_survival(seed=0)
    impute(sim.incomplete, "compatible", 0)  # warm: compile and import once
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", bm.ConvergenceWarning)
        impute(sim.incomplete, "compatible", 1)
    seconds = time.perf_counter() - started
    warned = [str(w.message)[:200] for w in caught if issubclass(w.category, bm.ConvergenceWarning)]
    print(
        f"3,000 rows, x and b incomplete, 10 chains x 20 iterations, 2 cores: {seconds:.1f} s "
        f"(target under 30 s); convergence warnings: {warned or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("bench_survival.jsonl"))
    arguments = parser.parse_args()
    if arguments.speed:
        speed()
        return
    done = []
    if arguments.out.exists():
        done = [json.loads(line) for line in arguments.out.read_text().splitlines() if line]
    seeds = [row["seed"] for row in done]
    for seed in range(1000, 1000 + arguments.replicates):
        if seed in seeds:
            continue
        row = replicate(seed)
        with arguments.out.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        done.append(row)
        print(
            f"replicate {len(done)}: x {row['compatible_x']:.3f} (approximation "
            f"{row['approximation_x']:.3f}, complete {row['complete_x']:.3f})",
            flush=True,
        )
    summarise(done)


if __name__ == "__main__":
    main()
