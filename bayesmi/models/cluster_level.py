"""The cluster-level conditional model (mice 2lonly.norm): one row per cluster.

On the standardised scale::

    w_j = g0 + a_j' gamma + e_j,   e_j ~ N(0, sigma_w^2)
    g0 ~ N(0, 5^2), gamma_k ~ N(0, 2.5^2), sigma_w ~ HalfNormal(1)

``a_j`` holds the cluster's level-2 predictors and the cluster means of level-1 predictors
(``x_mean``) in the current completed data. The likelihood uses the clusters where ``w`` is
observed (for some unit; the value is constant within a cluster); the other clusters get a
draw from ``N(g0 + a_j' gamma, sigma_w^2)``, written to every unit of the cluster. Units that
miss ``w`` in a cluster where other units report it get the reported value.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from bayesmi.data import ImputationData
from bayesmi.models._blocks import (
    INTERCEPT_SD,
    SCALE_SD,
    ConditionalModel,
    Point,
    Scaling,
    linear_part,
    linear_predictor,
    point_beta,
    predictor_values,
)
from bayesmi.spec import ImputationModel


def cluster_level_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the cluster-level model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor) and ``sigma`` (residual SD across clusters).
    """
    target, predictors = spec.target, spec.predictors
    codes = data.cluster_codes
    observed_rows = ~data.missing[target]
    first_row = np.unique(codes, return_index=True)[1]
    cluster_value = data.cluster_means(data.values(target))[first_row]
    known = ~np.isnan(cluster_value)
    scaling = Scaling.from_data(data, target, predictors)
    likelihood_rows = first_row[known]
    y = (cluster_value[known] - scaling.y_center) / scaling.y_scale
    x = scaling.x(predictor_values(data, predictors)[likelihood_rows])
    missing_rows = np.flatnonzero(~observed_rows)
    missing_codes = codes[missing_rows]
    n_predictors = len(predictors)

    coords = {"cluster": list(data.cluster_labels), f"{target}::predictor": list(predictors)}
    with pm.Model(coords=coords) as model:
        x_beta, _ = linear_predictor(target, predictors, x)
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        pm.Normal(f"{target}::y", intercept + x_beta, sigma, observed=y, dims=f"{target}::obs_row")

    def unpack(point: Point) -> tuple[float, np.ndarray, float]:
        return (
            float(point[f"{target}::intercept_std"]),
            point_beta(point, target, n_predictors),
            float(np.exp(point[f"{target}::sigma_std_log__"])),
        )

    def draw(point: Point, x_all: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        intercept_value, beta, sigma_value = unpack(point)
        mean = intercept_value + linear_part(x_all[first_row], beta)
        per_cluster = mean + sigma_value * rng.standard_normal(len(first_row))
        known_std = (cluster_value - scaling.y_center) / scaling.y_scale
        per_cluster = np.where(known, known_std, per_cluster)
        return per_cluster[missing_codes]

    def parameters(point: Point) -> dict[str, np.ndarray]:
        intercept_value, beta, sigma_value = unpack(point)
        return {
            "beta": np.concatenate(
                [[scaling.intercept(intercept_value, beta)], scaling.coefficients(beta)]
            ),
            "sigma": np.asarray(scaling.y_scale * sigma_value),
        }

    return ConditionalModel(
        target=target,
        predictors=predictors,
        model=model,
        observed=observed_rows,
        likelihood_rows=likelihood_rows,
        scaling=scaling,
        parameter_dims={"beta": (f"{target}::beta_dim",), "sigma": ()},
        coords={f"{target}::beta_dim": ["Intercept", *predictors]},
        _draw=draw,
        _parameters=parameters,
    )
