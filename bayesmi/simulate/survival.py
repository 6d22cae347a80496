"""Clustered survival data with known truth: an IPD meta-analysis of a time to event."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayesmi.simulate.common import SimulatedData, deletion_probability

__all__ = ["simulate_survival"]


def simulate_survival(
    studies: int = 20,
    patients: int = 150,
    log_hr: float = 0.7,
    frailty_sd: float = 0.5,
    between_sd: float = 0.5,
    missing: float = 0.3,
    stratified: bool = True,
    seed: int | np.random.Generator | None = None,
) -> SimulatedData:
    r"""Simulate patients in studies with a time to event and incomplete covariates.

    Per patient: a complete normal ``z``; ``x`` normal with a study mean of its own
    (``x = 0.4 z + m_j + e``, ``m_j ~ N(0, between_sd^2)``, ``e ~ N(0, 1)``); a binary ``b``
    (``logit P = -0.5 + 0.5 z``); and an event time with hazard

    .. math:: h_{ij}(t) = h_{0j}(t) \exp(\text{log\_hr}\, x + 0.3 z - 0.5 b + u_j),
              \quad u_j \sim N(0, \text{frailty\_sd}^2),

    ``h_0j`` Weibull, with a shape and scale of each study's own when `stratified` (so only a
    model stratified by study holds), else one for all studies (a frailty model holds).
    Follow-up ends at a uniform time between 2 and 8 (median survival is about 3): about half
    the patients have the event. ``x`` and ``b`` are each missing with mean probability
    `missing`, MAR: more often with the event and with a short time.

    Returns
    -------
    SimulatedData
        Columns ``study``, ``z``, ``x``, ``b`` (0.0/1.0), ``time`` and ``event`` (0/1);
        truth ``log_hr_x``, ``log_hr_z``, ``log_hr_b``, ``frailty_sd`` and ``between_sd``.
    """
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(1, studies + 1), patients)
    j = study - 1
    z = rng.standard_normal(study.size)
    x = 0.4 * z + between_sd * rng.standard_normal(studies)[j] + rng.standard_normal(study.size)
    b = (rng.random(study.size) < 1 / (1 + np.exp(0.5 - 0.5 * z))).astype(float)
    frailty = frailty_sd * rng.standard_normal(studies)
    eta = log_hr * x + 0.3 * z - 0.5 * b + frailty[j]
    shape = rng.uniform(0.8, 1.5, studies) if stratified else np.full(studies, 1.2)
    scale = np.exp(rng.normal(-1.5, 0.3, studies)) if stratified else np.full(studies, 0.25)
    # H(t) = scale t^shape e^eta = E ~ Exp(1)
    event_time = (rng.exponential(size=study.size) / (scale[j] * np.exp(eta))) ** (1 / shape[j])
    follow_up = rng.uniform(2.0, 8.0, study.size)
    time = np.round(np.minimum(event_time, follow_up), 3) + 0.001
    event = (event_time <= follow_up).astype(int)
    complete = pd.DataFrame({"study": study, "z": z, "x": x, "b": b, "time": time, "event": event})
    incomplete = complete.copy()
    drive = 1.0 * event - 0.5 * (np.log(time) - np.log(time).mean())
    for column in ("x", "b"):
        drop = rng.random(study.size) < deletion_probability(drive, missing, "mar")
        incomplete.loc[drop, column] = np.nan
    truth = {
        "log_hr_x": log_hr,
        "log_hr_z": 0.3,
        "log_hr_b": -0.5,
        "frailty_sd": frailty_sd,
        "between_sd": between_sd,
    }
    return SimulatedData(incomplete, complete, truth)
