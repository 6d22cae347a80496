r"""The zero-inflated Poisson family: a count with more zeros than a Poisson allows.

A structural zero with probability :math:`\pi`, else a Poisson count with mean
:math:`\mu = e^\eta`:

.. math::

    P(y = 0) = \pi + (1 - \pi) e^{-\mu}, \qquad
    P(y = k) = (1 - \pi) \frac{e^{-\mu} \mu^k}{k!}, \quad k \ge 1,

:math:`\pi \sim \text{Beta}(1, 1)`; the intercept's prior is :math:`N(0, 5^2)`. The linear
predictor is the log mean of the Poisson part, so a delta shifts it (the share of structural
zeros stays). No exact Gibbs sampler: NUTS updates its models. As JointAI's and brms'
``zero_inflated_poisson`` (Lambert 1992).

References
----------
Lambert, D. (1992). Zero-inflated Poisson regression, with an application to defects in
manufacturing. Technometrics 34(1), 1-14.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import gammaln

from bayesmi.families.base import CountFamily, ParameterScaling

__all__ = ["ZeroInflatedPoisson"]


class ZeroInflatedPoisson(CountFamily):
    """A count that is a structural zero with probability ``zero_inflation``, else Poisson."""

    name: ClassVar[str] = "zero_inflated_poisson"

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add ``zero_inflation`` and the zero-inflated Poisson likelihood of `y`."""
        zero_inflation = pm.Beta(f"{target}::zero_inflation", 1.0, 1.0)
        values = pm.ZeroInflatedPoisson(
            f"{target}::y", psi=1.0 - zero_inflation, mu=pt.exp(eta), observed=y, dims=dims
        )
        return {"zero_inflation": zero_inflation}, values

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw a Poisson count with mean ``exp(eta)``, or a structural zero."""
        counts = rng.poisson(np.exp(eta))
        structural = rng.random(eta.shape[0]) < float(quantities["zero_inflation"])
        return np.where(structural, 0, counts).astype(float)

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return each row's log probability of its count."""
        share = float(quantities["zero_inflation"])
        mean = np.exp(eta)
        poisson = np.log1p(-share) + y * eta - mean - gammaln(y + 1.0)
        return np.where(y == 0, np.logaddexp(np.log(share), poisson), poisson)

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """``zero_inflation``: the probability of a structural zero."""
        return {"zero_inflation": ()}

    def dispersion(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return ``zero_inflation``."""
        return {"zero_inflation": np.asarray(current["zero_inflation"], dtype=float)}
