"""The normal model with random intercepts of several grouping factors: three levels, crossed.

Pupils in classes in schools (``(1 | school) + (1 | class)``, or ``(1 | school/class)``) or
pupils classified by school and by area (``(1 | school) + (1 | area)``), as lme4 writes them.
On the standardised scale (target and predictors centred and scaled by their observed mean
and SD)::

    y_i = b0 + x_i' beta + sum_k u_k[g_k(i)] + e_i,   e_i ~ N(0, sigma^2)
    u_k = tau_k eta_k,  eta_k ~ N(0, 1) per group of factor k,  tau_k ~ HN(1)
    b0 ~ N(0, 5^2), beta_k ~ N(0, 2.5^2), sigma ~ HN(1)

The factors may be nested or crossed: the model is the same, each group's effect drawn given
the others'. The likelihood uses the rows with an observed target; a missing cell is drawn
from ``N(b0 + x' beta + sum_k u_k[g_k], sigma^2)`` with its groups' current effects, and a
group with no observed target (a systematically missing class, or school) has only its prior,
so its effect is a draw from ``N(0, tau_k^2)``: its level's population. The parameters are
updated by exact Gibbs sweeps (`bayesmi.gibbs.intercepts`) unless NUTS is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pymc as pm

from bayesmi.data.encoding import ImputationData
from bayesmi.data.levels import Grouping
from bayesmi.gibbs.intercepts import InterceptsGibbs
from bayesmi.models.blocks import (
    linear_predictor,
    new_model,
)
from bayesmi.models.conditional import ConditionalModel, GibbsSampler, Point, gibbs_start
from bayesmi.models.scaling import Inputs, current_predictors
from bayesmi.priors import INTERCEPT_SD, SCALE_SD
from bayesmi.spec.model import ImputationModel

__all__ = ["InterceptsModel", "intercepts_model"]


def intercepts_model(model: ImputationModel, data: ImputationData) -> InterceptsModel:
    """Build the random-intercepts model of ``model.target`` (see the module docstring)."""
    inputs = Inputs.from_data(data, model.target, model.fixed_terms)
    target, predictors = inputs.target, inputs.predictors
    groupings = tuple(data.grouping(name) for name in model.groups)
    observed = inputs.observed
    with new_model(data, target, predictors) as pymc_model:
        pymc_model.add_coord(f"{target}::obs_row", length=len(inputs.y))
        pymc_model.add_coord(f"{target}::factor", [grouping.name for grouping in groupings])
        x_beta, _ = linear_predictor(target, predictors, inputs.x)
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, INTERCEPT_SD)
        tau = pm.HalfNormal(f"{target}::tau_std", SCALE_SD, dims=f"{target}::factor")
        mu = intercept + x_beta
        for k, grouping in enumerate(groupings):
            pymc_model.add_coord(f"{target}::group_{k}", list(grouping.labels))
            eta = pm.Normal(f"{target}::eta_{k}", 0.0, 1.0, dims=f"{target}::group_{k}")
            mu = mu + tau[k] * eta[grouping.codes[observed]]
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        pm.Normal(f"{target}::y", mu, sigma, observed=inputs.y, dims=f"{target}::obs_row")
    coords = {
        f"{target}::beta_dim": ["Intercept", *predictors],
        f"{target}::factor": [grouping.name for grouping in groupings],
    } | {f"{target}::{grouping.name}": list(grouping.labels) for grouping in groupings}
    built = InterceptsModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=_parameter_dims(target, groupings),
        coords=coords,
        donors=model.donors if model.pmm else 0,
        observed_values=data.values(target)[observed] if model.pmm else None,
        inputs=inputs,
        groupings=groupings,
    )
    sampler = InterceptsGibbs(
        target,
        inputs.y,
        tuple(grouping.codes[observed] for grouping in groupings),
        tuple(grouping.n_groups for grouping in groupings),
        len(predictors),
    )
    built.gibbs = GibbsSampler(
        start=lambda rng: gibbs_start(pymc_model, rng),
        sweep=lambda point, rng: sampler.sweep(point, current_predictors(pymc_model, inputs), rng),
        set_target=partial(np.copyto, inputs.y),  # the sampler reads inputs.y in every sweep
    )
    return built


def _parameter_dims(target: str, groupings: tuple[Grouping, ...]) -> dict[str, tuple[str, ...]]:
    """``beta``, ``tau`` per factor, ``sigma`` and each factor's effects ``u_<factor>``."""
    dims = {"beta": (f"{target}::beta_dim",), "tau": (f"{target}::factor",), "sigma": ()}
    for grouping in groupings:
        dims[f"u_{grouping.name}"] = (f"{target}::{grouping.name}",)
    return dims


@dataclass(kw_only=True)
class InterceptsModel(ConditionalModel):
    """A compiled normal model with random intercepts of several factors (module docstring).

    Parameters on the data's scale: ``beta`` (``Intercept`` and one coefficient per
    predictor), ``tau`` (the SD of each factor's intercepts), ``sigma`` (residual SD) and
    ``u_<factor>`` (each group's effect).
    """

    inputs: Inputs = field(repr=False)
    groupings: tuple[Grouping, ...] = field(repr=False)

    def _unpack(self, point: Point) -> dict:
        """Return the standardised quantities of a point (NUTS' or the Gibbs sampler's)."""
        name = self.target
        tau = np.exp(np.asarray(point[f"{name}::tau_std_log__"], dtype=float))
        return {
            "intercept": float(point[f"{name}::intercept_std"]),
            "beta": np.asarray(point.get(f"{name}::beta_std", np.zeros(0)), dtype=float),
            "tau": tau,
            "sigma": float(np.exp(point[f"{name}::sigma_std_log__"])),
            "effects": [tau[k] * point[f"{name}::eta_{k}"] for k in range(len(self.groupings))],
        }

    def _means(self, current: dict, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Return the mean of some rows: fixed part and their groups' effects."""
        mean = current["intercept"] + x[rows] @ current["beta"]
        for grouping, effects in zip(self.groupings, current["effects"], strict=True):
            mean = mean + effects[grouping.codes[rows]]
        return mean

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the target of some rows (standardised) given the parameters."""
        current = self._unpack(point)
        noise = current["sigma"] * rng.standard_normal(len(rows))
        return self._means(current, x, rows) + noise

    def predicted_means(self, point: Point, x: np.ndarray) -> np.ndarray:
        """Return every row's predicted mean (standardised), its groups' effects included."""
        return self._means(self._unpack(point), x, np.arange(x.shape[0]))

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the normal log density of some rows' standardised targets `y`.

        Up to the constant, with their groups' current effects in the mean.
        """
        current = self._unpack(point)
        sigma = current["sigma"]
        return -0.5 * ((y - self._means(current, x, rows)) / sigma) ** 2 - np.log(sigma)

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's scale."""
        current = self._unpack(point)
        scaling = self.scaling
        named = {
            "beta": scaling.fixed_effects(current["intercept"], current["beta"]),
            "tau": scaling.y_scale * current["tau"],
            "sigma": np.asarray(scaling.y_scale * current["sigma"]),
        }
        for grouping, effects in zip(self.groupings, current["effects"], strict=True):
            named[f"u_{grouping.name}"] = scaling.y_scale * np.asarray(effects)
        return named
