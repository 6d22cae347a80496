"""The random-intercept conditional model (mice 2l.pan / 2l.lmer with predictors coded 1).

On the standardised scale::

    y_ij = b0 + x_ij' beta + u_j + e_ij,   u_j = tau * eta_j,   e_ij ~ N(0, sigma^2)
    b0 ~ N(0, 5^2), beta_k ~ N(0, 2.5^2), eta_j ~ N(0, 1), tau ~ HalfNormal(1),
    sigma ~ HalfNormal(1)

The likelihood uses the rows with an observed target; a missing cell is drawn from
``N(b0 + x_ij' beta + u_j, sigma^2)`` with its cluster's current ``u_j``. A cluster with no
observed target keeps ``eta_j`` under its prior, so its ``u_j`` is a draw from ``N(0, tau^2)``.
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


def random_intercept_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the random-intercept model of ``spec.target``.

    Parameters
    ----------
    spec : ImputationModel
        A ``random_intercept`` spec.
    data : ImputationData
        The encoded data.

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor), ``tau`` (SD of the random intercepts), ``sigma`` (residual SD) and ``u``
        (each cluster's random intercept).
    """
    inputs = Inputs.from_data(data, spec.target, spec.predictors)
    target, predictors, scaling = inputs.target, inputs.predictors, inputs.scaling
    n_predictors = len(predictors)

    with new_model(data, target, predictors) as model:
        x_beta, _ = linear_predictor(target, predictors, inputs.x)
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
        tau = pm.HalfNormal(f"{target}::tau_std", SCALE_SD)
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        eta = pm.Normal(f"{target}::eta", 0.0, 1.0, dims="cluster")
        mu = intercept + x_beta + tau * eta[inputs.codes_observed]
        pm.Normal(f"{target}::y", mu, sigma, observed=inputs.y, dims=f"{target}::obs_row")

    def unpack(point: Point) -> tuple[float, np.ndarray, float, float, np.ndarray]:
        tau_value = float(np.exp(point[f"{target}::tau_std_log__"]))
        return (
            float(point[f"{target}::intercept_std"]),
            point_beta(point, target, n_predictors),
            tau_value,
            float(np.exp(point[f"{target}::sigma_std_log__"])),
            tau_value * point[f"{target}::eta"],
        )

    def draw(point: Point, x_missing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        intercept_value, beta, _, sigma_value, u = unpack(point)
        mean = intercept_value + linear_part(x_missing, beta) + u[inputs.codes_missing]
        return mean + sigma_value * rng.standard_normal(mean.shape[0])

    def parameters(point: Point) -> dict[str, np.ndarray]:
        intercept_value, beta, tau_value, sigma_value, u = unpack(point)
        return {
            "beta": np.concatenate(
                [[scaling.intercept(intercept_value, beta)], scaling.coefficients(beta)]
            ),
            "tau": np.asarray(scaling.y_scale * tau_value),
            "sigma": np.asarray(scaling.y_scale * sigma_value),
            "u": scaling.y_scale * u,
        }

    return ConditionalModel(
        target=target,
        predictors=predictors,
        model=model,
        observed=inputs.observed,
        scaling=scaling,
        parameter_dims={
            "beta": (f"{target}::beta_dim",),
            "tau": (),
            "sigma": (),
            "u": ("cluster",),
        },
        coords={f"{target}::beta_dim": ["Intercept", *predictors]},
        _draw=draw,
        _parameters=parameters,
    )
