"""The hierarchical Heckman selection model, for a variable missing not at random.

On the standardised scale (see `bayesmi.heckman` for the maths)::

    outcome    y_ij = b0 + x_ij' beta + z_ij' b_j + e_ij        (as random_slopes)
    selection  s*_ij = g0 + w_ij' gamma + v_j + d_ij,  observed when s*_ij > 0
    (e / sigma, d) ~ bivariate standard normal, correlation rho = tanh(a), a ~ N(0, 1)
    g0 ~ N(0, 2.5^2), gamma_k ~ N(0, 2.5^2), v_j = tau_v e_j, tau_v ~ HN(1), e_j ~ N(0, 1)

Every row enters the likelihood: an observed row with its outcome density times the
probability of being observed given it, a missing row with the probability of being missing.
A missing cell is drawn from the outcome given that it was not observed (the selection error
truncated below ``-eta``). NUTS updates the parameters; the model is compiled once per chain.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import ndtr, ndtri

from bayesmi.data import ImputationData
from bayesmi.models._blocks import (
    COEFFICIENT_SD,
    INTERCEPT_SD,
    SCALE_SD,
    ConditionalModel,
    Inputs,
    Point,
    effects_on_data_scale,
    linear_predictor,
    new_model,
    point_function,
    predictor_values,
    random_design,
    random_effect_dims,
    random_effects,
)
from bayesmi.spec import ImputationModel


def heckman_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the Heckman selection model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the data's scale: the outcome's ``beta``, ``tau`` or
        ``re_sd``/``re_corr``, ``u`` and ``sigma``; the selection equation's ``gamma``
        (``Intercept`` and one probit coefficient per predictor) and ``tau_v``; and ``rho``.
    """
    target, columns = spec.target, spec.columns
    inputs = Inputs.from_data(data, target, columns)
    outcome_index = [columns.index(name) for name in spec.predictors]
    selection_index = [columns.index(name) for name in spec.selection]
    slope_index = [spec.predictors.index(name) for name in spec.slopes]
    terms = ["Intercept", *spec.slopes]
    observed_rows = np.flatnonzero(inputs.observed)
    missing_rows = np.flatnonzero(~inputs.observed)
    w_all = inputs.scaling.x(predictor_values(data, columns))[:, selection_index]
    n_outcome = len(spec.predictors)

    with new_model(data, target, spec.predictors) as model:
        model.add_coord(f"{target}::re", terms)
        model.add_coord(f"{target}::selection_predictor", list(spec.selection))
        x_beta, beta = linear_predictor(target, spec.predictors, inputs.x[:, outcome_index])
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
        effects, chol = random_effects(target, len(terms))
        z = random_design(model, target, len(observed_rows), slope_index)
        mu = intercept + x_beta + pt.sum(z * effects[inputs.codes_observed], axis=1)
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        w = pm.Data(
            f"{target}::W", w_all, dims=(f"{target}::row", f"{target}::selection_predictor")
        )
        selection_intercept = pm.Normal(f"{target}::selection_intercept", 0.0, COEFFICIENT_SD)
        gamma = pm.Normal(
            f"{target}::gamma_std", 0.0, COEFFICIENT_SD, dims=f"{target}::selection_predictor"
        )
        tau_v = pm.HalfNormal(f"{target}::tau_v", SCALE_SD)
        eta_v = pm.Normal(f"{target}::eta_v", 0.0, 1.0, dims="cluster")
        v = tau_v * eta_v
        eta = selection_intercept + w @ gamma + v[data.cluster_codes]
        rho = pt.tanh(pm.Normal(f"{target}::atanh_rho", 0.0, 1.0))
        standard = pm.Normal.dist(0.0, 1.0)
        residual = (inputs.y - mu) / sigma
        observed = pm.logp(pm.Normal.dist(mu, sigma), inputs.y) + pm.logcdf(
            standard, (eta[observed_rows] + rho * residual) / pt.sqrt(1 - rho**2)
        )
        missing = pm.logcdf(standard, -eta[missing_rows])
        pm.Potential(f"{target}::selection_likelihood", observed.sum() + missing.sum())
        outputs = [intercept, effects, chol, sigma, selection_intercept, gamma, v, rho]
        if beta is not None:
            outputs.append(beta)

    @cache
    def values():
        return point_function(model, outputs)

    def unpack(point: Point) -> dict:
        result = values()(point)
        names = ["intercept", "effects", "chol", "sigma", "g0", "gamma", "v", "rho"]
        named = dict(zip(names, result, strict=False))
        named["beta"] = result[-1] if beta is not None else np.zeros(0)
        return named

    def set_data(x_all: np.ndarray) -> None:
        values_ = {f"{target}::W": x_all[:, selection_index]}
        if n_outcome:
            values_[f"{target}::X"] = x_all[observed_rows][:, outcome_index]
        pm.set_data(values_, model=model)

    def draw(point: Point, x_all: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        current = unpack(point)
        codes = inputs.codes_missing
        x_missing = x_all[missing_rows][:, outcome_index]
        z_missing = np.column_stack([np.ones(len(codes)), x_missing[:, slope_index]])
        mean = float(current["intercept"]) + x_missing @ current["beta"]
        mean = mean + np.sum(z_missing * current["effects"][codes], axis=1)
        eta_missing = (
            float(current["g0"])
            + x_all[missing_rows][:, selection_index] @ current["gamma"]
            + current["v"][codes]
        )
        upper = np.maximum(ndtr(-eta_missing), 1e-300)
        d = ndtri(rng.random(len(codes)) * upper)
        rho_value = float(current["rho"])
        noise = rho_value * d + np.sqrt(1 - rho_value**2) * rng.standard_normal(len(codes))
        return mean + float(current["sigma"]) * noise

    outcome_scaling = inputs.scaling.subset(outcome_index)
    selection_scaling = inputs.scaling.subset(selection_index, target=False)

    def parameters(point: Point) -> dict[str, np.ndarray]:
        current = unpack(point)
        named = {
            "beta": np.concatenate(
                [
                    [outcome_scaling.intercept(float(current["intercept"]), current["beta"])],
                    outcome_scaling.coefficients(current["beta"]),
                ]
            ),
            "sigma": np.asarray(inputs.scaling.y_scale * float(current["sigma"])),
            "gamma": np.concatenate(
                [
                    [selection_scaling.intercept(float(current["g0"]), current["gamma"])],
                    selection_scaling.coefficients(current["gamma"]),
                ]
            ),
            "tau_v": np.asarray(float(np.exp(point[f"{target}::tau_v_log__"]))),
            "rho": np.asarray(float(current["rho"])),
        }
        named |= effects_on_data_scale(
            current["effects"], current["chol"], outcome_scaling, slope_index
        )
        return named

    dims: dict[str, tuple[str, ...]] = {
        "beta": (f"{target}::beta_dim",),
        "sigma": (),
        "gamma": (f"{target}::gamma_dim",),
        "tau_v": (),
        "rho": (),
    }
    dims |= random_effect_dims(target, len(terms))
    return ConditionalModel(
        target=target,
        predictors=columns,
        model=model,
        observed=inputs.observed,
        likelihood_rows=np.arange(len(inputs.observed)),
        scaling=inputs.scaling,
        parameter_dims=dims,
        coords={
            f"{target}::beta_dim": ["Intercept", *spec.predictors],
            f"{target}::gamma_dim": ["Intercept", *spec.selection],
            f"{target}::re": terms,
            f"{target}::re_bis": terms,
        },
        _draw=draw,
        _parameters=parameters,
        _set_data=set_data,
    )
