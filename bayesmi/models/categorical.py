"""The baseline-category multinomial logit mixed model of a nominal variable (categorical).

On the standardised-predictor scale, for a target with categories ``0..K-1`` (0 the
reference) and every other category k::

    eta_ijk = a_k + x_ij' beta_k + z_ij' b_jk,    z_ij = (1, slope variables)
    P(y_ij = k) = exp(eta_ijk) / (1 + sum_l exp(eta_ijl))
    b_j = (b_j1, ..., b_j,K-1) ~ N(0, T),  T = diag(s) Omega diag(s)  (non-centred, LKJ(2),
                                                                       s ~ HN(1))
    a_k ~ N(0, 2.5^2), beta_k ~ N(0, 2.5^2)

The cluster effects of all categories are correlated. The likelihood uses the rows with an
observed target; clusters without one keep their effects under the population distribution,
so their missing cells are drawn with fresh effects. Draws are categories (codes), given back
as the column's values. The parameters are updated by an exact Polya-Gamma Gibbs sampler
(`bayesmi.gibbs.CategoricalGibbs`) unless NUTS is asked for.

Further grouping factors (``(1 | school) + (1 | class)``) add ``v_kg[i]``, each category's
random intercept of the row's group of factor g, ``v_kg ~ N(0, tau_gk^2)``, ``tau_gk ~ HN(1)``,
independent between categories; such models are sampled by NUTS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.families import Family
from bayesmi.families.base import KernelInputs
from bayesmi.models.blocks import (
    design,
    effects_on_data_scale,
    new_model,
    random_effect_dims,
    random_effects,
)
from bayesmi.models.conditional import (
    CompiledQuantities,
    ConditionalModel,
    GibbsSampler,
    Point,
)
from bayesmi.models.grouping_factors import GroupingFactors
from bayesmi.models.scaling import Inputs, current_predictors
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD
from bayesmi.spec.kinds import gibbs_available
from bayesmi.spec.model import ImputationModel

__all__ = ["CategoricalModel", "categorical_model"]


def categorical_model(model: ImputationModel, data: ImputationData) -> CategoricalModel:
    """Build the multinomial logit mixed model of ``model.target`` (see the module docstring).

    Returns
    -------
    CategoricalModel
        Parameters on the data's scale: ``beta`` (per non-reference category, ``Intercept``
        and one coefficient per predictor, on the log-odds scale against the reference),
        ``re_sd`` and ``re_corr`` (SDs and correlations of the cluster effects of every
        category, named ``<category>:Intercept``, ``<category>:<slope>``) and ``u``. With
        several grouping factors (``(1 | school) + (1 | class)``: the first written, or the
        one with random slopes, has the correlated effects), ``u_<factor>`` per factor and
        ``tau`` (factor, category): the SD of each further factor's random intercepts of each
        category, independent between categories. Sampled by NUTS.
    """
    target = model.target
    factors = GroupingFactors.of(model, data)
    inputs = Inputs.from_data(
        data,
        target,
        model.fixed_terms,
        standardise_target=False,
        target_codes=True,
        grouping=factors.first,
    )
    factor = data.factor(target)
    categories = [factor.label(k) for k in range(1, factor.n_categories)]
    predictors = inputs.predictors
    slopes = data.design_names(model.slope_terms)
    slope_index = [predictors.index(name) for name in slopes]
    effects = [f"{category}:{name}" for category in categories for name in ("Intercept", *slopes)]
    with new_model(data, target, predictors) as pymc_model:
        pymc_model.add_coord(f"{target}::obs_row", length=len(inputs.y))
        pymc_model.add_coord(f"{target}::category", categories)
        pymc_model.add_coord(f"{target}::re", effects)
        factors.add_coords(pymc_model)
        x = None
        if predictors:
            x = pm.Data(
                f"{target}::X", inputs.x, dims=(f"{target}::obs_row", f"{target}::predictor")
            )
        effect_dim = factors.dim(factors.first)
        quantities = _linear_predictors(target, x, inputs, len(categories), slope_index, effect_dim)
        eta = quantities.pop("eta")
        quantities |= _other_factors(target, factors, inputs.observed, len(categories))
        for k, (_, codes) in enumerate(factors.other_rows(inputs.observed)):
            eta = eta + quantities[f"factor_effects_{k}"][codes]
        model.family.likelihood(target, eta, inputs.y, n_categories=factor.n_categories)
    dims = model.family.parameter_dims(target) | random_effect_dims(
        target, len(effects), effect_dim
    )
    coords = {
        f"{target}::category": categories,
        f"{target}::beta_dim": ["Intercept", *predictors],
        f"{target}::re": effects,
        f"{target}::re_bis": effects,
    } | factors.coords(first_in_tau=False)
    return CategoricalModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=factors.parameter_dims(dims, f"{target}::category"),
        coords=coords,
        gibbs=_gibbs_sampler(
            model, pymc_model, inputs, factors.first.n_groups, factor.n_categories, slope_index
        )
        if gibbs_available(model)
        else None,
        inputs=inputs,
        slope_index=slope_index,
        quantities=quantities,
        category_values=data.category_values(target),
        factors=factors,
        family=model.family,
    )


def _other_factors(
    target: str, factors: GroupingFactors, observed: np.ndarray, n_other: int
) -> dict[str, pt.TensorVariable]:
    """Add the other factors' intercepts per category (non-centred); return them and the SDs."""
    if not factors.others:
        return {}
    tau = pm.HalfNormal(f"{target}::factor_tau_std", SCALE_SD, shape=(len(factors.others), n_other))
    quantities = {"factor_tau": tau}
    for k, (dim, _) in enumerate(factors.other_rows(observed)):
        eta = pm.Normal(f"{target}::factor_eta_{k}", 0.0, 1.0, dims=(dim, f"{target}::category"))
        quantities[f"factor_effects_{k}"] = tau[k][None, :] * eta
    return quantities


