r"""The Cox family: an event time whose hazard is a baseline's times :math:`e^\eta`.

The baseline hazard of every stratum is a step function with a jump ``dH_m`` at each distinct
event time of the stratum (`bayesmi.gibbs.survival.RiskSets`), with the prior
:math:`p(dH_m) \propto 1 / dH_m` (flat on the log); the coefficients' posterior is then their
prior times Cox's partial likelihood (Breslow's for ties). The model has no intercept (the
baseline holds it). Event times are never imputed: a survival model is an analysis model
(``analysis=``), whose time and event columns must be complete.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.families.base import ColumnData, Family

__all__ = ["Cox"]


class Cox(Family):
    """An event time with a proportional hazard and a step baseline per stratum."""

    name: ClassVar[str] = "cox"
    values: ClassVar[str] = "event times"
    has_intercept: ClassVar[bool] = False
    shifts_linear_predictor: ClassVar[bool] = False
    survival: ClassVar[bool] = True

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the log jumps (flat) and Breslow's likelihood of `y`, a cause's `RiskSets`.

        Returns ``{"log_jumps": ...}`` and the likelihood as a `pm.Potential`.
        """
        risk = y
        log_jumps = pm.Flat(f"{target}::log_jumps", shape=risk.n_times)
        padded = pt.concatenate([pt.zeros(1), pt.cumsum(pt.exp(log_jumps))])
        cumulative = padded[risk.last + 1] - padded[risk.starts[risk.strata]]
        rows = np.flatnonzero(risk.events == 1)
        log_density = pt.sum(log_jumps[risk.last[rows]] + eta[rows])
        log_density -= pt.sum(cumulative * pt.exp(eta))
        return {"log_jumps": log_jumps}, pm.Potential(f"{target}::likelihood", log_density)

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Refuse: event times are never imputed (the time and event columns are complete)."""
        raise ValueError(
            "a survival model's event times are never imputed; its time and event columns "
            "must be complete."
        )

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return each row's log likelihood: ``d (log dH + eta) - H0 e^eta``.

        `y` holds the rows' event indicators of the cause, `quantities` the baseline's
        ``log_hazard`` (log of the jump at each event row's time) and ``cumulative`` (each
        row's cumulative baseline hazard at its time).
        """
        return y * (quantities["log_hazard"] + eta) - quantities["cumulative"] * np.exp(eta)

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse a categorical time column (the other checks: `bayesmi.data.survival_checks`)."""
        if target in data.factors:
            raise ValueError(
                f"the time column {target!r} of a survival model is categorical; it must hold "
                "follow-up times as numbers (e.g. days or years since entry)."
            )
