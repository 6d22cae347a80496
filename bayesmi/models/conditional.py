"""The engine contract: what every conditional model is, and what the engines may ask of it.

A `ConditionalModel` is what every factory in `bayesmi.models` returns and all the chained
engine sees: a compiled PyMC model whose likelihood uses the rows where the target is observed,
with the predictors of those rows in a `pm.Data` container (so new imputations of other
variables are fed in with `set_predictors`, without recompiling), a draw of the missing cells
from the predictive distribution given the parameters (`draw_missing`), and the parameters on
the data's original scale (`parameters`). A model with an exact Gibbs sampler carries it as a
`GibbsSampler`; the engine then uses it instead of NUTS.

Inside every model the target and the predictors are standardised once, by the mean and SD of
their observed values (`bayesmi.models.scaling.Scaling`); priors are stated on that scale and
results are transformed back.
"""

from __future__ import annotations

import threading
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

import numpy as np
import pymc as pm
from pymc.blocking import DictToArrayBijection

from bayesmi.data.encoding import DesignColumn
from bayesmi.gibbs.steps import Point
from bayesmi.models.matching import match_donors
from bayesmi.models.scaling import Scaling

__all__ = [
    "COMPILE_LOCK",
    "CompiledQuantities",
    "ConditionalModel",
    "GibbsSampler",
    "Point",
    "gibbs_start",
    "jittered_start",
    "point_function",
    "set_model_data",
]

BlockSweep = Callable[
    [list[Point], list[np.ndarray], list[np.random.Generator], int],
    tuple[list[Point], np.ndarray],
]
"""A block sweep: ``(states, x, rngs, sweeps) -> (states, acceptances)``."""

COMPILE_LOCK = threading.RLock()
"""Held while PyTensor compiles: compiling in two threads at once (chains on a thread pool)
left the process running every later model's operations in Python, about ten times slower
and different in the ninth digit."""


@dataclass(frozen=True)
class GibbsSampler:
    """An exact Gibbs sampler of a model's parameters.

    Attributes
    ----------
    start : callable
        ``rng -> state``: a starting state.
    sweep : callable
        ``(state, rng) -> (state, acceptance)``: one sweep given the current predictors.
    from_nuts : callable, optional
        ``NUTS point -> state``: for a sampler that starts where NUTS' warm-up (the tuning
        transitions, or the run's shared adaptation) ended, not at ``start``, where
        `bayesmi.spec.kinds.update_method` says so (posteriors whose minor modes NUTS
        leaves and the sweeps do not).
    set_target : callable, optional
        ``values -> None``: replace the target values the sweeps read (on the model's scale,
        `ConditionalModel.on_model_scale`), for a model whose likelihood uses every row
        (`ConditionalModel.set_completed`).
    sweep_block : callable, optional
        ``(states, x, rngs, sweeps) -> (states, acceptances)``: `sweeps` sweeps of a block of
        chains in one vectorised call, `x` each chain's standardised predictors
        (`ConditionalModel.hold_block`), each chain drawing from its own generator
        what ``sweep`` draws (`bayesmi.gibbs.chains`); None where the kernel has none (the
        engine then sweeps chain by chain).
    """

    start: Callable[[np.random.Generator], Point]
    sweep: Callable[[Point, np.random.Generator], tuple[Point, float]]
    from_nuts: Callable[[Point], Point] | None = None
    set_target: Callable[[np.ndarray], None] | None = None
    sweep_block: BlockSweep | None = None


