"""Convergence checks of an imputation run: divergences, tree depth, R-hat and ESS of chain means.

mice judges convergence from the chain means of the imputed values per iteration; bayesmi
computes the rank-normalised split R-hat (`bayesmi.diagnostics.kernels`) of those chain means over
the second half of every chain's iterations, burn-in included, and counts NUTS divergences
after tuning. Trouble is reported as a `ConvergenceWarning` with the numbers.

A run is flagged when R-hat exceeds 1.05 *and* the value that R-hat of independent draws stays
below in 99% of cases with the same number of chains and iterations; from windows of about 40
iterations on, 1.05 is the larger of the two.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np

from bayesmi.diagnostics.kernels import RHAT_THRESHOLD, rank_rhat, rhat_noise_bound, rhat_window
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import iteration_trace, run_spec

__all__ = [
    "ESS_THRESHOLD",
    "ConvergenceWarning",
    "chain_mean_rhat",
    "chain_summaries",
    "warn_convergence",
]


class ConvergenceWarning(UserWarning):
    """Sampler trouble in an imputation run: divergences or R-hat above the threshold."""


@reads_result
def chain_mean_rhat(idata: az.InferenceData) -> dict[str, float]:
    """R-hat of the chain means of each variable's imputed cells, over the last half.

    For a categorical or ordinal variable, the largest R-hat of its categories' shares.

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
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> bool(bm.chain_mean_rhat(idata)["popular"] < 1.2)
    True
    """
    values = {}
    for name in run_spec(idata):
        rhats = []
        for trace in chain_summaries(idata, name):
            first, split = rhat_window(trace.shape[1])
            window = trace[:, first:]
            if window.shape[0] < 2 or window.shape[1] < 2:
                rhats.append(float("nan"))
            else:
                rhats.append(float(rank_rhat(window, split)))
        values[name] = max(rhats) if not np.isnan(rhats).any() else float("nan")
    return values


def chain_summaries(idata: az.InferenceData, name: str) -> list[np.ndarray]:
    """Return the (chain, iteration) traces convergence is judged on for one variable.

    The mean of the imputed cells; for a categorical or ordinal variable the share of each
    category instead (a mean of category codes means nothing).
    """
    if f"{name}::missing_share" in idata.posterior:
        shares = iteration_trace(idata, f"{name}::missing_share")
        return [shares[:, :, k] for k in range(shares.shape[2])]
    return [iteration_trace(idata, f"{name}::missing_mean")]


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
        traces = [trace[:, first:] for trace in chain_summaries(idata, name)]
        if any(np.isnan(trace).all() for trace in traces):
            continue  # no missing cell (an analysis outcome observed throughout)
        value = min(float(az.ess(trace)) for trace in traces)
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
    spec = run_spec(idata)
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