def _gibbs_sampler(
    model: ImputationModel,
    pymc_model: pm.Model,
    inputs: Inputs,
    n_clusters: int,
    n_categories: int,
    slope_index: list[int],
) -> GibbsSampler:
    """Return the family's Polya-Gamma Gibbs sampler, reading the current predictors."""
    kernel, set_target = model.family.gibbs_kernel(
        KernelInputs(
            target=inputs.target,
            y=inputs.y,
            codes=inputs.codes_observed,
            n_clusters=n_clusters,
            slopes=tuple(slope_index),
            n_predictors=len(inputs.columns),
            n_categories=n_categories,
        )
    )
    return GibbsSampler(
        start=lambda rng: kernel.start(len(inputs.columns), rng),
        sweep=lambda state, rng: kernel.sweep(state, current_predictors(pymc_model, inputs), rng),
        set_target=set_target,
    )


def _linear_predictors(
    target: str, x, inputs: Inputs, n_other: int, slope_index: list[int], effect_dim: str
) -> dict[str, pt.TensorVariable]:
    """Add intercepts, coefficients and cluster effects; return them and ``eta`` (rows, K-1)."""
    intercept = pm.Normal(
        f"{target}::intercept_std", 0.0, COEFFICIENT_SD, dims=f"{target}::category"
    )
    eta = intercept[None, :]
    quantities = {"intercept": intercept}
    q = 1 + len(slope_index)
    effects, chol = random_effects(target, n_other * q, effect_dim)
    z = design(x, len(inputs.y), slope_index)
    by_category = effects.reshape((effects.shape[0], n_other, q))[inputs.codes_observed]
    eta = eta + pt.sum(z[:, None, :] * by_category, axis=2)
    quantities |= {"effects": effects, "chol": chol}
    if x is not None:
        beta = pm.Normal(
            f"{target}::beta_std",
            0.0,
            COEFFICIENT_SD,
            dims=(f"{target}::category", f"{target}::predictor"),
        )
        eta = eta + x @ beta.T
        quantities["beta"] = beta
    return quantities | {"eta": eta}


@dataclass(kw_only=True)
class CategoricalModel(CompiledQuantities, ConditionalModel):
    """A compiled multinomial logit mixed model (see the module docstring)."""

    inputs: Inputs = field(repr=False)
    slope_index: list[int]
    quantities: dict[str, pt.TensorVariable] = field(repr=False)
    category_values: np.ndarray = field(repr=False)
    factors: GroupingFactors = field(repr=False)
    family: Family = field(repr=False)

    def _unpack(self, point: Point) -> dict[str, np.ndarray]:
        named = self.quantities_at(point)
        n_other = named["intercept"].shape[0]
        named.setdefault("beta", np.zeros((n_other, 0)))
        return named

    def _factor_effects(self, current: dict) -> list[np.ndarray]:
        """Each other factor's effects (groups, K-1), on the log-odds scale."""
        return [current[f"factor_effects_{k}"] for k in range(len(self.factors.others))]

    shifts_linear_predictor: ClassVar[bool] = True

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw some rows' categories given the parameters; return them as the column's values.

        `row_shifts` move every non-reference category's linear predictor alike.
        """
        current = self._unpack(point)
        eta = self._linear_predictors(current, x, rows) + np.reshape(self.row_shifts(rows), (-1, 1))
        return self.as_values(self.family.draw(eta, current, rng))

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the log probability of the categories `y` (codes) of some rows."""
        eta = self._linear_predictors(self._unpack(point), x, rows)
        return self.family.row_log_likelihood(eta, y, {})

    def on_model_scale(self, values: np.ndarray) -> np.ndarray:
        """Return the category codes of values."""
        return np.searchsorted(self.category_values, values).astype(float)

    def _linear_predictors(self, current: dict, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Return some rows' linear predictors (rows, K-1), their clusters' effects included."""
        x_rows = x[rows]
        n_other = current["intercept"].shape[0]
        q = 1 + len(self.slope_index)
        codes = self.inputs.codes_all[rows]
        effects = current["effects"].reshape((-1, n_other, q))[codes]
        z = np.column_stack([np.ones(x_rows.shape[0]), x_rows[:, self.slope_index]])
        eta = current["intercept"][None, :] + x_rows @ current["beta"].T
        eta = eta + np.sum(z[:, None, :] * effects, axis=2)
        return eta + self.factors.effects_of_rows(self._factor_effects(current), rows)

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's (log-odds) scale."""
        current = self._unpack(point)
        named = self.family.coefficients(current, self.scaling)
        n_other = named["beta"].shape[0]
        named |= effects_on_data_scale(
            current["effects"], current["chol"], self.scaling, self.slope_index, blocks=n_other
        )
        if self.factors.others:
            taus = np.asarray(current["factor_tau"])
            named = self.factors.name_effects(named, taus, self._factor_effects(current))
        return named
