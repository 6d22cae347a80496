"""The heteroscedastic conditional model (mice 2l.norm): a residual SD for every cluster.

As random_slopes, with ``e_ij ~ N(0, sigma_j^2)``, ``log sigma_j = mu + omega d_j``,
``mu ~ N(0, 1)``, ``omega ~ HalfNormal(0.5)``, ``d_j ~ N(0, 1)`` on the standardised scale. A
missing cell is drawn with its cluster's ``sigma_j``; a cluster with no observed target draws
``sigma_j`` (and ``b_j``) from the population.
"""

from __future__ import annotations

from bayesmi.data import ImputationData
from bayesmi.models._blocks import ConditionalModel
from bayesmi.models._mixed import mixed_model
from bayesmi.spec import ImputationModel


def heteroscedastic_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the heteroscedastic model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: as `random_slopes_model`, with ``sigma`` one
        residual SD per cluster.
    """
    return mixed_model(spec, data, "heteroscedastic")
