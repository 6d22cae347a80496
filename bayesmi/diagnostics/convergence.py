"""Convergence checks of an imputation run: divergences, tree depth, R-hat and ESS.

mice judges convergence from the chain means of the imputed values per iteration; bayesmi
computes the rank-normalised split R-hat (`bayesmi.diagnostics.kernels`) of those chain means over
the second half of every chain's iterations, burn-in included, the same R-hat and the bulk ESS
of every parameter of the imputation models, and counts NUTS divergences after tuning. Trouble
is reported as a `ConvergenceWarning` with the numbers, the worst quantity named.

The thresholds are calibrated so that well-mixed chains of short runs do not warn, whatever
the noise of R-hat and ESS from few iterations:

- R-hat: a chain mean above 1.05, a parameter above 1.1, and either only above the value the
  largest R-hat of as many quantities as the run has (chain means and parameters) stays below
  in 99% of runs of well-mixed chains with the same number of chains and iterations and the
  lag-1 autocorrelation the quantity's chains show (`kernels.bound_autocorrelation`): 1.17
  for 11 quantities of 10 chains of 10 independent draws, 1.27 for autocorrelation 0.2;
  about 1.03 with 50 iterations, where 1.05 and 1.1 rule. A well-mixed run warns in about
  1% of seeds;
- ESS of chain means and parameters: below 100 and below half the draws of the window
  (independent draws give an ESS near their number: 100 draws rarely fall under 80).
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
from arviz.labels import BaseLabeller
from arviz.sel_utils import xarray_var_iter

from bayesmi.diagnostics.kernels import (
    RHAT_THRESHOLD,
    bound_autocorrelation,
    bulk_ess,
    rank_rhat,
    rhat_noise_bound,
    rhat_window,
    trace_rhat,
)
from bayesmi.diagnostics.summary import structural_labels, summary_variables
from bayesmi.messages import warn
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import iteration_dataset, iteration_trace, run_spec

__all__ = [
    "ESS_THRESHOLD",
    "PARAMETER_RHAT",
    "ConvergenceWarning",
    "chain_mean_rhat",
    "chain_summaries",
    "ess_threshold",
    "rhat_limits",
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
            rhats.append(trace_rhat(trace))
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


def _judged_windows(idata: az.InferenceData, name: str, first: int) -> list[np.ndarray] | None:
    """Return a variable's `chain_summaries` from iteration `first` on, the window judged.

    None when the variable has no missing cell (an analysis outcome observed throughout).
    """
    windows = [trace[:, first:] for trace in chain_summaries(idata, name)]
    return None if any(np.isnan(window).all() for window in windows) else windows


ESS_THRESHOLD = 100
"""An ESS below this, and below half the draws of the window, gets a warning."""

PARAMETER_RHAT = 1.1
"""Parameters with an R-hat above this (and above the noise bound) get a warning."""


def ess_threshold(draws: int) -> float:
    """Return the ESS a quantity warns below, from `draws` draws in the window.

    100, or half the draws when fewer than 200: independent draws give an ESS near their
    number (of 100 independent normal draws, 10 chains x 10, ArviZ's bulk ESS falls under
    83 in 1% of cases), so a bound at the number of draws would flag well-mixed chains; half
    of it flags an autocorrelation time above 2. Runs of fewer than 100 draws are judged by
    R-hat alone.
    """
    return float("nan") if draws < ESS_THRESHOLD else min(ESS_THRESHOLD, draws / 2)


def _warn_low_ess(idata: az.InferenceData, spec: dict, chains: int, iterations: int) -> None:
    """Warn when the chain means of imputed cells have a low ESS over the R-hat window."""
    first, _ = rhat_window(iterations)
    window = iterations - first
    bound = ess_threshold(chains * window)
    if np.isnan(bound):
        return
    for name in spec:
        traces = _judged_windows(idata, name, first)
        if traces is None:
            continue
        value = min(float(bulk_ess(trace)) for trace in traces)
        if value < bound:
            warn(
                f"{name!r}: effective sample size of the chain means of the imputed values is "
                f"{value:.0f} from {chains * window} iterations ({chains} chains x {window}), "
                f"below {bound:.0f}: the chains are strongly autocorrelated. Run more "
                "iterations, or more chains.",
                ConvergenceWarning,
            )


def _parameter_diagnostics(idata: az.InferenceData) -> pd.DataFrame:
    """Return R-hat, bulk ESS and the noise bound's autocorrelation of every parameter.

    Over the window `summary` uses, labelled as it labels: the numbers of
    ``summary(kind="diagnostics")`` (`bulk_ess` and `rank_rhat`, for all scalars at once),
    without its other statistics and its xarray plumbing (most of a short run's diagnostics
    time).
    Structural constants (a correlation matrix's diagonal and repeats) are left out.
    """
    names = [name for name in summary_variables(idata) if "::missing" not in name]
    if not names:
        return pd.DataFrame({"r_hat": [], "ess_bulk": [], "autocorrelation": []})
    window = iteration_dataset(idata, names)
    window = window.isel(draw=slice(window.sizes["draw"] // 2, None))
    labeller = BaseLabeller()
    labels, cells = [], []
    for name, selection, positions, values in xarray_var_iter(
        window, var_names=names, skip_dims={"chain", "draw"}
    ):
        labels.append(labeller.make_label_flat(name, selection, positions))
        cells.append(values)
    values = np.stack(cells)  # (scalars, chain, draw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant (a fixed rho): NaN R-hat
        ess_bulk = bulk_ess(values)
        chains, draws = values.shape[1:]
        r_hat = rank_rhat(values) if chains >= 2 and draws >= 4 else np.full(len(cells), np.nan)
    table = pd.DataFrame(
        {"r_hat": r_hat, "ess_bulk": ess_bulk, "autocorrelation": bound_autocorrelation(values)},
        index=labels,
    )
    return table.drop(index=structural_labels(window), errors="ignore")


def _rhat_table(idata: az.InferenceData, parameters: pd.DataFrame) -> pd.DataFrame:
    """Every R-hat a run is judged on, with its limit: one row per chain mean and parameter.

    Columns ``r_hat``, ``autocorrelation`` (that `rhat_noise_bound` allows), ``bound`` (the
    family-wise noise bound), ``limit`` (1.05 for chain means, 1.1 for parameters, or the bound
    when larger) and ``kind`` (``"chain mean"`` or ``"parameter"``). Chain means are indexed by
    variable; a categorical or ordinal variable's by its category share with the largest R-hat
    over its limit.
    """
    chains, iterations = idata.posterior.sizes["chain"], idata.attrs["iterations"]
    first, split = rhat_window(iterations)
    rows = {}
    for name in run_spec(idata):
        windows = _judged_windows(idata, name, first)
        if windows is None:
            continue
        shares = [
            (float(rank_rhat(window, split)), float(bound_autocorrelation(window)))
            for window in windows
        ]
        rows[name] = shares
    parameter_rhats = parameters["r_hat"].dropna()
    count = len(parameter_rhats) + sum(len(shares) for shares in rows.values())
    window = iterations - first

    def limit(threshold: float, autocorrelation: float) -> tuple[float, float]:
        bound = rhat_noise_bound(chains, window, split, count, autocorrelation)
        return bound, max(threshold, bound)

    table = []
    for name, shares in rows.items():
        judged = [(rhat, rho, *limit(RHAT_THRESHOLD, rho)) for rhat, rho in shares]
        rhat, rho, bound, top = max(judged, key=lambda row: row[0] / row[3])
        table.append((name, rhat, rho, bound, top, "chain mean"))
    for label, rhat in parameter_rhats.items():
        rho = float(parameters.loc[label, "autocorrelation"])
        table.append((label, rhat, rho, *limit(PARAMETER_RHAT, rho), "parameter"))
    return pd.DataFrame(
        table, columns=["quantity", "r_hat", "autocorrelation", "bound", "limit", "kind"]
    ).set_index("quantity")


def _warn_rhat(idata: az.InferenceData, parameters: pd.DataFrame) -> None:
    """Warn about chain means and parameters whose R-hat says the chains have not mixed.

    All of a run's R-hats are one family: a chain mean (each category's share of a
    categorical variable counts) warns above 1.05, a parameter above 1.1, and either only
    above the value the largest of that many R-hats of well-mixed chains as autocorrelated as
    its own stays below in 99% of runs of this shape, so a well-mixed run warns in about 1%
    of seeds however many variables and parameters it has.
    """
    chains, iterations = idata.posterior.sizes["chain"], idata.attrs["iterations"]
    first, split = rhat_window(iterations)
    window = iterations - first
    if chains < 2 or window < 2:
        return
    table = _rhat_table(idata, parameters)
    span = f"the second half of {iterations}" if split else "the whole run, unsplit"
    shape = f"{chains} chains of {window} iterations ({span})"

    def noise(row: pd.Series) -> str:
        draws = (
            "of independent draws"
            if row["autocorrelation"] == 0
            else f"with a lag-1 autocorrelation of {row['autocorrelation']:.2f}, as these show"
        )
        return (
            f"the largest of {len(table)} R-hats of well-mixed chains stays below "
            f"{row['bound']:.3f} in 99% of runs with {shape} {draws}"
        )

    high = table[table["r_hat"] > table["limit"]]
    for name, row in high[high["kind"] == "chain mean"].iterrows():
        warn(
            f"{name!r}: R-hat of the chain means of the imputed values is {row['r_hat']:.3f}, "
            f"above {row['limit']:.3f} ({RHAT_THRESHOLD}, or the noise bound when larger: "
            f"{noise(row)}); the chains have not mixed. Run more iterations and look at the "
            "traces of the chain means.",
            ConvergenceWarning,
        )
    high = high[high["kind"] == "parameter"].sort_values("r_hat", ascending=False)
    if len(high):
        row = high.iloc[0]
        others = f" (and {len(high) - 1} more)" if len(high) > 1 else ""
        warn(
            f"parameter {high.index[0]}{others}: R-hat {row['r_hat']:.3f}, above "
            f"{row['limit']:.3f} ({PARAMETER_RHAT}, or the noise bound when larger: "
            f"{noise(row)}); its chains have not mixed. Run more iterations and look at "
            "bm.plot_trace(idata, variable, parameters=True).",
            ConvergenceWarning,
        )


def rhat_limits(idata: az.InferenceData) -> pd.Series:
    """Return the R-hat above which each chain mean and parameter of a run warns.

    1.05 for a variable's chain means and 1.1 for a parameter, or the run's family-wise noise
    bound for that quantity's autocorrelation when larger (`warn_convergence`); empty when
    R-hat cannot be computed (fewer than 2 chains or iterations).

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> limits = rhat_limits(idata)
    >>> bool(limits["popular"] > 1.05 and limits["popular::sigma"] >= 1.1)
    True
    """
    chains, iterations = idata.posterior.sizes["chain"], idata.attrs["iterations"]
    first, _ = rhat_window(iterations)
    if chains < 2 or iterations - first < 2:
        return pd.Series(dtype=float)
    return _rhat_table(idata, _parameter_diagnostics(idata))["limit"]


def _warn_parameter_ess(parameters: pd.DataFrame, chains: int, iterations: int) -> None:
    """Warn when a parameter's bulk ESS is below `ess_threshold`; name the lowest."""
    first, _ = rhat_window(iterations)
    window = iterations - first
    threshold = ess_threshold(chains * window)
    ess = parameters["ess_bulk"].dropna()
    low = ess[ess < threshold].sort_values()
    if len(low):
        others = f" (and {len(low) - 1} more)" if len(low) > 1 else ""
        warn(
            f"parameter {low.index[0]}{others}: bulk effective sample size {low.iloc[0]:.0f} "
            f"from {chains * window} iterations ({chains} chains x {window}), below "
            f"{threshold:.0f}: its chains are strongly autocorrelated. Run more iterations.",
            ConvergenceWarning,
        )


