"""Repeated measures with known truth: occasions within persons, AR(1) residuals, dropout."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesmi.simulate.common import SimulatedData, delete_cells, deletion_probability

__all__ = ["simulate_dropout_trial", "simulate_longitudinal"]


def simulate_longitudinal(
    persons: int = 300,
    occasions: int = 6,
    phi: float = 0.6,
    intercept: float = 0.0,
    time_slope: float = 0.5,
    x_slope: float = 0.5,
    time_by_treat: float = 0.0,
    intercept_sd: float = 0.7,
    slope_sd: float = 0.2,
    sigma: float = 1.0,
    missing: float = 0.3,
    seed: int | np.random.Generator | None = None,
    sigma_spread: float = 0.0,
) -> SimulatedData:
    r"""Simulate a growth curve with AR(1) residuals; y missing at random given x.

    .. math:: y_{it} = \beta_0 + \beta_t t + \beta_{tT} t T_i + \beta_x x_{it} + u_{0i}
              + u_{1i} t + e_{it},
              \quad \mathrm{corr}(e_{it}, e_{is}) = \phi^{|t - s|}

    with times ``0, 1, ..., occasions - 1``, ``Var(e) = sigma^2``, independent normal random
    intercepts and time slopes, a standard normal time-varying covariate ``x`` and a
    time-invariant arm ``treat`` (``T``, half the persons; no effect at time 0, a slope
    difference `time_by_treat`). y is deleted with probability
    ``expit(c + x)``, mean `missing`.

    Parameters
    ----------
    persons, occasions : int, default=300, 6
        Number of persons and of occasions per person.
    phi : float, default=0.6
        Autocorrelation of residuals one time unit apart.
    intercept, time_slope, x_slope : float, default=0.0, 0.5, 0.5
        Fixed effects.
    time_by_treat : float, default=0.0
        The treated arm's extra slope of time (the treatment-by-time effect).
    intercept_sd, slope_sd : float, default=0.7, 0.2
        SDs of the random intercepts and time slopes.
    sigma : float, default=1.0
        Residual SD (with `sigma_spread`, the persons' median).
    missing : float, default=0.3
        Expected fraction of y deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.
    sigma_spread : float, default=0.0
        SD of the persons' log residual SDs: ``log sigma_i ~ N(log sigma, sigma_spread^2)``
        (the heteroscedastic model's; 0: one SD for all).

    Returns
    -------
    SimulatedData
        Columns ``id``, ``time``, ``treat``, ``x`` and ``y``, one row per occasion. The truth
        holds each person's residual SD (``person_sigma``) when `sigma_spread` is positive.

    Examples
    --------
    >>> sim = bm.simulate.simulate_longitudinal(persons=20, seed=1)
    >>> sim.incomplete.columns.tolist()
    ['id', 'time', 'treat', 'x', 'y']
    """
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(1, persons + 1), occasions)
    time = np.tile(np.arange(occasions, dtype=float), persons)
    treat = (person % 2 == 0).astype(float)
    x = rng.standard_normal(person.size)
    u0 = intercept_sd * rng.standard_normal(persons)[person - 1]
    u1 = slope_sd * rng.standard_normal(persons)[person - 1]
    innovations = rng.standard_normal((persons, occasions))
    residual = np.empty((persons, occasions))
    residual[:, 0] = innovations[:, 0]
    for t in range(1, occasions):
        residual[:, t] = phi * residual[:, t - 1] + np.sqrt(1 - phi**2) * innovations[:, t]
    person_sigma = np.full(persons, float(sigma))
    if sigma_spread > 0:
        person_sigma = sigma * np.exp(sigma_spread * rng.standard_normal(persons))
    trend = (time_slope + time_by_treat * treat) * time
    noise = (person_sigma[:, None] * residual).ravel()
    y = intercept + trend + x_slope * x + u0 + u1 * time + noise
    complete = pd.DataFrame({"id": person, "time": time, "treat": treat, "x": x, "y": y})
    incomplete = delete_cells(complete, "y", deletion_probability(x, missing, "mar"), rng)
    truth = {
        "phi": phi,
        "intercept": intercept,
        "time_slope": time_slope,
        "x_slope": x_slope,
        "time_by_treat": time_by_treat,
        "intercept_sd": intercept_sd,
        "slope_sd": slope_sd,
        "sigma": sigma,
    }
    if sigma_spread > 0:
        truth |= {"sigma_spread": sigma_spread, "person_sigma": person_sigma}
    return SimulatedData(incomplete, complete, truth)


def simulate_dropout_trial(
    persons: int = 400,
    visits: int = 5,
    time_slope: float = -0.3,
    time_by_treat: float = -0.4,
    phi: float = 0.5,
    dropout: float = 0.8,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    r"""Simulate a two-arm trial with visits 0..`visits`-1 and dropout after a bad last value.

    .. math:: y_{it} = 10 + \beta_t t + \beta_{tT} t T_i + u_{0i} + u_{1i} t + e_{it}

    (a symptom score: lower is better; random intercept SD 1.5, time slope SD 0.3, AR(1)
    residuals of SD 1 with `phi`). From visit 1 on, a person still in the trial drops out
    before the visit with probability ``expit(-2 + dropout (y_{t-1} - 10))``: missing at
    random given the last observed score, monotone. ``time_by_treat`` is the treatment
    effect (the treated arm's extra slope per visit).

    Parameters
    ----------
    persons, visits : int, default=400, 5
        Number of persons (half in each arm) and of scheduled visits.
    time_slope, time_by_treat : float, default=-0.3, -0.4
        The control arm's slope per visit and the treated arm's difference.
    phi : float, default=0.5
        Autocorrelation of residuals one visit apart.
    dropout : float, default=0.8
        How strongly a high (bad) last score drives dropout.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``id``, ``visit``, ``treat`` and ``y``; y missing after dropout.

    Examples
    --------
    >>> sim = bm.simulate.simulate_dropout_trial(persons=40, seed=1)
    >>> sim.truth["time_by_treat"]
    -0.4
    """
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(1, persons + 1), visits)
    visit = np.tile(np.arange(visits, dtype=float), persons)
    treat = (person % 2 == 0).astype(float)
    u0 = 1.5 * rng.standard_normal(persons)[person - 1]
    u1 = 0.3 * rng.standard_normal(persons)[person - 1]
    residual = np.empty((persons, visits))
    residual[:, 0] = rng.standard_normal(persons)
    for t in range(1, visits):
        innovation = rng.standard_normal(persons)
        residual[:, t] = phi * residual[:, t - 1] + np.sqrt(1 - phi**2) * innovation
    trend = (time_slope + time_by_treat * treat) * visit
    y = 10.0 + trend + u0 + u1 * visit + residual.ravel()
    scores = y.reshape(persons, visits)
    present = np.ones((persons, visits), dtype=bool)
    for t in range(1, visits):
        leave = rng.random(persons) < 1 / (1 + np.exp(2.0 - dropout * (scores[:, t - 1] - 10.0)))
        present[:, t] = present[:, t - 1] & ~leave
    complete = pd.DataFrame({"id": person, "visit": visit, "treat": treat, "y": y})
    incomplete = complete.assign(y=np.where(present.ravel(), y, np.nan))
    truth = {"time_slope": time_slope, "time_by_treat": time_by_treat, "phi": phi}
    return SimulatedData(incomplete, complete, truth)
