"""The cluster-level conditional model (mice 2lonly.norm, 2lonly.pmm): one row per cluster.

On the standardised scale (predictors always, the target when gaussian)::

    eta_j = g0 + a_j' gamma
    gaussian:  w_j ~ N(eta_j, sigma_w^2),  sigma_w ~ HalfNormal(1)
    binary, categorical, ordinal, poisson, negative_binomial: `bayesmi.models.families`
    g0 ~ N(0, 5^2) (N(0, 2.5^2) for binary and categorical; none for ordinal),
    gamma_k ~ N(0, 2.5^2)  (categorical: g0 and gamma per non-reference category)

``a_j`` holds the cluster's level-2 predictors and the cluster means of level-1 predictors
(``x_mean``) in the current completed data. The likelihood uses the clusters where ``w`` is
observed (for some unit; the value is constant within a cluster); the other clusters get a
draw from the model given ``a_j`` (or, with predictive mean matching, the value of a cluster
with a close predicted mean), written to every unit of the cluster. Units that miss ``w`` in a
cluster where other units report it get the reported value. With ``delta`` the drawn clusters'
values move by it (gaussian) or their ``eta_j`` does (`bayesmi.spec.pattern_mixture`); reported
values stay. The gaussian model's parameters are
updated by an exact Gibbs sampler (`bayesmi.models.gibbs.LinearGibbs`) unless NUTS is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.models.blocks import (
    COEFFICIENT_SD,
    INTERCEPT_SD,
    SCALE_SD,
    linear_part,
    linear_point,
    linear_predictor,
)
from bayesmi.models.conditional import CompiledQuantities, ConditionalModel, Point
from bayesmi.models.families import (
    family_draw,
    family_likelihood,
    has_intercept,
    threshold_labels,
)
from bayesmi.models.gibbs import linear_gibbs_sampler
from bayesmi.models.matching import match_donors
from bayesmi.models.scaling import Scaling, starting_predictors
from bayesmi.spec.model import Family, ImputationModel

__all__ = ["ClusterLevelModel", "cluster_level_model"]

CODED_FAMILIES = ("categorical", "ordinal")
"""Families whose likelihood reads category codes rather than the column's values."""


def cluster_level_model(model: ImputationModel, data: ImputationData) -> ClusterLevelModel:
    """Build the cluster-level model of ``model.target``.

    Returns
    -------
    ClusterLevelModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor; per non-reference category for categorical; no ``Intercept`` for ordinal),
        ``sigma`` (gaussian: residual SD across clusters), ``thresholds`` (ordinal) and
        ``alpha`` (negative binomial).
    """
    data = data.at_level(model.level)  # its clusters: the groups of the level it lives on
    target, family = model.target, model.family
    columns = data.design_columns(model.fixed_terms)
    predictors = [column.name for column in columns]
    first_row = np.unique(data.cluster_codes, return_index=True)[1]
    cluster_value = _reported_values(data, data.values(target))
    known = ~np.isnan(cluster_value)
    scaling = Scaling.from_data(data, target, columns, standardise_target=family == "gaussian")
    likelihood_rows = first_row[known]
    response = data.codes(target) if family in CODED_FAMILIES else data.values(target)
    y = (data.cluster_means(response)[likelihood_rows] - scaling.y_center) / scaling.y_scale
    x = scaling.x(starting_predictors(data, columns)[likelihood_rows])
    coords = {"cluster": list(data.cluster_labels), f"{target}::predictor": list(predictors)}
    factor = data.factor(target) if family in CODED_FAMILIES else None
    with pm.Model(coords=coords) as pymc_model:
        if family == "gaussian":
            x_beta, _ = linear_predictor(target, predictors, x)
            intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
            sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
            mu = intercept + x_beta
            pm.Normal(f"{target}::y", mu, sigma, observed=y, dims=f"{target}::obs_row")
            quantities = {}
        else:
            categories = factor.n_categories if factor is not None else 0
            quantities = _discrete_equation(target, family, predictors, x, y, categories)
    observed = ~data.missing[target]
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
        gibbs=linear_gibbs_sampler(
            pymc_model, target, "intercept_std", y, np.ones((len(y), 1)), len(predictors)
        )
        if family == "gaussian"
        else None,
        donors=model.donors if model.pmm else 0,
        family=family,
        quantities=quantities,
        first_row=first_row,
        known_standardised=(cluster_value - scaling.y_center) / scaling.y_scale,
        known_values=cluster_value,
        missing_codes=data.cluster_codes[~observed],
        category_values=data.category_values(target) if factor is not None else None,
    )


def _reported_values(data: ImputationData, values: np.ndarray) -> np.ndarray:
    """Each cluster's reported value (its first observed one; NaN for clusters without)."""
    reported = np.full(data.n_clusters, np.nan)
    rows = np.flatnonzero(~np.isnan(values))
    codes, first = np.unique(data.cluster_codes[rows], return_index=True)
    reported[codes] = values[rows[first]]
    return reported


