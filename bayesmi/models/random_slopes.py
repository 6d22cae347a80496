"""The random-slopes conditional model (mice 2l.pan with predictors coded 2 or 4).

On the standardised scale ``y_ij = b0 + x_ij' beta + z_ij' b_j + e_ij``, ``z_ij`` the
intercept and the slope variables, ``b_j ~ N_q(0, T)``, ``T = diag(s) Omega diag(s)``,
``s_k ~ HalfNormal(1)``, ``Omega ~ LKJ(2)``, non-centred; ``e_ij ~ N(0, sigma^2)``. Missing cells
are drawn with their cluster's ``b_j``; clusters with no observed target draw ``b_j`` from
``N(0, T)``.
"""

from __future__ import annotations

from bayesmi.data import ImputationData
from bayesmi.models._blocks import ConditionalModel
from bayesmi.models._mixed import mixed_model
from bayesmi.spec import ImputationModel


def random_slopes_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the random-slopes model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the original scale: ``beta``, ``re_sd`` (SDs of the random intercept
        and slopes), ``re_corr`` (their correlations), ``u`` (each cluster's effects) and
        ``sigma``. With no slope in the formula it is the random-intercept model.
    """
    return mixed_model(spec, data, "normal")
