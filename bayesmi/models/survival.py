r"""The survival analysis model: a proportional hazards model by strata, with a frailty.

The analysis model of an analysis-compatible chained run (``analysis="Surv(time, event) ~ ..."``,
`bayesmi.spec.survival`), the last factor of the joint distribution. For every cause ``k`` of
the event column (1 alone without competing risks), on standardised predictors::

    hazard_ik(t) = h_sk(t) exp(x_i' beta_k + b_jk),   b_jk ~ N(0, tau_k^2)   (with (1 | cluster))

with the model's family (`bayesmi.families.survival`: Cox's step baseline or a Weibull) as
the baseline in every stratum ``s``. The events of the other causes are censorings of cause
``k`` (cause-specific hazards, as smcfcs' ``compet``). The causes share no parameter, so each
is swept by its own sampler (`bayesmi.gibbs.survival`), and a row's log likelihood is the
sum over causes: what the Metropolis steps of the incomplete covariates read
(`bayesmi.engines.samplers.metropolis`). The PyMC model holds the same posterior (for a NUTS
cross-check); runs update it by the sweeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.families.survival import SurvivalFamily, time_scale
from bayesmi.gibbs.survival import CoxGibbs
from bayesmi.models.blocks import new_model
from bayesmi.models.conditional import ConditionalModel, GibbsSampler, Point
from bayesmi.models.scaling import Inputs, current_predictors
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.survival import SurvivalOutcome, survival_outcome

__all__ = ["SurvivalModel", "stratum_codes", "survival_model"]


def stratum_codes(data: ImputationData, outcome: SurvivalOutcome) -> tuple[np.ndarray, list]:
    """Return every row's stratum code and the strata's labels (one stratum without strata)."""
    if outcome.strata is None:
        return np.zeros(data.n_rows, dtype=int), ["all"]
    labels, codes = np.unique(data.frame[outcome.strata].to_numpy(), return_inverse=True)
    return codes.astype(int), [str(label) for label in labels]


def survival_model(model: ImputationModel, data: ImputationData) -> SurvivalModel:
    """Build the survival analysis model of a `bayesmi.survival` spec (module docstring)."""
    outcome, _ = survival_outcome(model.formula)
    target = model.target
    inputs = Inputs.from_data(data, target, model.fixed_terms, standardise_target=False)
    times = data.values(outcome.time)
    codes = data.values(outcome.event).astype(int)
    strata, strata_labels = stratum_codes(data, outcome)
    causes = tuple(range(1, int(codes.max()) + 1))
    frailty = model.group is not None
    clusters = data.cluster_codes if frailty else None
    n_clusters = len(data.cluster_labels) if frailty else 0
    family = model.family
    kernels = tuple(
        family.kernel(times, codes == k, strata, len(strata_labels), clusters, n_clusters)
        for k in causes
    )
    predictors = inputs.predictors
    names = [_cause_name(target, k, len(causes)) for k in causes]
    with new_model(data, target, predictors) as pymc_model:
        pymc_model.add_coord(f"{target}::obs_row", length=data.n_rows)
        x = None
        if predictors:
            dims = (f"{target}::obs_row", f"{target}::predictor")
            x = pm.Data(f"{target}::X", inputs.x, dims=dims)
        for name, kernel in zip(names, kernels, strict=True):
            _add_cause(name, target, x, kernel, family)
    stratum_dim = f"{target}::stratum"
    return SurvivalModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=_parameter_dims(target, len(causes), frailty, family, stratum_dim),
        coords={
            f"{target}::beta_dim": list(predictors),
            f"{target}::cause": [str(k) for k in causes],
            stratum_dim: strata_labels,
        },
        gibbs=_gibbs_sampler(pymc_model, inputs, kernels),
        inputs=inputs,
        family=family,
        outcome=outcome,
        time_scale=time_scale(times),
        kernels=kernels,
        cause_names=tuple(names),
    )


def _cause_name(target: str, cause: int, n_causes: int) -> str:
    """Return the prefix of a cause's free variables (the target alone for one cause)."""
    return target if n_causes == 1 else f"{target}::cause_{cause}"


def _add_cause(name: str, target: str, x, kernel: CoxGibbs, family: SurvivalFamily) -> None:
    """Add one cause's coefficients, frailty and likelihood to the model in context."""
    eta = pt.zeros(kernel.risk.events.shape[0])
    if x is not None:
        beta = pm.Normal(f"{name}::beta_std", 0.0, COEFFICIENT_SD, dims=f"{target}::predictor")
        eta = eta + x @ beta
    if kernel.clusters is not None:
        tau = pm.HalfNormal(f"{name}::tau_std", SCALE_SD)
        offsets = pm.Normal(f"{name}::eta", 0.0, 1.0, dims="cluster")
        eta = eta + (tau * offsets)[kernel.clusters]
    family.likelihood(name, eta, kernel)


