"""The chained-equations (FCS) engine: one chain of conditional model updates and draws.

Algorithm, per chain (chains are independent; `bayesmi.engines.parallel` runs them in blocks,
`bayesmi.engines.block`, whose chains update each model together):

1. Every missing cell starts at a random draw from its variable's observed values.
2. Each variable's conditional model is built and compiled once (a PyMC model whose likelihood
   uses the rows where that variable is observed, with its predictors in `pm.Data`), with one
   parameter updater: an exact Gibbs sampler where the model has one, else NUTS started at a
   jittered initial point (`bayesmi.engines.samplers.updaters`).
3. Each iteration visits the incomplete variables in the order of the spec. For each: the
   current completed predictors are set into its model (`set_predictors`); its parameters
   advance by ``steps`` transitions from where they were (in the first iteration after ``tune``
   adaptation transitions; NUTS' step size and mass matrix are fixed afterwards); its missing
   cells are drawn from the model's predictive distribution given the new parameters, and
   become predictors of the variables visited after it.
4. The last ``draws`` iterations are kept: every (chain, draw) pair is one imputation, so
   ``m = chains * draws``. With ``draws=1`` this is mice's scheme (m chains, the last
   iteration of each). Earlier iterations are burn-in, kept as parameter traces and as the
   mean and SD of the imputed cells, for trace plots.

With ``analysis=`` every model is a factor of one joint distribution with the analysis model
last, and an iteration is ``steps`` scans of Gibbs sweeps and Metropolis updates of the cells
(`bayesmi.engines.compatible`).

Randomness: one `numpy.random.SeedSequence` per chain (children of the run's), so a chain's
result does not depend on how many processes run the chains, in which order or in which blocks.

References
----------
van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., chapters 4 and 7.
Hoffman, M. D. and Gelman, A. (2014). The No-U-Turn sampler. JMLR 15, 1593-1623.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.data.shifts import delta_shifts
from bayesmi.engines.checkpoint import data_fingerprint
from bayesmi.engines.compatible import compatible_models
from bayesmi.engines.options import ChainedSettings
from bayesmi.engines.samplers.metropolis import dependents, metropolis_update
from bayesmi.engines.samplers.tuning import Adaptation, adaptation_of
from bayesmi.engines.samplers.updaters import NutsUpdater, TransitionStats, make_updater
from bayesmi.families import Family
from bayesmi.models import ConditionalModel, build
from bayesmi.models.conditional import COMPILE_LOCK
from bayesmi.result.trace import Categories, ChainTrace, TraceRecorder
from bayesmi.spec.kinds import KINDS, update_method
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.serialize import spec_to_json

__all__ = [
    "Chain",
    "compiled_models",
    "models_key",
    "shared_adaptation",
    "starting_values",
    "trace_categories",
]


class Chain:
    """One chain of the chained engine: its random stream, completed data, samplers and record.

    Built once per chain (steps 1 and 2 of the module docstring), then advanced by its block
    (`bayesmi.engines.block.ChainBlock`, or `scan` with an analysis model);
    `state` is what a checkpoint keeps of it and `restore` puts it back.

    Parameters
    ----------
    data : ImputationData
        The encoded data.
    spec : dict of str to ImputationModel
        The models, in visiting order (the analysis model last with ``settings.outcome``).
    settings : ChainedSettings
        The run's settings.
    index : int
        The chain's number (its over-dispersed start depends on it).
    seed : numpy.random.SeedSequence
        The chain's own seed.
    """

    def __init__(
        self,
        data: ImputationData,
        spec: dict[str, ImputationModel],
        settings: ChainedSettings,
        index: int,
        seed: np.random.SeedSequence,
    ) -> None:
        self.data, self.settings, self.iteration = data, settings, 0
        self.rng = np.random.default_rng(seed)
        spread = None
        if settings.start == "overdispersed" and settings.chains > 1:
            spread = 2.0 * index / (settings.chains - 1) - 1.0
        self.current = starting_values(data, spec, self.rng, spread)
        with COMPILE_LOCK:  # chains may run in threads: PyTensor compiles one at a time
            self.models = compiled_models(data, spec, settings.models_key, settings.outcome)
            self.updaters = {
                name: make_updater(
                    model,
                    update_method(spec[name], settings.sampler),
                    self.rng.spawn(1)[0],
                    settings.target_accept,
                )
                for name, model in self.models.items()
            }
        self.records = {
            name: TraceRecorder(
                settings.iterations,
                settings.draws,
                model.parameter_dims,
                model.coords,
                int(data.missing[name].sum()),
                trace_categories(data, name, spec[name].family),
            )
            for name, model in self.models.items()
        }

    def scan(self) -> None:
        """Run the next iteration of an analysis-compatible run (with ``settings.outcome``).

        Without an outcome, a `bayesmi.engines.block.ChainBlock` runs the iterations: it
        updates the chains of a block together.
        """
        self._scan_factors()
        self.iteration += 1

    def draw(self, name: str, predictors: np.ndarray, stats: TransitionStats) -> None:
        """Draw a variable's missing cells given its updated parameters, and record both."""
        model, point = self.models[name], self.updaters[name].point
        draws = model.draw_missing(point, predictors, self.rng)
        self.current[name][self.data.missing[name]] = draws
        self.records[name].add(self.iteration, model.parameters(point), draws, vars(stats))

    def _scan_factors(self) -> None:
        """One iteration with the analysis model as a factor (`bayesmi.engines.compatible`).

        An iteration is ``steps`` scans of every factor, each scan one sweep of its parameters
        and one Metropolis update of its missing cells (the outcome's: a draw), so parameters
        and cells alternate ``steps`` times (fewer, longer updates of each mixed far worse:
        the cells and the parameters, the clusters' effects above all, move each other).
        """
        data, settings, models, current = self.data, self.settings, self.models, self.current
        if self.iteration == 0 and settings.tune:  # every factor leaves its start first
            for name in models:
                self._set_factor_data(name)
                self.updaters[name].advance(settings.tune, tune=True)
        later = dependents(models)
        points = {name: updater.point for name, updater in self.updaters.items()}
        stats = {}
        for _ in range(settings.steps):
            for name, model in models.items():
                predictors = self._set_factor_data(name)
                updater = self.updaters[name]
                stats[name] = updater.advance(1, tune=False)
                points[name] = updater.point
                if name == settings.outcome:
                    cells = model.draw_missing(updater.point, predictors, self.rng)
                    current[name][data.missing[name]] = cells
                else:
                    metropolis_update(data, name, models, points, current, later[name], 1, self.rng)
        for name, model in models.items():
            draws = current[name][data.missing[name]]
            point = self.updaters[name].point
            self.records[name].add(
                self.iteration, model.parameters(point), draws, vars(stats[name])
            )

    def _set_factor_data(self, name: str) -> np.ndarray:
        """Set a factor's current predictors (and completed target); return the predictors."""
        model = self.models[name]
        predictors = self.data.design(model.columns, self.current)
        if name == self.settings.outcome:
            model.set_predictors(predictors)
        else:
            model.set_completed(self.current[name], predictors)
        return predictors

    def state(self) -> dict:
        """Return what a checkpoint keeps of the chain: everything its next iterations read."""
        return {
            "iteration": self.iteration,
            "rng": self.rng.bit_generator.state,
            "current": self.current,
            "updaters": {name: updater.state() for name, updater in self.updaters.items()},
            "records": self.records,
        }

    def restore(self, state: dict) -> None:
        """Put the chain back in a saved `state`, its samplers adapted as the run's were."""
        for name, adaptation in (self.settings.adaptation or {}).items():
            # the saved sampler state was adapted from the shared adaptation: start there
            self.updaters[name].adopt(adaptation.point, adaptation.potential, adaptation.step_size)
        self.rng.bit_generator.state = state["rng"]
        self.current.update(state["current"])
        for name, updater in self.updaters.items():
            updater.restore(state["updaters"][name])
        self.records.update(state["records"])
        self.iteration = state["iteration"]

    def trace(self) -> ChainTrace:
        """Return the chain's record so far (numpy arrays only)."""
        return ChainTrace({name: record.trace() for name, record in self.records.items()})


