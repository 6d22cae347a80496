"""NUTS adaptation shared by a run's chains: tune each model once, then a few steps per chain.

Every chain used to adapt NUTS' step size and mass matrix for ``tune`` transitions (200) on
its own: ten chains paid ten times what one adaptation costs, most of a short run of a model
that stays on NUTS (heckman, poisson counts). Here the run first does the chained engine's first
iteration once, in this process, from observed starting values, adapting every NUTS-updated
model for ``tune`` transitions and drawing its missing cells as a chain would (so later models
adapt to realistic predictors); each chain then starts from that adaptation (its point, a copy
of the diagonal mass matrix estimate drawing from the chain's random generator, and a step
size adaptation started afresh at the tuned step size) and adapts for
`bayesmi.engines.updaters.CHAIN_ADAPTATION` (20) more transitions before the step size is
fixed: those few transitions adapt near the posterior, where the shared run ended. The chains
still differ from their first iteration on: in their starting imputations and in every draw.
The tuning run has its own seed (a child of the run's), so a chain's result does not depend on
where chains run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.engines.chained import compiled_models, starting_values
from bayesmi.engines.options import ChainedSettings
from bayesmi.engines.updaters import NutsUpdater, make_updater
from bayesmi.models.conditional import COMPILE_LOCK
from bayesmi.spec.kinds import update_method
from bayesmi.spec.model import ImputationModel

__all__ = ["Adaptation", "shared_adaptation"]


@dataclass(frozen=True)
class Adaptation:
    """Where a model's shared NUTS adaptation ended: point, mass matrix estimate, step size."""

    point: dict
    potential: object
    step_size: float


def shared_adaptation(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: ChainedSettings,
    seed: np.random.SeedSequence,
) -> dict[str, Adaptation]:
    """Adapt every NUTS-updated model once; return each one's adaptation by variable name.

    Empty when no model is updated by NUTS or ``tune`` is 0 (nothing is compiled then beyond
    what the chains compile).
    """
    methods = {name: update_method(model, settings.sampler) for name, model in spec.items()}
    if not settings.tune or all(method == "gibbs" for method in methods.values()):
        return {}
    rng = np.random.default_rng(seed)
    with COMPILE_LOCK:
        models = compiled_models(data, spec, settings.models_key)
        updaters = {
            name: make_updater(model, methods[name], rng.spawn(1)[0], settings.target_accept)
            for name, model in models.items()
        }
    if not any(isinstance(updater, NutsUpdater) for updater in updaters.values()):
        return {}
    current = starting_values(data, spec, rng)
    adaptations = {}
    for name, model in models.items():
        predictors = data.design(model.columns, current)
        model.set_predictors(predictors)
        updater = updaters[name]
        updater.advance(settings.tune, tune=True)
        if isinstance(updater, NutsUpdater):
            step = updater.step
            adaptations[name] = Adaptation(
                copy.deepcopy(updater.point),
                copy.deepcopy(step.potential),
                float(step.step_adapt.current(tune=False)),
            )
        current[name][data.missing[name]] = model.draw_missing(updater.point, predictors, rng)
    return adaptations
