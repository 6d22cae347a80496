"""popmis with 15% of ``sex`` deleted, imputed by a binary model beside ``popular``: 20 seeds.

The case where NUTS failed (issue 16): `bm.binary("sex ~ popular + texp + (1 | school)")` and
`bm.random_intercept("popular ~ sex + texp + (1 | school)")`, 10 chains, 20 and 60 iterations,
seeds 0-19 (the deletion and the run share the seed). Per configuration: the seeds with a
convergence warning, the seeds whose chain-mean R-hat of ``sex`` exceeds the bound R-hat of
independent draws stays below in 99% of runs (`rhat_noise_bound`), divergences, and the
imputed share of ``sex == 1`` (mean over the imputations, with its Monte Carlo SE) against a
long NUTS run (target_accept 0.99, 4 chains x 300 iterations, the last 200 kept: 800
imputations) on the same deleted data.

Run: ``python benchmarks/check_popmis_binary.py`` (a few minutes).
"""

from __future__ import annotations

import warnings

import numpy as np

import bayesmi as bm
from bayesmi.diagnostics.kernels import rhat_noise_bound, rhat_window

SPEC = {
    "sex": bm.binary("sex ~ popular + texp + (1 | school)"),
    "popular": bm.random_intercept("popular ~ sex + texp + (1 | school)"),
}


def deleted(seed: int):
    """popmis with about 15% of sex deleted at random."""
    data = bm.datasets.load_popmis()
    rng = np.random.default_rng(seed)
    data.loc[rng.random(len(data)) < 0.15, "sex"] = np.nan
    return data


def run(seed: int, iterations: int, chains: int = 10, **options) -> dict:
    """One imputation: its warnings, R-hat of sex, divergences and imputed share of 1."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", bm.ConvergenceWarning)
        idata = bm.impute(
            deleted(seed),
            SPEC,
            cluster="school",
            chains=chains,
            iterations=iterations,
            seed=seed,
            progressbar=False,
            **options,
        )
    imputed = idata.posterior["sex::missing"].to_numpy()  # (chain, draw, cell)
    shares = imputed.mean(axis=2).ravel()  # one per imputation
    divergences = idata.sample_stats.get("sex::divergences")
    return {
        "warnings": [str(w.message) for w in caught if w.category is bm.ConvergenceWarning],
        "rhat": bm.chain_mean_rhat(idata)["sex"],
        "divergences": int(divergences.sum()) if divergences is not None else 0,
        "share": float(shares.mean()),
        "share_se": float(shares.std(ddof=1) / np.sqrt(shares.size)),
    }


def main() -> None:
    for iterations in (20, 60):
        first, split = rhat_window(iterations)
        bound = rhat_noise_bound(10, iterations - first, split)
        results = [run(seed, iterations) for seed in range(20)]
        over = [s for s, r in enumerate(results) if r["rhat"] > bound]
        warned = [s for s, r in enumerate(results) if r["warnings"]]
        print(
            f"{iterations} iterations: R-hat of sex over the noise bound {bound:.3f} in seeds "
            f"{over or 'none'}; warnings in seeds {warned or 'none'}; divergences "
            f"{sum(r['divergences'] for r in results)}; R-hat max "
            f"{max(r['rhat'] for r in results):.3f}"
        )
        for seed in warned:
            print(f"  seed {seed}: {results[seed]['warnings'][0][:200]}")
        if iterations == 20:
            short = {seed: results[seed] for seed in (0, 1, 2)}
    for seed, result in short.items():
        long = run(seed, 300, chains=4, draws=200, sampler="nuts", target_accept=0.99)
        print(
            f"seed {seed}: imputed share of sex=1 {result['share']:.4f} (Gibbs, 10 chains x 20, "
            f"MC SE {result['share_se']:.4f}) vs {long['share']:.4f} (NUTS, target_accept "
            f"0.99, 4 chains x 300, last 200 kept, {long['divergences']} divergences); "
            f"difference {result['share'] - long['share']:+.4f}"
        )


if __name__ == "__main__":
    main()
