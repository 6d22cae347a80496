r"""The ordinal family: ordered categories, by a cumulative logit (proportional odds).

:math:`P(y \le k) = \mathrm{logit}^{-1}(\theta_k - \eta)`, ordered thresholds
:math:`\theta \sim N(0, 5^2)`; the linear predictor has no intercept (the thresholds hold it),
and a positive coefficient moves the distribution up the categories. Its mixed model has an
exact Gibbs sampler by its latent-variable form (`bayesmi.gibbs.OrdinalGibbs`). A delta shifts
the logit.
"""

from __future__ import annotations

from itertools import pairwise
from typing import ClassVar

import numpy as np
import pymc as pm
from scipy.special import expit

from bayesmi.families.base import (
    CategoryFamily,
    CategoryLabels,
    ColumnData,
    KernelInputs,
    ParameterScaling,
)
from bayesmi.gibbs import LinearOrdinalGibbs, OrdinalGibbs
from bayesmi.gibbs.ordinal import ordinal_log_probabilities
from bayesmi.messages import show
from bayesmi.priors import THRESHOLD_SD

__all__ = ["Ordinal"]


class Ordinal(CategoryFamily):
    """Ordered categories: a cumulative logit with ordered thresholds and no intercept."""

    name: ClassVar[str] = "ordinal"
    values: ClassVar[str] = "ordered categories"
    has_intercept: ClassVar[bool] = False
    trace_shares: ClassVar[bool] = True

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add the ordered thresholds and the ordered logistic likelihood of the codes `y`."""
        thresholds = pm.Normal(
            f"{target}::thresholds_std",
            0.0,
            THRESHOLD_SD,
            shape=n_categories - 1,
            transform=pm.distributions.transforms.ordered,
            initval=np.linspace(-1.5, 1.5, n_categories - 1),
        )
        values = pm.OrderedLogistic(
            f"{target}::y", eta=eta, cutpoints=thresholds, observed=y, dims=dims
        )
        return {"thresholds": thresholds}, values

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw codes: the number of thresholds a uniform draw passes."""
        below = expit(np.asarray(quantities["thresholds"])[None, :] - eta[:, None])
        return np.sum(rng.random(eta.shape[0])[:, None] > below, axis=1).astype(float)

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the cumulative logit log probability of each row's category code."""
        codes = y.astype(np.int64)
        thresholds = np.asarray(quantities["thresholds"], dtype=float)
        return ordinal_log_probabilities(codes, eta, thresholds, np.arange(codes.size))

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """``thresholds``: one between each pair of neighbouring categories."""
        return {"thresholds": (f"{target}::threshold",)}

    def coords(self, target: str, factor: CategoryLabels | None) -> dict[str, list]:
        """Name the thresholds as clmm does: ``low|mid``, ``mid|high``."""
        labels = [factor.label(code) for code in range(factor.n_categories)]
        return {f"{target}::threshold": [f"{low}|{high}" for low, high in pairwise(labels)]}

    def coefficients(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return ``thresholds`` and (with predictors) ``beta`` on the data's scale."""
        beta = current["beta"]
        shift = np.sum(beta * scaling.x_center / scaling.x_scale)
        named = {"thresholds": np.asarray(current["thresholds"]) + shift}
        if beta.size:
            named["beta"] = scaling.coefficients(beta)
        return named

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> LinearOrdinalGibbs:
        """Return `bayesmi.gibbs.LinearOrdinalGibbs`: the cumulative logit's sweep."""
        return LinearOrdinalGibbs(target, intercept, y, intercepts)

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object]:
        """Return the latent-variable sweep (one grouping factor: `takes_other_factors`)."""
        kernel = OrdinalGibbs(*inputs.category_arguments())
        return kernel, kernel.set_target

    def check_target(self, target: str, kind: str, data: ColumnData, n_coefficients: int) -> None:
        """Refuse unordered categories, as well as what every family of categories refuses."""
        factor = data.factor(target)
        if not factor.ordered:
            raise ValueError(
                f"ordinal target {target!r} has unordered categories "
                f"({show(factor.categories)}); use bm.categorical for a nominal variable, or "
                "give the order with "
                "data[column].astype(pandas.CategoricalDtype(categories, ordered=True))."
            )
        super().check_target(target, kind, data, n_coefficients)
