"""Conditional model factories, one module per model, and the engine contract.

Each factory takes an `ImputationModel` and the `ImputationData` and returns a
`ConditionalModel` (`bayesmi.models.conditional`): a PyMC model compiled once per chain, fed new
predictors with `set_predictors`. `FACTORIES` maps each model kind (`bayesmi.spec.kinds.KINDS`)
to its factory; the model's family (`bayesmi.families`) supplies its distribution.
"""

from collections.abc import Callable

from bayesmi.data.encoding import ImputationData
from bayesmi.models.categorical import categorical_model
from bayesmi.models.cluster_level import cluster_level_model
from bayesmi.models.conditional import ConditionalModel, GibbsSampler
from bayesmi.models.fixed_cluster import fixed_cluster_model
from bayesmi.models.heckman import heckman_model
from bayesmi.models.mixed import mixed_model
from bayesmi.models.multilevel import intercepts_model
from bayesmi.models.survival import survival_model
from bayesmi.spec.model import ImputationModel


def random_intercept_model(model: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the two-level mixed model (grouped by the cluster), or one of several factors."""
    if model.groups == (data.cluster,):
        return mixed_model(model, data)
    return intercepts_model(model, data)


FACTORIES: dict[str, Callable[[ImputationModel, ImputationData], ConditionalModel]] = {
    "binary": mixed_model,
    "categorical": categorical_model,
    "cluster_level": cluster_level_model,
    "count": mixed_model,
    "fixed_cluster": fixed_cluster_model,
    "heckman": heckman_model,
    "heteroscedastic": mixed_model,
    "ordinal": mixed_model,
    "random_intercept": random_intercept_model,
    "random_slopes": mixed_model,
    "survival": survival_model,
}
"""Factory of each model kind, keyed by ``ImputationModel.kind``."""


def build(model: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build and return the conditional model of an imputation model."""
    return FACTORIES[model.kind](model, data)


__all__ = [
    "FACTORIES",
    "ConditionalModel",
    "GibbsSampler",
    "build",
    "categorical_model",
    "cluster_level_model",
    "fixed_cluster_model",
    "heckman_model",
    "mixed_model",
    "survival_model",
]
