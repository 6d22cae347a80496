"""Conditional model factories, one module per model.

Each factory takes an `ImputationModel` spec and the `ImputationData` and returns a
`ConditionalModel`: a PyMC model compiled once per chain, fed new predictors with `set_data`.
"""

from bayesmi.models._blocks import ConditionalModel
from bayesmi.models.fixed_cluster import fixed_cluster_model
from bayesmi.models.random_intercept import random_intercept_model

FACTORIES = {
    "fixed_cluster": fixed_cluster_model,
    "random_intercept": random_intercept_model,
}
"""Factory of each model kind, keyed by ``ImputationModel.kind``."""

__all__ = ["FACTORIES", "ConditionalModel", "fixed_cluster_model", "random_intercept_model"]
