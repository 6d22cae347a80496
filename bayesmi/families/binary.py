r"""The binary family: a target of two categories (0/1, yes/no, True/False), logistic.

:math:`P(y = 1) = \mathrm{logit}^{-1}(\eta)`, the intercept's prior :math:`N(0, 2.5^2)`.
Its mixed models have an exact Polya-Gamma Gibbs sampler (`bayesmi.gibbs.LogisticGibbs`, mice's
2l.bin fully Bayesian); its Heckman model is a bivariate probit with sample selection
(`bayesmi.gibbs.BinarySelectionGibbs`). A delta shifts the logit.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import numpy as np
import pymc as pm
from polyagamma import random_polyagamma
from scipy.special import expit

from bayesmi.families.base import CategoryFamily, ColumnData, KernelInputs
from bayesmi.families.bivariate_normal import log_bivariate_normal_cdf
from bayesmi.gibbs import BinarySelectionGibbs, LinearLogisticGibbs, LogisticGibbs
from bayesmi.messages import show
from bayesmi.priors import COEFFICIENT_SD

__all__ = ["Binary"]


class Binary(CategoryFamily):
    """A target of two categories, logistic given its linear predictor."""

    name: ClassVar[str] = "binary"
    values: ClassVar[str] = "two categories"
    intercept_sd: ClassVar[float] = COEFFICIENT_SD
    reads_codes: ClassVar[bool] = False
    takes_other_factors: ClassVar[bool] = True
    selection_kernel: ClassVar[type] = BinarySelectionGibbs

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the Bernoulli likelihood of `y` (0/1) on the logit scale."""
        return {}, pm.Bernoulli(f"{target}::y", logit_p=eta, observed=y, dims=dims)

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw 0/1 with probability ``expit(eta)``."""
        return (rng.random(eta.shape[0]) < expit(eta)).astype(float)

    def working_model(self, eta, y, quantities, rng):
        """Draw ``omega ~ PG(1, eta)``; return ``(y - 1/2) / omega`` and omega.

        The working model `LogisticGibbs` sweeps in (Polson, Scott and Windle 2013).
        """
        omega = random_polyagamma(1.0, eta, random_state=rng)
        return (y - 0.5) / omega, omega

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the Bernoulli log probability of each row's 0/1."""
        return y * eta - np.logaddexp(0.0, eta)

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> LinearLogisticGibbs:
        """Return `bayesmi.gibbs.LinearLogisticGibbs`: the logistic regression's sweep."""
        return LinearLogisticGibbs(target, intercept, y, intercepts)

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object]:
        """Return the Polya-Gamma sweep (`bayesmi.gibbs.LogisticGibbs`)."""
        kernel = LogisticGibbs(inputs.y, inputs.codes, inputs.n_clusters, inputs.slopes)
        return kernel, partial(np.copyto, inputs.y)

    def selection_likelihood(self, target, y, mu, eta, rho):
        """Return the bivariate probit's log probability of each observed row's 0/1."""
        return {}, log_bivariate_normal_cdf(mu, eta, rho, sign=2.0 * y - 1.0)

    def selection_draw(self, mean: np.ndarray, noise: np.ndarray, quantities: dict) -> np.ndarray:
        """Return 1 where the latent outcome ``mean + noise`` is positive."""
        return (mean + noise > 0).astype(float)

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse a factor of other than two categories, or numbers other than 0 and 1."""
        if target in data.factors:
            categories = data.factors[target].categories
            if len(categories) != 2:
                raise ValueError(
                    f"binary target {target!r} has {len(categories)} categories "
                    f"({show(categories)}); impute it with bm.categorical (nominal) or "
                    "bm.ordinal (ordered), or drop unused categories with "
                    ".cat.remove_unused_categories()."
                )
            return
        values = data.values(target)
        odd = np.unique(values[~np.isnan(values) & (values != 0) & (values != 1)])
        if odd.size:
            raise ValueError(
                f"binary target {target!r} has values other than 0 and 1 "
                f"({show(odd)}); recode it to 0/1, or use a model for continuous variables."
            )
