"""Building blocks shared by the model factories: priors, coefficients, random effects.

All on the standardised scale (`bayesmi.models.scaling`). Random effects are non-centred: one
standard normal offset per cluster, times the SD (one effect) or the Cholesky factor of an
LKJ covariance (several); `effects_on_data_scale` returns them, their SDs and correlations on
the data's scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.gibbs.steps import LinearTarget
from bayesmi.models.conditional import GibbsSampler, Point, gibbs_start
from bayesmi.models.scaling import Scaling
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD

__all__ = [
    "coefficients",
    "design",
    "effects_on_data_scale",
    "linear_gibbs_sampler",
    "linear_part",
    "linear_point",
    "linear_predictor",
    "new_model",
    "point_beta",
    "random_design",
    "random_effect_dims",
    "random_effects",
]


def new_model(data: ImputationData, target: str, predictors: Sequence[str]) -> pm.Model:
    """Return an empty `pm.Model` with the ``cluster`` and predictor coordinates."""
    return pm.Model(
        coords={
            "cluster": list(data.cluster_labels),
            f"{target}::predictor": list(predictors),
        }
    )


def linear_predictor(
    target: str, predictors: Sequence[str], x_observed: np.ndarray
) -> tuple[pt.TensorVariable | float, pt.TensorVariable | None]:
    """Add the predictor container and the coefficients; return ``X @ beta`` and beta.

    Must be called inside the model's context. With no predictors it returns ``(0.0, None)``.
    """
    if not predictors:
        return 0.0, None
    x = pm.Data(f"{target}::X", x_observed, dims=(f"{target}::obs_row", f"{target}::predictor"))
    return coefficients(target, x)


def coefficients(target: str, x: pt.TensorVariable) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Add the standardised coefficients of the columns of `x`; return ``x @ beta`` and beta."""
    beta = pm.Normal(f"{target}::beta_std", 0.0, COEFFICIENT_SD, dims=f"{target}::predictor")
    return x @ beta, beta


def point_beta(point: Point, target: str, n_predictors: int) -> np.ndarray:
    """Return the standardised coefficients in a point (empty without predictors)."""
    return point[f"{target}::beta_std"] if n_predictors else np.zeros(0)


def linear_point(
    point: Point, target: str, intercept: str, n_predictors: int
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Return the intercept (or intercepts), coefficients and residual SD a point holds."""
    key = f"{target}::sigma_std_log__"
    sigma = float(np.exp(point[key])) if key in point else None  # none for a logistic model
    return point[f"{target}::{intercept}"], point_beta(point, target, n_predictors), sigma


def linear_part(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x @ beta`` that also works with no predictors."""
    return x @ beta if beta.size else np.zeros(x.shape[0])


def random_effects(
    target: str, q: int, dim: str = "cluster"
) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Non-centred cluster effects (J, q), intercept first, and the Cholesky factor of T.

    `dim` names the groups: the clusters, or another grouping factor's groups.
    """
    if q == 1:
        tau = pm.HalfNormal(f"{target}::tau_std", SCALE_SD)
        eta = pm.Normal(f"{target}::eta", 0.0, 1.0, dims=dim)
        return (tau * eta)[:, None], tau.reshape((1, 1))
    chol, _, _ = pm.LKJCholeskyCov(
        f"{target}::re_chol",
        n=q,
        eta=2.0,
        sd_dist=pm.HalfNormal.dist(SCALE_SD),
        compute_corr=True,
        store_in_trace=False,
    )
    eta = pm.Normal(f"{target}::eta", 0.0, 1.0, dims=(dim, f"{target}::re"))
    return eta @ chol.T, chol


def random_design(
    model: pm.Model, target: str, n_rows: int, slope_index: list[int]
) -> pt.TensorVariable:
    """Random-effects design of the observed rows: ones, then the slope columns of X."""
    x = model[f"{target}::X"] if slope_index else None
    return design(x, n_rows, slope_index)


def design(x: pt.TensorVariable | None, n_rows: int, slope_index: list[int]) -> pt.TensorVariable:
    """Random-effects design: a column of ones, then the slope columns of `x`."""
    ones = pt.ones((n_rows, 1))
    if not slope_index:
        return ones
    return pt.concatenate([ones, x[:, slope_index]], axis=1)


def effects_on_data_scale(
    effects: np.ndarray,
    chol: np.ndarray,
    scaling: Scaling,
    slope_index: list[int],
    blocks: int = 1,
) -> dict[str, np.ndarray]:
    """Cluster effects and their SDs (and correlations) on the data's scale.

    An effect vector b for standardised slope variables is ``A b`` on the data's scale, ``A``
    undoing the centring and scaling of x and y, so the covariance is ``A L L' A'``. With
    `blocks` > 1 the effects are that many blocks of (intercept, slopes), one per category of a
    categorical target, each transformed alike.
    """
    q = effects.shape[1] // blocks
    transform = np.eye(q) * scaling.y_scale
    for k, column in enumerate(slope_index, start=1):
        transform[k, k] = scaling.y_scale / scaling.x_scale[column]
        transform[0, k] = -scaling.y_scale * scaling.x_center[column] / scaling.x_scale[column]
    if blocks > 1:
        transform = np.kron(np.eye(blocks), transform)
        q = effects.shape[1]
    u = effects @ transform.T
    covariance = transform @ chol @ chol.T @ transform.T
    sd = np.sqrt(np.diag(covariance))
    if q == 1:
        return {"tau": np.asarray(sd[0]), "u": u[:, 0]}
    return {"re_sd": sd, "re_corr": covariance / np.outer(sd, sd), "u": u}


def random_effect_dims(target: str, q: int, dim: str = "cluster") -> dict[str, tuple[str, ...]]:
    """Return the dims of the random-effect parameters `effects_on_data_scale` returns."""
    if q == 1:
        return {"tau": (), "u": (dim,)}
    re, re_bis = f"{target}::re", f"{target}::re_bis"
    return {"re_sd": (re,), "re_corr": (re, re_bis), "u": (dim, re)}


def linear_gibbs_sampler(pymc_model, kernel: LinearTarget, n_predictors: int) -> GibbsSampler:
    """Return the sampler of a regression without random effects, reading its predictors.

    `kernel` is the family's (`bayesmi.families.base.Family.linear_kernel`: `LinearGibbs` for
    a normal target, `bayesmi.gibbs.regressions` for the discrete families); its state is the
    PyMC model's point, started from PyMC's jittered zero point (`gibbs_start`).
    """
    name = f"{kernel.target}::X"
    rows = kernel.y.shape[0]

    def current_x() -> np.ndarray:
        return pymc_model[name].get_value(borrow=True) if n_predictors else np.empty((rows, 0))

    return GibbsSampler(
        start=lambda rng: kernel.start_from(gibbs_start(pymc_model, rng), rng),
        sweep=lambda point, rng: kernel.sweep(point, current_x(), rng),
        set_target=partial(np.copyto, kernel.y),
        sweep_block=getattr(kernel, "sweep_block", None),
    )
