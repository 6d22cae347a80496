"""Multi-parameter tests after multiple imputation: D1, D2 and D3, as mitml's ``testModels``.

- D1 (Li, Raghunathan and Rubin 1991): a Wald test on the pooled estimates with the
  average relative increase in variance ``r``; denominator df of Li et al., or of Reiter
  (2007) when the complete-data df are known.
- D2 (Li, Meng, Raghunathan and Rubin 1991): combines the m Wald chi-square statistics; needs
  only the statistics, so it works where covariances are poor, at some loss of power.
- D3 (Meng and Rubin 1992): combines likelihood-ratio statistics evaluated at the imputation-
  specific and at the pooled parameters; needs the analysis' log-likelihood at given
  parameters (available for statsmodels OLS fits, as mitml offers it for ``lm``).

Each returns the F statistic, its numerator and denominator df, the p-value and the riv, and
reproduces mitml 0.4's numbers (checked against R in the tests).

References
----------
Li, K. H., Raghunathan, T. E. and Rubin, D. B. (1991). Large-sample significance levels from
multiply imputed data using moment-based statistics and an F reference distribution. JASA, 86,
1065-1073.
Li, K. H., Meng, X.-L., Raghunathan, T. E. and Rubin, D. B. (1991). Significance levels from
repeated p-values with multiply-imputed data. Statistica Sinica, 1, 65-92.
Meng, X.-L. and Rubin, D. B. (1992). Performing likelihood ratio tests with multiply-imputed
data sets. Biometrika, 79, 103-111.
Reiter, J. P. (2007). Small-sample degrees of freedom for multi-component significance tests
with multiple imputation for missing data. Biometrika, 94, 502-508.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from bayesmi.messages import warn
from bayesmi.pooling.rubin import as_fits, check_fits, stack_fits

__all__ = ["likelihood_ratio_test", "test_likelihood", "test_wald", "wald_test"]


def wald_test(
    fits: Sequence,
    terms: Sequence[str],
    method: Literal["D1", "D2"] = "D1",
    dfcom: float | None = None,
) -> pd.Series:
    r"""Test that several coefficients are all zero, pooling over the imputations.

    Parameters
    ----------
    fits : list
        One fit per imputation, as `fit_each` returns.
    terms : list of str
        The coefficients tested jointly (H0: all are zero), e.g. ``["age", "bmi"]``: the test
        of the model against the model without them, as mitml's ``testModels``. A factor's
        name (``"C(ses)"``, or ``"ses"`` for a categorical column in a statsmodels formula)
        stands for all its dummies (``C(ses)[T.mid]``, ``C(ses)[T.high]``): the factor is
        tested as a whole.
    method : {"D1", "D2"}, default="D1"
        - ``"D1"``: Wald test with the pooled covariance (Li, Raghunathan and Rubin 1991).
        - ``"D2"``: combination of the per-imputation Wald chi-square statistics (Li, Meng,
          Raghunathan and Rubin 1991).
    dfcom : float, optional
        Complete-data df, for D1's small-sample denominator df (Reiter 2007); default
        large-sample. Ignored by D2, as in mitml.

    Returns
    -------
    pandas.Series
        ``statistic`` (F), ``df1``, ``df2``, ``p_value`` and ``riv``.

    Raises
    ------
    ValueError
        For an unknown method, terms that are not in the fits, fewer than two fits or bad fits.

    Notes
    -----
    D1: :math:`r = (1+1/m)\,\mathrm{tr}(B \bar U^{-1})/k`,
    :math:`F = \bar Q' \bar U^{-1} \bar Q / (k (1+r))`; with :math:`t = k(m-1) > 4`,
    :math:`\nu = 4 + (t-4)(1 + (1-2/t)/r)^2`, else :math:`t(1+1/k)(1+1/r)^2/2`.
    D2: :math:`r = (1+1/m)\,\mathrm{var}(\sqrt{d_k})`,
    :math:`F = (\bar d/k - (m+1)/(m-1)\,r)/(1+r)`, :math:`\nu = k^{-3/m}(m-1)(1+1/r)^2`.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> fits = bm.fit_each(idata, lambda d: smf.ols("popular ~ sex + texp", d).fit())
    >>> bool(bm.wald_test(fits, ["sex", "texp"])["p_value"] < 0.001)
    True
    """
    methods = ("D1", "D2")
    if method not in methods:
        raise ValueError(f"method must be one of {', '.join(methods)}; got {method!r}.")
    fits = as_fits(fits)
    check_fits(fits)
    names, estimates, covariances = stack_fits(fits)
    terms = _factor_dummies(list(terms), names)
    absent = [term for term in terms if term not in names]
    if not terms or absent:
        raise ValueError(
            f"terms {absent or terms} are not among the estimated terms {names}; name at least "
            "one estimated term."
        )
    index = [names.index(term) for term in terms]
    q = estimates[:, index]
    u = covariances[:, index][:, :, index]
    if method == "D1":
        statistic, df1, df2, riv = _d1(q, u, dfcom)
    else:
        statistic, df1, df2, riv = _d2(
            np.einsum("mi,mij,mj->m", q, np.linalg.inv(u), q), len(terms)
        )
    return _result(method, statistic, df1, df2, riv)


def _factor_dummies(terms: list[str], names: list[str]) -> list[str]:
    """Replace a factor's name (``C(ses)``, ``ses``) by its dummies (``C(ses)[T.mid]``, ...)."""
    expanded = []
    for term in terms:
        dummies = [name for name in names if name.startswith(f"{term}[")]
        expanded += [term] if term in names or not dummies else dummies
    return expanded


