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
below ``-eta``, then the outcome error given it. NUTS updates the parameters, the model compiled
once per chain; a model with one rho can instead be updated by a data-augmentation Gibbs
sampler (`bayesmi.gibbs.SelectionGibbs`, `bayesmi.gibbs.BinarySelectionGibbs`,
``sampler="gibbs"``): 7 to 10 times faster per iteration, but on popmis' tutorial model the
posterior of rho has a minor mode near -0.6 beside the main one near 0.8, and a Gibbs chain
started in it stays there for thousands of sweeps (NUTS chains leave it), so it is not the default.
With rho fixed (a sensitivity analysis) there is no such mode to leave, and the sweeps start on
their own, without NUTS' warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import ndtr, ndtri

from bayesmi.data.encoding import ImputationData
from bayesmi.families import Family
from bayesmi.gibbs.selection import SelectionTarget
from bayesmi.models.blocks import (
    effects_on_data_scale,
    linear_predictor,
    new_model,
    random_design,
    random_effect_dims,
    random_effects,
)
from bayesmi.models.conditional import (
    CompiledQuantities,
    ConditionalModel,
    GibbsSampler,
    Point,
    set_model_data,
)
from bayesmi.models.scaling import Inputs, Scaling, starting_predictors
from bayesmi.priors import COEFFICIENT_SD, SCALE_SD
from bayesmi.spec.kinds import gibbs_available
from bayesmi.spec.model import ImputationModel

__all__ = ["HeckmanModel", "heckman_model"]

RHO_SPREAD_SD = 0.5
"""Prior SD of the half-normal prior on the between-cluster SD of atanh(rho_j)."""


@dataclass(frozen=True)
class _Layout:
    """Which columns of the predictor matrix each equation reads, and which rows are which."""

    predictor_names: tuple[str, ...]
    selection_names: tuple[str, ...]
    slope_names: tuple[str, ...]
    outcome: list[int]
    selection: list[int]
    slopes: list[int]
    observed_rows: np.ndarray
    missing_rows: np.ndarray


def heckman_model(model: ImputationModel, data: ImputationData) -> HeckmanModel:
    """Build the Heckman selection model of ``model.target``.

    Returns
    -------
    HeckmanModel
        Parameters on the data's scale: the outcome's ``beta``, ``tau`` or
        ``re_sd``/``re_corr``, ``u`` and (gaussian) ``sigma``; the selection equation's
        ``gamma`` (``Intercept`` and one probit coefficient per predictor) and ``tau_v``;
        ``rho``, and with ``cluster_rho`` also ``rho_cluster`` and ``atanh_rho_sd``.
    """
    inputs = Inputs.from_data(data, model.target, model.terms, model.family.standardised)
    columns, predictors = inputs.predictors, data.design_names(model.fixed_terms)
    selection = data.design_names(model.selection_terms)
    slopes = data.design_names(model.slope_terms)
    layout = _Layout(
        predictor_names=predictors,
        selection_names=selection,
        slope_names=slopes,
        outcome=[columns.index(name) for name in predictors],
        selection=[columns.index(name) for name in selection],
        slopes=[predictors.index(name) for name in slopes],
        observed_rows=np.flatnonzero(inputs.observed),
        missing_rows=np.flatnonzero(~inputs.observed),
    )
    w_all = inputs.scaling.x(starting_predictors(data, inputs.columns))[:, layout.selection]
    with new_model(data, model.target, predictors) as pymc_model:
        quantities = _outcome_equation(model, inputs, layout)
        eta = _selection_equation(model, w_all, data.cluster_codes, quantities)
        _likelihood(model, inputs, layout, quantities, eta)
    effects = ["Intercept", *slopes]
    predictors_now = {"x": inputs.scaling.x(starting_predictors(data, inputs.columns))}
    heckman = HeckmanModel(
        **inputs.model_fields(pymc_model, likelihood_rows=np.arange(len(inputs.observed))),
        parameter_dims=_parameter_dims(model, len(effects)),
        coords={
            f"{model.target}::beta_dim": ["Intercept", *predictors],
            f"{model.target}::gamma_dim": ["Intercept", *selection],
            f"{model.target}::re": effects,
            f"{model.target}::re_bis": effects,
        },
        layout=layout,
        codes_missing=inputs.codes_missing,
        family=model.family,
        cluster_rho=model.cluster_rho,
        quantities=quantities,
        predictors_now=predictors_now,
    )
    heckman.gibbs = _gibbs_sampler(model, inputs, layout, data, heckman)
    return heckman


