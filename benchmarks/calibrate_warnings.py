"""How often well-mixed runs at the README's settings give a ConvergenceWarning (false alarms).

Three runs of popmis at the README's settings (10 chains x 20 iterations, the default Gibbs
samplers), each over 20 seeds:

- ``popular``: the README's random-intercept model;
- ``popular + teachpop``: 15% of ``teachpop`` deleted (MCAR, seed 0) and imputed beside
  ``popular``, both normal, each a predictor of the other;
- ``popular + sex``: 15% of ``sex`` deleted and imputed by the binary model beside
  ``popular`` (continuous + binary).

For each, the number of seeds with at least one ConvergenceWarning and the messages. The
acceptance of issue 19 asks for at most 1 seed in 20.

Run: ``python benchmarks/calibrate_warnings.py`` (about five minutes).
"""

from __future__ import annotations

import warnings

import numpy as np

import bayesmi as bm

SEEDS = range(1, 21)


def runs() -> dict[str, tuple]:
    data = bm.datasets.load_popmis()
    rng = np.random.default_rng(0)
    teachpop = data.assign(teachpop=data["teachpop"].mask(rng.random(len(data)) < 0.15))
    sex = data.assign(sex=data["sex"].astype(float).mask(rng.random(len(data)) < 0.15))
    popular = bm.random_intercept("popular ~ sex + texp + (1 | school)")
    return {
        "popular": (data, {"popular": popular}),
        "popular + teachpop": (
            teachpop,
            {
                "teachpop": bm.random_intercept("teachpop ~ popular + sex + texp + (1 | school)"),
                "popular": bm.random_intercept("popular ~ sex + texp + teachpop + (1 | school)"),
            },
        ),
        "popular + sex": (
            sex,
            {
                "sex": bm.binary("sex ~ popular + texp + (1 | school)"),
                "popular": popular,
            },
        ),
    }


def main() -> None:
    for label, (data, spec) in runs().items():
        alarms = []
        for seed in SEEDS:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                bm.impute(
                    data, spec, "school", chains=10, iterations=20, seed=seed, progressbar=False
                )
            messages = [
                str(w.message) for w in caught if issubclass(w.category, bm.ConvergenceWarning)
            ]
            if messages:
                alarms.append((seed, messages))
        print(f"{label}: ConvergenceWarning in {len(alarms)} of {len(SEEDS)} seeds")
        for seed, messages in alarms:
            for message in messages:
                print(f"  seed {seed}: {message[:160]}")


if __name__ == "__main__":
    main()