def _result(method: str, statistic: float, df1: float, df2: float, riv: float) -> pd.Series:
    p_value = float(stats.f.sf(statistic, df1, df2))
    return pd.Series(
        {"statistic": statistic, "df1": df1, "df2": df2, "p_value": p_value, "riv": riv},
        name=method,
    )


def _li_df(k: int, m: int, r: float) -> float:
    if r <= 0:
        return float("inf")  # no between-imputation variance: the complete-data reference
    t = k * (m - 1)
    if t > 4:
        return 4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2
    return t * (1 + 1 / k) * (1 + 1 / r) ** 2 / 2


def _reiter_df(k: int, m: int, r: float, dfcom: float) -> float:
    """Reiter's (2007) denominator df, as mitml's ``.D1`` with ``df.com``."""
    t = k * (m - 1)
    a = r * t / (t - 2)
    vstar = (dfcom + 1) / (dfcom + 3) * dfcom
    c0 = 1 / (t - 4)
    c1 = vstar - 2 * (1 + a)
    c2 = vstar - 4 * (1 + a)
    z = (
        1 / c2
        + c0 * (a**2 * c1 / ((1 + a) ** 2 * c2))
        + c0 * (8 * a**2 * c1 / ((1 + a) * c2**2) + 4 * a**2 / ((1 + a) * c2))
        + c0 * (4 * a**2 / (c2 * c1) + 16 * a**2 * c1 / c2**3)
        + c0 * (8 * a**2 / c2**2)
    )
    return 4 + 1 / z


def _d1(q: np.ndarray, u: np.ndarray, dfcom: float | None) -> tuple[float, int, float, float]:
    m, k = q.shape
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = np.atleast_2d(np.cov(q, rowvar=False, ddof=1))
    r = (1 + 1 / m) * np.trace(b @ np.linalg.inv(ubar)) / k
    statistic = qbar @ np.linalg.solve((1 + r) * ubar, qbar) / k
    if dfcom is None:
        df2 = _li_df(k, m, r)
    else:
        if k * (m - 1) <= 4:
            raise ValueError(
                f"Reiter's small-sample df need k (m - 1) > 4; here k = {k}, m = {m}. Use more "
                "imputations, or dfcom=None for the large-sample df."
            )
        df2 = _reiter_df(k, m, r, float(dfcom))
    return float(statistic), k, float(df2), float(r)


def _d2(d: np.ndarray, k: int) -> tuple[float, int, float, float]:
    m = d.shape[0]
    r = (1 + 1 / m) * np.var(np.sqrt(d), ddof=1)
    statistic = (d.mean() / k - (m + 1) / (m - 1) * r) / (1 + r)
    df2 = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    return float(statistic), k, float(df2), float(r)