def _discrete_equation(
    target: str, family: Family, predictors: list[str], x: np.ndarray, y: np.ndarray, k: int
) -> dict[str, pt.TensorVariable]:
    """Add a discrete family's coefficients and likelihood; return what the draw needs."""
    model = pm.modelcontext(None)
    quantities = {}
    if family == "categorical":
        model.add_coord(f"{target}::category", length=k - 1)
        dims = (f"{target}::category", f"{target}::predictor")
        intercept = pm.Normal(
            f"{target}::intercept_std", 0.0, COEFFICIENT_SD, dims=f"{target}::category"
        )
        eta = pt.ones((len(y), 1)) * intercept[None, :]
        quantities["intercept"] = intercept
        if predictors:
            x_data = pm.Data(f"{target}::X", x, dims=(f"{target}::obs_row", f"{target}::predictor"))
            beta = pm.Normal(f"{target}::beta_std", 0.0, COEFFICIENT_SD, dims=dims)
            eta = eta + x_data @ beta.T
            quantities["beta"] = beta
    else:
        x_beta, beta = linear_predictor(target, predictors, x) if predictors else (0.0, None)
        eta = x_beta + pt.zeros(len(y))
        if has_intercept(family):
            intercept_sd = COEFFICIENT_SD if family == "binary" else INTERCEPT_SD
            intercept = pm.Normal(f"{target}::intercept_std", 0.0, intercept_sd)
            eta = eta + intercept
            quantities["intercept"] = intercept
        if beta is not None:
            quantities["beta"] = beta
    family_quantities, _ = family_likelihood(target, family, eta, y, k, dims=f"{target}::obs_row")
    return quantities | family_quantities


def _parameter_dims(
    target: str, family: Family, predictors: list[str], factor
) -> tuple[dict[str, tuple[str, ...]], dict[str, list]]:
    beta_dim = f"{target}::beta_dim"
    names = [*(["Intercept"] if has_intercept(family) else []), *predictors]
    dims: dict[str, tuple[str, ...]] = {}
    coords: dict[str, list] = {beta_dim: names}
    if names:
        dims["beta"] = (beta_dim,)
    if family == "gaussian":
        dims["sigma"] = ()
    elif family == "categorical":
        dims["beta"] = (f"{target}::category", beta_dim)
        coords[f"{target}::category"] = [factor.label(k) for k in range(1, factor.n_categories)]
    elif family == "ordinal":
        dims["thresholds"] = (f"{target}::threshold",)
        coords[f"{target}::threshold"] = threshold_labels(factor)
    elif family == "negative_binomial":
        dims["alpha"] = ()
    return dims, coords


@dataclass(kw_only=True)
class ClusterLevelModel(CompiledQuantities, ConditionalModel):
    """A compiled cluster-level model (see the module docstring)."""

    family: Family
    quantities: dict[str, pt.TensorVariable] = field(repr=False)
    first_row: np.ndarray
    known_standardised: np.ndarray
    known_values: np.ndarray
    missing_codes: np.ndarray
    category_values: np.ndarray | None = field(default=None, repr=False)

    def _unpack(self, point: Point) -> dict:
        if self.family == "gaussian":
            n_predictors = len(self.columns)
            intercept, beta, sigma = linear_point(point, self.target, "intercept_std", n_predictors)
            return {"intercept": float(intercept), "beta": beta, "sigma": sigma}
        named = self.quantities_at(point)
        if self.family == "categorical":
            named.setdefault("beta", np.zeros((named["intercept"].shape[0], 0)))
        else:
            named["intercept"] = float(named.get("intercept", 0.0))
            named.setdefault("beta", np.zeros(0))
        return named

    def _cluster_means(self, current: dict, x: np.ndarray) -> np.ndarray:
        """Linear predictor of every cluster (one column per category for categorical)."""
        x_cluster = x[self.first_row]
        if self.family == "categorical":
            return current["intercept"][None, :] + x_cluster @ current["beta"].T
        return current["intercept"] + linear_part(x_cluster, current["beta"])

    @property
    def shifts_linear_predictor(self) -> bool:
        """Delta moves the logit or log scale (discrete families), not the values."""
        return self.family != "gaussian"

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
        if self.family == "gaussian":  # a shift of the values: `draw_missing` adds it
            per_cluster = mean + current["sigma"] * rng.standard_normal(len(self.first_row))
        else:
            shifts = self._cluster_shifts()
            mean = mean + (np.reshape(shifts, (-1, 1)) if mean.ndim == 2 else shifts)
            per_cluster = family_draw(self.family, mean, current, rng)
            if self.category_values is not None:
                per_cluster = self.category_values[per_cluster.astype(int)]
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
            mean = self._cluster_means(self._unpack(point), self.scaling.x(predictors))
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

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's scale."""
        current = self._unpack(point)
        scaling, beta = self.scaling, current["beta"]
        if self.family == "categorical":
            rows = zip(current["intercept"], beta, strict=True)
            return {"beta": np.array([scaling.fixed_effects(a, b) for a, b in rows])}
        named = {}
        if self.family == "ordinal":
            shift = np.sum(beta * scaling.x_center / scaling.x_scale)
            named["thresholds"] = np.asarray(current["thresholds"]) + shift
            if beta.size:
                named["beta"] = scaling.coefficients(beta)
        else:
            named["beta"] = scaling.fixed_effects(current["intercept"], beta)
        if self.family == "gaussian":
            named["sigma"] = np.asarray(scaling.y_scale * current["sigma"])
        elif self.family == "negative_binomial":
            named["alpha"] = np.asarray(current["alpha"])
        return named
