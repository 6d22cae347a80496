r"""The categorical family: a nominal target, by a baseline-category multinomial logit.

For categories :math:`0, \dots, K-1` (0 the reference),
:math:`P(y = k) \propto e^{\eta_k}`, :math:`\eta_0 = 0`: one linear predictor per
non-reference category, each with its own intercept (prior :math:`N(0, 2.5^2)`) and
coefficients. Drawn by the Gumbel-max trick. Its mixed model has an exact Polya-Gamma Gibbs
sampler (`bayesmi.gibbs.CategoricalGibbs`). A delta shifts every non-reference category's logit
alike.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.families.base import CategoryFamily, CategoryLabels, KernelInputs, ParameterScaling
from bayesmi.gibbs import CategoricalGibbs, LinearCategoricalGibbs
from bayesmi.priors import COEFFICIENT_SD

__all__ = ["Categorical"]


class Categorical(CategoryFamily):
    """A nominal target: a multinomial logit, one linear predictor per other category."""

    name: ClassVar[str] = "categorical"
    values: ClassVar[str] = "unordered categories"
    intercept_sd: ClassVar[float] = COEFFICIENT_SD
    per_category: ClassVar[bool] = True
    trace_shares: ClassVar[bool] = True

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the categorical likelihood of the codes `y` (reference logit 0)."""
        logits = pt.concatenate([pt.zeros((eta.shape[0], 1)), eta], axis=1)
        return {}, pm.Categorical(f"{target}::y", logit_p=logits, observed=y, dims=dims)

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw codes by the Gumbel-max trick."""
        logits = np.column_stack([np.zeros(eta.shape[0]), eta])
        return np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(float)

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the log probability of each row's category code."""
        logits = np.column_stack([np.zeros(eta.shape[0]), eta])
        log_norm = np.logaddexp.reduce(logits, axis=1)
        return logits[np.arange(eta.shape[0]), y.astype(np.int64)] - log_norm

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """``beta``: per non-reference category, the intercept and coefficients."""
        return {"beta": (f"{target}::category", f"{target}::beta_dim")}

    def coords(self, target: str, factor: CategoryLabels | None) -> dict[str, list]:
        """Name the non-reference categories."""
        return {f"{target}::category": [factor.label(k) for k in range(1, factor.n_categories)]}

    def coefficients(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return ``beta``: per non-reference category, intercept and coefficients."""
        rows = zip(current["intercept"], current["beta"], strict=True)
        return {"beta": np.array([scaling.fixed_effects(float(a), b) for a, b in rows])}

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> LinearCategoricalGibbs:
        """Return `bayesmi.gibbs.LinearCategoricalGibbs`: the multinomial logit's sweep."""
        return LinearCategoricalGibbs(target, intercept, y, intercepts)

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object]:
        """Return the Polya-Gamma sweep of every category given the others."""
        kernel = CategoricalGibbs(*inputs.category_arguments())

        def set_target(codes: np.ndarray) -> None:
            kernel.y[:] = codes

        return kernel, set_target
