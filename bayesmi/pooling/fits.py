"""What pooling reads from one fitted analysis: estimates, covariance, df, variance components.

`extract_fit` turns whatever the user's analysis returned into an `AnalysisFit`:

- a statsmodels result with ``params`` and ``cov_params()`` (OLS, WLS, GLM, Logit, GEE,
  PHReg, ...): the complete-data df is ``df_resid``; estimates without names (PHReg's) take
  the model's ``exog_names``; a multi-equation one (MNLogit: one column of ``params`` per
  non-reference category) names its estimates ``<equation>:<term>``;
- a fitted lifelines regression (``CoxPHFitter``, with ``strata`` and ``cluster_col`` for
  cluster-robust SEs; the parametric fitters): ``params_`` and ``variance_matrix_`` (robust
  where it was asked), a parameter of several (``lambda_``, ``rho_``) named
  ``<parameter>:<term>``; the complete-data df unknown (large-sample df);
- a statsmodels ``BinomialBayesMixedGLM`` or ``PoissonBayesMixedGLM`` result (``fit_vb`` or
  ``fit_map``): the fixed effects' posterior means and covariance, the complete-data df
  unknown, and each variance component ``Intercept~~Intercept|<name>`` as
  ``exp(2 log SD)`` with the sampling variance ``4 var(log SD)`` of its log;
- a statsmodels ``MixedLM`` result: the fixed effects (``fe_params``) and their covariance; the
  variance components, named as mitml names them: the random effects' covariance matrix,
  upper triangle by rows (``Intercept~~Intercept|<group>``, tau00; with random slopes also
  ``Intercept~~x|<group>`` and ``x~~x|<group>``), one ``Intercept~~Intercept|<name>`` per
  variance component of ``vc_formula`` (a nested level: classes in schools),
  ``Residual~~Residual`` (sigma2) and, with one clustering only, ``ICC|<group>``; and each
  component's sampling variance on the scale its interval is pooled on
  (`component_scale`, `mixedlm_components`). The complete-data df is left unknown
  (large-sample df), as mitml does for ``lmer``;
- any object with attributes ``estimates`` (a mapping from term to value) and ``covariance``
  (a square array in the same order, or a DataFrame), optionally ``df_residual``,
  ``extra_parameters`` (a mapping from name to value) and ``extra_variances`` (their
  sampling variances on the scale of `component_scale`): the documented protocol for other
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
    extra_variances : dict of str to float
        The sampling variance of each extra parameter on the scale `component_scale` names
        (log variance, Fisher z of the ICC, the covariance itself), where known: what
        `bayesmi.pool_variance_components` pools into intervals.
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
    extra_variances: dict[str, float] = field(default_factory=dict)
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
    if hasattr(result, "fe_mean") and hasattr(result, "vcp_mean"):
        return _bayes_mixed_glm(result, imputation)
    if hasattr(result, "params") and hasattr(result, "cov_params"):
        return _statsmodels(result, imputation)
    if hasattr(result, "params_") and hasattr(result, "variance_matrix_"):
        return _lifelines(result, imputation)
    if isinstance(result, Mapping) and {"estimates", "covariance"} <= set(result):
        return _protocol(dict(result), imputation, result)
    if hasattr(result, "estimates") and hasattr(result, "covariance"):
        fields = ("estimates", "covariance", "df_residual", "extra_parameters", "extra_variances")
        values = {name: getattr(result, name) for name in fields if hasattr(result, name)}
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
        if covariance.shape != (len(estimates), len(estimates)):
            raise ValueError(
                f"imputation {imputation}: the {type(result).__name__}'s cov_params() has shape "
                f"{covariance.shape}, but it has {len(estimates)} params; pooling needs their "
                "square covariance. Return an object with 'estimates' and 'covariance' instead."
            )
        if not isinstance(result.params, pd.Series):
            names = list(getattr(getattr(result, "model", None), "exog_names", None) or [])
            if len(names) != len(estimates):
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


def _lifelines(result, imputation: int) -> AnalysisFit:
    """Read a fitted lifelines regression: its estimates and (robust) covariance."""
    estimates = pd.Series(result.params_, dtype=float)
    covariance = pd.DataFrame(result.variance_matrix_)
    if isinstance(estimates.index, pd.MultiIndex):  # (parameter, term): the parametric fits
        names = [":".join(map(str, name)) for name in estimates.index]
        estimates.index = names
        covariance.index = covariance.columns = names
    return AnalysisFit(imputation, estimates, covariance, None, result=result)


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


def component_scale(name: str) -> str:
    """Return the scale on which a component's sampling distribution is close to normal.

    ``"log"`` for a variance (``a~~a|g``, ``Residual~~Residual``), ``"fisher_z"`` for an ICC
    (``ICC|g``), ``"identity"`` for a covariance (``a~~b|g``) and anything else.
    """
    if name.startswith("ICC|"):
        return "fisher_z"
    left, _, right = name.partition("|")[0].partition("~~")
    return "log" if right and left == right else "identity"


def _mixedlm(result, imputation: int) -> AnalysisFit:
    terms = list(result.fe_params.index)
    covariance = pd.DataFrame(result.cov_params()).loc[terms, terms]
    extra, variances = mixedlm_components(result)
    return AnalysisFit(
        imputation,
        pd.Series(result.fe_params, dtype=float),
        covariance,
        None,
        extra_parameters=extra,
        extra_variances=variances,
        result=result,
    )


def mixedlm_components(result) -> tuple[dict[str, float], dict[str, float]]:
    """Return a MixedLM's variance components (mitml's names) and their sampling variances.

    statsmodels estimates the random effects' covariance and the variance components in
    units of the residual variance s (``theta``, its ``params`` after the fixed effects) with
    their covariance from the information matrix; s itself is profiled out. By the delta
    method, a variance ``v = s theta`` has ``var(log v) = var(theta) / theta^2 + var(log s)``,
    a covariance ``c = s theta_ab`` has ``var(c) = s^2 var(theta_ab) + theta_ab^2 var(s)``,
    with the normal-theory ``var(log s) = 2 / (n - p)`` (n rows, p fixed effects), the
    ICC ``theta_00 / (1 + theta_00)`` (free of s) has ``var(ICC) = var(theta_00) /
    (1 + theta_00)^4`` and its Fisher z ``var(ICC) / (1 - ICC^2)^2``. A component estimated
    at 0 has no log: its variance is NaN.
    """
    model = result.model
    k_fe, k_re, k_vc = model.k_fe, model.k_re, model.k_vc
    theta_cov = np.asarray(result.cov_params(), dtype=float)[k_fe:, k_fe:]
    scale = float(result.scale)
    log_scale_variance = 2.0 / max(model.nobs - k_fe, 1)
    group = str(result.cov_re.columns[0]) if k_re else "group"
    names = ["Intercept", *map(str, result.cov_re.columns[1:])]
    rows, columns = np.tril_indices(k_re)  # statsmodels' order of the covariance parameters
    position = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(rows, columns, strict=True))}
    theta = np.asarray(result.cov_re, dtype=float) / scale
    extra, variances = {}, {}

    def add(name: str, value: float, variance: float) -> None:
        extra[name], variances[name] = value, variance

    for a in range(k_re):
        for b in range(a, k_re):
            k = position[(b, a)]
            value, spread = float(theta[a, b]), float(theta_cov[k, k])
            name = f"{names[a]}~~{names[b]}|{group}"
            if a == b:
                add(name, scale * value, _log_variance(value, spread) + log_scale_variance)
            else:
                add(name, scale * value, scale**2 * (spread + value**2 * log_scale_variance))
    components = model.exog_vc.names if k_vc else []
    for j, name in enumerate(components):  # a nested level (vc_formula)
        k = len(rows) + j
        value = float(np.asarray(result.vcomp)[j]) / scale
        spread = float(theta_cov[k, k])
        add(
            f"Intercept~~Intercept|{name}",
            scale * value,
            _log_variance(value, spread) + log_scale_variance,
        )
    add("Residual~~Residual", scale, log_scale_variance)
    if not components and k_re:  # mitml gives the ICC of a single clustering only
        intercept, spread = float(theta[0, 0]), float(theta_cov[0, 0])
        icc = intercept / (1 + intercept)
        add(f"ICC|{group}", icc, spread / (1 + intercept) ** 4 / (1 - icc**2) ** 2)
    return extra, variances


def _log_variance(value: float, variance: float) -> float:
    """Delta-method variance of ``log(value)``; NaN at 0, where there is no log."""
    return variance / value**2 if value > 0 else float("nan")


def _bayes_mixed_glm(result, imputation: int) -> AnalysisFit:
    """Read a BayesMixedGLM's fixed effects and variance components (module docstring).

    ``cov_params()`` is the posterior covariance of every parameter (fixed effects, log SDs,
    random effects), or its diagonal (``fit_vb``'s mean-field posterior).
    """
    model = result.model
    names = list(model.exog_names)
    k = len(names)
    covariance = np.asarray(result.cov_params(), dtype=float)
    covariance = np.diag(covariance[:k]) if covariance.ndim == 1 else covariance[:k, :k]
    extra, variances = {}, {}
    for name, log_sd, sd in zip(model.vcp_names, result.vcp_mean, result.vcp_sd, strict=True):
        extra[f"Intercept~~Intercept|{name}"] = float(np.exp(2 * log_sd))
        variances[f"Intercept~~Intercept|{name}"] = float(4 * sd**2)
    return AnalysisFit(
        imputation,
        pd.Series(np.asarray(result.fe_mean, dtype=float), index=names),
        pd.DataFrame(covariance, index=names, columns=names),
        None,
        extra_parameters=extra,
        extra_variances=variances,
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
        extra_variances={k: float(v) for k, v in dict(values.get("extra_variances", {})).items()},
        result=result,
    )
