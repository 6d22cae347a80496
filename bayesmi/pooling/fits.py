"""What pooling reads from one fitted analysis: estimates, covariance, df, variance components.

`extract_fit` turns whatever the user's analysis returned into an `AnalysisFit`:

- a statsmodels result with ``params`` and ``cov_params()`` (OLS, WLS, GLM, Logit, ...): the
  complete-data df is ``df_resid``; a multi-equation one (MNLogit: one column of ``params``
  per non-reference category) names its estimates ``<equation>:<term>``;
- a statsmodels ``MixedLM`` result: the fixed effects (``fe_params``) and their covariance; the
  variance components ``Intercept~~Intercept|<group>`` (random-intercept variance, tau00),
  one ``Intercept~~Intercept|<name>`` per variance component of ``vc_formula`` (a nested
  level: classes in schools), ``Residual~~Residual`` (sigma2) and, with one clustering only,
  ``ICC|<group>``, named as mitml names them; the complete-data df is left unknown
  (large-sample df), as mitml does for ``lmer``;
- any object with attributes ``estimates`` (a mapping from term to value) and ``covariance``
  (a square array in the same order, or a DataFrame), optionally ``df_residual`` and
  ``extra_parameters`` (a mapping from name to value): the documented protocol for other
  analyses;
- a dict with those keys;
- an `arviz.InferenceData` (a Bayesian analysis): kept whole for `bayesmi.pool_draws`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd


@dataclass
class AnalysisFit:
    """The analysis fitted to one completed dataset.

    Attributes
    ----------
    imputation : int
        Which imputation (1..m) the analysis was fitted to.
    estimates : pandas.Series
        Point estimates, indexed by term.
    covariance : pandas.DataFrame
        Their covariance matrix, terms on both axes.
    df_residual : float or None
        Complete-data degrees of freedom, None when unknown (large-sample df are used).
    extra_parameters : dict of str to float
        Quantities pooled by their mean, e.g. variance components of a mixed model.
    loglik : callable or None
        For D3: the log-likelihood of this dataset at given parameters (a dict of arrays).
    loglik_parameters : dict or None
        For D3: this fit's own parameters in the form `loglik` takes.
    posterior : arviz.InferenceData or None
        The posterior of a Bayesian analysis.
    result : object
        What the analysis returned.
    """

    imputation: int
    estimates: pd.Series
    covariance: pd.DataFrame
    df_residual: float | None = None
    extra_parameters: dict[str, float] = field(default_factory=dict)
    loglik: Callable[[dict], float] | None = None
    loglik_parameters: dict | None = None
    posterior: az.InferenceData | None = None
    result: object = None


def extract_fit(result: object, imputation: int) -> AnalysisFit:
    """Read estimates, covariance and the rest from one analysis result (see module docs)."""
    if isinstance(result, az.InferenceData):
        empty = pd.Series(dtype=float)
        return AnalysisFit(imputation, empty, pd.DataFrame(), posterior=result, result=result)
    if isinstance(result, AnalysisFit):
        return result
    if hasattr(result, "fe_params") and hasattr(result, "cov_re"):
        return _mixedlm(result, imputation)
    if hasattr(result, "params") and hasattr(result, "cov_params"):
        return _statsmodels(result, imputation)
    if isinstance(result, Mapping) and {"estimates", "covariance"} <= set(result):
        return _protocol(dict(result), imputation, result)
    if hasattr(result, "estimates") and hasattr(result, "covariance"):
        values = {
            name: getattr(result, name)
            for name in ("estimates", "covariance", "df_residual", "extra_parameters")
            if hasattr(result, name)
        }
        return _protocol(values, imputation, result)
    raise TypeError(
        f"imputation {imputation}: the analysis returned a {type(result).__name__}, which "
        "exposes no estimates and covariance. Return a statsmodels result, an "
        "arviz.InferenceData, or an object (or dict) with 'estimates' and 'covariance'."
    )


def _statsmodels(result, imputation: int) -> AnalysisFit:
    if isinstance(result.params, pd.DataFrame):  # several equations (MNLogit): one per column
        estimates, covariance = _equations(result)
        loglik, parameters = None, None
    else:
        estimates = pd.Series(result.params, dtype=float)
        covariance = pd.DataFrame(result.cov_params())
        if not isinstance(result.params, pd.Series):
            names = [f"x{i}" for i in range(len(estimates))]
            estimates.index = names
            covariance.index = covariance.columns = names
        loglik, parameters = _ols_loglik(result)
    df_residual = getattr(result, "df_resid", None)
    return AnalysisFit(
        imputation,
        estimates,
        covariance,
        None if df_residual is None else float(df_residual),
        loglik=loglik,
        loglik_parameters=parameters,
        result=result,
    )


def _equations(result) -> tuple[pd.Series, pd.DataFrame]:
    """Name a multi-equation result's (terms x equations) estimates ``<equation>:<term>``.

    The covariance's index is (equation, term) pairs, equation by equation, as statsmodels'
    MNLogit writes it; the estimates are laid out in that order.
    """
    params = result.params
    names = [f"{equation}:{term}" for equation in params.columns for term in params.index]
    estimates = pd.Series(params.to_numpy().T.ravel(), index=names, dtype=float)
    covariance = pd.DataFrame(
        np.asarray(result.cov_params(), dtype=float), index=names, columns=names
    )
    return estimates, covariance


def _ols_loglik(result) -> tuple[Callable | None, dict | None]:
    """Return the normal log-likelihood of an OLS fit at given (beta, sigma2), as mitml."""
    model = getattr(result, "model", None)
    if type(model).__name__ != "OLS":
        return None, None
    y, x = np.asarray(model.endog, dtype=float), np.asarray(model.exog, dtype=float)
    n = y.shape[0]

    def loglik(parameters: dict) -> float:
        residual = y - x @ parameters["beta"]
        sigma2 = parameters["sigma2"]
        return float(-n / 2 * np.log(2 * np.pi * sigma2) - residual @ residual / (2 * sigma2))

    beta = np.asarray(result.params, dtype=float)
    return loglik, {"beta": beta, "sigma2": float(result.ssr / n)}


def _mixedlm(result, imputation: int) -> AnalysisFit:
    terms = list(result.fe_params.index)
    covariance = pd.DataFrame(result.cov_params()).loc[terms, terms]
    group = str(result.cov_re.columns[0]) if result.cov_re.shape[1] else "group"
    tau00 = float(np.asarray(result.cov_re)[0, 0])
    sigma2 = float(result.scale)
    extra = {f"Intercept~~Intercept|{group}": tau00}
    components = result.model.exog_vc.names if result.model.k_vc else []
    for name, variance in zip(components, np.asarray(result.vcomp), strict=True):
        extra[f"Intercept~~Intercept|{name}"] = float(variance)  # a nested level (vc_formula)
    extra["Residual~~Residual"] = sigma2
    if not components:  # mitml gives the ICC of a single clustering only
        extra[f"ICC|{group}"] = tau00 / (tau00 + sigma2)
    return AnalysisFit(
        imputation,
        pd.Series(result.fe_params, dtype=float),
        covariance,
        None,
        extra_parameters=extra,
        result=result,
    )


def _protocol(values: dict, imputation: int, result: object) -> AnalysisFit:
    estimates = pd.Series(values["estimates"], dtype=float)
    if not isinstance(values["estimates"], Mapping | pd.Series):
        estimates.index = [f"x{i}" for i in range(len(estimates))]
    covariance = values["covariance"]
    if not isinstance(covariance, pd.DataFrame):
        matrix = np.asarray(covariance, dtype=float)
        if matrix.shape != (len(estimates), len(estimates)):
            raise ValueError(
                f"imputation {imputation}: covariance has shape {matrix.shape}, but there are "
                f"{len(estimates)} estimates; give a square matrix in the estimates' order."
            )
        covariance = pd.DataFrame(matrix, index=estimates.index, columns=estimates.index)
    df_residual = values.get("df_residual")
    return AnalysisFit(
        imputation,
        estimates,
        covariance.astype(float),
        None if df_residual is None else float(df_residual),
        extra_parameters={k: float(v) for k, v in dict(values.get("extra_parameters", {})).items()},
        result=result,
    )
