"""ArviZ's summary, R-hat and ESS of an imputation run's parameters and chain means.

Computed over the second half of every chain's iterations, burn-in included (the window the
convergence warnings judge), so that a short imputation run is judged as mice users judge its
trace plots.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import arviz as az
import pandas as pd

from bayesmi.result.datatree import reads_result
from bayesmi.result.read import iteration_dataset, run_spec

__all__ = ["ess", "rhat", "summary", "summary_variables"]


def summary_variables(idata: az.InferenceData) -> list[str]:
    """Return the quantities the convergence summary covers.

    Every imputed variable's chain mean and SD of its imputed cells (the share of each
    category for a categorical or ordinal variable) and its parameters, except those with one
    value per cluster, or per group of any grouping factor (random effects ``u`` and
    ``u_<factor>``, residual SDs per cluster).
    """
    names = []
    for name in run_spec(idata):
        if f"{name}::missing_share" in idata.posterior:
            names.append(f"{name}::missing_share")
        else:
            names += [f"{name}::missing_mean", f"{name}::missing_sd"]
        parameters = {
            key.partition("::")[2]: values
            for key, values in idata.posterior.data_vars.items()
            if key.partition("::")[0] == name
        }
        per_group = (
            {"cluster"}
            | {  # the groups' dim of each factor's effects
                values.dims[2] for parameter, values in parameters.items() if parameter[:2] == "u_"
            }
        )
        for parameter, values in parameters.items():
            if parameter.startswith("missing") or per_group & set(values.dims):
                continue
            names.append(f"{name}::{parameter}")
    return names


@reads_result
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
        ``r_hat``. A correlation matrix of random effects (``re_corr``) gives its pairs below
        the diagonal only: the diagonal is 1 and the rest repeats them.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> table = bm.summary(idata)
    >>> table.index[0], "r_hat" in table
    ('popular::missing_mean', True)
    """
    names = summary_variables(idata) if var_names is None else list(var_names)
    window = iteration_dataset(idata, names)
    window = window.isel(draw=slice(window.sizes["draw"] // 2, None))
    with warnings.catch_warnings(), _quiet_arviz():
        warnings.simplefilter("ignore", UserWarning)  # short chains: ArviZ's own caveat
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant (a fixed rho): NaN R-hat
        table = az.summary(window, var_names=names, **kwargs)
    return table.drop(index=structural_labels(window), errors="ignore")


@contextmanager
def _quiet_arviz() -> Iterator[None]:
    """Silence ArviZ's logged caveats (short chains) while computing.

    R-hat of short windows is judged against its noise bound
    (`bayesmi.diagnostics.convergence`), not against ArviZ's minimum shape.
    """
    logger = getattr(az, "_log", logging.getLogger("arviz"))  # ArviZ 0.x's own Logger
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def structural_labels(window) -> list[str]:
    """Return the summary labels of correlation entries that are constants or repeats.

    A ``re_corr`` matrix's diagonal (1) and its upper triangle (the lower one mirrored),
    labelled as `arviz.summary` labels them: ``<name>[<row>, <column>]``.
    """
    labels = []
    for name in window.data_vars:
        if not str(name).endswith("::re_corr"):
            continue
        rows, columns = window[name].dims[2:]
        first = [str(v) for v in window[name].coords[rows].to_numpy()]
        second = [str(v) for v in window[name].coords[columns].to_numpy()]
        labels += [
            f"{name}[{first[i]}, {second[j]}]"
            for i in range(len(first))
            for j in range(len(second))
            if j >= i
        ]
    return labels


@reads_result
def rhat(idata: az.InferenceData) -> pd.Series:
    """Rank-normalised split R-hat of the parameters and of the chain means of imputed cells.

    The ``r_hat`` column of `summary` (same window), one value per scalar quantity.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> bool(bm.rhat(idata)["popular::missing_mean"] < 1.5)
    True
    """
    return summary(idata, kind="diagnostics")["r_hat"]


@reads_result
def ess(idata: az.InferenceData) -> pd.Series:
    """Bulk effective sample size of the parameters and the chain means of imputed cells.

    The ``ess_bulk`` column of `summary` (same window), one value per scalar quantity.
    """
    return summary(idata, kind="diagnostics")["ess_bulk"]