def shared_adaptation(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: ChainedSettings,
    seed: np.random.SeedSequence,
) -> dict[str, Adaptation]:
    """Adapt every NUTS-updated model once; return each one's adaptation by variable name.

    The chained engine's first iteration, run once with a seed of its own
    (`bayesmi.engines.samplers.tuning`). Empty when no model is updated by NUTS or ``tune``
    is 0 (nothing is compiled then beyond what the chains compile).
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
            adaptations[name] = adaptation_of(updater)
        current[name][data.missing[name]] = model.draw_missing(updater.point, predictors, rng)
    return adaptations


def trace_categories(data: ImputationData, name: str, family: Family) -> Categories | None:
    """Return the categories whose shares a categorical or ordinal variable's trace records."""
    if not family.trace_shares:
        return None
    factor = data.factor(name)
    labels = tuple(factor.label(code) for code in range(factor.n_categories))
    return Categories(f"{name}::share", labels, data.category_values(name))


_COMPILED = threading.local()
"""This thread's latest compiled models (``key`` to ``models``)."""


FIXED_RHO_KEY = 0.0
"""The rho every fixed-rho model has in `models_key`: its value is data, not structure."""


def models_key(
    data: ImputationData, spec: dict[str, ImputationModel], outcome: str | None = None
) -> str:
    """Return what a run's compiled models depend on: data, grouping columns, spec, outcome.

    A model's delta and a fixed rho's value are left out: they are set on the compiled models
    of every run (`compiled_models`), so runs that differ only in them (a tipping-point
    analysis, `bayesmi.tipping_point`) compile once.
    """
    structure = {
        name: dataclasses.replace(
            model, delta=None, rho=None if model.rho is None else FIXED_RHO_KEY
        )
        for name, model in spec.items()
    }
    digest = hashlib.sha256(data_fingerprint(data.frame).encode())
    clusters = repr([grouping.columns for grouping in data.groupings])  # nested: combined
    digest.update(json.dumps([clusters, spec_to_json(structure), outcome]).encode())
    return digest.hexdigest()


