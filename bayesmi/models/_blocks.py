"""Pieces shared by the conditional model factories.

`ConditionalModel` is what every factory returns and all the chained engine sees: a compiled
PyMC model whose likelihood uses the rows where the target is observed, with the predictors of
those rows in a `pm.Data` container (so new imputations of other variables are fed in with
`set_data`, without recompiling), a draw of the missing cells from the predictive distribution
given the parameters, and the parameters on the data's original scale.

Inside every model the target and the predictors are standardised once, by the mean and SD of
their observed values; priors are stated on that scale and results are transformed back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.blocking import DictToArrayBijection

from bayesmi.data import ImputationData

Point = dict[str, np.ndarray]

INTERCEPT_SD = 5.0
"""Prior SD of intercepts on the standardised scale."""
COEFFICIENT_SD = 2.5
"""Prior SD of regression coefficients on the standardised scale."""
SCALE_SD = 1.0
"""Prior SD of the half-normal priors on standard deviations (standardised scale)."""


@dataclass(frozen=True)
class Scaling:
    """Centre and scale of the target and the predictors, from their observed values."""

    y_center: float
    y_scale: float
    x_center: np.ndarray
    x_scale: np.ndarray

    @classmethod
    def from_data(
        cls,
        data: ImputationData,
        target: str,
        predictors: tuple[str, ...],
        standardise_target: bool = True,
    ) -> Scaling:
        """Compute the scaling from the observed values of each predictor (and the target)."""
        y_center, y_scale = data.observed_moments(target) if standardise_target else (0.0, 1.0)
        moments = np.array([data.observed_moments(name) for name in predictors]).reshape(-1, 2)
        return cls(y_center, y_scale, moments[:, 0], moments[:, 1])

    def x(self, values: np.ndarray) -> np.ndarray:
        """Standardise a predictor matrix."""
        return (values - self.x_center) / self.x_scale

    def subset(self, columns: list[int], target: bool = True) -> Scaling:
        """Return the scaling of some predictor columns (and of the target, or none)."""
        y_center, y_scale = (self.y_center, self.y_scale) if target else (0.0, 1.0)
        return Scaling(y_center, y_scale, self.x_center[columns], self.x_scale[columns])

    def coefficients(self, beta: np.ndarray) -> np.ndarray:
        """Coefficients on the original scale from standardised ones."""
        return self.y_scale * beta / self.x_scale

    def intercept(self, intercept: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """Return an intercept on the original scale from standardised estimates."""
        shift = np.sum(beta * self.x_center / self.x_scale, axis=-1)
        return self.y_center + self.y_scale * (intercept - shift)


@dataclass(frozen=True)
class GibbsSampler:
    """An exact Gibbs sampler of a model's parameters.

    Attributes
    ----------
    start : callable
        ``rng -> state``: a starting state.
    sweep : callable
        ``(state, rng) -> (state, acceptance)``: one sweep given the current predictors.
    """

    start: Callable[[np.random.Generator], Point]
    sweep: Callable[[Point, np.random.Generator], tuple[Point, float]]


@dataclass
class ConditionalModel:
    """A compiled conditional model for one incomplete variable.

    Attributes
    ----------
    target : str
        The variable the model imputes.
    predictors : tuple of str
        The columns of the predictor matrix the engine passes in, in order.
    model : pymc.Model
        The model; its likelihood uses the rows where the target is observed.
    observed : numpy.ndarray
        Boolean mask of the rows where the target is observed.
    likelihood_rows : numpy.ndarray
        Indices of the rows whose predictors the likelihood uses (the observed rows, or one
        row per observed cluster for a cluster-level model).
    parameter_dims : dict of str to tuple of str
        Dims of every parameter `parameters` returns, after ``chain`` and ``draw``.
    coords : dict of str to list
        Coordinates of those dims.
    gibbs : GibbsSampler or None
        An exact Gibbs sampler of the parameters given the current predictors, where the
        model has one; the engine then uses it instead of NUTS.
    """

    target: str
    predictors: tuple[str, ...]
    model: pm.Model
    observed: np.ndarray
    likelihood_rows: np.ndarray
    scaling: Scaling
    parameter_dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    _draw: Callable[[Point, np.ndarray, np.random.Generator], np.ndarray] = field(repr=False)
    _parameters: Callable[[Point], dict[str, np.ndarray]] = field(repr=False)
    gibbs: GibbsSampler | None = field(default=None, repr=False)
    _set_data: Callable[[np.ndarray], None] | None = field(default=None, repr=False)
    _logp_dlogp: object = field(default=None, repr=False)

    def logp_dlogp_function(self):
        """Return the model's compiled log density and gradient (for NUTS), compiled once."""
        if self._logp_dlogp is None:
            self._logp_dlogp = self.model.logp_dlogp_function(ravel_inputs=True)
            self._logp_dlogp.trust_input = True
        return self._logp_dlogp

    @property
    def data_name(self) -> str:
        """Name of the `pm.Data` container holding the standardised predictors."""
        return f"{self.target}::X"

    def set_predictors(self, predictors: np.ndarray) -> None:
        """Feed the current completed predictors (all rows, original scale) to the model."""
        if self._set_data is not None:
            self._set_data(self.scaling.x(predictors))
        elif self.predictors:
            values = self.scaling.x(predictors[self.likelihood_rows])
            pm.set_data({self.data_name: values}, model=self.model)

    def draw_missing(
        self, point: Point, predictors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw the missing cells from the predictive distribution, on the original scale.

        Parameters
        ----------
        point : dict
            Current values of the model's free variables (as NUTS holds them).
        predictors : numpy.ndarray
            Current completed predictors, all rows, original scale.
        rng : numpy.random.Generator
            Source of the predictive noise.

        Returns
        -------
        numpy.ndarray
            One value per missing row, in row order.
        """
        draws = self._draw(point, self.scaling.x(predictors), rng)
        return self.scaling.y_center + self.scaling.y_scale * draws

    def parameters(self, point: Point) -> dict[str, np.ndarray]:
        """Return the parameters on the original scale, keyed by `parameter_dims`' names."""
        return self._parameters(point)


@dataclass(frozen=True)
class Inputs:
    """What a factory needs from the data, standardised: observed rows, clusters, scaling."""

    target: str
    predictors: tuple[str, ...]
    observed: np.ndarray
    scaling: Scaling
    y: np.ndarray
    x: np.ndarray
    codes_observed: np.ndarray
    codes_missing: np.ndarray

    @classmethod
    def from_data(
        cls,
        data: ImputationData,
        target: str,
        predictors: tuple[str, ...],
        standardise_target: bool = True,
    ) -> Inputs:
        """Standardise the observed target and the starting predictors of the observed rows."""
        observed = ~data.missing[target]
        scaling = Scaling.from_data(data, target, predictors, standardise_target)
        return cls(
            target=target,
            predictors=predictors,
            observed=observed,
            scaling=scaling,
            y=(data.values(target)[observed] - scaling.y_center) / scaling.y_scale,
            x=scaling.x(predictor_values(data, predictors)[observed]),
            codes_observed=data.cluster_codes[observed],
            codes_missing=data.cluster_codes[~observed],
        )


def new_model(data: ImputationData, target: str, predictors: tuple[str, ...]) -> pm.Model:
    """Return an empty `pm.Model` with the ``cluster`` and predictor coordinates."""
    return pm.Model(
        coords={
            "cluster": list(data.cluster_labels),
            f"{target}::predictor": list(predictors),
        }
    )


def linear_predictor(
    target: str, predictors: tuple[str, ...], x_observed: np.ndarray
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


def predictor_values(data: ImputationData, predictors: tuple[str, ...]) -> np.ndarray:
    """Predictor matrix with missing cells at the observed mean (a start before imputation)."""
    columns = []
    for name in predictors:
        values = data.predictor(name)
        values[np.isnan(values)] = data.observed_moments(name)[0]
        columns.append(values)
    return np.column_stack(columns) if columns else np.empty((data.frame.shape[0], 0))


def point_beta(point: Point, target: str, n_predictors: int) -> np.ndarray:
    """Return the standardised coefficients in a point (empty without predictors)."""
    return point[f"{target}::beta_std"] if n_predictors else np.zeros(0)


def linear_part(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x @ beta`` that also works with no predictors."""
    return x @ beta if beta.size else np.zeros(x.shape[0])


def jittered_start(model: pm.Model, rng: np.random.Generator) -> Point:
    """Return the initial point plus uniform(-1, 1) jitter, as PyMC's ``jitter+adapt_diag``."""
    start = model.initial_point()
    mapped = DictToArrayBijection.map(start)
    jittered = mapped.data + rng.uniform(-1.0, 1.0, size=mapped.data.size)
    return DictToArrayBijection.rmap(mapped._replace(data=jittered), start)


def point_function(model: pm.Model, outputs: list):
    """Compile once the map from a NUTS point to the quantities the draws need."""
    return model.compile_fn(
        model.replace_rvs_by_values(outputs), inputs=model.value_vars, point_fn=True
    )


def random_effects(target: str, q: int) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Non-centred cluster effects (J, q), intercept first, and the Cholesky factor of T."""
    if q == 1:
        tau = pm.HalfNormal(f"{target}::tau_std", SCALE_SD)
        eta = pm.Normal(f"{target}::eta", 0.0, 1.0, dims="cluster")
        return (tau * eta)[:, None], tau.reshape((1, 1))
    chol, _, _ = pm.LKJCholeskyCov(
        f"{target}::re_chol",
        n=q,
        eta=2.0,
        sd_dist=pm.HalfNormal.dist(SCALE_SD),
        compute_corr=True,
        store_in_trace=False,
    )
    eta = pm.Normal(f"{target}::eta", 0.0, 1.0, dims=("cluster", f"{target}::re"))
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
    effects: np.ndarray, chol: np.ndarray, scaling: Scaling, slope_index: list[int]
) -> dict[str, np.ndarray]:
    """Cluster effects and their SDs (and correlations) on the data's scale.

    An effect vector b for standardised slope variables is ``A b`` on the data's scale, ``A``
    undoing the centring and scaling of x and y, so the covariance is ``A L L' A'``.
    """
    q = effects.shape[1]
    transform = np.eye(q) * scaling.y_scale
    for k, column in enumerate(slope_index, start=1):
        transform[k, k] = scaling.y_scale / scaling.x_scale[column]
        transform[0, k] = -scaling.y_scale * scaling.x_center[column] / scaling.x_scale[column]
    u = effects @ transform.T
    covariance = transform @ chol @ chol.T @ transform.T
    sd = np.sqrt(np.diag(covariance))
    if q == 1:
        return {"tau": np.asarray(sd[0]), "u": u[:, 0]}
    return {"re_sd": sd, "re_corr": covariance / np.outer(sd, sd), "u": u}


def random_effect_dims(target: str, q: int) -> dict[str, tuple[str, ...]]:
    """Return the dims of the random-effect parameters `effects_on_data_scale` returns."""
    if q == 1:
        return {"tau": (), "u": ("cluster",)}
    re, re_bis = f"{target}::re", f"{target}::re_bis"
    return {"re_sd": (re,), "re_corr": (re, re_bis), "u": ("cluster", re)}
