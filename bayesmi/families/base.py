"""What a family is: the distribution of a target given its linear predictor, and all it implies.

A `Family` owns everything about a target's distribution that the models, the checks and the
engines need, so that they ask it instead of testing its name:

- its likelihood in PyMC (`Family.likelihood`) and its predictive draw in numpy
  (`Family.draw`), the log likelihood of given rows (`Family.row_log_likelihood`);
- the scale its target is modelled on (`standardised`: centred and scaled; `reads_codes`:
  category codes), whether its linear predictor has an intercept and that intercept's prior;
- its own parameters: their dims (`Family.parameter_dims`, `Family.coords`) and their values on
  the data's scale (`Family.coefficients`, `Family.dispersion`);
- its exact Gibbs kernel for the mixed models, if it has one (`Family.gibbs_kernel`), and for
  the Heckman selection model (`Family.selection_kernel`);
- which values its target may hold (`Family.check_target`), where an over-dispersed chain
  starts (`Family.overdispersed_start`) and what a trace shows (`trace_shares`).

``eta`` is the linear predictor on the standardised-predictor scale: one column, or for a
family with ``per_category`` one column per non-reference category. The registry of families,
keyed by the names a spec uses, is `bayesmi.families.FAMILIES`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import pytensor.tensor as pt

from bayesmi.messages import show
from bayesmi.priors import INTERCEPT_SD

__all__ = [
    "MIN_ROWS_PER_CATEGORY",
    "CategoryFamily",
    "CategoryLabels",
    "ColumnData",
    "CountFamily",
    "Family",
    "KernelInputs",
    "ParameterScaling",
    "category_counts",
    "check_category_counts",
]

MIN_ROWS_PER_CATEGORY = 2
"""Fewest observed rows of any category of a factor."""


class CategoryLabels(Protocol):
    """A column's categories (`bayesmi.data.Factor`)."""

    categories: Sequence
    ordered: bool

    @property
    def n_categories(self) -> int: ...  # noqa: D102

    def label(self, code: int) -> str: ...  # noqa: D102


class ColumnData(Protocol):
    """What a family reads of the encoded data (`bayesmi.data.ImputationData` provides it)."""

    factors: dict

    def values(self, column: Hashable) -> np.ndarray: ...  # noqa: D102

    def codes(self, column: Hashable) -> np.ndarray: ...  # noqa: D102

    def factor(self, column: Hashable) -> CategoryLabels: ...  # noqa: D102

    def category_values(self, column: Hashable) -> np.ndarray: ...  # noqa: D102

    def observed_moments(self, column: Hashable) -> tuple[float, float]: ...  # noqa: D102


class ParameterScaling(Protocol):
    """Centre and scale of a model's target and predictors (`bayesmi.models.scaling.Scaling`)."""

    y_scale: float
    x_center: np.ndarray
    x_scale: np.ndarray

    def coefficients(self, beta: np.ndarray) -> np.ndarray: ...  # noqa: D102

    def fixed_effects(self, intercept: float, beta: np.ndarray) -> np.ndarray: ...  # noqa: D102


@dataclass(frozen=True)
class KernelInputs:
    """What a mixed model's exact Gibbs kernel is built from (observed rows, standardised).

    Attributes
    ----------
    target : str
        The variable (names of a PyMC point's entries).
    y : numpy.ndarray
        The observed target on the model's scale (standardised, 0/1, codes or counts).
    codes : numpy.ndarray
        The cluster (group) of every observed row.
    n_clusters : int
        Number of clusters.
    slopes : tuple of int
        Predictor columns with a random slope.
    n_predictors : int
        Number of predictor columns.
    n_categories : int
        Number of categories of a target of categories (0 otherwise).
    cluster_variance : bool
        A residual variance per cluster (heteroscedastic).
    other_factors : bool
        Further grouping factors with random intercepts (their kernel extends this one).
    """

    target: str
    y: np.ndarray
    codes: np.ndarray
    n_clusters: int
    slopes: tuple[int, ...]
    n_predictors: int
    n_categories: int = 0
    cluster_variance: bool = False
    other_factors: bool = False

    def category_arguments(self) -> tuple:
        """Return the arguments of a kernel of categories: codes, clusters, categories, slopes."""
        return (self.y.astype(int), self.codes, self.n_clusters, self.n_categories, self.slopes)


