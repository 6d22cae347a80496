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
from bayesmi.models.mixed import FACTORS_GIBBS_FAMILIES, mixed_model
from bayesmi.models.multilevel import intercepts_model
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
    "heteroscedastic": partial(mixed_model, cluster_variance=True),
    "ordinal": mixed_model,
    "random_intercept": random_intercept_model,
    "random_slopes": mixed_model,
}
"""Factory of each model kind, keyed by ``ImputationModel.kind``."""

GIBBS_KINDS = (
    "binary",
    "categorical",
    "fixed_cluster",
    "heteroscedastic",
    "ordinal",
    "random_intercept",
    "random_slopes",
)
"""Kinds whose factory gives a Gibbs sampler used by default, whatever the family."""


def uses_nuts(model: ImputationModel, sampler: str) -> bool:
    """Whether the chained engine runs NUTS on a model, known before its factory is called.

    NUTS throughout with ``sampler="nuts"``; where the factory gives no Gibbs sampler used by
    default (poisson counts, cluster-level models of other families than gaussian, heckman,
    ordinal and categorical models with several grouping factors);
    and for heckman's warm-up with ``sampler="gibbs"`` (none with rho fixed). What
    `make_updater` decides from the built model (a test holds the two together); it spares
    building every model in the main process for a shared NUTS adaptation no model needs.
    """
    if sampler == "nuts":
        return True
    if model.other_groups and model.family not in FACTORS_GIBBS_FAMILIES:
        return True  # several grouping factors: ordinal, poisson, categorical
    if model.kind == "heckman":
        return sampler != "gibbs" or model.rho is None
    if model.kind == "count":
        return model.family != "negative_binomial"
    if model.kind == "cluster_level":
        return model.family != "gaussian"
    return model.kind not in GIBBS_KINDS


__all__ = [
    "FACTORIES",
    "GIBBS_KINDS",
    "ConditionalModel",
    "GibbsSampler",
    "categorical_model",
    "cluster_level_model",
    "fixed_cluster_model",
    "heckman_model",
    "mixed_model",
    "uses_nuts",
]
