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
same seeds by ``make_growth_data.py``) and by the same Bayesian model's sampler (one chain of
1,000 sweeps after 200). REML and the posterior mean estimate a variance and phi differently
(REML's slope variance sits at the boundary in some replicates), so the variance components are
judged against the Bayesian complete-data fit, the fixed effects against both. Printed per
parameter: the mean difference between the pooled estimate (posterior mean) and each complete-
data estimate with its Monte Carlo SE, and the coverage of the truth by the 95% posterior
intervals, beside the coverage by the complete data's posterior intervals and nlme's Wald
intervals (coverage at 50 replicates has an SE of 0.03).

``--speed`` times the imputation of 1,000 persons x 6 occasions (10 chains x 20 iterations, 2
cores), compatible and by chained AR(1) models, and says whether a convergence warning came.

Run: ``python benchmarks/bench_longitudinal.py [--replicates 50] [--first 1] [--speed]``;
results are appended to ``--out`` (JSON lines) as they come.
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
from bayesmi.data import encode
from bayesmi.engines.samplers.updaters import GibbsUpdater
from bayesmi.models import FACTORIES

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


def complete_posterior(seed: int, sweeps: int = 1000, burn: int = 200) -> tuple[dict, dict]:
    """The analysis model on a replicate's complete data (one Gibbs chain): posterior means and
    95% intervals."""
    _, complete = replicate(seed)
    data = encode(complete, "id", time="time")
    model = FACTORIES[ANALYSIS.kind](ANALYSIS, data)
    model.set_predictors(data.design(model.columns))
    updater = GibbsUpdater(model, np.random.default_rng(seed))
    updater.advance(burn, tune=False)
    values = []
    for _ in range(sweeps):
        updater.advance(1, tune=False)
        p = model.parameters(updater.point)
        values.append([*p["beta"], float(p["re_sd"][1]) ** 2, float(p["phi"])])
    values = np.array(values)
    means = dict(zip(TERMS, values.mean(axis=0).tolist(), strict=True))
    bounds = np.quantile(values, [0.025, 0.975], axis=0).T.tolist()
    intervals = dict(zip(TERMS, bounds, strict=True))
    return means, intervals


def summarise(rows: list[dict]) -> None:
    """Print the mean differences from the complete-data fits and the coverage of the truth."""
    nlme = pd.read_csv(NLME).set_index("seed").loc[[row["seed"] for row in rows]]
    print(f"{len(rows)} replicates")
    print(
        f"{'term':>15} {'truth':>7} {'vs nlme':>9} {'MC SE':>7} {'vs Bayes':>9} {'MC SE':>7} "
        f"{'coverage':>9} {'complete':>9} {'nlme':>6}"
    )
    for name in TERMS:
        found = np.array([row["means"][name] for row in rows])
        bayes = found - np.array([row["complete"][name] for row in rows])
        bounds = [row["complete_intervals"][name] for row in rows]
        complete_covered = np.mean([low <= TRUTH[name] <= high for low, high in bounds])
        reml = found - nlme[name].to_numpy()
        covered = np.mean(
            [row["intervals"][name][0] <= TRUTH[name] <= row["intervals"][name][1] for row in rows]
        )
        reference = "-"
        if f"se_{name}" in nlme:
            half = 1.96 * nlme[f"se_{name}"].to_numpy()
            reference = f"{np.mean(np.abs(nlme[name].to_numpy() - TRUTH[name]) <= half):.3f}"
        se = [d.std(ddof=1) / np.sqrt(len(rows)) for d in (reml, bayes)]
        print(
            f"{name:>15} {TRUTH[name]:7.3f} {reml.mean():+9.4f} {se[0]:7.4f} "
            f"{bayes.mean():+9.4f} {se[1]:7.4f} {covered:9.3f} {complete_covered:9.3f} "
            f"{reference:>6}"
        )
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
    parser.add_argument("--first", type=int, default=1, help="seed of the first replicate")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--out", default="bench_longitudinal.jsonl")
    arguments = parser.parse_args()
    if arguments.speed:
        speed()
    rows = []
    for seed in range(arguments.first, arguments.first + arguments.replicates):
        means, intervals, seconds, warned = imputed(seed)
        complete_means, complete_intervals = complete_posterior(seed)
        row = {
            "seed": seed,
            "means": means,
            "intervals": intervals,
            "complete": complete_means,
            "complete_intervals": complete_intervals,
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
