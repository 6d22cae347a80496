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

from dataclasses import dataclass

import numpy as np
import pymc as pm

from bayesmi.data.encoding import ImputationData
from bayesmi.models.blocks import (
    INTERCEPT_SD,
    SCALE_SD,
    linear_part,
    linear_point,
    linear_predictor,
)
from bayesmi.models.conditional import ConditionalModel, Point
from bayesmi.models.scaling import Scaling, starting_predictors
from bayesmi.spec.model import ImputationModel

__all__ = ["ClusterLevelModel", "cluster_level_model"]


def cluster_level_model(model: ImputationModel, data: ImputationData) -> ClusterLevelModel:
    """Build the cluster-level model of ``model.target``.

    Returns
    -------
    ClusterLevelModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor) and ``sigma`` (residual SD across clusters).
    """
    target = model.target
    columns = data.design_columns(model.fixed_terms)
    predictors = [column.name for column in columns]
    first_row = np.unique(data.cluster_codes, return_index=True)[1]
    cluster_value = data.cluster_means(data.values(target))[first_row]
    known = ~np.isnan(cluster_value)
    scaling = Scaling.from_data(data, target, columns)
    likelihood_rows = first_row[known]
    y = (cluster_value[known] - scaling.y_center) / scaling.y_scale
    x = scaling.x(starting_predictors(data, columns)[likelihood_rows])
    coords = {"cluster": list(data.cluster_labels), f"{target}::predictor": list(predictors)}
    with pm.Model(coords=coords) as pymc_model:
        x_beta, _ = linear_predictor(target, predictors, x)
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        pm.Normal(f"{target}::y", intercept + x_beta, sigma, observed=y, dims=f"{target}::obs_row")
    observed = ~data.missing[target]
    return ClusterLevelModel(
        target=target,
        columns=columns,
        model=pymc_model,
        observed=observed,
        likelihood_rows=likelihood_rows,
        scaling=scaling,
        parameter_dims={"beta": (f"{target}::beta_dim",), "sigma": ()},
        coords={f"{target}::beta_dim": ["Intercept", *predictors]},
        first_row=first_row,
        known_standardised=(cluster_value - scaling.y_center) / scaling.y_scale,
        missing_codes=data.cluster_codes[~observed],
    )


@dataclass(kw_only=True)
class ClusterLevelModel(ConditionalModel):
    """A compiled cluster-level model (see the module docstring)."""

    first_row: np.ndarray
    known_standardised: np.ndarray
    missing_codes: np.ndarray

    def _unpack(self, point: Point) -> tuple[float, np.ndarray, float]:
        n_predictors = len(self.columns)
        intercept, beta, sigma = linear_point(point, self.target, "intercept_std", n_predictors)
        return float(intercept), beta, sigma

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw one value per cluster without one; reported values stay."""
        intercept, beta, sigma = self._unpack(point)
        mean = intercept + linear_part(x[self.first_row], beta)
        per_cluster = mean + sigma * rng.standard_normal(len(self.first_row))
        known = ~np.isnan(self.known_standardised)
        per_cluster = np.where(known, self.known_standardised, per_cluster)
        return per_cluster[self.missing_codes]

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return ``beta`` and ``sigma`` on the data's scale."""
        intercept, beta, sigma = self._unpack(point)
        return {
            "beta": self.scaling.fixed_effects(intercept, beta),
            "sigma": np.asarray(self.scaling.y_scale * sigma),
        }
