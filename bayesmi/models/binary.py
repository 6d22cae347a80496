"""The binary conditional model (mice 2l.bin): a logistic mixed model, draws are 0 or 1.

``logit P(y_ij = 1) = b0 + x_ij' beta + z_ij' b_j`` with standardised predictors, random
effects as random_slopes, ``b0 ~ N(0, 2.5^2)``, ``beta_k ~ N(0, 2.5^2)``. No conjugate step
exists: NUTS updates the parameters. Missing cells are Bernoulli draws.
"""

from __future__ import annotations

from bayesmi.data import ImputationData
from bayesmi.models._blocks import ConditionalModel
from bayesmi.models._mixed import mixed_model
from bayesmi.spec import ImputationModel


def binary_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the logistic mixed model of the 0/1 variable ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the logit scale: ``beta`` (per unit of each predictor), ``tau`` or
        ``re_sd``/``re_corr``, and ``u``.
    """
    return mixed_model(spec, data, "binary")
