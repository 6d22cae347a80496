r"""Fit the analysis on every imputed dataset and pool: Rubin's rules, variance components, draws.

The analysis model is fitted to each of the m completed datasets (`fit_each`), giving estimates
:math:`Q_k` with covariance :math:`U_k`. `pool` combines them by Rubin's rules:

.. math::

    \bar Q = \frac1m \sum_k Q_k,\quad \bar U = \frac1m \sum_k U_k,\quad
    B = \frac{1}{m-1} \sum_k (Q_k - \bar Q)^2,\quad T = \bar U + (1 + 1/m) B

with riv :math:`r = (1 + 1/m) B / \bar U`, :math:`\lambda = (1 + 1/m) B / T`, degrees of
freedom by Barnard and Rubin (1999) when the complete-data df :math:`\nu_{com}` is known,
:math:`\nu = (m-1)\,\nu_{obs}' / ((\nu_{com}+3)(m-1) + \lambda^2 \nu_{obs}')` with
:math:`\nu_{obs}' = (1-\lambda)(\nu_{com}+1)\nu_{com}` (mice's ``barnard.rubin``), and
:math:`\nu_{old} = (m-1)/\lambda^2` otherwise; fmi :math:`(r + 2/(\nu+3))/(1+r)` as mice and
mitml report it. These are mice 3.x's ``pool()`` and mitml's ``testEstimates()`` formulas, and
the tests check them against R's numbers to a relative 1e-6.

Multi-parameter tests (D1, D2, D3) are in `bayesmi.pooling.multiparameter`, the pooling of
posterior draws of Bayesian analyses in `bayesmi.pooling.draws`.

References
----------
Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
Barnard, J. and Rubin, D. B. (1999). Small-sample degrees of freedom with multiple imputation.
Biometrika, 86(4), 948-955.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import arviz as az
import numpy as np
import pandas as pd
from scipy import stats

from bayesmi.messages import warn
from bayesmi.pooling.fits import AnalysisFit, extract_fit
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import completed

__all__ = ["as_fits", "fit_each", "pool", "rubin"]


@reads_result
def fit_each(
    idata: az.InferenceData,
    func: Callable[[pd.DataFrame], object] | None = None,
    *,
    analysis: Callable[[pd.DataFrame], object] | None = None,
) -> list[AnalysisFit]:
    """Fit the analysis to every completed dataset.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    func : callable
        Takes one completed DataFrame and returns a fitted model: a statsmodels result (OLS,
        GLM, MixedLM, ...), an `arviz.InferenceData` of a Bayesian analysis, or any object or
        dict with ``estimates`` (term to value) and ``covariance`` (square, same order) and
        optionally ``df_residual`` and ``extra_parameters``.
    analysis : callable, optional
        The former name of `func` (a `FutureWarning` says so); in `impute` and `suggest`,
        ``analysis`` is the analysis model's formula.

    Returns
    -------
    list of AnalysisFit
        One per imputation, in the order of `bayesmi.completed`; ``fit.imputation`` is 1..m
        and ``fit.result`` is what `func` returned.

    Raises
    ------
    TypeError
        If `func` is not callable, or returns something pooling cannot read.
    Exception
        What `func` raised on a completed dataset, re-raised with the number of that
        imputation at the start of its message.

    See Also
    --------
    pool : Rubin's rules on the fits.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> fits = bm.fit_each(idata, lambda d: smf.ols("popular ~ sex + texp", d).fit())
    >>> [fit.imputation for fit in fits]
    [1, 2, 3]
    """
    if analysis is not None:
        warn(
            "fit_each(analysis=...) is now fit_each(func=...): 'analysis' names the analysis "
            "model's formula elsewhere in bayesmi.",
            FutureWarning,
        )
        func = analysis if func is None else func
    if not callable(func):
        raise TypeError(f"func must be callable (data -> fitted model), got {func!r}.")
    return [
        extract_fit(_fit_one(func, frame, imputation), imputation)
        for imputation, frame in enumerate(completed(idata), start=1)
    ]


def _fit_one(func: Callable, frame: pd.DataFrame, imputation: int) -> object:
    """Fit one completed dataset; an error says which imputation raised it."""
    try:
        return func(frame)
    except Exception as error:
        where = f"the analysis raised on imputation {imputation} (bm.complete(idata, {imputation}))"
        if error.args and isinstance(error.args[0], str):
            error.args = (f"{where}: {error.args[0]}", *error.args[1:])
        else:
            error.add_note(where)
        raise


def as_fits(fits: Sequence) -> list[AnalysisFit]:
    """Accept fits from `fit_each` or raw analysis results, one per imputation."""
    if isinstance(fits, az.InferenceData | pd.DataFrame) or not isinstance(fits, Sequence):
        raise TypeError(
            "fits must be a list with one fitted analysis per imputation, as fit_each returns; "
            f"got {type(fits).__name__}."
        )
    return [
        fit if isinstance(fit, AnalysisFit) else extract_fit(fit, k)
        for k, fit in enumerate(fits, start=1)
    ]


def check_fits(fits: list[AnalysisFit]) -> None:
    """Refuse fewer than two imputations, differing terms and non-finite or non-PD results."""
    if len(fits) < 2:
        raise ValueError(
            f"pooling needs at least two imputations, got {len(fits)}; with m = 1 there is no "
            "between-imputation variance. Impute with more chains or draws."
        )
    terms = list(fits[0].estimates.index)
    for fit in fits:
        if list(fit.estimates.index) != terms:
            raise ValueError(
                f"imputation {fit.imputation} has terms {list(fit.estimates.index)}, but "
                f"imputation {fits[0].imputation} has {terms}; fit the same model to every "
                "dataset (a factor level absent from one dataset changes the terms)."
            )
        bad = fit.estimates.index[~np.isfinite(fit.estimates.to_numpy())]
        if len(bad):
            raise ValueError(
                f"imputation {fit.imputation} has non-finite estimates for {', '.join(bad)}; "
                "the analysis did not converge on that dataset."
            )
        covariance = fit.covariance.loc[terms, terms].to_numpy()
        if not np.all(np.isfinite(covariance)) or not _positive_definite(covariance):
            raise ValueError(
                f"imputation {fit.imputation}: the covariance of the estimates is not finite and "
                "positive definite; the analysis is not identified on that dataset (collinear "
                "or separated predictors?)."
            )


def _positive_definite(matrix: np.ndarray) -> bool:
    try:
        np.linalg.cholesky((matrix + matrix.T) / 2)
    except np.linalg.LinAlgError:
        return False
    return True


def stack_fits(fits: list[AnalysisFit]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Terms, estimates (m, k) and covariances (m, k, k) of checked fits."""
    terms = list(fits[0].estimates.index)
    estimates = np.array([fit.estimates.loc[terms].to_numpy() for fit in fits])
    covariances = np.array([fit.covariance.loc[terms, terms].to_numpy() for fit in fits])
    return terms, estimates, covariances


