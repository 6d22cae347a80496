"""The fixed-cluster conditional model: one dummy (intercept) per cluster, mice ``norm`` style.

On the standardised scale, with cell-means coding (no global intercept)::

    y_ij = alpha_j + x_ij' beta + e_ij,   e_ij ~ N(0, sigma^2)
    alpha_j ~ N(0, 5^2), beta_k ~ N(0, 2.5^2), sigma ~ HalfNormal(1)

The likelihood uses the rows with an observed target; a missing cell is drawn from
``N(alpha_j + x_ij' beta, sigma^2)``. Cluster-level predictors are collinear with the dummies
and are left out (the engine warns), as mice removes collinear predictors.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from bayesmi.data import ImputationData
from bayesmi.models._blocks import (
    INTERCEPT_SD,
    SCALE_SD,
    ConditionalModel,
    Inputs,
    Point,
    linear_part,
    linear_predictor,
    new_model,
    point_beta,
)
from bayesmi.spec import ImputationModel


def cluster_level_predictors(spec: ImputationModel, data: ImputationData) -> tuple[str, ...]:
    """Return the predictors of `spec` constant within every cluster (level 2)."""
    return tuple(name for name in spec.predictors if data.predictor_level(name) == 2)


def fixed_cluster_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the fixed-cluster model of ``spec.target``.

    Parameters
    ----------
    spec : ImputationModel
        A ``fixed_cluster`` spec.
    data : ImputationData
        The encoded data; every cluster must have an observed target (checked earlier).

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: ``alpha`` (each cluster's intercept), ``beta`` (one
        coefficient per level-1 predictor, absent when there is none) and ``sigma``.
    """
    dropped = cluster_level_predictors(spec, data)
    kept = tuple(name for name in spec.predictors if name not in dropped)
    inputs = Inputs.from_data(data, spec.target, kept)
    target, predictors, scaling = inputs.target, inputs.predictors, inputs.scaling
    n_predictors = len(predictors)

    with new_model(data, target, predictors) as model:
        x_beta, _ = linear_predictor(target, predictors, inputs.x)
        alpha = pm.Normal(f"{target}::alpha_std", 0.0, INTERCEPT_SD, dims="cluster")
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        mu = alpha[inputs.codes_observed] + x_beta
        pm.Normal(f"{target}::y", mu, sigma, observed=inputs.y, dims=f"{target}::obs_row")

    def unpack(point: Point) -> tuple[np.ndarray, np.ndarray, float]:
        return (
            point[f"{target}::alpha_std"],
            point_beta(point, target, n_predictors),
            float(np.exp(point[f"{target}::sigma_std_log__"])),
        )

    def draw(point: Point, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x_missing = x[~inputs.observed]
        alpha_value, beta, sigma_value = unpack(point)
        mean = alpha_value[inputs.codes_missing] + linear_part(x_missing, beta)
        return mean + sigma_value * rng.standard_normal(mean.shape[0])

    def parameters(point: Point) -> dict[str, np.ndarray]:
        alpha_value, beta, sigma_value = unpack(point)
        values = {
            "alpha": scaling.intercept(alpha_value, beta),
            "sigma": np.asarray(scaling.y_scale * sigma_value),
        }
        if n_predictors:
            values["beta"] = scaling.coefficients(beta)
        return values

    dims: dict[str, tuple[str, ...]] = {"alpha": ("cluster",), "sigma": ()}
    if n_predictors:
        dims["beta"] = (f"{target}::beta_dim",)
    return ConditionalModel(
        target=target,
        predictors=predictors,
        model=model,
        observed=inputs.observed,
        likelihood_rows=np.flatnonzero(inputs.observed),
        scaling=scaling,
        parameter_dims=dims,
        coords={f"{target}::beta_dim": list(predictors)},
        _draw=draw,
        _parameters=parameters,
    )