class Family(ABC):
    """The distribution of a target given its linear predictor (see the module docstring)."""

    name: ClassVar[str]
    """The name a spec uses (``family=``)."""
    values: ClassVar[str]
    """What the target holds, for messages: "numbers", "two categories", "counts", ..."""
    standardised: ClassVar[bool] = False
    """Whether the target is centred and scaled inside the model (continuous targets)."""
    reads_codes: ClassVar[bool] = False
    """Whether the likelihood reads category codes ``0..K-1`` rather than the values."""
    has_intercept: ClassVar[bool] = True
    """Whether the linear predictor has an intercept (an ordinal's thresholds replace it)."""
    intercept_sd: ClassVar[float] = INTERCEPT_SD
    """Prior SD of the intercept on the standardised scale."""
    per_category: ClassVar[bool] = False
    """One linear predictor per non-reference category (a multinomial logit)."""
    categories: ClassVar[bool] = False
    """Whether imputations are categories of the column (never values between them)."""
    counts: ClassVar[bool] = False
    """Whether the target holds non-negative whole numbers."""
    matching: ClassVar[bool] = False
    """Whether a model of this family may impute by predictive mean matching."""
    trace_shares: ClassVar[bool] = False
    """Whether a trace records the share of each category among the imputations."""
    shifts_linear_predictor: ClassVar[bool] = True
    """Whether delta moves the linear predictor (logit, log) rather than the values."""
    takes_other_factors: ClassVar[bool] = False
    """Whether its mixed Gibbs kernel extends to further grouping factors (`FactorsGibbs`)."""
    selection_kernel: ClassVar[type | None] = None
    """The Gibbs kernel of a Heckman selection model of this family; None: no such model."""
    survival: ClassVar[bool] = False
    """Whether the target is an event time (a survival analysis model's baseline hazard)."""

    @property
    def linear_gibbs(self) -> bool:
        """Whether its regression without random effects has an exact Gibbs sampler.

        One row per cluster (a cluster-level model), or cluster dummies: `linear_kernel`.
        """
        return type(self).linear_kernel is not Family.linear_kernel

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> object:
        """Return the exact Gibbs kernel of its regression without random effects.

        The kernel's state is the PyMC model's point; ``sweep(point, x, rng)``; its ``y``
        may be overwritten (the target). Families without one raise.
        """
        raise NotImplementedError(f"no Gibbs sampler of a {self.name} regression")

    @property
    def has_gibbs_kernel(self) -> bool:
        """Whether its mixed models have an exact Gibbs kernel (`gibbs_kernel`)."""
        return type(self).gibbs_kernel is not Family.gibbs_kernel

    def working_model(
        self, eta: np.ndarray, y: np.ndarray, quantities: dict, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return a normal working response and precisions of rows given their `eta`.

        Given them, the likelihood of a group's effects is that of a weighted normal
        regression (`bayesmi.newdata`'s draw of a new cluster's effects): the target itself
        for a normal family, a Polya-Gamma augmentation for a logit one. Families without one
        raise.
        """
        raise NotImplementedError(f"no working model of a {self.name} target")

    @property
    def has_working_model(self) -> bool:
        """Whether it has a normal working model (`working_model`)."""
        return type(self).working_model is not Family.working_model

    def __repr__(self) -> str:
        """Show the family by its name, as a spec writes it."""
        return repr(self.name)

    def __eq__(self, other: object) -> bool:
        """Equal to the same family, and to its name (``model.family == "binary"``)."""
        if isinstance(other, Family):
            return other.name == self.name
        return isinstance(other, str) and other == self.name

    def __hash__(self) -> int:
        """Hash as the name."""
        return hash(self.name)

    @abstractmethod
    def likelihood(
        self,
        target: str,
        eta: pt.TensorVariable,
        y: np.ndarray,
        *,
        n_categories: int = 0,
        dims: str | None = None,
        sigma: pt.TensorVariable | None = None,
    ) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
        """Add the family's parameters and likelihood of `y` given `eta` to the model in context.

        Parameters
        ----------
        target : str
            The variable; free variables are named ``<target>::<name>``.
        eta : tensor
            The linear predictor of every row of `y`.
        y : numpy.ndarray
            The target on the model's scale (NaN, or masked, where latent).
        n_categories : int, default=0
            Number of categories of a target of categories.
        dims : str, optional
            Dim of the rows.
        sigma : tensor, optional
            A continuous family's residual SD of every row, when the model sets it (one per
            cluster); else the family adds its own.

        Returns
        -------
        quantities : dict
            The family's parameters the predictive draw needs (``sigma``, ``thresholds``,
            ``alpha``; none given `sigma`).
        values : tensor
            The target's random variable.
        """

    @abstractmethod
    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw targets given their linear predictors, on the model's scale, as floats."""

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the log likelihood of each row's target `y` given its linear predictor."""
        raise NotImplementedError(f"no row log likelihood for the {self.name} family")

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """Return the dims of the family's own parameters (``sigma``, ``thresholds``, ...)."""
        return {}

    def coords(self, target: str, factor: CategoryLabels | None) -> dict[str, list]:
        """Return the coordinates of the dims of the family's own parameters."""
        return {}

    def coefficients(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return the fixed part on the data's scale: ``beta``, intercept first."""
        return {"beta": scaling.fixed_effects(current["intercept"], current["beta"])}

    def dispersion(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return the family's own parameters on the data's scale (``sigma``, ``alpha``)."""
        return {}

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object] | None:
        """Return a mixed model's exact Gibbs kernel and how to set its target, or None.

        The kernel has ``start(n_predictors, rng)`` (or its state is the PyMC point) and
        ``sweep(state, x, rng)``; the second item replaces the target it reads (or is None).
        """
        return None

    def selection_likelihood(
        self, target: str, y: np.ndarray, mu, eta, rho
    ) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
        """Return a Heckman model's log likelihood of the observed rows (outcome and selection)."""
        raise NotImplementedError(f"no selection model for the {self.name} family")

    def selection_draw(self, mean: np.ndarray, noise: np.ndarray, quantities: dict) -> np.ndarray:
        """Return a Heckman model's outcome from its mean and standardised error."""
        raise NotImplementedError(f"no selection model for the {self.name} family")

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse a target whose values the family cannot hold (a factor, for numbers).

        Parameters
        ----------
        target : str
            The column.
        kind : str
            The model kind, for the message.
        data : ColumnData
            The encoded data.
        n_coefficients : int
            Coefficients of the target's equation (intercept included): the rows a category
            needs.

        Raises
        ------
        ValueError
            Naming the target, what its values are and the model that suits them.
        """
        if target in data.factors:
            categories = data.factors[target].categories
            suggestion = "bm.binary" if len(categories) == 2 else "bm.categorical or bm.ordinal"
            raise ValueError(
                f"target {target!r} is categorical (categories {show(categories)}), but "
                f"{kind} ({self.name}) imputes {self.values}; impute it with {suggestion}."
            )

    def overdispersed_start(self, target: str, data: ColumnData, spread: float) -> float:
        """Return where every missing cell starts for `spread` in [-1, 1]: ``3 spread`` SDs out."""
        mean, sd = data.observed_moments(target)
        return mean + 3 * spread * sd


class CategoryFamily(Family):
    """A family whose target is one of a column's categories (binary, nominal, ordinal)."""

    categories: ClassVar[bool] = True
    reads_codes: ClassVar[bool] = True

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse fewer than three categories, or one observed in too few rows."""
        factor = data.factor(target)
        if factor.n_categories < 3:
            raise ValueError(
                f"{self.name} target {target!r} has {factor.n_categories} categories "
                f"({show(factor.categories)}); a variable with two categories is binary: impute "
                "it with bm.binary."
            )
        needed = max(MIN_ROWS_PER_CATEGORY, n_coefficients)
        counts = category_counts(data, target)
        check_category_counts(target, factor.categories, counts, needed, "target")

    def overdispersed_start(self, target: str, data: ColumnData, spread: float) -> float:
        """Return the first category below the middle chain, else the last."""
        categories = data.category_values(target)
        return float(categories[0] if spread < 0 else categories[-1])


class CountFamily(Family):
    """A family of counts: non-negative whole numbers, a log link."""

    values: ClassVar[str] = "counts"
    counts: ClassVar[bool] = True

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse a factor, and values that are not non-negative whole numbers."""
        super().check_target(target, kind, data, n_coefficients)
        values = data.values(target)
        odd = np.unique(values[~np.isnan(values) & ((values < 0) | (values != np.round(values)))])
        if odd.size:
            raise ValueError(
                f"count target {target!r} has values that are not non-negative whole numbers "
                f"({show(f'{value:g}' for value in odd)}); a count model imputes 0, 1, 2, ...: "
                "use a model for continuous variables (with pmm=True to keep observed values) "
                "instead."
            )

    def overdispersed_start(self, target: str, data: ColumnData, spread: float) -> float:
        """Return ``3 spread`` SDs from the mean, rounded, at least 0."""
        mean, sd = data.observed_moments(target)
        return float(max(0.0, np.round(mean + 3 * spread * sd)))


def check_category_counts(
    column: Hashable, categories: Sequence, counts: np.ndarray, needed: int, role: str
) -> None:
    """Refuse a factor with a category observed in fewer than `needed` rows, naming them."""
    rare = [f"{categories[k]!r} ({counts[k]})" for k in np.flatnonzero(counts < needed)]
    if rare:
        raise ValueError(
            f"{role} {column!r} has categories observed in fewer than {needed} rows: "
            f"{show(rare)}; each category needs {needed} observed rows or more (one per "
            "coefficient of its equation, and never fewer than two). Merge rare categories "
            "with a neighbour, or drop unused ones with .cat.remove_unused_categories()."
        )


def category_counts(data: ColumnData, column: Hashable) -> np.ndarray:
    """Return the number of observed rows of each category of a column, in code order."""
    codes = data.codes(column)
    codes = codes[~np.isnan(codes)].astype(int)
    return np.bincount(codes, minlength=data.factor(column).n_categories)