def barnard_rubin_df(m: int, lam: np.ndarray, dfcom: float) -> np.ndarray:
    """Degrees of freedom of Barnard and Rubin (1999), as mice's ``barnard.rubin``."""
    df_old = (m - 1) / lam**2
    if np.isinf(dfcom):
        return df_old
    observed = (1 - lam) * (1 + dfcom) * dfcom
    return (m - 1) * observed / ((dfcom + 3) * (m - 1) + lam**2 * observed)


def rubin(estimates: np.ndarray, variances: np.ndarray, dfcom: float) -> dict[str, np.ndarray]:
    """Rubin's rules for (m, k) estimates and their (m, k) variances; a column per figure."""
    m = estimates.shape[0]
    qbar = estimates.mean(axis=0)
    ubar = variances.mean(axis=0)
    b = estimates.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    riv = (1 + 1 / m) * b / ubar
    lam = (1 + 1 / m) * b / t
    df = barnard_rubin_df(m, lam, dfcom)
    return {
        "estimate": qbar,
        "ubar": ubar,
        "b": b,
        "t": t,
        "dfcom": np.full(qbar.shape, dfcom),
        "df": df,
        "riv": riv,
        "lambda": lam,
        "fmi": (riv + 2 / (df + 3)) / (riv + 1),
    }


