"""Pooling a Bayesian analysis by mixing its posterior draws over the imputations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayesmi.pooling.rubin import as_fits

__all__ = ["PooledDraws", "pool_draws"]


class PooledDraws(NamedTuple):
    """The mixed posterior of a Bayesian analysis over all imputations.

    Attributes
    ----------
    idata : arviz.InferenceData
        Posterior draws of every imputation, chains renumbered across imputations, with an
        ``imputation`` coordinate on ``chain``.
    summary : pandas.DataFrame
        `arviz.summary` of the mixed draws (statistics only: chains of different imputations
        target different posteriors, so R-hat across them is not a convergence check).
    """

    idata: az.InferenceData
    summary: pd.DataFrame


def pool_draws(fits: Sequence, var_names: Sequence[str] | None = None) -> PooledDraws:
    """Pool a Bayesian analysis by mixing its posterior draws over the imputations.

    With an equal number of draws per imputation, the mixture of the m posteriors approximates
    the posterior given the observed data (Zhou and Reiter 2010), so no Rubin's rules are
    needed. Use many imputations (m of 50 or more is advised for the tails).

    Parameters
    ----------
    fits : list
        One fit per imputation whose analysis returned an `arviz.InferenceData` with a
        ``posterior`` group (e.g. from ``pm.sample``).
    var_names : list of str, optional
        Variables to keep; default all.

    Returns
    -------
    PooledDraws
        ``idata`` with the mixed posterior and its ``summary``.

    Raises
    ------
    ValueError
        When a fit has no posterior, or the posteriors differ in variables or draws.

    References
    ----------
    Zhou, X. and Reiter, J. P. (2010). A note on Bayesian inference after multiple imputation.
    The American Statistician, 64(2), 159-163.

    Examples
    --------
    >>> import arviz as az
    >>> rng = np.random.default_rng(0)
    >>> fits = [az.from_dict(posterior={"mu": rng.normal(k, 1, (2, 100))}) for k in range(3)]
    >>> pooled = bm.pool_draws(fits)
    >>> pooled.idata.posterior.sizes["chain"], round(float(pooled.summary.loc["mu", "mean"]))
    (6, 1)
    """
    fits = as_fits(fits)
    posteriors = []
    for fit in fits:
        if fit.posterior is None or "posterior" not in fit.posterior.groups():
            raise ValueError(
                f"imputation {fit.imputation}: the analysis returned no posterior draws; return "
                "an arviz.InferenceData (e.g. from pm.sample) to pool draws."
            )
        posterior = fit.posterior.posterior
        posteriors.append(posterior if var_names is None else posterior[list(var_names)])
    first = posteriors[0]
    for fit, posterior in zip(fits, posteriors, strict=True):
        if set(posterior.data_vars) != set(first.data_vars) or posterior.sizes != first.sizes:
            raise ValueError(
                f"imputation {fit.imputation}: its posterior has variables "
                f"{sorted(posterior.data_vars)} and sizes {dict(posterior.sizes)}, imputation "
                f"{fits[0].imputation} has {sorted(first.data_vars)} and {dict(first.sizes)}; "
                "sample the same model with the same draws on every dataset."
            )
    chains = first.sizes["chain"]
    mixed = xr.concat(
        [p.assign_coords(chain=np.arange(chains) + k * chains) for k, p in enumerate(posteriors)],
        dim="chain",
    )
    imputation = np.repeat([fit.imputation for fit in fits], chains)
    mixed = mixed.assign_coords(imputation=("chain", imputation))
    idata = az.InferenceData(posterior=mixed)
    return PooledDraws(idata, az.summary(idata, kind="stats"))
