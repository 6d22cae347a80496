r"""Survival families: an event time whose hazard is a baseline's times :math:`e^\eta`.

The family of a survival analysis model (`bayesmi.survival`) is its baseline hazard, one per
stratum:

- `Cox`: a step function with a jump ``dH_m`` at each distinct event time of the stratum
  (`bayesmi.gibbs.survival.RiskSets`), :math:`p(dH_m) \propto 1 / dH_m` (flat on the log);
  the coefficients' posterior is their prior times Cox's partial likelihood (Breslow's for
  ties);
- `Weibull`: :math:`h(t) = \lambda \alpha t^{\alpha - 1}` on times divided by the median
  time, :math:`p(\lambda) \propto 1 / \lambda`, :math:`\log \alpha \sim N(0, 1)`.

The linear predictor has no intercept (the baseline holds it). Event times are never imputed:
a survival model is an analysis model (``analysis=``), whose time and event columns must be
complete. Each family makes its cause's sampler (`kernel`), adds its PyMC likelihood given
that kernel (the same posterior, for a NUTS cross-check) and reads its parameters back.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.families.base import ColumnData, Family
from bayesmi.gibbs.survival import CoxGibbs, RiskSets, WeibullGibbs

__all__ = ["Cox", "SurvivalFamily", "Weibull"]


class SurvivalFamily(Family):
    """An event time with a proportional hazard (see the module docstring)."""

    values: ClassVar[str] = "event times"
    has_intercept: ClassVar[bool] = False
    shifts_linear_predictor: ClassVar[bool] = False
    survival: ClassVar[bool] = True

    def kernel(
        self,
        times: np.ndarray,
        events: np.ndarray,
        strata: np.ndarray,
        n_strata: int,
        clusters: np.ndarray | None,
        n_clusters: int,
    ) -> CoxGibbs:
        """Return the Gibbs sampler of one cause (0/1 `events`), with a frailty by `clusters`."""
        raise NotImplementedError

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the baseline's parameters and the likelihood; `y` is the cause's `kernel`.

        Returns the baseline's free variables by name and the likelihood (a `pm.Potential`).
        """
        kernel = y
        log_jumps = pm.Flat(f"{target}::log_jumps", shape=kernel.risk.n_times)
        log_hazard, cumulative, extra = self._baseline(target, kernel, pt.exp(log_jumps))
        rows = np.flatnonzero(kernel.risk.events == 1)
        log_density = pt.sum(log_jumps[kernel.risk.last[rows]] + log_hazard[rows] + eta[rows])
        log_density -= pt.sum(cumulative * pt.exp(eta))
        potential = pm.Potential(f"{target}::likelihood", log_density)
        return {"log_jumps": log_jumps, **extra}, potential

    def _baseline(self, target: str, kernel: CoxGibbs, jumps) -> tuple:
        """Return the baseline's log hazard besides the jump, cumulative hazard, own variables."""
        risk = kernel.risk
        padded = pt.concatenate([pt.zeros(1), pt.cumsum(jumps)])
        no_term = pt.zeros(risk.events.shape[0])
        return no_term, padded[risk.last + 1] - padded[risk.starts[risk.strata]], {}

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Refuse: event times are never imputed (the time and event columns are complete)."""
        raise ValueError(
            "a survival model's event times are never imputed; its time and event columns "
            "must be complete."
        )

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return each row's log likelihood: ``d (log h0(t) + eta) - H0(t) e^eta``.

        `y` holds the rows' event indicators of the cause, `quantities` the baseline's
        ``log_hazard`` at each event row's time and ``cumulative`` hazard at each row's time
        (`bayesmi.gibbs.survival.CoxGibbs.baseline`).
        """
        return y * (quantities["log_hazard"] + eta) - quantities["cumulative"] * np.exp(eta)

    def state_from_point(self, point: dict, name: str) -> dict:
        """Return the baseline's part of a sampler state from a NUTS point (cause `name`)."""
        return {"jumps": np.exp(point[f"{name}::log_jumps"])}

    def baseline_parameters(
        self, state: dict, time_scale: float, shift: float
    ) -> dict[str, np.ndarray]:
        """Return the baseline's parameters on the data's time scale (none for Cox).

        `shift` is the standardised linear predictor where every predictor is 0 (and the
        frailty 0): the baseline is reported there, as a regression's intercept.
        """
        return {}

    def baseline_dims(self, stratum_dim: str) -> dict[str, tuple[str, ...]]:
        """Return the dims of `baseline_parameters`."""
        return {}

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse a categorical time column (the other checks: `bayesmi.data.survival_checks`)."""
        if target in data.factors:
            raise ValueError(
                f"the time column {target!r} of a survival model is categorical; it must hold "
                "follow-up times as numbers (e.g. days or years since entry)."
            )


class Cox(SurvivalFamily):
    """A step baseline per stratum, jumps at its event times (Cox's model)."""

    name: ClassVar[str] = "cox"

    def kernel(self, times, events, strata, n_strata, clusters, n_clusters) -> CoxGibbs:
        """Return `CoxGibbs` over the risk sets of the stratum's event times."""
        return CoxGibbs(RiskSets.of(times, events, strata, n_strata), clusters, n_clusters)


class Weibull(SurvivalFamily):
    """A Weibull baseline per stratum: a rate and a shape of its own."""

    name: ClassVar[str] = "weibull"

    def kernel(self, times, events, strata, n_strata, clusters, n_clusters) -> WeibullGibbs:
        """Return `WeibullGibbs` on times divided by their median (kept as `time_scale`)."""
        risk = RiskSets.whole(events, strata, n_strata)
        log_times = np.log(times / time_scale(times))
        return WeibullGibbs(risk, clusters, n_clusters, log_times=log_times)

    def _baseline(self, target: str, kernel: WeibullGibbs, jumps) -> tuple:
        log_shape = pm.Normal(f"{target}::log_shape", 0.0, 1.0, shape=kernel.risk.n_times)
        shape = pt.exp(log_shape)[kernel.risk.strata]
        log_times = kernel.log_times
        log_hazard = log_shape[kernel.risk.strata] + (shape - 1) * log_times
        cumulative = jumps[kernel.risk.strata] * pt.exp(shape * log_times)
        return log_hazard, cumulative, {"log_shape": log_shape}

    def state_from_point(self, point: dict, name: str) -> dict:
        """Return the rates and shapes of a NUTS point."""
        return super().state_from_point(point, name) | {
            "shape": np.exp(point[f"{name}::log_shape"])
        }

    def baseline_parameters(
        self, state: dict, time_scale: float, shift: float
    ) -> dict[str, np.ndarray]:
        """Return every stratum's ``shape`` and ``scale`` (time units): ``H0 = (t/scale)^shape``.

        With every predictor (and the frailty) 0, as lifelines' and R's intercepts are.
        """
        shape = state["shape"]
        rate = state["jumps"] * np.exp(shift)
        return {"shape": shape, "scale": time_scale * rate ** (-1 / shape)}

    def baseline_dims(self, stratum_dim: str) -> dict[str, tuple[str, ...]]:
        """Return the dims of ``shape`` and ``scale``: one per stratum."""
        return {"shape": (stratum_dim,), "scale": (stratum_dim,)}


def time_scale(times: np.ndarray) -> float:
    """Return the median positive time: what a Weibull baseline divides times by."""
    return float(np.median(times[times > 0]))
