"""The fixed-cluster conditional model: one dummy (intercept) per cluster, mice ``norm`` style.

On the standardised scale, with cell-means coding (no global intercept)::

    y_ij = alpha_j + x_ij' beta + e_ij,   e_ij ~ N(0, sigma^2)
    alpha_j ~ N(0, 5^2), beta_k ~ N(0, 2.5^2), sigma ~ HalfNormal(1)

The likelihood uses the rows with an observed target; a missing cell is drawn from
``N(alpha_j + x_ij' beta, sigma^2)``. Cluster-level predictors are collinear with the dummies
and are left out (the engine warns), as mice removes collinear predictors. The parameters are
updated by an exact Gibbs sampler (`bayesmi.gibbs.LinearGibbs`) unless NUTS is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm

from bayesmi.data.checks import level_two_terms
from bayesmi.data.encoding import ImputationData
from bayesmi.models.blocks import (
    linear_gibbs_sampler,
    linear_part,
    linear_point,
    linear_predictor,
    new_model,
)
from bayesmi.models.conditional import ConditionalModel, Point
from bayesmi.models.scaling import Inputs
from bayesmi.priors import INTERCEPT_SD, SCALE_SD
from bayesmi.spec.model import ImputationModel

__all__ = ["FixedClusterModel", "fixed_cluster_model"]


def fixed_cluster_model(model: ImputationModel, data: ImputationData) -> FixedClusterModel:
    """Build the fixed-cluster model of ``model.target``.

    Parameters
    ----------
    model : ImputationModel
        A ``fixed_cluster`` model.
    data : ImputationData
        The encoded data; every cluster must have an observed target (checked earlier).

    Returns
    -------
    FixedClusterModel
        Parameters on the original scale: ``alpha`` (each cluster's intercept), ``beta`` (one
        coefficient per level-1 predictor, absent when there is none) and ``sigma``.
    """
    dropped = level_two_terms(model, data)
    kept = tuple(term for term in model.fixed_terms if term not in dropped)
    inputs = Inputs.from_data(data, model.target, kept)
    target, predictors = inputs.target, inputs.predictors
    with new_model(data, target, predictors) as pymc_model:
        x_beta, _ = linear_predictor(target, predictors, inputs.x)
        alpha = pm.Normal(f"{target}::alpha_std", 0.0, INTERCEPT_SD, dims="cluster")
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        mu = alpha[inputs.codes_observed] + x_beta
        pm.Normal(f"{target}::y", mu, sigma, observed=inputs.y, dims=f"{target}::obs_row")
    dims: dict[str, tuple[str, ...]] = {"alpha": ("cluster",), "sigma": ()}
    if predictors:
        dims["beta"] = (f"{target}::beta_dim",)
    return FixedClusterModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=dims,
        coords={f"{target}::beta_dim": list(predictors)},
        gibbs=linear_gibbs_sampler(
            pymc_model,
            model.family.linear_kernel(
                target, "alpha_std", inputs.y, np.eye(data.n_clusters)[inputs.codes_observed]
            ),
            len(predictors),
        ),
        donors=model.donors if model.pmm else 0,
        observed_values=data.values(target)[inputs.observed] if model.pmm else None,
        codes_missing=inputs.codes_missing,
        codes_all=inputs.codes_all,
    )


@dataclass(kw_only=True)
class FixedClusterModel(ConditionalModel):
    """A compiled fixed-cluster model (see the module docstring)."""

    codes_missing: np.ndarray
    codes_all: np.ndarray

    def _unpack(self, point: Point) -> tuple[np.ndarray, np.ndarray, float]:
        return linear_point(point, self.target, "alpha_std", len(self.columns))

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells from their cluster's normal."""
        x_missing = x[~self.observed]
        alpha, beta, sigma = self._unpack(point)
        mean = alpha[self.codes_missing] + linear_part(x_missing, beta)
        return mean + sigma * rng.standard_normal(mean.shape[0])

    def predicted_means(self, point: Point, x: np.ndarray) -> np.ndarray:
        """Return every row's predicted mean (standardised): its cluster's intercept + x'beta."""
        alpha, beta, _ = self._unpack(point)
        return alpha[self.codes_all] + linear_part(x, beta)

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return ``alpha``, ``sigma`` and (with predictors) ``beta`` on the data's scale."""
        alpha, beta, sigma = self._unpack(point)
        values = {
            "alpha": self.scaling.intercept(alpha, beta),
            "sigma": np.asarray(self.scaling.y_scale * sigma),
        }
        if self.columns:
            values["beta"] = self.scaling.coefficients(beta)
        return values