def compiled_models(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    key: str,
    outcome: str | None = None,
) -> dict[str, ConditionalModel]:
    """Build and compile the run's models once per process (thread), reused by later chains.

    A chain sets every model's predictors before each update and starts its own sampler
    state, so reuse changes nothing in the result; it saves the compilation (seconds per
    model) for every chain after a worker's first, and for every later run with the same
    `key` (`models_key`). Only the latest models are kept. Each call sets the spec's delta
    and fixed rho on them. With the analysis model's `outcome`, the factors of
    `bayesmi.engines.compatible`.
    """
    if getattr(_COMPILED, "key", None) != key:
        _COMPILED.__dict__.clear()  # the old models go before the new ones are built
        if outcome is not None:
            models = compatible_models(data, spec, outcome)
        else:
            models = {name: build(model, data) for name, model in spec.items()}
        _COMPILED.models, _COMPILED.key = models, key
    for name, model in spec.items():
        _assume(_COMPILED.models[name], model, data)
    return _COMPILED.models


def _assume(built: ConditionalModel, model: ImputationModel, data: ImputationData) -> None:
    """Set a model's departures from MAR: its delta (`bayesmi.spec.pattern_mixture`), its rho."""
    built.delta_shifts = delta_shifts(model, data)
    if model.rho is not None:
        built.fix_rho(model.rho)


def forget_compiled_models() -> None:
    """Drop this thread's compiled models."""
    _COMPILED.__dict__.clear()


def starting_values(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    rng: np.random.Generator,
    spread: float | None = None,
) -> dict[str, np.ndarray]:
    """Completed columns to start from: missing cells drawn from the observed values.

    A cluster-level variable starts constant within clusters: each cluster with no value takes
    one draw from the values of the other clusters. With `spread` in [-1, 1] (over-dispersed
    starts) every missing cell starts at the observed mean plus ``3 spread`` observed SDs
    (categories: the first for spread < 0, else the last; counts: that value rounded, at
    least 0).
    """
    current = {}
    for name, model in spec.items():
        values = data.values(name)
        mask = data.missing[name]
        if spread is not None:
            values[mask] = model.family.overdispersed_start(name, data, spread)
        elif KINDS[model.kind].cluster_level:
            level = data.at_level(model.level)
            values[mask] = _cluster_level_start(level, values, rng)[mask]
        else:
            values[mask] = rng.choice(values[~mask], size=int(mask.sum()), replace=True)
        current[name] = values
    return current


def _cluster_level_start(
    data: ImputationData, values: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per row, the cluster's value, or for clusters without one a draw from the others'."""
    per_cluster = data.cluster_means(values)
    unknown = np.isnan(per_cluster)
    codes = np.unique(data.cluster_codes[unknown])
    pool = np.unique(per_cluster[~unknown])
    start = np.full(data.n_clusters, np.nan)
    start[codes] = rng.choice(pool, size=codes.size, replace=True)
    return np.where(unknown, start[data.cluster_codes], per_cluster)
