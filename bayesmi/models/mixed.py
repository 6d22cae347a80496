"""The two-level mixed model with one linear predictor: the normal, binary, ordinal and count kinds.

It serves random_intercept, random_slopes, heteroscedastic, binary, ordinal and count.

On the standardised scale (predictors always, the target when it is gaussian)::

    eta_ij = b0 + x_ij' beta + z_ij' b_j,    z_ij = (1, slope variables)
    b_j = diag(s) L_Omega e_j,  e_j ~ N(0, I)          (q >= 2; LKJ(2) on Omega, s ~ HN(1))
    b_j = tau e_j,              e_j ~ N(0, 1)          (q = 1; tau ~ HN(1))
    gaussian:                  y_ij ~ N(eta_ij, sigma^2),    sigma ~ HN(1)
    gaussian, cluster variance: y_ij ~ N(eta_ij, sigma_j^2), log sigma_j = mu_s + omega d_j,
                               mu_s ~ N(0, 1), omega ~ HN(0.5), d_j ~ N(0, 1)
    binary:                    y_ij ~ Bernoulli(logit^-1(eta_ij))
    ordinal, poisson, negative_binomial: see `bayesmi.families` (ordinal: no b0)
    b0 ~ N(0, 5^2) (N(0, 2.5^2) for binary), beta_k ~ N(0, 2.5^2)

The likelihood uses the rows with an observed target. Missing cells are drawn from the
predictive given the current parameters and their cluster's b_j (and sigma_j); clusters with no
observed target keep b_j and sigma_j under their population distribution, so those are draws
from it. A compiled function maps NUTS' point to the quantities the draw needs; the gaussian,
binary, ordinal and negative binomial models also have an exact Gibbs sampler
(`bayesmi.gibbs`; binary and negative binomial by Polya-Gamma augmentation, ordinal by
its latent-variable form).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.families import Family
from bayesmi.families.base import KernelInputs
from bayesmi.gibbs import FactorsGibbs, RandomInterceptGibbs
from bayesmi.models.blocks import (
    coefficients,
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
    gibbs_start,
)
from bayesmi.models.grouping_factors import GroupingFactors
from bayesmi.models.scaling import Inputs, current_predictors
from bayesmi.models.serial import SerialStructure
from bayesmi.priors import SCALE_SD
from bayesmi.spec.kinds import KINDS, gibbs_available
from bayesmi.spec.model import ImputationModel

__all__ = ["MixedModel", "mixed_factor", "mixed_model"]


def mixed_model(model: ImputationModel, data: ImputationData) -> MixedModel:
    """Build the mixed model of ``model.target`` (see the module docstring).

    Parameters
    ----------
    model : ImputationModel
        A random_intercept, random_slopes, heteroscedastic, binary, ordinal or count model;
        its kind says whether the residual variance is one per cluster (heteroscedastic).
    data : ImputationData
        The encoded data.
    """
    family = model.family
    cluster_variance = KINDS[model.kind].cluster_variance
    factors = GroupingFactors.of(model, data)
    inputs = Inputs.from_data(
        data,
        model.target,
        model.fixed_terms,
        standardise_target=family.standardised,
        target_codes=family.reads_codes,
        grouping=factors.first,
    )
    target, predictors = inputs.target, inputs.predictors
    slopes = data.design_names(model.slope_terms)
    slope_index = [predictors.index(name) for name in slopes]
    effect_dim = factors.dim(factors.first)
    serial = SerialStructure.of(data, inputs.observed) if model.residual == "ar1" else None
    factor = data.factor(target) if family.reads_codes else None
    n_categories = factor.n_categories if factor is not None else 0
    with new_model(data, target, predictors) as pymc_model:
        pymc_model.add_coord(f"{target}::obs_row", length=len(inputs.y))
        factors.add_coords(pymc_model)
        x = None
        if predictors:
            dims = (f"{target}::obs_row", f"{target}::predictor")
            x = pm.Data(f"{target}::X", inputs.x, dims=dims)
        quantities, _ = mixed_factor(
            target,
            x,
            len(inputs.y),
            inputs.y,
            inputs.codes_observed,
            family,
            slope_index,
            cluster_variance=cluster_variance,
            dims=f"{target}::obs_row",
            n_categories=n_categories,
            effect_dim=effect_dim,
            factors=factors.other_rows(inputs.observed),
            autoregressive=None if serial is None else serial.observed_links,
        )
    effects = ["Intercept", *slopes]
    coords = {
        f"{target}::beta_dim": [*(["Intercept"] if family.has_intercept else []), *predictors],
        f"{target}::re": effects,
        f"{target}::re_bis": effects,
    }
    coords |= family.coords(target, factor)
    coords |= factors.coords(first_in_tau=not slopes)
    dims = _parameter_dims(target, len(effects), family, cluster_variance, predictors, effect_dim)
    if serial is not None:
        dims["phi"] = ()
        kernel = serial.gibbs_kernel(inputs, factors.first.n_groups, slope_index, cluster_variance)
        kernel = (_with_other_factors(kernel, factors, inputs), None)
    else:
        kernel = _gibbs_kernel(model, inputs, factors, slope_index, cluster_variance, n_categories)
    return MixedModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=factors.parameter_dims(dims),
        coords=coords,
        gibbs=None if kernel is None else _gibbs_sampler(pymc_model, inputs, *kernel),
        donors=model.donors if model.pmm else 0,
        observed_values=data.values(target)[inputs.observed] if model.pmm else None,
        category_values=data.category_values(target) if factor is not None else None,
        inputs=inputs,
        family=family,
        cluster_variance=cluster_variance,
        slope_index=slope_index,
        quantities=quantities,
        factors=factors,
        point_is_state=kernel is not None and isinstance(kernel[0], RandomInterceptGibbs),
        serial=serial,
    )


def _parameter_dims(
    target: str,
    q: int,
    family: Family,
    cluster_variance: bool,
    predictors: tuple[str, ...],
    effect_dim: str,
) -> dict[str, tuple[str, ...]]:
    dims: dict[str, tuple[str, ...]] = {}
    if family.has_intercept or predictors:
        dims["beta"] = (f"{target}::beta_dim",)
    dims |= random_effect_dims(target, q, effect_dim)
    dims |= family.parameter_dims(target)
    if cluster_variance:
        dims["sigma"] = (effect_dim,)
    return dims


@dataclass(kw_only=True)
class MixedModel(CompiledQuantities, ConditionalModel):
    """A compiled two-level mixed model (see the module docstring).

    Parameters on the data's scale: ``beta`` (``Intercept`` and one coefficient per
    predictor), ``tau`` (SD of the random intercepts) or ``re_sd`` and ``re_corr`` (SDs and
    correlations of the random intercept and slopes), ``u`` (each cluster's effects) and, for
    a gaussian target, ``sigma`` (one residual SD, or one per cluster). Binary models' are on
    the logit scale.

    With several grouping factors (`factors`, the one with random slopes first), the
    effects are ``u_<factor>`` per factor and ``tau`` holds the SD of each factor's random
    intercepts (the first factor's in ``re_sd`` when it has random slopes).
    """

    inputs: Inputs = field(repr=False)
    family: Family
    cluster_variance: bool
    slope_index: list[int]
    quantities: dict[str, pt.TensorVariable] = field(repr=False)
    category_values: np.ndarray | None = field(default=None, repr=False)
    factors: GroupingFactors = field(repr=False)
    point_is_state: bool = False
    """Whether the Gibbs sampler's state is the PyMC point (pan's random-intercept sweep):
    then a point's quantities are read without compiling."""
    serial: SerialStructure | None = field(default=None, repr=False)
    """With AR(1) residuals (``residual="ar1"``), each row's neighbouring occasions."""

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells; with AR(1) residuals, given the neighbouring occasions."""
        if self.serial is None:
            return super().draw_standardised(point, x, rng)
        current = self._unpack(point)
        mean = self._linear_predictor(current, x, np.arange(x.shape[0]))
        residual = np.full(x.shape[0], np.nan)
        residual[self.observed] = self.inputs.y - mean[self.observed]
        missing = np.flatnonzero(~self.observed)
        sigma = self._at_rows(current, np.arange(x.shape[0]))["sigma"]
        drawn = self.serial.draw_residuals(residual, missing, sigma, float(current["phi"]), rng)
        return mean[missing] + drawn

    def _unpack(self, point: Point) -> dict:
        """Return the standardised quantities of a NUTS point or a Gibbs state."""
        if "effects" in point:  # a Gibbs state holds the quantities themselves
            return point
        if self.point_is_state:
            return _unpack_random_intercept(point, self.target, len(self.columns))
        named = self.quantities_at(point)
        named["intercept"] = float(named.get("intercept", 0.0))
        named.setdefault("beta", np.zeros(0))
        named["factor_effects"] = [
            named.pop(f"factor_effects_{k}") for k in range(len(self.factors.others))
        ]
        return named

    def _linear_predictor(self, current: dict, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Return the linear predictor of some rows, their groups' effects included."""
        codes = self.inputs.codes_all[rows]
        x_rows = np.take(x, rows, axis=0)
        mean = current["intercept"] + x_rows @ current["beta"]
        if self.slope_index:
            z = np.column_stack([np.ones(len(codes)), x_rows[:, self.slope_index]])
            mean = mean + np.sum(z * current["effects"][codes], axis=1)
        else:  # a random intercept: z is a column of ones
            mean = mean + current["effects"][codes, 0]
        return mean + self.factors.effects_of_rows(current.get("factor_effects", []), rows)

    @property
    def shifts_linear_predictor(self) -> bool:
        """Delta moves the logit (binary, ordinal) or log (count) scale, or the values."""
        return self.family.shifts_linear_predictor

    def _at_rows(self, current: dict, rows: np.ndarray) -> dict:
        """Return the quantities with each row's residual SD (one per cluster: heteroscedastic)."""
        if not self.cluster_variance:
            return current
        return current | {"sigma": current["sigma"][self.inputs.codes_all[rows]]}

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the target of some rows (model's scale) from the model given the parameters."""
        current = self._unpack(point)
        mean = self._linear_predictor(current, x, rows) + self.row_shifts(rows)
        draws = self.family.draw(mean, self._at_rows(current, rows), rng)
        return self.as_values(draws)

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the log density of the targets `y` of some rows given the parameters.

        `x` holds every row's standardised predictors, `y` the rows' targets on the model's
        scale (standardised when gaussian, 0/1 when binary, codes when ordinal); the
        clusters' current effects enter the linear predictor. With AR(1) residuals a row's
        value also enters its next observed occasion's density: each row gets both terms
        (`SerialStructure.row_terms`), so rows of one person are weighed apart only when they
        are not neighbours among the observed occasions (`SerialStructure.independent_sets`).
        """
        current = self._unpack(point)
        if self.serial is not None:
            observed = np.flatnonzero(self.observed)
            mean = self._linear_predictor(current, x, observed)
            sigma = self._at_rows(current, observed)["sigma"]
            terms = self.serial.row_terms(self.inputs.y - mean, sigma, float(current["phi"]))
            position = self.serial.observed_position[rows]
            return np.where(position >= 0, terms[np.maximum(position, 0)], 0.0)
        eta = self._linear_predictor(current, x, rows)
        return self.family.row_log_likelihood(eta, y, self._at_rows(current, rows))

    def on_model_scale(self, values: np.ndarray) -> np.ndarray:
        """Return target values as the likelihood reads them (categories: their codes)."""
        if self.category_values is not None:
            return np.searchsorted(self.category_values, values).astype(float)
        return super().on_model_scale(values)

    def predicted_means(self, point: Point, x: np.ndarray) -> np.ndarray:
        """Return every row's predicted mean (standardised), its cluster's effects included."""
        return self._linear_predictor(self._unpack(point), x, np.arange(x.shape[0]))

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's scale."""
        current = self._unpack(point)
        scaling = self.scaling
        named = self.family.coefficients(current, scaling)
        named |= effects_on_data_scale(
            current["effects"], current["chol"], scaling, self.slope_index
        )
        if self.factors.others:
            scale = scaling.y_scale
            named = self.factors.name_effects(
                named,
                scale * np.asarray(current["factor_tau"], dtype=float),
                [scale * np.asarray(effects) for effects in current["factor_effects"]],
            )
        named |= self.family.dispersion(current, scaling)
        if self.serial is not None:
            named["phi"] = np.asarray(float(current["phi"]))
        return named


def mixed_factor(
    target: str,
    x: pt.TensorVariable | None,
    n_rows: int,
    y: np.ndarray,
    codes: np.ndarray,
    family: Family,
    slope_index: list[int],
    cluster_variance: bool = False,
    dims: str | None = None,
    n_categories: int = 0,
    effect_dim: str = "cluster",
    factors: tuple[tuple[str, np.ndarray], ...] = (),
    autoregressive: tuple[np.ndarray, np.ndarray] | None = None,
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
        The target on the family's scale (standardised when continuous), NaN where missing.
    codes : numpy.ndarray
        Cluster code of every row.
    family : Family
        Distribution of the target (`bayesmi.families`), one linear predictor.
    slope_index : list of int
        Columns of `x` with a random slope.
    cluster_variance : bool, default=False
        A residual SD per cluster (gaussian only).
    dims : str, optional
        Dim of the rows of the likelihood.
    n_categories : int, default=0
        Number of categories of a target of categories.
    effect_dim : str, default="cluster"
        Dim of the groups of `codes` (another grouping factor's with several).
    factors : tuple of (str, numpy.ndarray)
        Further grouping factors with a random intercept each: the dim of their groups and
        the group of every row.
    autoregressive : tuple of numpy.ndarray, optional
        AR(1) residuals (gaussian, the chained engine): each row's previous occasion's
        position among the rows (-1: none) and the time since it (`SerialStructure`).

    Returns
    -------
    quantities : dict
        ``intercept`` (where the family has one), ``effects`` (J, q), ``chol``, the family's
        own parameters (``sigma``, ``thresholds``, ``alpha``), ``beta`` (with predictors) and
        with `factors` ``factor_tau`` and ``factor_effects_<k>``, in this order: what the
        predictive draw and `parameters` need, standardised.
    target : tensor
        The target's values, missing cells included.
    """
    model = pm.modelcontext(None)
    names = model.coords.get(f"{target}::predictor") or ()
    model.add_coord(f"{target}::re", ["Intercept", *(names[k] for k in slope_index)])
    x_beta, beta = coefficients(target, x) if x is not None else (0.0, None)
    quantities = {}
    intercept = 0.0
    if family.has_intercept:
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, family.intercept_sd)
        quantities["intercept"] = intercept
    effects, chol = random_effects(target, 1 + len(slope_index), effect_dim)
    z = design(x, n_rows, slope_index)
    eta = intercept + x_beta + pt.sum(z * effects[codes], axis=1)
    quantities |= {"effects": effects, "chol": chol}
    factor_quantities = {}
    if factors:
        factor_tau = pm.HalfNormal(f"{target}::factor_tau_std", SCALE_SD, shape=len(factors))
        factor_quantities["factor_tau"] = factor_tau
        for k, (dim, factor_codes) in enumerate(factors):
            factor_effects = factor_tau[k] * pm.Normal(f"{target}::factor_eta_{k}", 0, 1, dims=dim)
            factor_quantities[f"factor_effects_{k}"] = factor_effects
            eta = eta + factor_effects[factor_codes]
    sigma = _cluster_sd(target, effect_dim) if cluster_variance else None
    if autoregressive is not None:
        family_quantities, values = family.autoregressive_likelihood(
            target,
            eta,
            y,
            *autoregressive,
            dims=dims,
            sigma=None if sigma is None else sigma[codes],
        )
        quantities |= family_quantities | ({} if sigma is None else {"sigma": sigma})
        if beta is not None:
            quantities["beta"] = beta
        return quantities | factor_quantities, values
    family_quantities, values = family.likelihood(
        target,
        eta,
        y,
        n_categories=n_categories,
        dims=dims,
        sigma=None if sigma is None else sigma[codes],
    )
    quantities |= family_quantities if sigma is None else {"sigma": sigma}
    if beta is not None:
        quantities["beta"] = beta
    return quantities | factor_quantities, values


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


def _gibbs_kernel(
    model: ImputationModel,
    inputs: Inputs,
    factors: GroupingFactors,
    slope_index: list[int],
    cluster_variance: bool,
    n_categories: int,
) -> tuple[object, object] | None:
    """Return the family's Gibbs kernel and target setter, where the model has a sampler.

    With several grouping factors, the family's kernel extended by `FactorsGibbs`, whose
    target is the family kernel's (set in place).
    """
    if not gibbs_available(model):
        return None
    kernel, set_target = model.family.gibbs_kernel(
        KernelInputs(
            target=inputs.target,
            y=inputs.y,
            codes=inputs.codes_observed,
            n_clusters=factors.first.n_groups,
            slopes=tuple(slope_index),
            n_predictors=len(inputs.columns),
            n_categories=n_categories,
            cluster_variance=cluster_variance,
            other_factors=bool(factors.others),
        )
    )
    return _with_other_factors(kernel, factors, inputs), set_target


def _with_other_factors(kernel, factors: GroupingFactors, inputs: Inputs):
    """Return the kernel extended by the other factors' intercepts (`FactorsGibbs`), if any."""
    if not factors.others:
        return kernel
    return FactorsGibbs(
        kernel,
        tuple(grouping.codes[inputs.observed] for grouping in factors.others),
        tuple(grouping.n_groups for grouping in factors.others),
    )


def _gibbs_sampler(pymc_model: pm.Model, inputs: Inputs, kernel, set_target) -> GibbsSampler:
    """Return the Gibbs sampler of a kernel, reading the model's current predictors."""

    def start(rng: np.random.Generator) -> Point:
        if isinstance(kernel, RandomInterceptGibbs):  # its state is the PyMC model's point
            return gibbs_start(pymc_model, rng)
        return kernel.start(len(inputs.columns), rng)

    return GibbsSampler(
        start=start,
        sweep=lambda state, rng: kernel.sweep(state, current_predictors(pymc_model, inputs), rng),
        set_target=set_target,
        sweep_block=None
        if getattr(kernel, "cluster_variance", False)  # one residual SD per cluster
        else getattr(kernel, "sweep_block", None),
    )


def _cluster_sd(target: str, dim: str) -> pt.TensorVariable:
    """Add a residual SD per cluster: log-normal across clusters (2l.norm's model)."""
    location = pm.Normal(f"{target}::log_sigma_mean", 0.0, 1.0)
    spread = pm.HalfNormal(f"{target}::log_sigma_sd", 0.5)
    deviation = pm.Normal(f"{target}::log_sigma_offset", 0.0, 1.0, dims=dim)
    return pt.exp(location + spread * deviation)
