"""Convergence checks of an imputation run: divergences and R-hat of chain means.

mice judges convergence from the chain means of the imputed values per iteration; bayesmi
computes the rank-normalised split R-hat (Vehtari et al. 2021, as `arviz.rhat`) of those chain
means over the second half of every chain's iterations, burn-in included, and counts NUTS
divergences after tuning. Trouble is reported as a `ConvergenceWarning` with the numbers.

Imputation runs are short (mice's default is 5 iterations), and R-hat from a few iterations is
noisy: with 5 chains of 5 independent draws it exceeds 1.05 in about 60% of cases. So a run is
flagged when R-hat exceeds 1.05 *and* the value that R-hat of independent draws stays below in
99% of cases with the same number of chains and iterations (simulated once, with a fixed seed);
from windows of about 40 iterations on, 1.05 is the larger of the two.

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Buerkner, P.-C. (2021). Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC. Bayesian
Analysis, 16(2), 667-718.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtri
from scipy.stats import rankdata

from bayesmi.spec import spec_from_json

__all__ = ["ConvergenceWarning", "chain_mean_rhat", "ess", "rhat", "summary"]

RHAT_THRESHOLD = 1.05
_MIN_WINDOW = 4
_NULL_RUNS = 4000


def rank_rhat(values: np.ndarray, split: bool = True) -> np.ndarray:
    """Rank-normalised split R-hat over the last two axes (chain, draw) of `values`.

    With ``split=False`` the chains are not split in halves (for windows too short to split).

    The same number as `arviz.rhat` (method ``"rank"``) for a (chain, draw) array, computed
    for a whole batch of such arrays at once.
    """
    chains = _split_chains(values) if split else values
    bulk = _classic_rhat(_z_scale(chains))
    median = np.median(chains.reshape(*chains.shape[:-2], -1), axis=-1)[..., None, None]
    tail = _classic_rhat(_z_scale(np.abs(chains - median)))
    return np.maximum(bulk, tail)


def _split_chains(values: np.ndarray) -> np.ndarray:
    half = values.shape[-1] // 2
    return np.concatenate([values[..., :half], values[..., -half:]], axis=-2)


def _z_scale(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(*values.shape[:-2], -1)
    ranks = rankdata(flat, axis=-1, method="average")
    return ndtri((ranks - 0.375) / (flat.shape[-1] + 0.25)).reshape(values.shape)


def _classic_rhat(values: np.ndarray) -> np.ndarray:
    n = values.shape[-1]
    between = n * values.mean(axis=-1).var(axis=-1, ddof=1)
    within = values.var(axis=-1, ddof=1).mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):  # constant traces: NaN, as ArviZ
        return np.sqrt((between / within + n - 1) / n)


class ConvergenceWarning(UserWarning):
    """Sampler trouble in an imputation run: divergences or R-hat above the threshold."""


def iteration_trace(idata: az.InferenceData, name: str, group: str = "posterior") -> np.ndarray:
    """Return a (chain, iteration) trace from `group` and its warmup group, burn-in first."""
    parts = [
        idata[part][name].to_numpy()
        for part in (f"warmup_{group}", group)
        if part in idata.groups() and name in idata[part]
    ]
    return np.concatenate(parts, axis=1)


def iteration_dataset(idata: az.InferenceData, names: list[str]) -> xr.Dataset:
    """Return the named posterior variables over every iteration, burn-in first, as a Dataset."""
    variables, coords = {}, {}
    for name in names:
        dims = idata.posterior[name].dims
        variables[name] = xr.DataArray(iteration_trace(idata, name), dims=dims)
        coords |= {dim: idata.posterior[dim].to_numpy() for dim in dims[2:]}
    return xr.Dataset(variables).assign_coords(coords)


def summary_variables(idata: az.InferenceData) -> list[str]:
    """Return the quantities the convergence summary covers.

    Every imputed variable's chain mean and SD of its imputed cells and its parameters,
    except those with one value per cluster (random effects, cluster SDs and correlations).
    """
    names = []
    for name in spec_from_json(idata.attrs["spec"]):
        names += [f"{name}::missing_mean", f"{name}::missing_sd"]
        for key, values in idata.posterior.data_vars.items():
            prefix, _, parameter = key.partition("::")
            if prefix != name or parameter.startswith("missing") or "cluster" in values.dims:
                continue
            names.append(key)
    return names


def summary(idata: az.InferenceData, var_names: list[str] | None = None, **kwargs) -> pd.DataFrame:
    """ArviZ's summary of the parameters and the chain means of the imputed cells.

    Computed over the second half of every chain's iterations, burn-in included (the window
    `chain_mean_rhat` uses), so that a short imputation run is judged as mice users judge
    its trace plots.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    var_names : list of str, optional
        Quantities such as ``["popular::beta", "popular::missing_mean"]``; default
        `summary_variables`.
    **kwargs
        Passed to `arviz.summary` (e.g. ``hdi_prob=0.9``).

    Returns
    -------
    pandas.DataFrame
        One row per scalar quantity: mean, sd, HDI, MCSE, ``ess_bulk``, ``ess_tail``,
        ``r_hat``.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=3, iterations=8, tune=50,
    ...                   seed=1, progressbar=False)
    >>> table = bm.summary(idata)
    >>> table.index[0], "r_hat" in table
    ('popular::missing_mean', True)
    """
    names = summary_variables(idata) if var_names is None else list(var_names)
    window = iteration_dataset(idata, names)
    window = window.isel(draw=slice(window.sizes["draw"] // 2, None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains: ArviZ's own caveat
        return az.summary(window, var_names=names, **kwargs)


def rhat(idata: az.InferenceData) -> pd.Series:
    """Rank-normalised split R-hat of the parameters and of the chain means of imputed cells.

    The ``r_hat`` column of `summary` (same window), one value per scalar quantity.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=3, iterations=8, tune=50,
    ...                   seed=1, progressbar=False)
    >>> bool(bm.rhat(idata)["popular::missing_mean"] < 1.5)
    True
    """
    return summary(idata, kind="diagnostics")["r_hat"]


def ess(idata: az.InferenceData) -> pd.Series:
    """Bulk effective sample size of the parameters and the chain means of imputed cells.

    The ``ess_bulk`` column of `summary` (same window), one value per scalar quantity.
    """
    return summary(idata, kind="diagnostics")["ess_bulk"]


def chain_mean_rhat(idata: az.InferenceData) -> dict[str, float]:
    """R-hat of the chain means of each variable's imputed cells, over the last half.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.

    Returns
    -------
    dict of str to float
        R-hat per imputed variable, over the second half of the iterations (split chains);
        in runs shorter than 8 iterations over all of them, without splitting (an
        over-dispersed start then still shows); NaN with fewer than 2 chains or iterations.

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
        trace = iteration_trace(idata, f"{name}::missing_mean")
        first, split = rhat_window(trace.shape[1])
        window = trace[:, first:]
        if window.shape[0] < 2 or window.shape[1] < 2:
            values[name] = float("nan")
            continue
        values[name] = float(rank_rhat(window, split))
    return values