@dataclass(kw_only=True)
class ConditionalModel(ABC):
    """A compiled conditional model for one incomplete variable.

    Attributes
    ----------
    target : str
        The variable the model imputes.
    columns : tuple of DesignColumn
        The columns of the predictor matrix the engine passes in, in order.
    model : pymc.Model
        The model; its likelihood uses the rows where the target is observed.
    observed : numpy.ndarray
        Boolean mask of the rows where the target is observed.
    likelihood_rows : numpy.ndarray
        Indices of the rows whose predictors the likelihood uses (the observed rows, or one
        row per observed cluster for a cluster-level model).
    scaling : Scaling
        Centre and scale of the target and the predictors.
    parameter_dims : dict of str to tuple of str
        Dims of every parameter `parameters` returns, after ``chain`` and ``draw``.
    coords : dict of str to list
        Coordinates of those dims.
    gibbs : GibbsSampler or None
        An exact Gibbs sampler of the parameters given the current predictors, where the
        model has one; the engine then uses it instead of NUTS.
    donors : int
        Predictive mean matching with this many donors (`bayesmi.models.matching`); 0 draws
        the missing cells from the model's predictive distribution.
    observed_values : numpy.ndarray or None
        The target's observed values (original scale), which matching imputes.
    """

    target: str
    columns: tuple[DesignColumn, ...]
    model: pm.Model
    observed: np.ndarray
    likelihood_rows: np.ndarray
    scaling: Scaling
    parameter_dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    gibbs: GibbsSampler | None = field(default=None, repr=False)
    donors: int = 0
    observed_values: np.ndarray | None = field(default=None, repr=False)
    delta_shifts: np.ndarray | None = field(default=None, repr=False)
    _logp_dlogp: object = field(default=None, repr=False)
    _standardised: tuple = field(default=(), repr=False)

    cluster_level: ClassVar[bool] = False
    """Whether the target is one value per cluster (its missing cells move a cluster at once)."""
    shifts_linear_predictor: ClassVar[bool] = False
    """Whether `delta_shifts` move the linear predictor (logit and log models) rather than the
    drawn values (normal models)."""

    @property
    def predictors(self) -> tuple[str, ...]:
        """Names of the predictor matrix's columns."""
        return tuple(column.name for column in self.columns)

    @property
    def data_name(self) -> str:
        """Name of the `pm.Data` container holding the standardised predictors."""
        return f"{self.target}::X"

    def logp_dlogp_function(self):
        """Return the model's compiled log density and gradient (for NUTS), compiled once."""
        with COMPILE_LOCK:
            if self._logp_dlogp is None:
                self._logp_dlogp = self.model.logp_dlogp_function(ravel_inputs=True)
                self._logp_dlogp.trust_input = True
        return self._logp_dlogp

    def set_predictors(self, predictors: np.ndarray) -> None:
        """Feed the current completed predictors (all rows, original scale) to the model."""
        if self.columns:
            values = np.take(self.standardised(predictors), self.likelihood_rows, axis=0)
            set_model_data(self.model, {self.data_name: values})

    def standardised(self, predictors: np.ndarray) -> np.ndarray:
        """Return every row's standardised predictors, once per predictor matrix.

        The engine sets a model's predictors, then draws its missing cells with the same
        matrix (not changed in between): standardised once, not twice, each update. The
        matrices of the latest `hold_block` are standardised already: each is returned as
        it is.
        """
        for kept, x in self._standardised:
            if kept is predictors:
                return x
        x = self.scaling.x(predictors)
        self._standardised = ((predictors, x),)
        return x

    def hold_block(self, standardised: list[np.ndarray]) -> list[np.ndarray]:
        """Hold a block of chains' standardised predictors; return their likelihood rows.

        Each matrix (all rows, already standardised: `bayesmi.engines.designs`) is its own
        standardised values for the draws of its chain's missing cells that follow
        (`standardised` returns it as it is); the likelihood rows are what a block sweep
        reads (`GibbsSampler.sweep_block`).
        """
        self._standardised = tuple((matrix, matrix) for matrix in standardised)
        return [np.take(matrix, self.likelihood_rows, axis=0) for matrix in standardised]

    def on_model_scale(self, values: np.ndarray) -> np.ndarray:
        """Return target values (original scale) as the likelihood reads them.

        Standardised (gaussian) or as they are (0/1); models of categories override it.
        """
        return (values - self.scaling.y_center) / self.scaling.y_scale

    def set_completed(self, values: np.ndarray, predictors: np.ndarray) -> None:
        """Set the completed target (original scale) and predictors of a model of every row.

        For a model built from `ImputationData.filled` and updated by its Gibbs sampler (the
        analysis-compatible engine, `bayesmi.engines.compatible`); setting the predictors
        afterwards renews the sampler's cached sums.

        Raises
        ------
        ValueError
            If the model's likelihood does not use every row, or its sampler cannot take a
            new target.
        """
        if not self.observed.all() or self.gibbs is None or self.gibbs.set_target is None:
            raise ValueError(
                f"the model of {self.target!r} does not use every row with a Gibbs sampler "
                "whose target can be set"
            )
        self.gibbs.set_target(self.on_model_scale(values))
        self.set_predictors(predictors)

    def draw_missing(
        self, point: Point, predictors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells from the predictive distribution, on the original scale.

        Parameters
        ----------
        point : dict
            Current values of the model's free variables (as NUTS holds them).
        predictors : numpy.ndarray
            Current completed predictors, all rows, original scale.
        rng : numpy.random.Generator
            Source of the predictive noise.

        Returns
        -------
        numpy.ndarray
            One value per missing row, in row order: with `donors`, observed values of donors
            whose predicted means are close (predictive mean matching). With `delta_shifts`,
            shifted away from MAR: the values themselves (normal models, matching included) or
            the linear predictor (`shifts_linear_predictor`).
        """
        x = self.standardised(predictors)
        if self.donors:
            means = self.predicted_means(point, x)
            values = match_donors(
                means[self.observed], means[~self.observed], self.observed_values, self.donors, rng
            )
        else:  # a linear predictor's shift enters the draw (`row_shifts`)
            draws = self.draw_standardised(point, x, rng)
            values = self.scaling.y_center + self.scaling.y_scale * draws
        if self.delta_shifts is None or self.shifts_linear_predictor:
            return values
        return values + self.delta_shifts

    def row_shifts(self, rows: np.ndarray) -> np.ndarray | float:
        """Return the delta shift of some rows' linear predictor (0 for a value-shifted model).

        The missing rows' `delta_shifts` where `shifts_linear_predictor`, 0 for every other row.
        """
        if self.delta_shifts is None or not self.shifts_linear_predictor:
            return 0.0
        shifts = np.zeros(self.observed.shape[0])
        shifts[~self.observed] = self.delta_shifts
        return shifts[rows]

    def predicted_means(self, point: Point, x: np.ndarray) -> np.ndarray:
        """Return every row's predicted mean (standardised), its cluster's effects included.

        What predictive mean matching compares; models that match override it.
        """
        raise NotImplementedError(f"{type(self).__name__} has no predictive mean matching")

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the target of some rows given the parameters (standardised, or values).

        What the analysis-compatible engine proposes from, and the missing cells' draw (their
        linear predictor shifted by `row_shifts`); models that take part override it.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot draw given rows")

    def as_values(self, draws: np.ndarray) -> np.ndarray:
        """Return drawn category codes as the column's values (draws of numbers as they are).

        Models of categories hold the values in ``category_values``.
        """
        categories = getattr(self, "category_values", None)
        return draws if categories is None else categories[draws.astype(int)]

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the log likelihood of some rows' targets `y` (`on_model_scale`).

        `x` holds every row's standardised predictors; the clusters' current effects enter.
        What the analysis-compatible engine's acceptance ratio needs; models that take part
        override it.
        """
        raise NotImplementedError(f"{type(self).__name__} has no row likelihood")

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells on the standardised scale, given standardised predictors.

        The missing rows' `draw_rows`; models without it override this.
        """
        return self.draw_rows(point, x, np.flatnonzero(~self.observed), rng)

    @abstractmethod
    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the original scale, keyed by `parameter_dims`' names."""


class CompiledQuantities:
    """What a model's draws need, from a NUTS point (compiled once) or a Gibbs state.

    A model class mixing this in has a ``quantities`` dict (name to PyMC tensor) and a
    ``model``; a Gibbs sampler's state holds those quantities already (it has ``effects``).
    """

    @cached_property
    def _point_values(self):
        """Compiled on first use only: Gibbs states never need it."""
        return point_function(self.model, list(self.quantities.values()))

    def quantities_at(self, point: Point) -> dict:
        """Return the named quantities at a NUTS point, or a Gibbs state as it is."""
        if "effects" in point:
            return point
        return dict(zip(self.quantities, self._point_values(point), strict=True))


def set_model_data(model: pm.Model, values: dict[str, np.ndarray]) -> None:
    """Replace the values of `pm.Data` containers whose shapes stay the same.

    ``pm.set_data`` compiles a function to check the dims on every call (1.7 s on an empty
    compile cache, a tenth of a second warm); the predictors' shapes never change, so the
    shared variables are set directly.
    """
    for name, value in values.items():
        shared = model[name]
        if shared.get_value(borrow=True).shape != value.shape:
            raise ValueError(
                f"{name}: new values of shape {value.shape}, the model's have "
                f"{shared.get_value(borrow=True).shape}"
            )
        shared.set_value(value, borrow=True)


_INITIAL_POINTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each model's initial point, computed once: PyMC compiles a function for it on every call
(a third of a second for ten chains of popmis), and it depends on the priors only."""


def jittered_start(model: pm.Model, rng: np.random.Generator) -> Point:
    """Return the initial point plus uniform(-1, 1) jitter, as PyMC's ``jitter+adapt_diag``."""
    with COMPILE_LOCK:
        if model not in _INITIAL_POINTS:
            _INITIAL_POINTS[model] = model.initial_point()
        start = _INITIAL_POINTS[model]
    return _jittered(start, rng)


def gibbs_start(model: pm.Model, rng: np.random.Generator) -> Point:
    """`jittered_start` of a model whose initial point is zero, without compiling anything.

    The Gibbs samplers whose state is the PyMC model's point start there; PyMC compiles a
    PyTensor function for the initial point (on a fresh install, with the C linker's own
    compilation: seconds before a run that needs no compiled code). Their priors (normal
    about 0, half-normal scales of SD 1 on the log scale) put it at zero, in PyMC's order of
    the free variables, the shapes read from their dims; a test keeps this equal to
    ``model.initial_point()`` for every such model.
    """
    start = {}
    for variable in model.free_RVs:
        dims = model.named_vars_to_dims.get(variable.name, ())
        if dims:
            shape = tuple(int(model.dim_lengths[dim].get_value()) for dim in dims)
        else:  # a fixed shape (an ordinal's thresholds), or a scalar
            shape = tuple(int(length) for length in variable.type.shape)
        start[model.rvs_to_values[variable].name] = np.zeros(shape)
    return _jittered(start, rng)


def _jittered(start: Point, rng: np.random.Generator) -> Point:
    """Return a point plus uniform(-1, 1) jitter on every entry (PyMC's order)."""
    mapped = DictToArrayBijection.map(start)
    jittered = mapped.data + rng.uniform(-1.0, 1.0, size=mapped.data.size)
    return DictToArrayBijection.rmap(mapped._replace(data=jittered), start)


def point_function(model: pm.Model, outputs: list):
    """Compile once the map from a NUTS point to the quantities the draws need."""
    with COMPILE_LOCK:
        return model.compile_fn(
            model.replace_rvs_by_values(outputs), inputs=model.value_vars, point_fn=True
        )
