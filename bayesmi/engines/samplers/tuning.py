"""NUTS adaptation shared by a run's chains: tune each model once, then a few steps per chain.

Every chain used to adapt NUTS' step size and mass matrix for ``tune`` transitions (200) on
its own: ten chains paid ten times what one adaptation costs, most of a short run of a model
that stays on NUTS (heckman, poisson counts). The run first does the chained engine's first
iteration once, in this process, from observed starting values, adapting every NUTS-updated
model for ``tune`` transitions and drawing its missing cells as a chain would (so later models
adapt to realistic predictors: `bayesmi.engines.chained.shared_adaptation`); each chain then
starts from that adaptation (its point, a copy of the diagonal mass matrix estimate drawing
from the chain's random generator, and a step size adaptation started afresh at the tuned step
size) and adapts for `CHAIN_ADAPTATION` (20) more transitions before the step size is fixed:
those few transitions adapt near the posterior, where the shared run ended (`warm_up`). The
chains still differ from their first iteration on: in their starting imputations and in every
draw. The tuning run has its own seed (a child of the run's), so a chain's result does not
depend on where chains run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from bayesmi.engines.samplers.updaters import GibbsUpdater, NutsUpdater

__all__ = ["CHAIN_ADAPTATION", "Adaptation", "adaptation_of", "warm_up"]

CHAIN_ADAPTATION = 20
"""NUTS adaptation transitions each chain adds to the run's shared adaptation of a model,
before its step size is fixed."""


@dataclass(frozen=True)
class Adaptation:
    """Where a model's shared NUTS adaptation ended: point, mass matrix estimate, step size."""

    point: dict
    potential: object
    step_size: float


def adaptation_of(updater: NutsUpdater) -> Adaptation:
    """Return a copy of where an updater's NUTS adaptation stands."""
    step = updater.step
    return Adaptation(
        copy.deepcopy(updater.point),
        copy.deepcopy(step.potential),
        float(step.step_adapt.current(tune=False)),
    )


def warm_up(updater: NutsUpdater | GibbsUpdater, adaptation: Adaptation | None, tune: int) -> None:
    """Adapt in a chain's first iteration: from the run's shared adaptation where there is one."""
    if adaptation is None:
        updater.advance(tune, tune=True)
        return
    updater.adopt(adaptation.point, adaptation.potential, adaptation.step_size)
    updater.advance(min(tune, CHAIN_ADAPTATION), tune=True)
