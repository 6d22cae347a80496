"""The cluster-level conditional model (mice 2lonly.norm, 2lonly.pmm): one row per cluster.

On the standardised scale (predictors always, the target when gaussian)::

    eta_j = g0 + a_j' gamma
    gaussian:  w_j ~ N(eta_j, sigma_w^2),  sigma_w ~ HalfNormal(1)
    binary, categorical, ordinal, poisson, negative_binomial: `bayesmi.families`
    g0 ~ N(0, 5^2) (N(0, 2.5^2) for binary and categorical; none for ordinal),
    gamma_k ~ N(0, 2.5^2)  (categorical: g0 and gamma per non-reference category)

``a_j`` holds the cluster's level-2 predictors and the cluster means of level-1 predictors
(``x_mean``) in the current completed data. The likelihood uses the clusters where ``w`` is
observed (for some unit; the value is constant within a cluster); the other clusters get a
draw from the model given ``a_j`` (or, with predictive mean matching, the value of a cluster
with a close predicted mean), written to every unit of the cluster. Units that miss ``w`` in a
cluster where other units report it get the reported value. With ``delta`` the drawn clusters'
values move by it (gaussian) or their ``eta_j`` does (`bayesmi.spec.pattern_mixture`); reported
values stay. A family with a regression sweep (`bayesmi.families.base.Family.linear_kernel`:
gaussian, `bayesmi.gibbs.LinearGibbs`; binary, categorical, ordinal and negative binomial,
`bayesmi.gibbs.regressions`) has its parameters updated by that exact Gibbs sampler unless
NUTS is asked for; poisson and zero-inflated poisson by NUTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.families import Family
from bayesmi.gibbs.steps import LinearTarget
from bayesmi.models.blocks import (
    linear_gibbs_sampler,
    linear_part,
    linear_predictor,
)
from bayesmi.models.conditional import CompiledQuantities, ConditionalModel, Point
from bayesmi.models.matching import match_donors
from bayesmi.models.scaling import Scaling, starting_predictors
from bayesmi.priors import COEFFICIENT_SD
from bayesmi.spec.kinds import gibbs_available
from bayesmi.spec.model import ImputationModel

__all__ = ["ClusterLevelModel", "cluster_level_model"]


def cluster_level_model(model: ImputationModel, data: ImputationData) -> ClusterLevelModel:
    """Build the cluster-level model of ``model.target``.

    Returns
    -------
    ClusterLevelModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor; per non-reference category for categorical; no ``Intercept`` for ordinal),
        and the family's own: ``sigma`` (gaussian: residual SD across clusters),
        ``thresholds`` (ordinal), ``alpha`` (negative binomial).
    """
    data = data.at_level(model.level)  # its clusters: the groups of the level it lives on
    target, family = model.target, model.family
    columns = data.design_columns(model.fixed_terms)
    predictors = [column.name for column in columns]
    first_row = np.unique(data.cluster_codes, return_index=True)[1]
    cluster_value = _reported_values(data, data.values(target))
    known = ~np.isnan(cluster_value)
    scaling = Scaling.from_data(data, target, columns, standardise_target=family.standardised)
    likelihood_rows = first_row[known]
    response = data.codes(target) if family.reads_codes else data.values(target)
    y = (data.cluster_means(response)[likelihood_rows] - scaling.y_center) / scaling.y_scale
    x = scaling.x(starting_predictors(data, columns)[likelihood_rows])
    coords = {"cluster": list(data.cluster_labels), f"{target}::predictor": list(predictors)}
    factor = data.factor(target) if family.reads_codes else None
    k = factor.n_categories if factor is not None else 0
    with pm.Model(coords=coords) as pymc_model:
        pymc_model.add_coord(f"{target}::obs_row", length=len(y))  # with no predictor too
        equation = _category_equation if family.per_category else _equation
        quantities, eta = equation(target, family, predictors, x, len(y), k)
        family_quantities, _ = family.likelihood(
            target, eta, y, n_categories=k, dims=f"{target}::obs_row"
        )
        quantities |= family_quantities
    observed = ~data.missing[target]
    kernel = (
        family.linear_kernel(target, "intercept_std", y, np.ones((len(y), 1)))
        if gibbs_available(model)
        else None
    )
    dims, extra_coords = _parameter_dims(target, family, predictors, factor)
    return ClusterLevelModel(
        target=target,
        columns=columns,
        model=pymc_model,
        observed=observed,
        likelihood_rows=likelihood_rows,
        scaling=scaling,
        parameter_dims=dims,
        coords=extra_coords,
        gibbs=linear_gibbs_sampler(pymc_model, kernel, len(predictors)) if kernel else None,
        linear_kernel=kernel,
        donors=model.donors if model.pmm else 0,
        family=family,
        quantities=quantities,
        first_row=first_row,
        known_standardised=(cluster_value - scaling.y_center) / scaling.y_scale,
        known_values=cluster_value,
        missing_codes=data.cluster_codes[~observed],
        cluster_codes=data.cluster_codes,
        category_values=data.category_values(target) if factor is not None else None,
    )


def _reported_values(data: ImputationData, values: np.ndarray) -> np.ndarray:
    """Each cluster's reported value (its first observed one; NaN for clusters without)."""
    reported = np.full(data.n_clusters, np.nan)
    rows = np.flatnonzero(~np.isnan(values))
    codes, first = np.unique(data.cluster_codes[rows], return_index=True)
    reported[codes] = values[rows[first]]
    return reported


