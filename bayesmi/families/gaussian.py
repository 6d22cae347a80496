r"""The gaussian family: a continuous target, normal given its linear predictor.

On the standardised scale :math:`y \sim N(\eta, \sigma^2)`, :math:`\sigma \sim
\text{HalfNormal}(1)` (or one SD per cluster, set by the heteroscedastic model). Its mixed
models have exact Gibbs samplers (pan's and 2l.norm's: `bayesmi.gibbs.RandomInterceptGibbs`,
`bayesmi.gibbs.RandomSlopesGibbs`), and so has its Heckman selection model
(`bayesmi.gibbs.SelectionGibbs`). A delta shifts the imputed values themselves; predictive mean
matching imputes observed values.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesmi.families.base import Family, KernelInputs, ParameterScaling
from bayesmi.gibbs import LinearGibbs, RandomInterceptGibbs, RandomSlopesGibbs, SelectionGibbs
from bayesmi.priors import SCALE_SD

__all__ = ["Gaussian"]


class Gaussian(Family):
    """A continuous target: normal given its linear predictor, on the standardised scale."""

    name: ClassVar[str] = "gaussian"
    values: ClassVar[str] = "numbers"
    standardised: ClassVar[bool] = True
    matching: ClassVar[bool] = True
    shifts_linear_predictor: ClassVar[bool] = False
    takes_other_factors: ClassVar[bool] = True
    selection_kernel: ClassVar[type] = SelectionGibbs

    def likelihood(self, target, eta, y, *, n_categories=0, dims=None, sigma=None):
        """Add ``sigma`` (unless given per row) and the normal likelihood of `y`."""
        quantities = {}
        if sigma is None:
            sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
            quantities["sigma"] = sigma
        return quantities, pm.Normal(f"{target}::y", eta, sigma, observed=y, dims=dims)

    def autoregressive_likelihood(self, target, eta, y, previous, gap, *, dims=None, sigma=None):
        """Add ``sigma`` (unless given per row), ``phi`` and the AR(1) likelihood of `y`.

        Each row conditions on the row at its `previous` position (-1: the person's first)
        `gap` time units earlier (`bayesmi.gibbs.autoregressive`):
        ``y_k ~ N(eta_k + rho_k (y_p - eta_p), sigma^2 (1 - rho_k^2))``, ``rho_k = phi^gap``
        (``sigma`` the person's where given per row: the heteroscedastic model).
        """
        quantities = {}
        if sigma is None:
            sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
            quantities["sigma"] = sigma
        phi = pm.Uniform(f"{target}::phi", 0.0, 1.0)
        first = previous < 0
        rho = pt.switch(first, 0.0, phi ** np.where(first, 1.0, gap))
        before = np.maximum(previous, 0)
        mean = eta + rho * (y[before] - eta[before])
        values = pm.Normal(
            f"{target}::y", mean, sigma * pt.sqrt(1.0 - rho**2), observed=y, dims=dims
        )
        return quantities | {"phi": phi}, values

    def draw(self, eta: np.ndarray, quantities: dict, rng: np.random.Generator) -> np.ndarray:
        """Draw ``eta + sigma e`` (``sigma`` one SD, or one per row)."""
        return eta + quantities["sigma"] * rng.standard_normal(eta.shape[0])

    def working_model(self, eta, y, quantities, rng):
        """Return the target itself and ``1 / sigma^2``: normal already (`eta` not needed)."""
        sigma = np.asarray(quantities["sigma"], dtype=float)
        return y, np.broadcast_to(1.0 / sigma**2, y.shape)

    def row_log_likelihood(self, eta: np.ndarray, y: np.ndarray, quantities: dict) -> np.ndarray:
        """Return the normal log density of each row, up to the constant."""
        sigma = quantities["sigma"]
        return -0.5 * ((y - eta) / sigma) ** 2 - np.log(sigma)

    def parameter_dims(self, target: str) -> dict[str, tuple[str, ...]]:
        """``sigma``: the residual SD."""
        return {"sigma": ()}

    def dispersion(self, current: dict, scaling: ParameterScaling) -> dict[str, np.ndarray]:
        """Return ``sigma`` (one, or one per cluster) on the data's scale."""
        return {"sigma": np.asarray(scaling.y_scale * current["sigma"])}

    def linear_kernel(
        self, target: str, intercept: str, y: np.ndarray, intercepts: np.ndarray
    ) -> LinearGibbs:
        """Return `bayesmi.gibbs.LinearGibbs`: the normal linear regression's sweep."""
        return LinearGibbs(target, intercept, y, intercepts)

    def gibbs_kernel(self, inputs: KernelInputs) -> tuple[object, object]:
        """Return pan's random-intercept sweep, or the random-slopes (and 2l.norm) one."""
        if not inputs.cluster_variance and not inputs.slopes and not inputs.other_factors:
            kernel = RandomInterceptGibbs(
                inputs.target, inputs.y, inputs.codes, inputs.n_clusters, inputs.n_predictors
            )
        else:
            kernel = RandomSlopesGibbs(
                inputs.y, inputs.codes, inputs.n_clusters, inputs.slopes, inputs.cluster_variance
            )
        return kernel, partial(np.copyto, inputs.y)

    def selection_likelihood(self, target, y, mu, eta, rho):
        """Add ``sigma``; return the density of `y` times the probability of being observed."""
        sigma = pm.HalfNormal(f"{target}::sigma_std", SCALE_SD)
        residual = (y - mu) / sigma
        observed = pm.logp(pm.Normal.dist(mu, sigma), y) + pm.logcdf(
            pm.Normal.dist(0.0, 1.0), (eta + rho * residual) / pt.sqrt(1 - rho**2)
        )
        return {"sigma": sigma}, observed

    def selection_draw(self, mean: np.ndarray, noise: np.ndarray, quantities: dict) -> np.ndarray:
        """Return ``mean + sigma noise``."""
        return mean + float(quantities["sigma"]) * noise
