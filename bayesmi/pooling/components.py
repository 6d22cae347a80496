"""Pooling the variance components of mixed models: mitml's means, with intervals.

`pool_variance_components` averages each component over the imputations, as mitml's
``testEstimates(extra.pars = TRUE)``, and pools an interval for it by Rubin's rules on a scale
where its sampling distribution is close to normal (`bayesmi.pooling.fits.component_scale`);
a Bayesian analysis's components come from its draws mixed over the imputations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from bayesmi.pooling.draws import pool_draws
from bayesmi.pooling.fits import AnalysisFit, component_scale
from bayesmi.pooling.rubin import as_fits, rubin

__all__ = ["pool_variance_components"]


def pool_variance_components(
    fits: Sequence, level: float = 0.95, var_names: Sequence[str] | None = None
) -> pd.DataFrame:
    r"""Pool the variance components of mixed models: mitml's estimate, with an interval.

    The estimate is mitml's (``testEstimates(extra.pars = TRUE)``): each component, and the
    ICC computed within each imputation, averaged over the imputations. The interval pools
    each component by Rubin's rules on a scale where its sampling distribution is close to
    normal, then transforms the limits back: the log of a variance (tau00, slope variances,
    each level's variance, sigma2), the Fisher z (``atanh``) of the ICC, a covariance as it
    is (`bayesmi.pooling.fits.component_scale`). Within an imputation the sampling variance
    on that scale comes from the fit (statsmodels MixedLM: the delta method on its
    information matrix, `bayesmi.pooling.fits.mixedlm_components`); with :math:`\bar U`,
    :math:`B` and :math:`T = \bar U + (1 + 1/m) B` on that scale, the limits are
    :math:`\bar Q \pm t_{\nu} \sqrt{T}`, :math:`\nu = (m - 1)(1 + 1/r)^2`, transformed back
    (so a variance's interval is centred on the geometric mean, and stays positive).

    For a Bayesian analysis (fits holding posterior draws), the components are the
    variables named in `var_names` (default: those whose names end in ``sigma``, bambi's
    group and residual SDs), pooled by mixing the draws of every imputation
    (`bayesmi.pool_draws`): the mean and the equal-tailed interval of the mixed draws.

    Parameters
    ----------
    fits : list
        One fit per imputation; statsmodels ``MixedLM`` results give
        ``Intercept~~Intercept|<group>`` (tau00), with random slopes ``Intercept~~x|<group>``
        and ``x~~x|<group>``, a variance per ``vc_formula`` component, ``Residual~~Residual``
        (sigma2) and ``ICC|<group>``; other analyses give their ``extra_parameters`` (and
        ``extra_variances`` for intervals).
    level : float, default=0.95
        Coverage of the intervals.
    var_names : list of str, optional
        Bayesian analyses: the posterior variables to pool.

    Returns
    -------
    pandas.DataFrame
        One row per component: ``estimate`` (the mean), ``lower`` and ``upper`` (NaN where a
        fit gives no sampling variance, or a component is estimated at 0 in some
        imputation), ``scale`` (where the interval was pooled: ``log``, ``fisher_z``,
        ``identity``; ``draws`` for a Bayesian analysis), ``fmi`` on that scale, and ``m``.

    Raises
    ------
    ValueError
        When there are fewer than two fits, the fits have no or differing components, or
        `level` is not between 0 and 1.

    Examples
    --------
    >>> import statsmodels.formula.api as smf
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> fits = bm.fit_each(idata, lambda d: smf.mixedlm("popular ~ sex + texp", d,
    ...                                                 groups="school").fit())
    >>> components = bm.pool_variance_components(fits)
    >>> list(components.index)
    ['Intercept~~Intercept|school', 'Residual~~Residual', 'ICC|school']
    >>> bool((components["lower"] < components["estimate"]).all())
    True
    """
    fits = as_fits(fits)
    if len(fits) < 2:
        raise ValueError(f"pooling needs at least two imputations, got {len(fits)}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    if fits[0].posterior is not None:
        return _pooled_draws_components(fits, level, var_names)
    names = list(fits[0].extra_parameters)
    if not names:
        raise ValueError(
            "the fits have no variance components; fit a statsmodels MixedLM or return "
            "'extra_parameters' from the analysis."
        )
    for fit in fits:
        if list(fit.extra_parameters) != names:
            raise ValueError(
                f"imputation {fit.imputation} has components {list(fit.extra_parameters)}, "
                f"imputation {fits[0].imputation} has {names}; fit the same model to every dataset."
            )
    values = np.array([[fit.extra_parameters[name] for name in names] for fit in fits])
    nan = float("nan")
    variances = np.array([[fit.extra_variances.get(name, nan) for name in names] for fit in fits])
    scales = [component_scale(name) for name in names]
    transformed = np.column_stack(
        [_to_scale(values[:, k], scale) for k, scale in enumerate(scales)]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = rubin(transformed, variances, float("inf"))
        half = stats.t.ppf(0.5 + level / 2, pooled["df"]) * np.sqrt(pooled["t"])
    centre = pooled["estimate"]
    lower = [_from_scale(q - h, sc) for q, h, sc in zip(centre, half, scales, strict=True)]
    upper = [_from_scale(q + h, sc) for q, h, sc in zip(centre, half, scales, strict=True)]
    return pd.DataFrame(
        {
            "estimate": values.mean(axis=0),
            "lower": lower,
            "upper": upper,
            "scale": scales,
            "fmi": pooled["fmi"],
            "m": len(fits),
        },
        index=pd.Index(names, name="term"),
    )


def _to_scale(values: np.ndarray, scale: str) -> np.ndarray:
    """Values on the scale their interval is pooled on (NaN where it has none)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if scale == "log":
            return np.where(values > 0, np.log(values), np.nan)
        if scale == "fisher_z":
            return np.where(np.abs(values) < 1, np.arctanh(values), np.nan)
    return values


def _from_scale(value: float, scale: str) -> float:
    """Return a limit transformed back to the component's own scale."""
    if scale == "log":
        return float(np.exp(value))
    if scale == "fisher_z":
        return float(np.tanh(value))
    return float(value)


def _pooled_draws_components(
    fits: list[AnalysisFit], level: float, var_names: Sequence[str] | None
) -> pd.DataFrame:
    """Components of a Bayesian analysis: mean and interval of the draws mixed over fits."""
    posterior = fits[0].posterior.posterior
    names = (
        list(var_names)
        if var_names is not None
        else [str(name) for name in posterior.data_vars if str(name).endswith("sigma")]
    )
    if not names:
        raise ValueError(
            "the posterior has no variable whose name ends in 'sigma' (bambi's group and "
            f"residual SDs); name the components with var_names= (its variables: "
            f"{sorted(map(str, posterior.data_vars))})."
        )
    mixed = pool_draws(fits, names).idata.posterior
    rows = {}
    for name in names:
        draws = mixed[name].stack(sample=("chain", "draw"))
        extra_dims = [dim for dim in draws.dims if dim != "sample"]
        flat = draws.transpose(*extra_dims, "sample").to_numpy().reshape(-1, draws.sizes["sample"])
        coords = [
            draws.coords[dim].to_numpy() if dim in draws.coords else np.arange(draws.sizes[dim])
            for dim in extra_dims
        ]
        labels = [
            f"{name}[{', '.join(str(c[i]) for c, i in zip(coords, key, strict=True))}]"
            if extra_dims
            else name
            for key in np.ndindex(*[len(c) for c in coords])
        ]
        for label, values in zip(labels, flat, strict=True):
            lower, upper = np.quantile(values, [0.5 - level / 2, 0.5 + level / 2])
            rows[label] = (float(values.mean()), float(lower), float(upper))
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "lower", "upper"])
    table.index.name = "term"
    return table.assign(scale="draws", fmi=float("nan"), m=len(fits))