def likelihood_ratio_test(fits: Sequence, null_fits: Sequence) -> pd.Series:
    r"""Compare nested models by pooled likelihood-ratio tests (D3, Meng and Rubin 1992).

    Parameters
    ----------
    fits : list
        The larger model fitted to every imputed dataset (statsmodels OLS results, or fits
        exposing ``loglik`` and ``loglik_parameters``).
    null_fits : list
        The nested model fitted to the same datasets, in the same order.

    Returns
    -------
    pandas.Series
        ``statistic`` (F), ``df1`` (difference in parameters), ``df2``, ``p_value``, ``riv``.

    Raises
    ------
    ValueError
        When the lists differ in length, have fewer than two fits, the models are not nested
        (no extra parameters), or a fit cannot evaluate its log-likelihood at given parameters.

    Notes
    -----
    With :math:`\bar d_L` the mean likelihood-ratio statistic at each imputation's own
    estimates and :math:`\tilde d_L` the mean at the pooled (averaged) estimates,
    :math:`r = (m+1)/(k(m-1))\,(\bar d_L - \tilde d_L)`,
    :math:`F = \tilde d_L / (k(1+r))`, with D1's denominator df. For linear models the
    parameters are the coefficients and the ML residual variance (RSS/n), as in mitml.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> full = bm.fit_each(idata, lambda d: smf.ols("popular ~ sex + texp", d).fit())
    >>> null = bm.fit_each(idata, lambda d: smf.ols("popular ~ sex", d).fit())
    >>> result = bm.likelihood_ratio_test(full, null)
    >>> int(result["df1"]), bool(result["p_value"] < 0.001)
    (1, True)
    """
    fits, null_fits = as_fits(fits), as_fits(null_fits)
    if len(fits) != len(null_fits):
        raise ValueError(
            f"fits has {len(fits)} imputations and null_fits {len(null_fits)}; fit both models "
            "to the same imputed datasets."
        )
    if len(fits) < 2:
        raise ValueError(f"pooling needs at least two imputations, got {len(fits)}.")
    own, pooled, n_parameters = _logliks(fits)
    own_null, pooled_null, n_null = _logliks(null_fits)
    k = n_parameters - n_null
    if k < 1:
        raise ValueError(
            f"the null model has {n_null} parameters and the model {n_parameters}; null_fits "
            "must be nested in fits, with fewer parameters."
        )
    m = len(fits)
    d_bar = np.mean(-2 * (own_null - own))
    d_tilde = np.mean(-2 * (pooled_null - pooled))
    r = (m + 1) / (k * (m - 1)) * (d_bar - d_tilde)
    statistic = d_tilde / (k * (1 + r))
    return _result("D3", float(statistic), k, _li_df(k, m, r), float(r))


def _logliks(fits: list) -> tuple[np.ndarray, np.ndarray, int]:
    """Log-likelihoods at each fit's own and at the pooled parameters; number of parameters."""
    for fit in fits:
        if fit.loglik is None or fit.loglik_parameters is None:
            raise ValueError(
                f"imputation {fit.imputation}: the analysis cannot evaluate its log-likelihood "
                "at given parameters (D3 supports statsmodels OLS, or fits with 'loglik' and "
                "'loglik_parameters'); use wald_test instead."
            )
    names = list(fits[0].loglik_parameters)
    pooled_parameters = {
        name: np.mean([np.asarray(fit.loglik_parameters[name]) for fit in fits], axis=0)
        for name in names
    }
    own = np.array([fit.loglik(fit.loglik_parameters) for fit in fits])
    pooled = np.array([fit.loglik(pooled_parameters) for fit in fits])
    size = sum(int(np.size(value)) for value in fits[0].loglik_parameters.values())
    return own, pooled, size


def _former_name(function, name: str):
    """Return `function` under its former name, warning that the name is deprecated.

    Not collected by pytest in a user's test module that imports it (``__test__``).
    """

    @functools.wraps(function)
    def former(*args, **kwargs):
        warn(
            f"bm.{name} is deprecated: pytest collects public functions named test_* as tests "
            f"in the modules that import them. Use bm.{function.__name__}.",
            FutureWarning,
        )
        return function(*args, **kwargs)

    former.__name__ = former.__qualname__ = name
    former.__doc__ = f"Deprecated former name of `{function.__name__}`."
    former.__test__ = False
    return former


test_wald = _former_name(wald_test, "test_wald")
test_likelihood = _former_name(likelihood_ratio_test, "test_likelihood")
