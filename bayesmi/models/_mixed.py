"""The two-level mixed model behind random_intercept, random_slopes, heteroscedastic and binary.

On the standardised scale (predictors always, the target unless it is binary)::

    eta_ij = b0 + x_ij' beta + z_ij' b_j,    z_ij = (1, slope variables)
    b_j = diag(s) L_Omega e_j,  e_j ~ N(0, I)          (q >= 2; LKJ(2) on Omega, s ~ HN(1))
    b_j = tau e_j,              e_j ~ N(0, 1)          (q = 1; tau ~ HN(1))
    normal:          y_ij ~ N(eta_ij, sigma^2),        sigma ~ HN(1)
    heteroscedastic: y_ij ~ N(eta_ij, sigma_j^2),      log sigma_j = mu_s + omega d_j,
                     mu_s ~ N(0, 1), omega ~ HN(0.5), d_j ~ N(0, 1)
    binary:          y_ij ~ Bernoulli(logit^-1(eta_ij))
    b0 ~ N(0, 5^2) (N(0, 2.5^2) for binary), beta_k ~ N(0, 2.5^2)

The likelihood uses the rows with an observed target. Missing cells are drawn from the
predictive given the current parameters and their cluster's b_j (and sigma_j); clusters with no
observed target keep b_j and sigma_j under their population distribution, so those are draws
from it. A compiled function maps NUTS' point to the quantities the draw needs.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import expit

from bayesmi.data import ImputationData
from bayesmi.models._blocks import (
    COEFFICIENT_SD,
    INTERCEPT_SD,
    SCALE_SD,
    ConditionalModel,
    GibbsSampler,
    Inputs,
    Point,
    coefficients,
    design,
    effects_on_data_scale,
    jittered_start,
    new_model,
    point_function,
    random_effect_dims,
    random_effects,
)
from bayesmi.models._gibbs import RandomInterceptGibbs, RandomSlopesGibbs
from bayesmi.spec import ImputationModel

Family = Literal["normal", "heteroscedastic", "binary"]


def mixed_model(spec: ImputationModel, data: ImputationData, family: Family) -> ConditionalModel:
    """Build the mixed model of ``spec.target`` for one family (see the module docstring)."""
    binary = family == "binary"
    inputs = Inputs.from_data(data, spec.target, spec.predictors, standardise_target=not binary)
    target, predictors, scaling = inputs.target, inputs.predictors, inputs.scaling
    slope_index = [predictors.index(name) for name in spec.slopes]
    terms = ["Intercept", *spec.slopes]
    with new_model(data, target, predictors) as model:
        model.add_coord(f"{target}::obs_row", length=len(inputs.y))
        x = None
        if predictors:
            x = pm.Data(
                f"{target}::X", inputs.x, dims=(f"{target}::obs_row", f"{target}::predictor")
            )
        quantities, _ = mixed_factor(
            target,
            x,
            len(inputs.y),
            inputs.y,
            inputs.codes_observed,
            family,
            slope_index,
            dims=f"{target}::obs_row",
        )
        outputs = list(quantities.values())
    simple = family == "normal" and len(terms) == 1

    @cache
    def values():  # compiled on first use only: Gibbs states never need it
        return point_function(model, outputs)

    def unpack(point: Point) -> dict[str, np.ndarray]:
        if "effects" in point:  # a Gibbs state holds the quantities themselves
            return point
        if simple:
            return _unpack_random_intercept(point, target, len(predictors))
        result = values()(point)
        named = {"intercept": float(result[0]), "effects": result[1], "chol": result[2]}
        if not binary:
            named["sigma"] = result[3]
        named["beta"] = result[-1] if "beta" in quantities else np.zeros(0)
        return named

    def draw(point: Point, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x_missing = x[~inputs.observed]
        current = unpack(point)
        codes = inputs.codes_missing
        z_missing = np.column_stack([np.ones(len(codes)), x_missing[:, slope_index]])
        mean = current["intercept"] + x_missing @ current["beta"]
        mean = mean + np.sum(z_missing * current["effects"][codes], axis=1)
        if binary:
            return (rng.random(len(codes)) < expit(mean)).astype(float)
        sigma = current["sigma"][codes] if family == "heteroscedastic" else current["sigma"]
        return mean + sigma * rng.standard_normal(len(codes))

    def parameters(point: Point) -> dict[str, np.ndarray]:
        current = unpack(point)
        beta_values = current["beta"]
        named = {
            "beta": np.concatenate(
                [
                    [scaling.intercept(current["intercept"], beta_values)],
                    scaling.coefficients(beta_values),
                ]
            ),
        }
        named |= effects_on_data_scale(current["effects"], current["chol"], scaling, slope_index)
        if family == "normal":
            named["sigma"] = np.asarray(scaling.y_scale * current["sigma"])
        elif family == "heteroscedastic":
            named["sigma"] = scaling.y_scale * current["sigma"]
        return named

    dims: dict[str, tuple[str, ...]] = {"beta": (f"{target}::beta_dim",)}
    dims |= random_effect_dims(target, len(terms))
    if family == "normal":
        dims["sigma"] = ()
    elif family == "heteroscedastic":
        dims["sigma"] = ("cluster",)
    return ConditionalModel(
        target=target,
        predictors=predictors,
        model=model,
        observed=inputs.observed,
        likelihood_rows=np.flatnonzero(inputs.observed),
        scaling=scaling,
        parameter_dims=dims,
        coords={
            f"{target}::beta_dim": ["Intercept", *predictors],
            f"{target}::re": terms,
            f"{target}::re_bis": terms,
        },
        _draw=draw,
        _parameters=parameters,
        gibbs=_gibbs_sampler(model, inputs, data.n_clusters, family, tuple(slope_index)),
    )


def mixed_factor(
    target: str,
    x: pt.TensorVariable | None,
    n_rows: int,
    y: np.ndarray,
    codes: np.ndarray,
    family: Family,
    slope_index: list[int],
    dims: str | None = None,
) -> tuple[dict[str, pt.TensorVariable], pt.TensorVariable]:
    """Add one mixed model's priors and likelihood to the model in context.

    The same code serves the chained engine (the observed rows, predictors in `pm.Data`) and
    the joint engine (every row, predictors a tensor holding other variables' missing cells,
    the target's missing cells NaN in `y` and so latent variables by PyMC's imputation).

    Parameters
    ----------
    target : str
        The variable; names of the free variables start with ``<target>::``.
    x : tensor or None
        Standardised predictors (rows, predictors); None without predictors. The model must
        have the coordinate ``<target>::predictor``.
    n_rows : int
        Number of rows of `y`.
    y : numpy.ndarray
        The target (standardised unless binary), NaN where missing.
    codes : numpy.ndarray
        Cluster code of every row.
    family : {"normal", "heteroscedastic", "binary"}
    slope_index : list of int
        Columns of `x` with a random slope.
    dims : str, optional
        Dim of the rows of the likelihood.

    Returns
    -------
    quantities : dict
        ``intercept``, ``effects`` (J, q), ``chol``, ``sigma`` (not binary) and ``beta`` (with
        predictors): what the predictive draw and `parameters` need, standardised.
    target : tensor
        The target's values, missing cells included.
    """
    binary = family == "binary"
    model = pm.modelcontext(None)
    names = model.coords.get(f"{target}::predictor") or ()
    model.add_coord(f"{target}::re", ["Intercept", *(names[k] for k in slope_index)])
    x_beta, beta = coefficients(target, x) if x is not None else (0.0, None)
    intercept = pm.Normal(
        f"{target}::intercept_std", 0.0, COEFFICIENT_SD if binary else INTERCEPT_SD
    )
    effects, chol = random_effects(target, 1 + len(slope_index))
    z = design(x, n_rows, slope_index)
    eta = intercept + x_beta + pt.sum(z * effects[codes], axis=1)
    quantities = {"intercept": intercept, "effects": effects, "chol": chol}
    if binary:
        values = pm.Bernoulli(f"{target}::y", logit_p=eta, observed=y, dims=dims)
    else:
        sigma = _residual_sd(target, family)
        rows_sigma = sigma[codes] if family == "heteroscedastic" else sigma
        values = pm.Normal(f"{target}::y", eta, rows_sigma, observed=y, dims=dims)
        quantities["sigma"] = sigma
    if beta is not None:
        quantities["beta"] = beta
    return quantities, values


def _unpack_random_intercept(point: Point, target: str, n_predictors: int) -> dict:
    """Return the random-intercept model's quantities from a point, without compiling."""
    tau = float(np.exp(point[f"{target}::tau_std_log__"]))
    return {
        "intercept": float(point[f"{target}::intercept_std"]),
        "effects": tau * point[f"{target}::eta"][:, None],
        "chol": np.array([[tau]]),
        "sigma": float(np.exp(point[f"{target}::sigma_std_log__"])),
        "beta": point[f"{target}::beta_std"] if n_predictors else np.zeros(0),
    }


