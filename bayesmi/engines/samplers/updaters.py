"""Parameter updates of one conditional model: hand-driven NUTS, or an exact Gibbs sweep.

`pm.sample` costs seconds per call, so the chained engine never calls it inside its loop.
Instead each conditional model gets one `pm.NUTS` step with an adaptive diagonal mass matrix,
started from a jittered initial point (as PyMC's ``jitter+adapt_diag``); the engine advances it
by `NutsUpdater.advance`, with step size and mass matrix adapting during the tuning
transitions and fixed afterwards. Between calls the engine changes the model's `pm.Data`; the
compiled log-density sees the new values.

Models with an exact Gibbs sampler (`ConditionalModel.gibbs`) are updated by `GibbsUpdater`
instead: no compilation, no tuning (a few warm-up sweeps), a few vector operations per sweep.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pymc as pm
from pymc.blocking import DictToArrayBijection
from pymc.step_methods.hmc import quadpotential
from pymc.step_methods.step_sizes import DualAverageAdaptation

from bayesmi.models.conditional import ConditionalModel, Point, jittered_start
from bayesmi.spec.kinds import UpdateMethod

WARMUP_SWEEPS = 20
"""Most sweeps a Gibbs updater runs when asked to tune: it adapts nothing, and a collapsed
sweep leaves its starting point within a few; the rest would only cost time (at 28,000 rows,
200 warm-up sweeps per model took two thirds of a five-iteration run)."""


@dataclass(frozen=True)
class TransitionStats:
    """Summary of the transitions (NUTS) or sweeps (Gibbs) of one update."""

    divergences: int
    step_size: float
    tree_depth: int
    acceptance_rate: float
    max_treedepth_hits: int


def make_updater(
    model: ConditionalModel, method: UpdateMethod, rng: np.random.Generator, target_accept: float
) -> NutsUpdater | GibbsUpdater:
    """Return the updater `method` names (`bayesmi.spec.kinds.update_method` chose it)."""
    if method == "gibbs":
        return GibbsUpdater(model, rng)
    if method == "nuts_then_gibbs":
        return NutsWarmedGibbsUpdater(model, rng, target_accept)
    return NutsUpdater(model.model, rng, target_accept, model.logp_dlogp_function())


def gibbs_sweeps(
    sweep, point: Point, rng: np.random.Generator, sweeps: int
) -> tuple[Point, TransitionStats]:
    """Run `sweeps` sweeps of a Gibbs sampler from `point`; return the end and their stats."""
    accept = 0.0
    for _ in range(sweeps):
        point, acceptance = sweep(point, rng)
        accept += acceptance
    return point, TransitionStats(0, np.nan, 0, accept / sweeps, 0)


def sweep_block(
    updaters: list[GibbsUpdater], model: ConditionalModel, x: list[np.ndarray], sweeps: int
) -> list[TransitionStats]:
    """Run `sweeps` sweeps of a block of chains' updaters of one model in one call.

    `x` holds the chains' standardised predictors (`ConditionalModel.hold_block`);
    the model's sampler has a ``sweep_block``. Every updater's point moves, each chain
    drawing from its own generator as its `GibbsUpdater.advance` would.
    """
    points = [updater.point for updater in updaters]
    rngs = [updater.rng for updater in updaters]
    points, acceptance = model.gibbs.sweep_block(points, x, rngs, sweeps)
    for updater, point in zip(updaters, points, strict=True):
        updater.point = point
    return [TransitionStats(0, np.nan, 0, float(rate), 0) for rate in acceptance]


class GibbsUpdater:
    """Exact Gibbs sweeps of a conditional model's parameters (see `models.gibbs`).

    Parameters
    ----------
    model : ConditionalModel
        A model whose ``gibbs`` sweep is set.
    rng : numpy.random.Generator
        Source of the jitter of the initial point and of the sweeps' randomness.
    """

    def __init__(self, model: ConditionalModel, rng: np.random.Generator) -> None:
        self.point: Point = model.gibbs.start(rng)
        self._sweep = model.gibbs.sweep
        self.rng = rng

    def state(self) -> dict:
        """Return what the next sweeps depend on (for a checkpoint)."""
        return {"point": self.point, "rng": self.rng.bit_generator.state}

    def restore(self, state: dict) -> None:
        """Continue from a `state`."""
        self.point = state["point"]
        self.rng.bit_generator.state = state["rng"]

    def advance(self, transitions: int, tune: bool) -> TransitionStats:
        """Run `transitions` sweeps, at most `WARMUP_SWEEPS` with `tune` (nothing to adapt)."""
        transitions = self.sweeps_for(transitions, tune)
        self.point, stats = gibbs_sweeps(self._sweep, self.point, self.rng, transitions)
        return stats

    def sweeps_for(self, transitions: int, tune: bool) -> int:
        """Return how many sweeps `advance` runs for `transitions` (fewer when tuning)."""
        return min(transitions, WARMUP_SWEEPS) if tune else transitions


class NutsUpdater:
    """NUTS transitions of one PyMC model's free variables, driven by hand.

    Parameters
    ----------
    model : pymc.Model
        The model.
    rng : numpy.random.Generator
        Source of the jitter of the initial point and of NUTS' randomness.
    target_accept : float, default=0.8
        Target acceptance rate of the step-size adaptation.
    logp_dlogp_function : optional
        The model's compiled ``logp_dlogp_function``, to reuse one compiled for an earlier
        chain; compiled here when omitted.
    """

    def __init__(
        self,
        model: pm.Model,
        rng: np.random.Generator,
        target_accept: float = 0.8,
        logp_dlogp_function=None,
    ) -> None:
        self.point = jittered_start(model, rng)
        jittered = DictToArrayBijection.map(self.point).data
        n = jittered.size
        potential = quadpotential.QuadPotentialDiagAdapt(n, jittered, np.ones(n), 10, rng=rng)
        self.step = pm.NUTS(
            model=model,
            potential=potential,
            target_accept=target_accept,
            rng=rng,
            initial_point=self.point,
            logp_dlogp_func=logp_dlogp_function,
        )
        self.tuning = True

    def state(self) -> dict:
        """Return what the next transitions depend on (for a checkpoint).

        The point, whether it is still tuning, and PyMC's ``sampling_state`` of the step (its
        random generator, counters, step-size adaptation and mass matrix); not the compiled
        functions.
        """
        return {"point": self.point, "tuning": self.tuning, "step": self.step.sampling_state}

    def restore(self, state: dict) -> None:
        """Continue from a `state` (the step's adaptation is updated in place)."""
        self.point, self.tuning = state["point"], state["tuning"]
        self.step.sampling_state = state["step"]

    def adopt(self, point: Point, potential: object, step_size: float) -> None:
        """Continue from another run's adaptation: its point, mass matrix and step size.

        The mass matrix estimate is a copy that keeps adapting and draws momenta from this
        updater's random generator; the step size adaptation starts afresh from `step_size`.
        """
        own = self.step.potential  # the integrator holds this object: update it in place
        rng = own.rng
        own.__dict__.update(copy.deepcopy(potential).__dict__)
        own.set_rng(rng)
        old = self.step.step_adapt
        self.step.step_adapt = DualAverageAdaptation(
            step_size, old._target, old._gamma, old._k, old._t0
        )
        self.point = copy.deepcopy(point)

    def advance(self, transitions: int, tune: bool) -> TransitionStats:
        """Advance the parameters by `transitions` NUTS transitions.

        Parameters
        ----------
        transitions : int
            Number of transitions (at least 1).
        tune : bool
            Adapt step size and mass matrix during these transitions. Once an update runs
            with ``tune=False``, adaptation stops for good and later ``tune=True`` is ignored.
        """
        if self.tuning and not tune:
            self.step.stop_tuning()
            self.tuning = False
        divergences = hits = depth = 0
        accept = 0.0
        step_size = np.nan
        for _ in range(transitions):
            self.point, stats = self.step.step(self.point)
            (stat,) = stats
            divergences += int(stat["diverging"])
            hits += int(stat["reached_max_treedepth"])
            depth = max(depth, int(stat["depth"]))
            accept += float(stat["mean_tree_accept"])
            step_size = float(stat["step_size"])
        return TransitionStats(divergences, step_size, depth, accept / transitions, hits)


class NutsWarmedGibbsUpdater(NutsUpdater):
    """NUTS while tuning (or adopting a shared adaptation), then exact Gibbs sweeps.

    For a model whose Gibbs sampler has ``from_nuts`` (`GibbsSampler`): NUTS' warm-up leaves
    the minor modes its sweeps would stay in, the sweeps then cost a fraction of NUTS'
    transitions. The first update with ``tune=False`` turns NUTS' point into the sampler's
    state; every later update sweeps.

    Parameters
    ----------
    model : ConditionalModel
        A model whose ``gibbs`` sampler has ``from_nuts``.
    rng : numpy.random.Generator
        Source of NUTS' and the sweeps' randomness.
    target_accept : float
        Target acceptance rate of NUTS' step-size adaptation.
    """

    def __init__(
        self, model: ConditionalModel, rng: np.random.Generator, target_accept: float
    ) -> None:
        super().__init__(model.model, rng, target_accept, model.logp_dlogp_function())
        self._gibbs = model.gibbs
        self._rng = rng
        self.sweeping = False

    def state(self) -> dict:
        """Return what the next updates depend on (for a checkpoint)."""
        return super().state() | {"sweeping": self.sweeping, "rng": self._rng.bit_generator.state}

    def restore(self, state: dict) -> None:
        """Continue from a `state`."""
        super().restore(state)
        self.sweeping = state["sweeping"]
        self._rng.bit_generator.state = state["rng"]

    def advance(self, transitions: int, tune: bool) -> TransitionStats:
        """NUTS transitions while tuning, else Gibbs sweeps (from NUTS' point, the first time)."""
        if tune and not self.sweeping:
            return super().advance(transitions, tune=True)
        if not self.sweeping:
            self.point = self._gibbs.from_nuts(self.point)
            self.sweeping, self.tuning = True, False
        self.point, stats = gibbs_sweeps(self._gibbs.sweep, self.point, self._rng, transitions)
        return stats