def _gibbs_sampler(
    model: ImputationModel,
    inputs: Inputs,
    layout: _Layout,
    data: ImputationData,
    heckman: HeckmanModel,
) -> GibbsSampler | None:
    """Return the data-augmentation Gibbs sampler of a model with one rho (or a fixed one).

    Used with ``sampler="gibbs"`` only. With rho estimated, started where NUTS' warm-up ended
    (`GibbsSampler.from_nuts`): on popmis' tutorial model the posterior of rho has a minor
    mode near -0.6 beside the main one near 0.8 (the log likelihood about 9 lower, other
    coefficients different too): sweeps started at rho < 0 did not leave it in 3,000 sweeps
    (6 of 10 starts) while NUTS chains all reached 0.8; started from NUTS' warm-up, the sweeps
    stay in the main mode, which NUTS leaves now and then (6 of 560 iterations in a long run).
    With rho fixed the sweeps start on their own: NUTS' warm-up of that model was 85% of a
    run's time (popmis, 10 chains of 20 iterations).
    """
    if not gibbs_available(model):
        return None
    heckman.kernel = model.family.selection_kernel(
        inputs.y,
        inputs.observed,
        data.cluster_codes,
        data.n_clusters,
        tuple(layout.outcome),
        tuple(layout.selection),
        tuple(layout.slopes),
        fixed_rho=model.rho,
    )
    predictors_now = heckman.predictors_now
    return GibbsSampler(  # the kernel is looked up when called: `HeckmanModel.fix_rho` sets it
        start=lambda rng: heckman.kernel.start(rng),
        sweep=lambda state, rng: heckman.kernel.sweep(state, predictors_now["x"], rng),
        from_nuts=heckman.gibbs_state,
    )


def _outcome_equation(model: ImputationModel, inputs: Inputs, layout: _Layout) -> dict:
    """Add the outcome equation's parameters; return them and its mean ``mu`` (observed rows)."""
    target = model.target
    pymc_model = pm.modelcontext(None)
    pymc_model.add_coord(f"{target}::re", ["Intercept", *layout.slope_names])
    pymc_model.add_coord(f"{target}::selection_predictor", list(layout.selection_names))
    x_beta, beta = linear_predictor(target, layout.predictor_names, inputs.x[:, layout.outcome])
    intercept = pm.Normal(f"{target}::intercept_std", 0.0, model.family.intercept_sd)
    effects, chol = random_effects(target, 1 + len(layout.slopes))
    z = random_design(pymc_model, target, len(layout.observed_rows), layout.slopes)
    mu = intercept + x_beta + pt.sum(z * effects[inputs.codes_observed], axis=1)
    quantities = {"intercept": intercept, "effects": effects, "chol": chol, "mu": mu}
    if beta is not None:
        quantities["beta"] = beta
    return quantities


def _selection_equation(
    model: ImputationModel, w_all: np.ndarray, codes: np.ndarray, quantities: dict
) -> pt.TensorVariable:
    """Add the selection equation's parameters; return its linear predictor over every row."""
    target = model.target
    dims = (f"{target}::row", f"{target}::selection_predictor")
    w = pm.Data(f"{target}::W", w_all, dims=dims)
    selection_intercept = pm.Normal(f"{target}::selection_intercept", 0.0, COEFFICIENT_SD)
    gamma = pm.Normal(
        f"{target}::gamma_std", 0.0, COEFFICIENT_SD, dims=f"{target}::selection_predictor"
    )
    tau_v = pm.HalfNormal(f"{target}::tau_v", SCALE_SD)
    v = tau_v * pm.Normal(f"{target}::eta_v", 0.0, 1.0, dims="cluster")
    quantities |= {"g0": selection_intercept, "gamma": gamma, "v": v}
    return selection_intercept + w @ gamma + v[codes]


def _likelihood(
    model: ImputationModel,
    inputs: Inputs,
    layout: _Layout,
    quantities: dict,
    eta: pt.TensorVariable,
) -> None:
    """Add the error correlation and the likelihood of being observed (and of the outcome)."""
    target, mu = model.target, quantities.pop("mu")
    if model.rho is None:
        rho, rho_cluster = _correlation(target, model.cluster_rho)
    else:  # fixed: a sensitivity analysis over assumed departures from MAR. Data, not a
        # constant: PyTensor's rewrites looped forever on the constant 0 (rho * residual)
        rho, rho_cluster = pm.Data(f"{target}::rho_fixed", np.asarray(model.rho)), None
    quantities["rho"] = rho
    rho_observed = rho_cluster[inputs.codes_observed] if model.cluster_rho else rho
    family_quantities, observed = model.family.selection_likelihood(
        target, inputs.y, mu, eta[layout.observed_rows], rho_observed
    )
    quantities |= family_quantities
    missing = pm.logcdf(pm.Normal.dist(0.0, 1.0), -eta[layout.missing_rows])
    pm.Potential(f"{target}::selection_likelihood", observed.sum() + missing.sum())
    if model.cluster_rho:
        quantities["rho_cluster"] = rho_cluster
    if "beta" in quantities:  # last, as the point function's outputs were ordered
        quantities["beta"] = quantities.pop("beta")


def _parameter_dims(model: ImputationModel, q: int) -> dict[str, tuple[str, ...]]:
    target = model.target
    dims: dict[str, tuple[str, ...]] = {
        "beta": (f"{target}::beta_dim",),
        "gamma": (f"{target}::gamma_dim",),
        "tau_v": (),
        "rho": (),
    }
    dims |= model.family.parameter_dims(target)
    if model.cluster_rho:
        dims |= {"rho_cluster": ("cluster",), "atanh_rho_sd": ()}
    return dims | random_effect_dims(target, q)