def _equation(
    target: str, family: Family, predictors: list[str], x: np.ndarray, n: int, k: int
) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
    """Add the coefficients and the intercept; return them and the linear predictor."""
    x_beta, beta = linear_predictor(target, predictors, x)
    eta = x_beta if beta is not None else pt.zeros(n)
    quantities = {}
    if family.has_intercept:
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, family.intercept_sd)
        eta = eta + intercept
        quantities["intercept"] = intercept
    if beta is not None:
        quantities["beta"] = beta
    return quantities, eta


def _category_equation(
    target: str, family: Family, predictors: list[str], x: np.ndarray, n: int, k: int
) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
    """Add an intercept and coefficients per non-reference category; return them and eta."""
    model = pm.modelcontext(None)
    model.add_coord(f"{target}::category", length=k - 1)
    dims = (f"{target}::category", f"{target}::predictor")
    intercept = pm.Normal(
        f"{target}::intercept_std", 0.0, family.intercept_sd, dims=f"{target}::category"
    )
    eta = pt.ones((n, 1)) * intercept[None, :]
    quantities = {"intercept": intercept}
    if predictors:
        x_data = pm.Data(f"{target}::X", x, dims=(f"{target}::obs_row", f"{target}::predictor"))
        beta = pm.Normal(f"{target}::beta_std", 0.0, COEFFICIENT_SD, dims=dims)
        eta = eta + x_data @ beta.T
        quantities["beta"] = beta
    return quantities, eta


def _parameter_dims(
    target: str, family: Family, predictors: list[str], factor
) -> tuple[dict[str, tuple[str, ...]], dict[str, list]]:
    beta_dim = f"{target}::beta_dim"
    names = [*(["Intercept"] if family.has_intercept else []), *predictors]
    dims: dict[str, tuple[str, ...]] = {}
    if names:
        dims["beta"] = (beta_dim,)
    dims |= family.parameter_dims(target)
    return dims, {beta_dim: names} | family.coords(target, factor)


