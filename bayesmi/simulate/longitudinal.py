"""Repeated measures with known truth: occasions within persons, AR(1) residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesmi.simulate.common import SimulatedData, delete_cells, deletion_probability

__all__ = ["simulate_longitudinal"]


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
        Residual SD.
    missing : float, default=0.3
        Expected fraction of y deleted.
    seed : int or numpy.random.Generator, optional
        Seed of the simulation.

    Returns
    -------
    SimulatedData
        Columns ``id``, ``time``, ``treat``, ``x`` and ``y``, one row per occasion.

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
    trend = (time_slope + time_by_treat * treat) * time
    y = intercept + trend + x_slope * x + u0 + u1 * time + sigma * residual.ravel()
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
    return SimulatedData(incomplete, complete, truth)
