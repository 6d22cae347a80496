"""A large school survey: many incomplete variables of several kinds at once, as in practice."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from bayesmi.simulate.common import SimulatedData, clustered_normal, deletion_probability

__all__ = ["simulate_school_survey"]

LEVEL1_MISSING = ("math", "reading", "science", "motivation", "repeated")
"""The incomplete pupil-level columns of `simulate_school_survey`, in generating order."""


def simulate_school_survey(
    schools: int = 280,
    pupils: int = 100,
    missing: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    """Simulate a two-level school survey with six incomplete variables of three kinds.

    Thirteen columns: ``school``; complete pupil covariates ``age``, ``iq``
    (clustered), ``sex`` (0/1) and ``homework``; complete school covariates ``size`` and
    ``public`` (0/1); four incomplete continuous pupil outcomes generated in sequence,
    ``math = 0.5 iq + 0.2 age + 0.3 climate + u + e``, ``reading = 0.4 math + 0.3 iq +
    0.2 sex + u + e``, ``science = 0.5 math + 0.2 reading + u + e``, ``motivation = 0.3 math +
    0.2 homework + u + e`` (school effects SD 0.5, residual SD 1); an incomplete binary
    ``repeated`` with ``logit P = -1.5 - 0.6 math - 0.3 motivation + u`` (SD 0.5); and an
    incomplete school-level ``climate = 0.4 size + 0.5 public + e``. Each incomplete column
    loses a `missing` share of its cells (of its schools for ``climate``), MAR on complete
    covariates (age, iq, homework, sex; size for climate).

    This is the shape of the large workloads users report for mice's 2l.pan (mice issue 315):
    the benchmark `benchmarks/bench_large.py` imputes it with the spec mice would use.

    Parameters
    ----------
    schools, pupils : int, default=280, 100
        Number of schools and pupils per school.
    missing : float, default=0.2
        Expected share of deleted cells in each incomplete column.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        The thirteen columns; ``repeated``, ``sex`` and ``public`` are 0.0/1.0.

    Examples
    --------
    >>> sim = bm.simulate.simulate_school_survey(schools=20, pupils=10, seed=1)
    >>> sim.incomplete.shape
    (200, 13)
    """
    rng = np.random.default_rng(seed)
    school = np.repeat(np.arange(schools), pupils)
    size, public = rng.standard_normal(schools), (rng.random(schools) < 0.6).astype(float)
    climate = 0.4 * size + 0.5 * public + 0.8 * rng.standard_normal(schools)
    age = rng.standard_normal(school.size)
    iq = clustered_normal(school, schools, 0.2, rng)
    sex = (rng.random(school.size) < 0.5).astype(float)
    homework = rng.standard_normal(school.size)

    def outcome(mean: np.ndarray) -> np.ndarray:
        effect = 0.5 * rng.standard_normal(schools)[school]
        return mean + effect + rng.standard_normal(school.size)

    math = outcome(0.5 * iq + 0.2 * age + 0.3 * climate[school])
    reading = outcome(0.4 * math + 0.3 * iq + 0.2 * sex)
    science = outcome(0.5 * math + 0.2 * reading)
    motivation = outcome(0.3 * math + 0.2 * homework)
    logit = -1.5 - 0.6 * math - 0.3 * motivation + 0.5 * rng.standard_normal(schools)[school]
    repeated = (rng.random(school.size) < expit(logit)).astype(float)
    complete = pd.DataFrame(
        {
            "school": school + 1,
            "age": age,
            "iq": iq,
            "sex": sex,
            "homework": homework,
            "size": size[school],
            "public": public[school],
            "climate": climate[school],
            "math": math,
            "reading": reading,
            "science": science,
            "motivation": motivation,
            "repeated": repeated,
        }
    )
    incomplete = complete.copy()
    drivers = (age, iq, homework, sex - 0.5, iq + age)
    for column, driver in zip(LEVEL1_MISSING, drivers, strict=True):
        probability = deletion_probability(driver, missing, "mar")
        incomplete.loc[rng.random(school.size) < probability, column] = np.nan
    lost = rng.random(schools) < deletion_probability(size, missing, "mar")
    incomplete.loc[lost[school], "climate"] = np.nan
    truth = {"climate_size": 0.4, "climate_public": 0.5, "math_iq": 0.5, "repeated_math": -0.6}
    return SimulatedData(incomplete, complete, truth)
