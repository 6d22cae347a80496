"""Convergence checks of an imputation run: divergences and R-hat of chain means.

mice judges convergence from the chain means of the imputed values per iteration; bayesmi
computes the rank-normalised split R-hat (Vehtari et al. 2021, as `arviz.rhat`) of those chain
means over the second half of every chain's iterations, burn-in included, and counts NUTS
divergences after tuning. Trouble is reported as a `ConvergenceWarning` with the numbers.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import xarray as xr

from bayesmi.spec import spec_from_json

__all__ = ["ConvergenceWarning", "chain_mean_rhat"]

RHAT_THRESHOLD = 1.05
_MIN_WINDOW = 4


class ConvergenceWarning(UserWarning):
    """Sampler trouble in an imputation run: divergences or R-hat above the threshold."""


def _iterations(idata: az.InferenceData, name: str, group: str = "posterior") -> np.ndarray:
    """Return a (chain, iteration) trace from `group` and its warmup group, burn-in first."""
    parts = [
        idata[part][name].to_numpy()
        for part in (f"warmup_{group}", group)
        if part in idata.groups() and name in idata[part]
    ]
    return np.concatenate(parts, axis=1)


def chain_mean_rhat(idata: az.InferenceData) -> dict[str, float]:
    """R-hat of the chain means of each variable's imputed cells, over the last half.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.

    Returns
    -------
    dict of str to float
        R-hat per imputed variable; NaN when there are fewer than 2 chains or fewer than 4
        iterations in the second half of the run.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=2, iterations=8, tune=50,
    ...                   seed=4, progressbar=False)
    >>> bool(bm.chain_mean_rhat(idata)["popular"] < 1.2)
    True
    """
    values = {}
    for name in spec_from_json(idata.attrs["spec"]):
        trace = _iterations(idata, f"{name}::missing_mean")
        window = trace[:, trace.shape[1] // 2 :]
        if window.shape[0] < 2 or window.shape[1] < _MIN_WINDOW:
            values[name] = float("nan")
            continue
        values[name] = float(az.rhat(xr.DataArray(window, dims=("chain", "draw"))))
    return values


def warn_convergence(idata: az.InferenceData) -> None:
    """Warn about divergences after tuning and R-hat of chain means above 1.05."""
    spec = spec_from_json(idata.attrs["spec"])
    for name in spec:
        divergences = int(_iterations(idata, f"{name}::divergences", "sample_stats").sum())
        if divergences:
            transitions = idata.attrs["steps"] * idata.attrs["iterations"]
            total = transitions * idata.posterior.sizes["chain"]
            warnings.warn(
                f"{name!r}: {divergences} divergent NUTS transitions after tuning (of {total}, "
                f"{transitions} per chain); the imputations may be biased. Raise "
                f"target_accept (now {idata.attrs['target_accept']}) or tune.",
                ConvergenceWarning,
                stacklevel=3,
            )
    for name, rhat in chain_mean_rhat(idata).items():
        if rhat > RHAT_THRESHOLD:
            warnings.warn(
                f"{name!r}: R-hat of the chain means of the imputed values is {rhat:.3f} "
                f"(threshold {RHAT_THRESHOLD}) over the second half of "
                f"{idata.attrs['iterations']} iterations; the chains have not mixed. Run more "
                "iterations and look at the traces of the chain means.",
                ConvergenceWarning,
                stacklevel=3,
            )
