"""Conditional model factories, one module per model, and the engine contract.

Each factory takes an `ImputationModel` and the `ImputationData` and returns a
`ConditionalModel` (`bayesmi.models.conditional`): a PyMC model compiled once per chain, fed new
predictors with `set_predictors`. `FACTORIES` maps each model kind to its factory.
"""

from collections.abc import Callable
from functools import partial

from bayesmi.data.encoding import ImputationData
from bayesmi.models.categorical import categorical_model
from bayesmi.models.cluster_level import cluster_level_model
from bayesmi.models.conditional import ConditionalModel, GibbsSampler
from bayesmi.models.fixed_cluster import fixed_cluster_model
from bayesmi.models.heckman import heckman_model
from bayesmi.models.mixed import mixed_model
from bayesmi.spec.model import ImputationModel

FACTORIES: dict[str, Callable[[ImputationModel, ImputationData], ConditionalModel]] = {
    "binary": mixed_model,
    "categorical": categorical_model,
    "cluster_level": cluster_level_model,
    "count": mixed_model,
    "fixed_cluster": fixed_cluster_model,
    "heckman": heckman_model,
    "heteroscedastic": partial(mixed_model, cluster_variance=True),
    "ordinal": mixed_model,
    "random_intercept": mixed_model,
    "random_slopes": mixed_model,
}
"""Factory of each model kind, keyed by ``ImputationModel.kind``."""

__all__ = [
    "FACTORIES",
    "ConditionalModel",
    "GibbsSampler",
    "categorical_model",
    "cluster_level_model",
    "fixed_cluster_model",
    "heckman_model",
    "mixed_model",
]