def rhat_window(iterations: int) -> tuple[int, bool]:
    """Return the first iteration R-hat uses and whether it splits the chains.

    The second half, split, when it has at least 4 iterations; otherwise every iteration,
    unsplit.
    """
    if iterations - iterations // 2 >= _MIN_WINDOW:
        return iterations // 2, True
    return 0, False


@lru_cache(maxsize=64)
def rhat_noise_bound(chains: int, draws: int, split: bool = True) -> float:
    """Return the 99% quantile of R-hat of independent normal draws of this shape.

    R-hat above this bound is unlikely (1%) when the chains have in fact mixed.
    """
    rng = np.random.default_rng(20261125)
    values = rank_rhat(rng.standard_normal((_NULL_RUNS, chains, draws)), split)
    return float(np.quantile(values, 0.99))


ESS_THRESHOLD = 100
"""Chain means with an effective sample size below this get a warning (long runs only)."""


def _warn_low_ess(idata: az.InferenceData, spec: dict, chains: int, iterations: int) -> None:
    """Warn when the chain means of imputed cells have ESS < 100 over the R-hat window.

    Checked only when the window holds at least 100 draws (chains x iterations): shorter runs
    cannot reach 100 even with independent draws, and R-hat's noise bound judges them.
    """
    first, _ = rhat_window(iterations)
    window = iterations - first
    if chains * window < ESS_THRESHOLD:
        return
    for name in spec:
        trace = iteration_trace(idata, f"{name}::missing_mean")[:, first:]
        value = float(az.ess(trace))
        if value < ESS_THRESHOLD:
            warnings.warn(
                f"{name!r}: effective sample size of the chain means of the imputed values is "
                f"{value:.0f} from {chains * window} iterations ({chains} chains x {window}), "
                f"below {ESS_THRESHOLD}: the chains are strongly autocorrelated. Run more "
                "iterations, or more chains.",
                ConvergenceWarning,
                stacklevel=4,
            )


def warn_convergence(idata: az.InferenceData) -> None:
    """Warn about sampler trouble, with the numbers.

    Divergences and maximum tree depth hits after tuning, R-hat of chain means above 1.05 and
    its noise bound and, in long runs, ESS of the chain means below 100.
    """
    spec = spec_from_json(idata.attrs["spec"])
    joint = idata.attrs.get("engine") == "joint"
    for name in list(spec)[:1] if joint else spec:  # one sampler for all in the joint model
        label = "the joint model" if joint else repr(name)
        divergences = int(iteration_trace(idata, f"{name}::divergences", "sample_stats").sum())
        if divergences:
            transitions = idata.attrs["steps"] * idata.attrs["iterations"]
            total = transitions * idata.posterior.sizes["chain"]
            warnings.warn(
                f"{label}: {divergences} divergent NUTS transitions after tuning (of {total}, "
                f"{transitions} per chain); the imputations may be biased. Raise "
                f"target_accept (now {idata.attrs['target_accept']}) or tune.",
                ConvergenceWarning,
                stacklevel=3,
            )
        hits = int(iteration_trace(idata, f"{name}::max_treedepth_hits", "sample_stats").sum())
        if hits:
            warnings.warn(
                f"{label}: {hits} NUTS transitions stopped at the maximum tree depth; the "
                "sampler explores the posterior slowly there (strong correlations or a funnel), "
                "so run more iterations and check R-hat and the trace plots.",
                ConvergenceWarning,
                stacklevel=3,
            )
    chains, iterations = idata.posterior.sizes["chain"], idata.attrs["iterations"]
    _warn_low_ess(idata, spec, chains, iterations)
    first, split = rhat_window(iterations)
    window = iterations - first
    span = f"the second half of {iterations}" if split else "the whole run, unsplit"
    for name, rhat in chain_mean_rhat(idata).items():
        if np.isnan(rhat) or rhat <= RHAT_THRESHOLD:
            continue
        bound = rhat_noise_bound(chains, window, split)
        if rhat > bound:
            warnings.warn(
                f"{name!r}: R-hat of the chain means of the imputed values is {rhat:.3f}, above "
                f"{RHAT_THRESHOLD} and above {bound:.3f}, which R-hat of well-mixed chains "
                f"stays below in 99% of runs with {chains} chains of {window} iterations ({span}); "
                "the chains have not mixed. Run more iterations "
                "and look at the traces of the chain means.",
                ConvergenceWarning,
                stacklevel=3,
            )