def pool(fits: Sequence, dfcom: float | None = None, level: float = 0.95) -> pd.DataFrame:
    r"""Pool the estimates of an analysis fitted to every imputed dataset by Rubin's rules.

    Parameters
    ----------
    fits : list
        One fit per imputation, as `fit_each` returns (or the analysis results themselves).
    dfcom : float, optional
        Complete-data degrees of freedom. Default: the fits' residual df (statsmodels
        ``df_resid``) when they have one, else infinite (large-sample df), as mice does for
        models without residual df and mitml for mixed models.
    level : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``estimate``, ``std_error``, ``statistic`` (t), ``df``, ``p_value``,
        ``conf_low``, ``conf_high`` (as mice's ``summary(pool(fit), conf.int = TRUE)``), then
        ``ubar`` (within variance), ``b`` (between), ``t`` (total), ``dfcom``, ``riv``,
        ``lambda``, ``fmi`` and ``m`` (as ``pool(fit)$pooled``).

    Raises
    ------
    ValueError
        With fewer than two fits, differing terms, non-finite estimates or a covariance that is
        not positive definite; the message names the imputation.

    See Also
    --------
    fit_each : fit the analysis to every completed dataset.
    pool_variance_components : variance components of mixed models, as mitml.
    wald_test : multi-parameter tests D1 and D2.

    Notes
    -----
    See the module docstring for the formulas. Degrees of freedom: with ``dfcom`` known,
    Barnard and Rubin's (1999) small-sample df, exactly as mice's ``barnard.rubin``; otherwise
    the large-sample :math:`(m-1)/\lambda^2`, which equals mitml's :math:`(m-1)(1+1/r)^2`.

    References
    ----------
    Rubin, D. B. (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard, J. and Rubin, D. B. (1999). Biometrika, 86(4), 948-955.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> fits = bm.fit_each(idata, lambda d: smf.ols("popular ~ sex + texp", d).fit())
    >>> pooled = bm.pool(fits)
    >>> list(pooled.index), bool(0.7 < pooled.loc["sex", "estimate"] < 1.0)
    (['Intercept', 'sex', 'texp'], True)
    """
    fits = as_fits(fits)
    check_fits(fits)
    if not 0 < level < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}.")
    terms, estimates, covariances = stack_fits(fits)
    dfcom = _dfcom(fits, dfcom)
    figures = rubin(estimates, np.diagonal(covariances, axis1=1, axis2=2), dfcom)
    std_error = np.sqrt(figures["t"])
    statistic = figures["estimate"] / std_error
    quantile = stats.t.ppf(0.5 + level / 2, figures["df"])
    table = pd.DataFrame(
        {
            "estimate": figures["estimate"],
            "std_error": std_error,
            "statistic": statistic,
            "df": figures["df"],
            "p_value": 2 * stats.t.sf(np.abs(statistic), figures["df"]),
            "conf_low": figures["estimate"] - quantile * std_error,
            "conf_high": figures["estimate"] + quantile * std_error,
        }
        | {key: figures[key] for key in ("ubar", "b", "t", "dfcom", "riv", "lambda", "fmi")}
        | {"m": len(fits)},
        index=pd.Index(terms, name="term"),
    )
    return table


def _dfcom(fits: list[AnalysisFit], dfcom: float | None) -> float:
    if dfcom is not None:
        if not dfcom > 0:
            raise ValueError(f"dfcom must be positive (or None for large samples), got {dfcom}.")
        return float(dfcom)
    known = [fit.df_residual for fit in fits if fit.df_residual is not None]
    return float(known[0]) if len(known) == len(fits) else float("inf")