def warn_convergence(idata: az.InferenceData) -> None:
    """Warn about sampler trouble, with the numbers.

    Divergences and maximum tree depth hits after tuning; R-hat of chain means above 1.05,
    of parameters above 1.1, both above their noise bound (`_warn_rhat`); ESS of chain means
    and parameters below `ess_threshold` (module docstring).
    """
    spec = run_spec(idata)
    joint = idata.attrs.get("engine") == "joint"
    for name in list(spec)[:1] if joint else spec:  # one sampler for all in the joint model
        label = "the joint model" if joint else repr(name)
        divergences = int(iteration_trace(idata, f"{name}::divergences", "sample_stats").sum())
        if divergences:
            transitions = idata.attrs["steps"] * idata.attrs["iterations"]
            total = transitions * idata.posterior.sizes["chain"]
            warn(
                f"{label}: {divergences} divergent NUTS transitions after tuning (of {total}, "
                f"{transitions} per chain); the imputations may be biased. Raise "
                f"target_accept (now {idata.attrs['target_accept']}) or tune.",
                ConvergenceWarning,
            )
        hits = int(iteration_trace(idata, f"{name}::max_treedepth_hits", "sample_stats").sum())
        if hits:
            warn(
                f"{label}: {hits} NUTS transitions stopped at the maximum tree depth; the "
                "sampler explores the posterior slowly there (strong correlations or a funnel), "
                "so run more iterations and check R-hat and the trace plots.",
                ConvergenceWarning,
            )
    chains, iterations = idata.posterior.sizes["chain"], idata.attrs["iterations"]
    parameters = _parameter_diagnostics(idata)
    _warn_low_ess(idata, spec, chains, iterations)
    _warn_parameter_ess(parameters, chains, iterations)
    _warn_rhat(idata, parameters)
