r"""Each family's distribution of a target given its linear predictor.

Its likelihood in PyMC, its parameters, and the predictive draw of missing cells in numpy.

Shared by the level-1 mixed models (`bayesmi.models.mixed`, `bayesmi.models.categorical`) and the
cluster-level model. ``eta`` is the linear predictor on the standardised-predictor scale: one
column, or for ``categorical`` one column per non-reference category. Targets of the discrete
families are category codes (binary, categorical, ordinal) or counts, never standardised.

- ordinal: :math:`P(y \le k) = \mathrm{logit}^{-1}(\theta_k - \eta)`, ordered thresholds
  :math:`\theta \sim N(0, 5^2)`; the model has no intercept (the thresholds hold it).
- poisson: :math:`y \sim \text{Poisson}(e^\eta)`.
- negative_binomial: mean :math:`e^\eta`, variance :math:`\mu + \mu^2/\alpha`,
  :math:`1/\sqrt{\alpha} \sim \text{HalfNormal}(1)`; drawn as a gamma mixture of Poissons.
- categorical: :math:`P(y = k) \propto e^{\eta_k}`, :math:`\eta_0 = 0`; drawn by the
  Gumbel-max trick.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit

from bayesmi.data.factors import Factor
from bayesmi.spec.model import Family

__all__ = [
    "DISCRETE_FAMILIES",
    "THRESHOLD_SD",
    "family_draw",
    "family_likelihood",
    "has_intercept",
    "threshold_labels",
]

THRESHOLD_SD = 5.0
"""Prior SD of an ordinal model's thresholds."""

DISCRETE_FAMILIES = ("binary", "categorical", "ordinal", "poisson", "negative_binomial")
"""Families whose target is not standardised: codes or counts."""


def threshold_labels(factor: Factor) -> list[str]:
    """Name an ordinal model's thresholds as clmm does: ``low|mid``, ``mid|high``."""
    labels = [factor.label(code) for code in range(factor.n_categories)]
    return [f"{below}|{above}" for below, above in pairwise(labels)]


def has_intercept(family: Family) -> bool:
    """Whether the linear predictor has an intercept (an ordinal's thresholds replace it)."""
    return family != "ordinal"


def family_likelihood(
    target: str,
    family: Family,
    eta: pt.TensorVariable,
    y: np.ndarray,
    n_categories: int,
    dims: str | None = None,
) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
    """Add the family's parameters and likelihood of `y` given `eta` to the model in context.

    Gaussian targets are not handled here (their residual SD depends on the model).

    Returns
    -------
    quantities : dict
        The family's parameters the draw needs: ``thresholds`` (ordinal), ``alpha``
        (negative binomial); empty otherwise.
    values : tensor
        The target's random variable.
    """
    name = f"{target}::y"
    if family == "binary":
        return {}, pm.Bernoulli(name, logit_p=eta, observed=y, dims=dims)
    if family == "categorical":
        logits = pt.concatenate([pt.zeros((eta.shape[0], 1)), eta], axis=1)
        return {}, pm.Categorical(name, logit_p=logits, observed=y, dims=dims)
    if family == "ordinal":
        thresholds = pm.Normal(
            f"{target}::thresholds_std",
            0.0,
            THRESHOLD_SD,
            shape=n_categories - 1,
            transform=pm.distributions.transforms.ordered,
            initval=np.linspace(-1.5, 1.5, n_categories - 1),
        )
        values = pm.OrderedLogistic(name, eta=eta, cutpoints=thresholds, observed=y, dims=dims)
        return {"thresholds": thresholds}, values
    if family == "poisson":
        return {}, pm.Poisson(name, mu=pt.exp(eta), observed=y, dims=dims)
    if family == "negative_binomial":
        spread = pm.HalfNormal(f"{target}::inv_sqrt_alpha", 1.0)
        alpha = 1.0 / spread**2
        values = pm.NegativeBinomial(name, mu=pt.exp(eta), alpha=alpha, observed=y, dims=dims)
        return {"alpha": alpha}, values
    raise ValueError(f"no likelihood for family {family!r}")


def family_draw(
    family: Family, eta: np.ndarray, quantities: dict, rng: np.random.Generator
) -> np.ndarray:
    """Draw targets given their linear predictors: codes (categories) or counts, as floats."""
    if family == "binary":
        return (rng.random(eta.shape[0]) < expit(eta)).astype(float)
    if family == "categorical":
        logits = np.column_stack([np.zeros(eta.shape[0]), eta])
        return np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(float)
    if family == "ordinal":
        below = expit(np.asarray(quantities["thresholds"])[None, :] - eta[:, None])
        return np.sum(rng.random(eta.shape[0])[:, None] > below, axis=1).astype(float)
    if family == "poisson":
        return rng.poisson(np.exp(eta)).astype(float)
    if family == "negative_binomial":
        alpha = float(quantities["alpha"])
        return rng.poisson(rng.gamma(alpha, np.exp(eta) / alpha)).astype(float)
    raise ValueError(f"no predictive draw for family {family!r}")
