r"""The poisson family: a count, :math:`y \sim \text{Poisson}(e^\eta)`.

The intercept's prior is :math:`N(0, 5^2)`. No exact Gibbs sampler: NUTS updates its models.
A delta shifts the log of the mean. Imputations are non-negative whole numbers.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.families.base import CountFamily

__all__ = ["Poisson"]


class Poisson(CountFamily):
    """A count with its mean the variance: Poisson, log link."""

    name: ClassVar[str] = "poisson"

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the Poisson likelihood of `y` with mean ``exp(eta)``."""
        return {}, pm.Poisson(f"{target}::y", mu=pt.exp(eta), observed=y, dims=dims)

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw counts with mean ``exp(eta)``."""
        return rng.poisson(np.exp(eta)).astype(float)
