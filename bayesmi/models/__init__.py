"""Conditional model factories, one module per model.

Each factory takes an `ImputationModel` spec and the `ImputationData` and returns a
`ConditionalModel`: a PyMC model compiled once per chain, fed new predictors with `set_data`.
"""

from bayesmi.models._blocks import ConditionalModel
from bayesmi.models.binary import binary_model
from bayesmi.models.cluster_level import cluster_level_model
from bayesmi.models.fixed_cluster import fixed_cluster_model
from bayesmi.models.heckman import heckman_model
from bayesmi.models.heteroscedastic import heteroscedastic_model
from bayesmi.models.random_intercept import random_intercept_model
from bayesmi.models.random_slopes import random_slopes_model

FACTORIES = {
    "binary": binary_model,
    "cluster_level": cluster_level_model,
    "fixed_cluster": fixed_cluster_model,
    "heckman": heckman_model,
    "heteroscedastic": heteroscedastic_model,
    "random_intercept": random_intercept_model,
    "random_slopes": random_slopes_model,
}
"""Factory of each model kind, keyed by ``ImputationModel.kind``."""

__all__ = [
    "FACTORIES",
    "ConditionalModel",
    "binary_model",
    "cluster_level_model",
    "fixed_cluster_model",
    "heckman_model",
    "heteroscedastic_model",
    "random_intercept_model",
    "random_slopes_model",
]