def _gibbs_sampler(
    model: pm.Model, inputs: Inputs, n_clusters: int, family: Family, slopes: tuple[int, ...]
) -> GibbsSampler | None:
    """Return the exact Gibbs sampler of a normal model (None for binary models)."""
    if family == "binary":
        return None
    name = f"{inputs.target}::X"

    def current_x() -> np.ndarray:
        if inputs.predictors:
            return model[name].get_value()
        return np.empty((len(inputs.y), 0))

    if family == "normal" and not slopes:
        kernel = RandomInterceptGibbs(
            inputs.target, inputs.y, inputs.codes_observed, n_clusters, len(inputs.predictors)
        )
        return GibbsSampler(
            start=lambda rng: jittered_start(model, rng),
            sweep=lambda point, rng: kernel.sweep(point, current_x(), rng),
        )
    mixed = RandomSlopesGibbs(
        inputs.y, inputs.codes_observed, n_clusters, slopes, family == "heteroscedastic"
    )
    return GibbsSampler(
        start=lambda rng: mixed.start(len(inputs.predictors), rng),
        sweep=lambda point, rng: mixed.sweep(point, current_x(), rng),
    )


def _residual_sd(target: str, family: Family) -> pt.TensorVariable:
    if family == "normal":
        return pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
    location = pm.Normal(f"{target}::log_sigma_mean", 0.0, 1.0)
    spread = pm.HalfNormal(f"{target}::log_sigma_sd", 0.5)
    deviation = pm.Normal(f"{target}::log_sigma_offset", 0.0, 1.0, dims="cluster")
    return pt.exp(location + spread * deviation)