@dataclass(kw_only=True)
class HeckmanModel(CompiledQuantities, ConditionalModel):
    """A compiled Heckman selection model (see the module docstring)."""

    layout: _Layout = field(repr=False)
    codes_missing: np.ndarray
    family: Family
    cluster_rho: bool
    quantities: dict = field(repr=False)
    predictors_now: dict = field(default_factory=dict, repr=False)
    kernel: SelectionTarget | None = field(default=None, repr=False)
    """The Gibbs sampler's kernel (a model with one rho, or a fixed one)."""

    def fix_rho(self, rho: float) -> None:
        """Set the fixed error correlation of a model built with ``rho=`` (a sensitivity run).

        The compiled log density reads it from its `pm.Data`, the Gibbs kernel from its
        ``fixed_rho``, so the runs of a grid of rho values share one compiled model.
        """
        name = f"{self.target}::rho_fixed"
        if name not in self.model.named_vars:
            raise ValueError(f"{self.target}: the model estimates rho; it was built without rho=.")
        set_model_data(self.model, {name: np.asarray(float(rho))})
        if self.kernel is not None:
            self.kernel = replace(self.kernel, fixed_rho=float(rho))

    def _unpack(self, point: Point) -> dict:
        named = self.quantities_at(point)
        named.setdefault("beta", np.zeros(0))
        return named

    def gibbs_state(self, point: Point) -> dict:
        """Return the Gibbs sampler's state at a NUTS point (`bayesmi.gibbs.selection`)."""
        named = {
            name: float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)
            for name, value in self._unpack(point).items()
        }
        named["tau_v"] = float(np.exp(point[f"{self.target}::tau_v_log__"]))
        return named

    def set_predictors(self, predictors: np.ndarray) -> None:
        """Feed both equations' predictors: the outcome's observed rows, every row's W."""
        x_all = self.standardised(predictors)
        self.predictors_now["x"] = x_all
        values = {f"{self.target}::W": x_all[:, self.layout.selection]}
        if self.layout.outcome:
            rows = x_all[self.layout.observed_rows]
            values[f"{self.target}::X"] = rows[:, self.layout.outcome]
        set_model_data(self.model, values)

    def draw_standardised(
        self, point: Point, x: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the outcome of the missing rows given that they were not observed."""
        current = self._unpack(point)
        codes, layout = self.codes_missing, self.layout
        x_missing = x[layout.missing_rows][:, layout.outcome]
        z_missing = np.column_stack([np.ones(len(codes)), x_missing[:, layout.slopes]])
        mean = float(current["intercept"]) + x_missing @ current["beta"]
        mean = mean + np.sum(z_missing * current["effects"][codes], axis=1)
        eta_missing = (
            float(current["g0"])
            + x[layout.missing_rows][:, layout.selection] @ current["gamma"]
            + current["v"][codes]
        )
        upper = np.maximum(ndtr(-eta_missing), 1e-300)
        d = ndtri(rng.random(len(codes)) * upper)
        rho_missing = current["rho_cluster"][codes] if self.cluster_rho else current["rho"]
        noise = rho_missing * d + np.sqrt(1 - rho_missing**2) * rng.standard_normal(len(codes))
        return self.family.selection_draw(mean, noise, current)

    @cached_property
    def _equation_scalings(self) -> tuple[Scaling, Scaling]:
        return (
            self.scaling.subset(self.layout.outcome),
            self.scaling.subset(self.layout.selection, target=False),
        )

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return both equations' parameters and rho on the data's scale."""
        current = self._unpack(point)
        outcome, selection = self._equation_scalings
        tau_v = f"{self.target}::tau_v_log__"
        named = {
            "beta": outcome.fixed_effects(float(current["intercept"]), current["beta"]),
            "gamma": selection.fixed_effects(float(current["g0"]), current["gamma"]),
            "tau_v": np.asarray(float(current.get("tau_v", np.exp(point.get(tau_v, 0.0))))),
            "rho": np.asarray(float(current["rho"])),
        }
        named |= self.family.dispersion(current, self.scaling)
        if self.cluster_rho:
            named["rho_cluster"] = current["rho_cluster"]
            spread = point[f"{self.target}::atanh_rho_sd_log__"]
            named["atanh_rho_sd"] = np.asarray(float(np.exp(spread)))
        named |= effects_on_data_scale(
            current["effects"], current["chol"], outcome, self.layout.slopes
        )
        return named


def _correlation(target: str, by_cluster: bool) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Return the overall error correlation and, with `by_cluster`, one per cluster (else None)."""
    centre = pm.Normal(f"{target}::atanh_rho", 0.0, 1.0)
    if not by_cluster:
        return pt.tanh(centre), None
    spread = pm.HalfNormal(f"{target}::atanh_rho_sd", RHO_SPREAD_SD)
    offset = pm.Normal(f"{target}::atanh_rho_offset", 0.0, 1.0, dims="cluster")
    return pt.tanh(centre), pt.tanh(centre + spread * offset)
