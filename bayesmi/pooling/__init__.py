"""Fit the analysis to every imputed dataset and pool the results.

`fits` reads estimates and covariances from a fitted analysis, `rubin` fits (`fit_each`) and
pools by Rubin's rules (`pool`), `components` pools variance components with intervals
(`pool_variance_components`), `multiparameter` holds the D1-D3 tests (`wald_test`,
`likelihood_ratio_test`), `draws` pools Bayesian analyses by their draws.
"""

from bayesmi.pooling.components import pool_variance_components
from bayesmi.pooling.draws import PooledDraws, pool_draws
from bayesmi.pooling.fits import AnalysisFit
from bayesmi.pooling.multiparameter import (
    likelihood_ratio_test,
    test_likelihood,
    test_wald,
    wald_test,
)
from bayesmi.pooling.rubin import fit_each, pool

__all__ = [
    "AnalysisFit",
    "PooledDraws",
    "fit_each",
    "likelihood_ratio_test",
    "pool",
    "pool_draws",
    "pool_variance_components",
    "test_likelihood",
    "test_wald",
    "wald_test",
]