@dataclass(kw_only=True)
class ClusterLevelModel(CompiledQuantities, ConditionalModel):
    """A compiled cluster-level model (see the module docstring)."""

    family: Family
    quantities: dict[str, pt.TensorVariable] = field(repr=False)
    first_row: np.ndarray
    known_standardised: np.ndarray
    known_values: np.ndarray
    missing_codes: np.ndarray
    cluster_codes: np.ndarray = field(repr=False)
    category_values: np.ndarray | None = field(default=None, repr=False)
    linear_kernel: LinearTarget | None = field(default=None, repr=False)
    """The family's regression sweep (`Family.linear_kernel`), which reads a point's values;
    None for a family without one (a NUTS point is then read by the compiled quantities)."""

    cluster_level: ClassVar[bool] = True

    def _unpack(self, point: Point) -> dict:
        if self.linear_kernel is not None:  # its sampler's state is the point: it reads it
            return self.linear_kernel.quantities(point)
        named = self.quantities_at(point)
        if self.family.per_category:
            named.setdefault("beta", np.zeros((named["intercept"].shape[0], 0)))
        else:
            named["intercept"] = float(named.get("intercept", 0.0))
            named.setdefault("beta", np.zeros(0))
        return named

    def _cluster_means(self, current: dict, x: np.ndarray) -> np.ndarray:
        """Linear predictor of every cluster (one column per category for categorical)."""
        x_cluster = x[self.first_row]
        if self.family.per_category:
            return current["intercept"][None, :] + x_cluster @ current["beta"].T
        return current["intercept"] + linear_part(x_cluster, current["beta"])

    @property
    def shifts_linear_predictor(self) -> bool:
        """Delta moves the logit or log scale (discrete families), or the values."""
        return self.family.shifts_linear_predictor

    def _cluster_shifts(self) -> np.ndarray | float:
        """Return each cluster's delta shift (`delta_shifts` are one per missing cell)."""
        if self.delta_shifts is None:
            return 0.0
        shifts = np.zeros(len(self.first_row))
        shifts[self.missing_codes] = self.delta_shifts
        return shifts

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw one value per cluster without one; reported values stay."""
        current = self._unpack(point)
        mean = self._cluster_means(current, x)
        if self.shifts_linear_predictor:  # else a shift of the values: `draw_missing` adds it
            shifts = self._cluster_shifts()
            mean = mean + (np.reshape(shifts, (-1, 1)) if mean.ndim == 2 else shifts)
        per_cluster = self.as_values(self.family.draw(mean, current, rng))
        known = ~np.isnan(self.known_standardised)
        per_cluster = np.where(known, self.known_standardised, per_cluster)
        return per_cluster[self.missing_codes]

    def draw_missing(
        self, point: Point, predictors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells: a cluster's reported value, else a draw (shifted by delta).

        With `donors`, a close cluster's value (matching). The reported value is copied as
        given: through the standardised scale its last digit moved.
        """
        known = ~np.isnan(self.known_values)
        if self.donors:
            mean = self._cluster_means(self._unpack(point), self.standardised(predictors))
            per_cluster = self.known_values.copy()
            per_cluster[~known] = match_donors(
                mean[known], mean[~known], self.known_values[known], self.donors, rng
            )
            shifts = 0.0 if self.delta_shifts is None else self.delta_shifts
            values = per_cluster[self.missing_codes] + shifts
        else:
            values = super().draw_missing(point, predictors, rng)
        reported = known[self.missing_codes]
        values[reported] = self.known_values[self.missing_codes[reported]]
        return values

    def set_completed(self, values: np.ndarray, predictors: np.ndarray) -> None:
        """Set the completed target (every row's; one value per cluster) and predictors.

        For the analysis-compatible engine: the model is built from data in which the target
        is complete (`bayesmi.data.encoding.ImputationData.filled`), one likelihood row per
        cluster, which reads its cluster's value.
        """
        super().set_completed(values[self.likelihood_rows], predictors)

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the target of the clusters of `rows` (one row each), on the model's scale."""
        current = self._unpack(point)
        mean = self._cluster_means(current, x)[self.cluster_codes[rows]]
        draws = self.family.draw(mean, current, rng)
        return self.as_values(draws)

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the log density of each cluster's value at its first row, 0 at the others.

        Summed over a cluster's rows, that is the cluster's log density once: what the
        analysis-compatible engine's acceptance ratio reads.
        """
        current = self._unpack(point)
        codes = self.cluster_codes[rows]
        mean = self._cluster_means(current, x)[codes]
        first = rows == self.first_row[codes]
        return np.where(first, self.family.row_log_likelihood(mean, y, current), 0.0)

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's scale."""
        current = self._unpack(point)
        return self.family.coefficients(current, self.scaling) | self.family.dispersion(
            current, self.scaling
        )
