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
    ordinal, poisson, negative_binomial: see `bayesmi.models.families` (ordinal: no b0)
    b0 ~ N(0, 5^2) (N(0, 2.5^2) for binary), beta_k ~ N(0, 2.5^2)

The likelihood uses the rows with an observed target. Missing cells are drawn from the
predictive given the current parameters and their cluster's b_j (and sigma_j); clusters with no
observed target keep b_j and sigma_j under their population distribution, so those are draws
from it. A compiled function maps NUTS' point to the quantities the draw needs; the gaussian,
binary, ordinal and negative binomial models also have an exact Gibbs sampler
(`bayesmi.models.gibbs`; binary and negative binomial by Polya-Gamma augmentation, ordinal by
its latent-variable form).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.data.encoding import ImputationData
from bayesmi.models.blocks import (
    COEFFICIENT_SD,
    INTERCEPT_SD,
    SCALE_SD,
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
    jittered_start,
)
from bayesmi.models.families import (
    DISCRETE_FAMILIES,
    family_draw,
    family_likelihood,
    has_intercept,
    threshold_labels,
)
from bayesmi.models.gibbs import (
    FactorsGibbs,
    LogisticGibbs,
    NegativeBinomialGibbs,
    OrdinalGibbs,
    RandomInterceptGibbs,
    RandomSlopesGibbs,
)
from bayesmi.models.gibbs.ordinal import ordinal_log_probabilities
from bayesmi.models.grouping_factors import GroupingFactors
from bayesmi.models.scaling import Inputs, current_predictors
from bayesmi.spec.model import Family, ImputationModel

__all__ = ["MixedModel", "mixed_factor", "mixed_model"]

GIBBS_FAMILIES = ("gaussian", "binary", "ordinal", "negative_binomial")
"""Families of the mixed models with a Gibbs sampler (`bayesmi.models.gibbs`)."""
FACTORS_GIBBS_FAMILIES = ("gaussian", "binary", "negative_binomial")
"""Families whose Gibbs sampler takes other grouping factors (`FactorsGibbs`)."""


