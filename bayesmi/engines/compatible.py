"""Analysis-compatible chained imputation: the analysis model a factor, covariates by Metropolis.

With ``analysis=`` the chained engine samples the joint distribution the joint engine holds,

    p(x_1 | z) p(x_2 | x_1, z) ... p(x_K | x_1, ..., x_{K-1}, z) p(y | x, z),

factored in the order of the spec, the analysis model last (its outcome ``y``), by Gibbs and
Metropolis steps instead of one NUTS run:

1. Each factor is a conditional model whose likelihood uses every row, the target completed by
   the current imputations (built from `ImputationData.filled`; the analysis model uses the rows
   where its outcome is observed), and its parameters get ``steps`` sweeps of its exact Gibbs
   sampler given the current completed data.
2. Then each missing cell of ``x_k`` gets ``steps`` Metropolis-Hastings updates
   (`bayesmi.engines.samplers.metropolis`): the proposal is
   a draw from ``x_k``'s own factor given its new parameters, accepted with probability

       min(1, prod_d p_d(row | x_k*) / p_d(row | x_k))

   over the later factors ``d`` whose predictors use ``x_k`` (interactions and random slopes
   included; the analysis model counts where its outcome is observed, the other rows integrate
   it out). As the proposal is ``x_k``'s own factor, this is the Metropolis-Hastings ratio of
   the target, ``x_k``'s factor times the later factors' likelihood: the
   substantive-model-compatible FCS of Bartlett et al. (2015) and Blimp (Enders, Du and Keller
   2020), with an independence proposal in place of smcfcs' rejection sampling. Given the
   parameters and the clusters' effects the rows are independent, so each cell is accepted or
   rejected on its own; a cluster-level variable's value is proposed for a whole cluster at
   once, the later factors' likelihood summed over its rows.
3. The analysis outcome's missing cells are drawn from the analysis model.

Every step leaves the joint posterior invariant, so a long chain gives the joint engine's
imputations. Only factors with an exact Gibbs sampler whose target can be set and a row
likelihood can take part (`bayesmi.spec.kinds.KindInfo.compatible`: the normal, binary,
categorical, ordinal and negative binomial models, so nominal, ordinal and count covariates
too, which the joint engine cannot hold, and normal cluster-level variables of the cluster),
the analysis model may be a survival model (`bayesmi.survival`), and no formula may hold a
cluster mean of an imputed variable (a cell would then move its whole cluster's rows).

References
----------
Bartlett, J. W., Seaman, S. R., White, I. R. and Carpenter, J. R. (2015). Multiple imputation
of covariates by fully conditional specification: accommodating the substantive model.
Statistical Methods in Medical Research 24(4), 462-487.
Enders, C. K., Du, H. and Keller, B. T. (2020). A model-based imputation procedure for
multilevel regression models with random coefficients, interaction effects, and nonlinear
terms. Psychological Methods 25(1), 88-112.
"""

from __future__ import annotations

from bayesmi.data.encoding import ImputationData
from bayesmi.models import build
from bayesmi.models.conditional import ConditionalModel
from bayesmi.spec.model import ImputationModel

__all__ = ["compatible_models"]


def compatible_models(
    data: ImputationData, spec: dict[str, ImputationModel], outcome: str
) -> dict[str, ConditionalModel]:
    """Build every factor: covariates' over every row, the analysis model's where observed."""
    return {
        name: build(model, data if name == outcome else data.filled(name))
        for name, model in spec.items()
    }
