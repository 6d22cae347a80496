"""A block of chains of the chained engine, advanced in step.

Chains are independent, each with its own random generators (`bayesmi.engines.chained.Chain`);
a process runs its chains as one block. Each iteration the block's chains visit the variables
together: for each variable, every chain's current predictors are built, and the parameters of
all chains are updated in one vectorised call of the model's Gibbs kernel where it has a block
sweep (`bayesmi.gibbs.chains`), else chain by chain (NUTS, and the kernels without one); then
each chain draws its missing cells. A chain draws from its own generators what it would draw
alone, in the same order, so its result does not depend on the block it ran in or how many
processes ran the blocks, to the last bit (`bayesmi.gibbs.chains`). Analysis-compatible runs
(``settings.outcome``) scan chain by chain.

Per sweep, a random-intercept model's arithmetic is a few vector operations; run chain by
chain, the Python around them cost more than they did (0.07 ms a sweep on popmis' 2,000 rows).
A block pays that overhead once for all its chains. A block-swept model's standardised
predictors are kept per chain and renewed where imputations change them
(`bayesmi.engines.designs`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.engines.chained import Chain
from bayesmi.engines.checkpoint import CheckpointStore
from bayesmi.engines.designs import StandardisedDesigns
from bayesmi.engines.options import ChainedSettings
from bayesmi.engines.samplers.tuning import warm_up
from bayesmi.engines.samplers.updaters import GibbsUpdater, TransitionStats, sweep_block
from bayesmi.models import ConditionalModel
from bayesmi.result.trace import ChainTrace
from bayesmi.spec.model import ImputationModel

__all__ = ["ChainBlock", "Report", "run_block"]

Report = Callable[[int, int], None]
"""``(chain, iterations done) -> None``: where a chain reports its progress."""


class ChainBlock:
    """Chains of the chained engine advanced in step (see the module docstring).

    Parameters
    ----------
    data : ImputationData
        The encoded data.
    spec : dict of str to ImputationModel
        The models, in visiting order.
    settings : ChainedSettings
        The run's settings.
    indices : sequence of int
        The chains' numbers.
    seeds : sequence of numpy.random.SeedSequence
        Each chain's own seed.
    """

    def __init__(
        self,
        data: ImputationData,
        spec: dict[str, ImputationModel],
        settings: ChainedSettings,
        indices: Sequence[int],
        seeds: Sequence[np.random.SeedSequence],
    ) -> None:
        self.data, self.settings, self.indices = data, settings, list(indices)
        self.chains = [
            Chain(data, spec, settings, index, seed)
            for index, seed in zip(indices, seeds, strict=True)
        ]
        self.designs = StandardisedDesigns(data, self.chains[0].models, len(self.chains))

    @property
    def done(self) -> bool:
        """Whether every chain has run all its iterations."""
        return all(chain.iteration >= self.settings.iterations for chain in self.chains)

    def iterate(self) -> list[int]:
        """Run the next iteration of every unfinished chain; return their positions."""
        iterations = self.settings.iterations
        active = [k for k, chain in enumerate(self.chains) if chain.iteration < iterations]
        chains = [self.chains[k] for k in active]
        if self.settings.outcome is not None:
            for chain in chains:
                chain.scan()
            return active
        for name, model in chains[0].models.items():
            if self._sweeps_block(name, model, chains):
                predictors = [
                    self.designs.matrix(k, name, model, self.chains[k].current) for k in active
                ]
                stats = self._sweep_block(name, model, chains, model.hold_block(predictors))
            else:
                predictors = [self.data.design(model.columns, chain.current) for chain in chains]
                stats = self._update_each(name, model, chains, predictors)
            for chain, matrix, chain_stats in zip(chains, predictors, stats, strict=True):
                chain.draw(name, matrix, chain_stats)
        for chain in chains:
            chain.iteration += 1
        return active

    @staticmethod
    def _sweeps_block(name: str, model: ConditionalModel, chains: list[Chain]) -> bool:
        """Whether the model's parameters are updated by one block sweep of every chain."""
        return (
            model.gibbs is not None
            and model.gibbs.sweep_block is not None
            and all(type(chain.updaters[name]) is GibbsUpdater for chain in chains)
        )

    def _starting(self, chains: list[Chain]) -> list[int]:
        """Positions of the chains in their first iteration, when the run warms up."""
        tune = self.settings.tune
        return [k for k, chain in enumerate(chains) if chain.iteration == 0 and tune]

    def _sweep_block(
        self, name: str, model: ConditionalModel, chains: list[Chain], x: list[np.ndarray]
    ) -> list[TransitionStats]:
        """Sweep every chain's parameters at once, warm-up sweeps first in a first iteration."""
        updaters = [chain.updaters[name] for chain in chains]
        starting = self._starting(chains)
        if starting:
            sweeps = updaters[0].sweeps_for(self.settings.tune, tune=True)
            sweep_block([updaters[k] for k in starting], model, [x[k] for k in starting], sweeps)
        return sweep_block(updaters, model, x, self.settings.steps)

    def _update_each(
        self,
        name: str,
        model: ConditionalModel,
        chains: list[Chain],
        predictors: list[np.ndarray],
    ) -> list[TransitionStats]:
        """Update one model's parameters chain by chain (NUTS, kernels without a block sweep)."""
        settings = self.settings
        starting = self._starting(chains)
        stats = []
        for k, (chain, matrix) in enumerate(zip(chains, predictors, strict=True)):
            updater = chain.updaters[name]
            model.set_predictors(matrix)
            if k in starting:
                warm_up(updater, (settings.adaptation or {}).get(name), settings.tune)
            stats.append(updater.advance(settings.steps, tune=False))
        return stats

    def traces(self) -> list[ChainTrace]:
        """Return every chain's record so far."""
        return [chain.trace() for chain in self.chains]


def run_block(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: ChainedSettings,
    indices: Sequence[int],
    seeds: Sequence[np.random.SeedSequence],
    report: Report,
) -> list[ChainTrace]:
    """Run a block of chains (each from its checkpoint, if any); return their traces."""
    block = ChainBlock(data, spec, settings, indices, seeds)
    store = None if settings.checkpoint is None else CheckpointStore(settings.checkpoint)
    if store is not None:
        for index, chain in zip(block.indices, block.chains, strict=True):
            saved = store.load(index)
            if saved is not None:
                chain.restore(saved)
                report(index, chain.iteration)
    while not block.done:
        for k in block.iterate():
            index, chain = block.indices[k], block.chains[k]
            report(index, chain.iteration)
            done = chain.iteration
            if store is not None and (
                done % settings.checkpoint_every == 0 or done == settings.iterations
            ):
                store.save(index, chain.state())
    return block.traces()
