"""The random-intercept conditional model (mice 2l.pan / 2l.lmer with predictors coded 1).

On the standardised scale::

    y_ij = b0 + x_ij' beta + u_j + e_ij,   u_j = tau * eta_j,   e_ij ~ N(0, sigma^2)
    b0 ~ N(0, 5^2), beta_k ~ N(0, 2.5^2), eta_j ~ N(0, 1), tau ~ HalfNormal(1),
    sigma ~ HalfNormal(1)

The likelihood uses the rows with an observed target; a missing cell is drawn from
``N(b0 + x_ij' beta + u_j, sigma^2)`` with its cluster's current ``u_j``. A cluster with no
observed target keeps ``eta_j`` under its prior, so its ``u_j`` is a draw from ``N(0, tau^2)``.
"""

from __future__ import annotations

from bayesmi.data import ImputationData
from bayesmi.models._blocks import ConditionalModel
from bayesmi.models._mixed import mixed_model
from bayesmi.spec import ImputationModel


def random_intercept_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the random-intercept model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: ``beta`` (``Intercept`` and one coefficient per
        predictor), ``tau`` (SD of the random intercepts), ``sigma`` (residual SD) and ``u``
        (each cluster's random intercept).
    """
    return mixed_model(spec, data, "normal")
