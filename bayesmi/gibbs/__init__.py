"""Exact Gibbs samplers of the conditional models, the PyMC models' priors kept.

A sweep of a Gibbs sampler costs a few vector operations, against tens of gradient
evaluations for a NUTS transition. Every step leaves the PyMC model's posterior invariant
(exact conditional draws, or Metropolis-Hastings steps with the exact acceptance ratio), so a
chain targets the posterior NUTS would; each sampler is checked against NUTS by a slow test
(tests/test_gibbs.py). `normal` holds the normal models' samplers, `logistic` the logit
models' (Polya-Gamma augmentation), `ordinal` the cumulative logit's (latent variables),
`intercepts` those of models with several grouping factors (three levels, crossed factors),
`selection` and `binary_selection` the Heckman models' (data augmentation), `autoregressive`
the normal mixed model's with AR(1) residuals over occasions, `counts` the
negative binomial's (Polya-Gamma augmentation), `regressions` those of the discrete
regressions without random effects (cluster-level models), `steps` what they share and
`kernels` their compiled loops.
"""

from bayesmi.gibbs.autoregressive import AutoregressiveGibbs
from bayesmi.gibbs.binary_selection import BinarySelectionGibbs
from bayesmi.gibbs.counts import NegativeBinomialGibbs
from bayesmi.gibbs.intercepts import FactorsGibbs, InterceptsGibbs
from bayesmi.gibbs.logistic import CategoricalGibbs, LogisticGibbs
from bayesmi.gibbs.normal import (
    LinearGibbs,
    RandomInterceptGibbs,
    RandomSlopesGibbs,
)
from bayesmi.gibbs.ordinal import OrdinalGibbs
from bayesmi.gibbs.regressions import (
    LinearCategoricalGibbs,
    LinearLogisticGibbs,
    LinearNegativeBinomialGibbs,
    LinearOrdinalGibbs,
)
from bayesmi.gibbs.selection import SelectionGibbs

__all__ = [
    "AutoregressiveGibbs",
    "BinarySelectionGibbs",
    "CategoricalGibbs",
    "FactorsGibbs",
    "InterceptsGibbs",
    "LinearCategoricalGibbs",
    "LinearGibbs",
    "LinearLogisticGibbs",
    "LinearNegativeBinomialGibbs",
    "LinearOrdinalGibbs",
    "LogisticGibbs",
    "NegativeBinomialGibbs",
    "OrdinalGibbs",
    "RandomInterceptGibbs",
    "RandomSlopesGibbs",
    "SelectionGibbs",
]
