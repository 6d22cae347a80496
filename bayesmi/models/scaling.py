"""Standardisation inside the models: centre and scale from the observed values, and back.

Every conditional model works on the target and predictors centred and scaled once by the
mean and SD of their observed values (`Scaling`); priors are stated on that scale and the
parameters transformed back to the data's scale. `Inputs` is what a factory needs from the data
on that scale: the observed rows of target and predictors, and their clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bayesmi.data.encoding import DesignColumn, ImputationData
from bayesmi.data.levels import Grouping
from bayesmi.spec.terms import Term

__all__ = ["Inputs", "Scaling", "current_predictors", "starting_predictors"]


@dataclass(frozen=True)
class Scaling:
    """Centre and scale of the target and the predictors, from their observed values."""

    y_center: float
    y_scale: float
    x_center: np.ndarray
    x_scale: np.ndarray

    @classmethod
    def from_data(
        cls,
        data: ImputationData,
        target: str,
        columns: Sequence[DesignColumn],
        standardise_target: bool = True,
    ) -> Scaling:
        """Compute the scaling from the observed values of each predictor (and the target)."""
        y_center, y_scale = data.observed_moments(target) if standardise_target else (0.0, 1.0)
        moments = np.array([data.observed_moments(column) for column in columns]).reshape(-1, 2)
        return cls(y_center, y_scale, moments[:, 0], moments[:, 1])

    def x(self, values: np.ndarray) -> np.ndarray:
        """Standardise a predictor matrix (into one new array: a third of the time of two)."""
        standardised = np.subtract(values, self.x_center)
        return np.divide(standardised, self.x_scale, out=standardised)

    def standardise_in_place(self, values: np.ndarray) -> np.ndarray:
        """Standardise a predictor matrix of one's own in place; return it (the same floats)."""
        np.subtract(values, self.x_center, out=values)
        return np.divide(values, self.x_scale, out=values)

    def standardise_column_in_place(self, values: np.ndarray, position: int) -> None:
        """Standardise one column of a predictor matrix in place (the floats `x` gives)."""
        column = values[:, position]
        np.subtract(column, self.x_center[position], out=column)
        np.divide(column, self.x_scale[position], out=column)

    def subset(self, columns: list[int], target: bool = True) -> Scaling:
        """Return the scaling of some predictor columns (and of the target, or none)."""
        y_center, y_scale = (self.y_center, self.y_scale) if target else (0.0, 1.0)
        return Scaling(y_center, y_scale, self.x_center[columns], self.x_scale[columns])

    def coefficients(self, beta: np.ndarray) -> np.ndarray:
        """Coefficients on the original scale from standardised ones."""
        return self.y_scale * beta / self.x_scale

    def intercept(self, intercept: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """Return an intercept on the original scale from standardised estimates."""
        shift = np.sum(beta * self.x_center / self.x_scale, axis=-1)
        return self.y_center + self.y_scale * (intercept - shift)

    def fixed_effects(self, intercept: float, beta: np.ndarray) -> np.ndarray:
        """Intercept and coefficients on the original scale, intercept first."""
        return np.concatenate([[self.intercept(intercept, beta)], self.coefficients(beta)])


@dataclass(frozen=True)
class Inputs:
    """What a factory needs from the data, standardised: observed rows, clusters, scaling."""

    target: str
    columns: tuple[DesignColumn, ...]
    observed: np.ndarray
    scaling: Scaling
    y: np.ndarray
    x: np.ndarray
    codes_observed: np.ndarray
    codes_missing: np.ndarray
    codes_all: np.ndarray

    @property
    def predictors(self) -> tuple[str, ...]:
        """Names of the predictor columns."""
        return tuple(column.name for column in self.columns)

    def model_fields(self, pymc_model, likelihood_rows: np.ndarray | None = None) -> dict:
        """Return the `ConditionalModel` fields these inputs determine.

        The likelihood uses the observed rows unless `likelihood_rows` says otherwise.
        """
        rows = np.flatnonzero(self.observed) if likelihood_rows is None else likelihood_rows
        return {
            "target": self.target,
            "columns": self.columns,
            "model": pymc_model,
            "observed": self.observed,
            "likelihood_rows": rows,
            "scaling": self.scaling,
        }

    @classmethod
    def from_data(
        cls,
        data: ImputationData,
        target: str,
        terms: Sequence[Term],
        standardise_target: bool = True,
        target_codes: bool = False,
        grouping: Grouping | None = None,
    ) -> Inputs:
        """Standardise the observed target and the starting predictors of the observed rows.

        The predictors are the design columns of `terms` (a factor term gives one per dummy).
        With `target_codes`, ``y`` holds the target's category codes (``0..K-1``). The codes
        are the cluster's, or the groups of `grouping` (the factor with the random slopes of
        a model of several factors).
        """
        observed = ~data.missing[target]
        columns = data.design_columns(terms)
        scaling = Scaling.from_data(data, target, columns, standardise_target)
        values = data.codes(target) if target_codes else data.values(target)
        codes = data.cluster_codes if grouping is None else grouping.codes
        return cls(
            target=target,
            columns=columns,
            observed=observed,
            scaling=scaling,
            y=(values[observed] - scaling.y_center) / scaling.y_scale,
            x=scaling.x(starting_predictors(data, columns)[observed]),
            codes_observed=codes[observed],
            codes_missing=codes[~observed],
            codes_all=codes,
        )


def starting_predictors(data: ImputationData, columns: Sequence[DesignColumn]) -> np.ndarray:
    """Predictor matrix with missing cells at the observed mean (a start before imputation)."""
    values = []
    for column in columns:
        column_values = data.column_values(column)
        column_values[np.isnan(column_values)] = data.observed_moments(column)[0]
        values.append(column_values)
    return np.column_stack(values) if values else np.empty((data.n_rows, 0))


def current_predictors(pymc_model, inputs: Inputs) -> np.ndarray:
    """Return the standardised predictors a compiled model holds now (its ``pm.Data``).

    What a Gibbs sweep reads: the engine feeds new imputations of the predictors there.
    """
    if inputs.columns:
        return pymc_model[f"{inputs.target}::X"].get_value(borrow=True)
    return np.empty((len(inputs.y), 0))