def _parameter_dims(
    target: str, n_causes: int, frailty: bool, family: SurvivalFamily, stratum_dim: str
) -> dict[str, tuple[str, ...]]:
    """Return the dims of the parameters, per cause.

    ``beta`` (log hazard ratios), ``tau`` and ``u`` (the frailties) and the baseline's own
    (`SurvivalFamily.baseline_dims`).
    """
    cause = (f"{target}::cause",) if n_causes > 1 else ()
    dims = {"beta": (*cause, f"{target}::beta_dim")}
    if frailty:
        dims |= {"tau": cause, "u": (*cause, "cluster")}
    for name, own in family.baseline_dims(stratum_dim).items():
        dims[name] = (*cause, *own)
    return dims


def _gibbs_sampler(pymc_model, inputs: Inputs, kernels: tuple[CoxGibbs, ...]) -> GibbsSampler:
    """Sweep every cause's kernel given the predictors the model holds now."""
    n_predictors = len(inputs.columns)

    def start(rng: np.random.Generator) -> Point:
        return {"causes": tuple(kernel.start(n_predictors, rng) for kernel in kernels)}

    def sweep(state: Point, rng: np.random.Generator) -> tuple[Point, float]:
        x = current_predictors(pymc_model, inputs)
        parts = zip(kernels, state["causes"], strict=True)
        swept = [kernel.sweep(part, x, rng) for kernel, part in parts]
        accept = float(np.mean([accepted for _, accepted in swept]))
        return {"causes": tuple(part for part, _ in swept)}, accept

    return GibbsSampler(start=start, sweep=sweep)


@dataclass(kw_only=True)
class SurvivalModel(ConditionalModel):
    """A compiled survival analysis model (see the module docstring).

    Parameters on the data's scale: ``beta`` (log hazard ratios per unit of each predictor),
    with a frailty ``tau`` (its SD) and ``u`` (every cluster's, on the log hazard), a Weibull
    baseline's ``shape`` and ``scale`` per stratum; one set per cause with competing risks.
    """

    inputs: Inputs = field(repr=False)
    family: SurvivalFamily
    outcome: SurvivalOutcome
    time_scale: float
    kernels: tuple[CoxGibbs, ...] = field(repr=False)
    cause_names: tuple[str, ...]

    def _states(self, point: Point) -> list[dict]:
        """Return every cause's state from a Gibbs state or a NUTS point (no compiling)."""
        if "causes" in point:
            return list(point["causes"])
        states = []
        for name, kernel in zip(self.cause_names, self.kernels, strict=True):
            state = {"beta": point.get(f"{name}::beta_std", np.zeros(0))}
            state |= self.family.state_from_point(point, name)
            if kernel.clusters is not None:
                tau = float(np.exp(point[f"{name}::tau_std_log__"]))
                state |= {"tau": tau, "frailty": tau * point[f"{name}::eta"]}
            states.append(state)
        return states

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return some rows' log likelihood, summed over the causes (their times are `y`).

        `x` holds every row's standardised predictors; the rows' times and events are the
        model's own (complete), so `y` only names them.
        """
        total = np.zeros(rows.size)
        x_rows = np.take(x, rows, axis=0)
        for kernel, state in zip(self.kernels, self._states(point), strict=True):
            eta = x_rows @ state["beta"]
            if kernel.clusters is not None:
                eta = eta + state["frailty"][kernel.clusters[rows]]
            baseline = {name: values[rows] for name, values in kernel.baseline(state).items()}
            total += self.family.row_log_likelihood(eta, kernel.risk.events[rows], baseline)
        return total

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Return no draws: event times are complete (admission refuses missing ones)."""
        if rows.size:
            raise ValueError(f"{self.target!r}: a survival model's event times are never imputed")
        return np.zeros(0)

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the log hazard ratios per unit of each predictor (and the frailties)."""
        states = self._states(point)
        scale = self.scaling.x_scale
        named = {"beta": np.array([state["beta"] / scale for state in states])}
        if self.kernels[0].clusters is not None:
            named["tau"] = np.array([state["tau"] for state in states])
            named["u"] = np.array([state["frailty"] for state in states])
        centres = self.scaling.x_center / scale  # where the predictors are 0, standardised
        own = [
            self.family.baseline_parameters(state, self.time_scale, -float(state["beta"] @ centres))
            for state in states
        ]
        for name in own[0]:
            named[name] = np.array([values[name] for values in own])
        if len(states) == 1:
            named = {name: values[0] for name, values in named.items()}
        return named