def mixed_model(
    model: ImputationModel, data: ImputationData, cluster_variance: bool = False
) -> MixedModel:
    """Build the mixed model of ``model.target`` (see the module docstring).

    Parameters
    ----------
    model : ImputationModel
        A random_intercept, random_slopes, heteroscedastic, binary, ordinal or count model.
    data : ImputationData
        The encoded data.
    cluster_variance : bool, default=False
        A residual variance per cluster (heteroscedastic).
    """
    family = model.family
    factors = GroupingFactors.of(model, data)
    inputs = Inputs.from_data(
        data,
        model.target,
        model.fixed_terms,
        standardise_target=family == "gaussian",
        target_codes=family == "ordinal",
        grouping=factors.first,
    )
    target, predictors = inputs.target, inputs.predictors
    slopes = data.design_names(model.slope_terms)
    slope_index = [predictors.index(name) for name in slopes]
    effect_dim = factors.dim(factors.first)
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
            model.family,
            slope_index,
            cluster_variance=cluster_variance,
            dims=f"{target}::obs_row",
            n_categories=data.factor(target).n_categories if family == "ordinal" else 0,
            effect_dim=effect_dim,
            factors=factors.other_rows(inputs.observed),
        )
    effects = ["Intercept", *slopes]
    coords = {
        f"{target}::beta_dim": [*(["Intercept"] if has_intercept(family) else []), *predictors],
        f"{target}::re": effects,
        f"{target}::re_bis": effects,
    }
    if family == "ordinal":
        coords[f"{target}::threshold"] = threshold_labels(data.factor(target))
    coords |= factors.coords(first_in_tau=not slopes)
    dims = _parameter_dims(target, len(effects), family, cluster_variance, predictors, effect_dim)
    return MixedModel(
        **inputs.model_fields(pymc_model),
        parameter_dims=factors.parameter_dims(dims),
        coords=coords,
        gibbs=_gibbs_sampler(
            pymc_model,
            inputs,
            factors,
            family,
            slope_index,
            cluster_variance,
            data.factor(target).n_categories if family == "ordinal" else 0,
        ),
        donors=model.donors if model.pmm else 0,
        observed_values=data.values(target)[inputs.observed] if model.pmm else None,
        category_values=data.category_values(target) if family in ("ordinal",) else None,
        inputs=inputs,
        family=family,
        cluster_variance=cluster_variance,
        slope_index=slope_index,
        quantities=quantities,
        factors=factors,
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
    if has_intercept(family) or predictors:
        dims["beta"] = (f"{target}::beta_dim",)
    dims |= random_effect_dims(target, q, effect_dim)
    if family == "gaussian":
        dims["sigma"] = (effect_dim,) if cluster_variance else ()
    elif family == "ordinal":
        dims["thresholds"] = (f"{target}::threshold",)
    elif family == "negative_binomial":
        dims["alpha"] = ()
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

    def _unpack(self, point: Point) -> dict:
        """Return the standardised quantities of a NUTS point or a Gibbs state."""
        if "effects" in point:  # a Gibbs state holds the quantities themselves
            return point
        intercepts_only = not self.cluster_variance and not self.slope_index
        if self.family == "gaussian" and intercepts_only and not self.factors.others:
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
        x_rows = x[rows]
        z = np.column_stack([np.ones(len(codes)), x_rows[:, self.slope_index]])
        mean = current["intercept"] + x_rows @ current["beta"]
        mean = mean + np.sum(z * current["effects"][codes], axis=1)
        return mean + self.factors.effects_of_rows(current.get("factor_effects", []), rows)

    @property
    def shifts_linear_predictor(self) -> bool:
        """Delta moves the logit (binary, ordinal) or log (count) scale, not the values."""
        return self.family != "gaussian"

    def draw_rows(
        self, point: Point, x: np.ndarray, rows: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the target of some rows (standardised) from the model given the parameters."""
        current = self._unpack(point)
        mean = self._linear_predictor(current, x, rows) + self.row_shifts(rows)
        if self.family == "gaussian":
            return mean + self._residual_sd(current, rows) * rng.standard_normal(len(rows))
        draws = family_draw(self.family, mean, current, rng)
        if self.category_values is not None:
            return self.category_values[draws.astype(int)]
        return draws

    def row_log_likelihood(
        self, point: Point, x: np.ndarray, y: np.ndarray, rows: np.ndarray
    ) -> np.ndarray:
        """Return the log density of the targets `y` of some rows given the parameters.

        `x` holds every row's standardised predictors, `y` the rows' targets on the model's
        scale (standardised when gaussian, 0/1 when binary, codes when ordinal); the
        clusters' current effects enter the linear predictor.
        """
        current = self._unpack(point)
        eta = self._linear_predictor(current, x, rows)
        if self.family == "gaussian":
            sigma = self._residual_sd(current, rows)
            return -0.5 * ((y - eta) / sigma) ** 2 - np.log(sigma)
        if self.family == "binary":
            return y * eta - np.logaddexp(0.0, eta)
        if self.family == "ordinal":
            codes = y.astype(np.int64)
            thresholds = np.asarray(current["thresholds"], dtype=float)
            return ordinal_log_probabilities(codes, eta, thresholds, np.arange(codes.size))
        raise NotImplementedError(f"no row log likelihood for the {self.family} family")

    def _residual_sd(self, current: dict, rows: np.ndarray) -> np.ndarray | float:
        if self.cluster_variance:
            return current["sigma"][self.inputs.codes_all[rows]]
        return current["sigma"]

    def on_model_scale(self, values: np.ndarray) -> np.ndarray:
        """Return target values as the likelihood reads them (an ordinal target: its codes)."""
        if self.family == "ordinal":
            return np.searchsorted(self.category_values, values).astype(float)
        return super().on_model_scale(values)

    def predicted_means(self, point: Point, x: np.ndarray) -> np.ndarray:
        """Return every row's predicted mean (standardised), its cluster's effects included."""
        return self._linear_predictor(self._unpack(point), x, np.arange(x.shape[0]))

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the data's scale."""
        current = self._unpack(point)
        scaling = self.scaling
        named = {}
        if self.family == "ordinal":
            shift = np.sum(current["beta"] * scaling.x_center / scaling.x_scale)
            named["thresholds"] = np.asarray(current["thresholds"]) + shift
            if current["beta"].size:
                named["beta"] = scaling.coefficients(current["beta"])
        else:
            named["beta"] = scaling.fixed_effects(current["intercept"], current["beta"])
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
        if self.family == "gaussian":
            sigma = scaling.y_scale * current["sigma"]
            named["sigma"] = sigma if self.cluster_variance else np.asarray(sigma)
        elif self.family == "negative_binomial":
            named["alpha"] = np.asarray(current["alpha"])
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
    family : str
        Distribution of the target: "gaussian", "binary", "ordinal", "poisson" or
        "negative_binomial".
    slope_index : list of int
        Columns of `x` with a random slope.
    cluster_variance : bool, default=False
        A residual SD per cluster (gaussian only).
    dims : str, optional
        Dim of the rows of the likelihood.
    n_categories : int, default=0
        Number of categories of an ordinal target.
    effect_dim : str, default="cluster"
        Dim of the groups of `codes` (another grouping factor's with several).
    factors : tuple of (str, numpy.ndarray)
        Further grouping factors with a random intercept each: the dim of their groups and
        the group of every row.

    Returns
    -------
    quantities : dict
        ``intercept`` (not ordinal), ``effects`` (J, q), ``chol``, ``sigma`` (gaussian),
        ``thresholds`` (ordinal), ``alpha`` (negative binomial), ``beta`` (with
        predictors) and with `factors` ``factor_tau`` and ``factor_effects_<k>``, in this
        order: what the predictive draw and `parameters` need, standardised.
    target : tensor
        The target's values, missing cells included.
    """
    model = pm.modelcontext(None)
    names = model.coords.get(f"{target}::predictor") or ()
    model.add_coord(f"{target}::re", ["Intercept", *(names[k] for k in slope_index)])
    x_beta, beta = coefficients(target, x) if x is not None else (0.0, None)
    quantities = {}
    intercept = 0.0
    if has_intercept(family):
        intercept_sd = COEFFICIENT_SD if family == "binary" else INTERCEPT_SD
        intercept = pm.Normal(f"{target}::intercept_std", 0.0, intercept_sd)
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
    if family in DISCRETE_FAMILIES:
        family_quantities, values = family_likelihood(target, family, eta, y, n_categories, dims)
        quantities |= family_quantities
    else:
        sigma = _residual_sd(target, cluster_variance, effect_dim)
        rows_sigma = sigma[codes] if cluster_variance else sigma
        values = pm.Normal(f"{target}::y", eta, rows_sigma, observed=y, dims=dims)
        quantities["sigma"] = sigma
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


def _gibbs_sampler(
    pymc_model: pm.Model,
    inputs: Inputs,
    factors: GroupingFactors,
    family: Family,
    slope_index: list[int],
    cluster_variance: bool,
    n_categories: int = 0,
) -> GibbsSampler | None:
    """Return the Gibbs sampler of a gaussian, binary, ordinal or negative binomial model.

    With several grouping factors, the gaussian, binary and negative binomial samplers
    extended by `FactorsGibbs`. None for poisson counts, and ordinal models with several
    factors (NUTS).
    """
    if family not in GIBBS_FAMILIES or (factors.others and family not in FACTORS_GIBBS_FAMILIES):
        return None
    n_clusters = factors.first.n_groups
    slopes = tuple(slope_index)
    codes = inputs.codes_observed
    set_target = partial(np.copyto, inputs.y)
    if family == "binary":
        kernel = LogisticGibbs(inputs.y, codes, n_clusters, slopes)
    elif family == "negative_binomial":
        kernel = NegativeBinomialGibbs(inputs.y, codes, n_clusters, slopes)
    elif family == "ordinal":
        kernel = OrdinalGibbs(inputs.y.astype(int), codes, n_clusters, n_categories, slopes)
        set_target = kernel.set_target
    elif not cluster_variance and not slopes and not factors.others:
        kernel = RandomInterceptGibbs(
            inputs.target, inputs.y, codes, n_clusters, len(inputs.columns)
        )
    else:
        kernel = RandomSlopesGibbs(inputs.y, codes, n_clusters, slopes, cluster_variance)
    if factors.others:
        kernel = FactorsGibbs(
            kernel,
            tuple(grouping.codes[inputs.observed] for grouping in factors.others),
            tuple(grouping.n_groups for grouping in factors.others),
        )
        set_target = None  # the analysis-compatible engine takes one grouping factor

    def start(rng: np.random.Generator) -> Point:
        if isinstance(kernel, RandomInterceptGibbs):  # its state is the PyMC model's point
            return jittered_start(pymc_model, rng)
        return kernel.start(len(inputs.columns), rng)

    return GibbsSampler(
        start=start,
        sweep=lambda state, rng: kernel.sweep(state, current_predictors(pymc_model, inputs), rng),
        set_target=set_target,
    )


def _residual_sd(target: str, cluster_variance: bool, dim: str) -> pt.TensorVariable:
    if not cluster_variance:
        return pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
    location = pm.Normal(f"{target}::log_sigma_mean", 0.0, 1.0)
    spread = pm.HalfNormal(f"{target}::log_sigma_sd", 0.5)
    deviation = pm.Normal(f"{target}::log_sigma_offset", 0.0, 1.0, dims=dim)
    return pt.exp(location + spread * deviation)
