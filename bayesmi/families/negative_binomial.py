r"""The negative binomial family: an overdispersed count.

Mean :math:`\mu = e^\eta`, variance :math:`\mu + \mu^2/\alpha`,
:math:`1/\sqrt{\alpha} \sim \text{HalfNormal}(1)`; drawn as a gamma mixture of Poissons. Its
mixed models have an exact Polya-Gamma Gibbs sampler (`bayesmi.gibbs.NegativeBinomialGibbs`).
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from polyagamma import random_polyagamma
from scipy.special import gammaln

from bayesmi.families.base import CountFamily, KernelInputs, ParameterScaling
from bayesmi.gibbs import LinearNegativeBinomialGibbs, NegativeBinomialGibbs

__all__ = ["NegativeBinomial"]


class NegativeBinomial(CountFamily):
    """A count more spread out than a Poisson allows: a gamma mixture of Poissons."""

    name: ClassVar[str] = "negative_binomial"
    takes_other_factors: ClassVar[bool] = True

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add ``1/sqrt(alpha)`` and the negative binomial likelihood of `y`."""
        spread = pm.HalfNormal(f"{target}::inv_sqrt_alpha", 1.0)
        alpha = 1.0 / spread**2
        values = pm.NegativeBinomial(
            f"{target}::y", mu=pt.exp(eta), alpha=alpha, observed=y, dims=dims
        )
        return {"alpha": alpha}, values

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw a gamma mixture of Poissons with mean ``exp(eta)``."""
        alpha = float(quantities["alpha"])
        return rng.poisson(rng.gamma(alpha, np.exp(eta) / alpha)).astype(float)

    def working_model(self, eta, y, quantities, rng):
        """Draw ``omega ~ PG(y + alpha, eta - log alpha)``; return the working response and omega.

        ``(y - alpha) / (2 omega) + log alpha`` with precisions omega, as
        `bayesmi.gibbs.NegativeBinomialGibbs` sweeps.
        """
        alpha = float(quantities["alpha"])
        omega = random_polyagamma(y + alpha, eta - np.log(alpha), random_state=rng)
        return (y - alpha) / 2 / omega + np.log(alpha), omega

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the negative binomial log probability of each row's count, mean ``exp(eta)``."""
        alpha = float(quantities["alpha"])
        log_total = np.logaddexp(np.log(alpha), eta)  # log(alpha + mu)
        return (
            gammaln(y + alpha)
            - gammaln(alpha)
            - gammaln(y + 1)
            + alpha * (np.log(alpha) - log_total)
            + y * (eta - log_total)
        )

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """``alpha``: the overdispersion (variance ``mu + mu^2 / alpha``)."""
        return {"alpha": ()}

    def dispersion(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return ``alpha``."""
        return {"alpha": np.asarray(current["alpha"])}

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> LinearNegativeBinomialGibbs:
        """Return `bayesmi.gibbs.LinearNegativeBinomialGibbs`: a regression's sweep."""
        return LinearNegativeBinomialGibbs(target, intercept, y, intercepts)

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object]:
        """Return the Polya-Gamma sweep (`bayesmi.gibbs.NegativeBinomialGibbs`)."""
        kernel = NegativeBinomialGibbs(inputs.y, inputs.codes, inputs.n_clusters, inputs.slopes)
        return kernel, partial(np.copyto, inputs.y)
