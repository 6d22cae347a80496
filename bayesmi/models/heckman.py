"""The hierarchical Heckman selection model, for a variable missing not at random.

On the standardised scale (see `bayesmi.heckman` for the maths)::

    outcome    y*_ij = b0 + x_ij' beta + z_ij' b_j + e_ij        (as random_slopes)
               gaussian: y = y*, e ~ N(0, sigma^2);  binary: y = 1(y* > 0), e ~ N(0, 1)
    selection  s*_ij = g0 + w_ij' gamma + v_j + d_ij,  observed when s*_ij > 0
    (e / sigma, d) ~ bivariate standard normal, correlation rho = tanh(a), a ~ N(0, 1)
    cluster_rho: rho_j = tanh(a + s c_j), s ~ HN(0.5), c_j ~ N(0, 1)
    g0 ~ N(0, 2.5^2), gamma_k ~ N(0, 2.5^2), v_j = tau_v e_j, tau_v ~ HN(1), e_j ~ N(0, 1)

Every row enters the likelihood: an observed row with the probability (density) of its outcome
jointly with being observed, a missing row with the probability of being missing. A missing
cell is drawn from the outcome given that it was not observed: the selection error truncated
below ``-eta``, then the outcome error given it. NUTS updates the parameters; the model is
compiled once per chain.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import ndtr, ndtri

from bayesmi.data import ImputationData
from bayesmi.models._bivariate_normal import log_bivariate_normal_cdf
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

RHO_SPREAD_SD = 0.5
"""Prior SD of the half-normal prior on the between-cluster SD of atanh(rho_j)."""


def heckman_model(spec: ImputationModel, data: ImputationData) -> ConditionalModel:
    """Build the Heckman selection model of ``spec.target``.

    Returns
    -------
    ConditionalModel
        Parameters on the data's scale: the outcome's ``beta``, ``tau`` or
        ``re_sd``/``re_corr``, ``u`` and (gaussian) ``sigma``; the selection equation's
        ``gamma`` (``Intercept`` and one probit coefficient per predictor) and ``tau_v``;
        ``rho``, and with ``cluster_rho`` also ``rho_cluster`` and ``atanh_rho_sd``.
    """
    target, columns = spec.target, spec.columns
    binary = spec.family == "binary"
    inputs = Inputs.from_data(data, target, columns, standardise_target=not binary)
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
        intercept_sd = COEFFICIENT_SD if binary else INTERCEPT_SD
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, intercept_sd)
        effects, chol = random_effects(target, len(terms))
        z = random_design(model, target, len(observed_rows), slope_index)
        mu = intercept + x_beta + pt.sum(z * effects[inputs.codes_observed], axis=1)
        w = pm.Data(
            f"{target}::W", w_all, dims=(f"{target}::row", f"{target}::selection_predictor")
        )
        selection_intercept = pm.Normal(f"{target}::selection_intercept", 0.0, COEFFICIENT_SD)
        gamma = pm.Normal(
            f"{target}::gamma_std", 0.0, COEFFICIENT_SD, dims=f"{target}::selection_predictor"
        )
        tau_v = pm.HalfNormal(f"{target}::tau_v", SCALE_SD)
        v = tau_v * pm.Normal(f"{target}::eta_v", 0.0, 1.0, dims="cluster")
        eta = selection_intercept + w @ gamma + v[data.cluster_codes]
        rho, rho_cluster = _correlation(target, spec.cluster_rho)
        rho_observed = rho_cluster[inputs.codes_observed] if spec.cluster_rho else rho
        outputs = {
            "intercept": intercept,
            "effects": effects,
            "chol": chol,
            "g0": selection_intercept,
            "gamma": gamma,
            "v": v,
            "rho": rho,
        }
        if binary:
            observed = log_bivariate_normal_cdf(
                mu, eta[observed_rows], rho_observed, sign=2.0 * inputs.y - 1.0
            )
        else:
            sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
            residual = (inputs.y - mu) / sigma
            observed = pm.logp(pm.Normal.dist(mu, sigma), inputs.y) + pm.logcdf(
                pm.Normal.dist(0.0, 1.0),
                (eta[observed_rows] + rho_observed * residual) / pt.sqrt(1 - rho_observed**2),
            )
            outputs["sigma"] = sigma
        missing = pm.logcdf(pm.Normal.dist(0.0, 1.0), -eta[missing_rows])
        pm.Potential(f"{target}::selection_likelihood", observed.sum() + missing.sum())
        if spec.cluster_rho:
            outputs["rho_cluster"] = rho_cluster
        if beta is not None:
            outputs["beta"] = beta

    @cache
    def values():
        return point_function(model, list(outputs.values()))

    def unpack(point: Point) -> dict:
        named = dict(zip(outputs, values()(point), strict=True))
        named.setdefault("beta", np.zeros(0))
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
        rho_missing = current["rho_cluster"][codes] if spec.cluster_rho else current["rho"]
        noise = rho_missing * d + np.sqrt(1 - rho_missing**2) * rng.standard_normal(len(codes))
        if binary:
            return (mean + noise > 0).astype(float)
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
            "gamma": np.concatenate(
                [
                    [selection_scaling.intercept(float(current["g0"]), current["gamma"])],
                    selection_scaling.coefficients(current["gamma"]),
                ]
            ),
            "tau_v": np.asarray(float(np.exp(point[f"{target}::tau_v_log__"]))),
            "rho": np.asarray(float(current["rho"])),
        }
        if not binary:
            named["sigma"] = np.asarray(inputs.scaling.y_scale * float(current["sigma"]))
        if spec.cluster_rho:
            named["rho_cluster"] = current["rho_cluster"]
            named["atanh_rho_sd"] = np.asarray(
                float(np.exp(point[f"{target}::atanh_rho_sd_log__"]))
            )
        named |= effects_on_data_scale(
            current["effects"], current["chol"], outcome_scaling, slope_index
        )
        return named

    dims: dict[str, tuple[str, ...]] = {
        "beta": (f"{target}::beta_dim",),
        "gamma": (f"{target}::gamma_dim",),
        "tau_v": (),
        "rho": (),
    }
    if not binary:
        dims["sigma"] = ()
    if spec.cluster_rho:
        dims |= {"rho_cluster": ("cluster",), "atanh_rho_sd": ()}
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


def _correlation(target: str, by_cluster: bool) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Return the overall error correlation and, with `by_cluster`, one per cluster (else None)."""
    centre = pm.Normal(f"{target}::atanh_rho", 0.0, 1.0)
    if not by_cluster:
        return pt.tanh(centre), None
    spread = pm.HalfNormal(f"{target}::atanh_rho_sd", RHO_SPREAD_SD)
    offset = pm.Normal(f"{target}::atanh_rho_offset", 0.0, 1.0, dims="cluster")
    return pt.tanh(centre), pt.tanh(centre + spread * offset)
