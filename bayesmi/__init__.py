"""bayesmi: fully Bayesian multiple imputation of incomplete multilevel data, on PyMC.

Specify one conditional model per incomplete variable (`random_intercept`, `random_slopes`,
`heteroscedastic`, `binary`, `categorical`, `ordinal`, `count`, `cluster_level`,
`fixed_cluster`, `heckman`, or `from_mice`, or let `suggest` propose them), impute with
`impute` into one ArviZ InferenceData, read the completed datasets back with `completed` or
`complete`, fit the analysis to each with `fit_each` and pool it with `pool`, `wald_test`,
`likelihood_ratio_test`, `pool_variance_components` or `pool_draws`. For a variable missing
not at random, `heckman` imputes it and `selection_summary` reports the evidence. A
time-to-event analysis (`survival`: Cox by strata or with a frailty) is given as ``analysis=``,
and the covariates are imputed compatibly with it. Repeated measures are imputed in long
format with ``time=`` (AR(1) residuals: ``residual="ar1"``); `wide_to_long` and
`long_to_wide` convert trial data. `impute_new` imputes new rows (a prediction model's new
patients) from a fitted run's stored posterior, without refitting. `to_stata`, `to_spss` and
`to_mids_csv` export the imputations; `read_mids` reads mice's back.
`to_datatree` gives the result in ArviZ 1's `xarray.DataTree` layout; every function that
reads a result takes either.
"""

import warnings
from importlib.metadata import PackageNotFoundError, version

# bayesmi pins ArviZ 0.x, whose import announces the 1.x refactor; that notice is not for our users.
warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)
# PyTensor warns, on pip installs, that it links no BLAS. bayesmi's Gibbs samplers are NumPy
# code (NumPy brings its own BLAS) and do not use it; NUTS runs were 9-13% slower without it
# (README, "BLAS"), which is not worth a warning on every run. PYTENSOR_FLAGS=blas__ldflags=...
# links one.
warnings.filterwarnings(
    "ignore", message="PyTensor could not link to a BLAS installation", category=UserWarning
)

from bayesmi import datasets, simulate  # noqa: E402
from bayesmi.data import (  # noqa: E402
    grouping_structure,
    long_to_wide,
    missing_pattern,
    nelson_aalen,
    wide_to_long,
)
from bayesmi.diagnostics import (  # noqa: E402
    ConvergenceWarning,
    chain_mean_rhat,
    ess,
    rhat,
    selection_summary,
    summary,
)
from bayesmi.engines import impute  # noqa: E402
from bayesmi.newdata import impute_new  # noqa: E402
from bayesmi.plots import (  # noqa: E402
    plot_imputed,
    plot_missing,
    plot_tipping_point,
    plot_trace,
    plot_trajectories,
)
from bayesmi.pooling import (  # noqa: E402
    AnalysisFit,
    PooledDraws,
    fit_each,
    likelihood_ratio_test,
    pool,
    pool_draws,
    pool_variance_components,
    wald_test,
)
from bayesmi.pooling import test_likelihood as test_likelihood  # noqa: E402  (deprecated)
from bayesmi.pooling import test_wald as test_wald  # noqa: E402  (deprecated)
from bayesmi.result import (  # noqa: E402
    complete,
    completed,
    read_mids,
    split_long,
    to_datatree,
    to_mids_csv,
    to_spss,
    to_stata,
)
from bayesmi.sensitivity import tipping_point  # noqa: E402
from bayesmi.spec import (  # noqa: E402
    Delta,
    ImputationModel,
    binary,
    categorical,
    cluster_level,
    count,
    delta,
    fixed_cluster,
    from_mice,
    heckman,
    heteroscedastic,
    ordinal,
    random_intercept,
    random_slopes,
    survival,
)
from bayesmi.suggest import suggest  # noqa: E402

try:
    __version__ = version("bayesmi")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "AnalysisFit",
    "ConvergenceWarning",
    "Delta",
    "ImputationModel",
    "PooledDraws",
    "__version__",
    "binary",
    "categorical",
    "chain_mean_rhat",
    "cluster_level",
    "complete",
    "completed",
    "count",
    "datasets",
    "delta",
    "ess",
    "fit_each",
    "fixed_cluster",
    "from_mice",
    "grouping_structure",
    "heckman",
    "heteroscedastic",
    "impute",
    "impute_new",
    "likelihood_ratio_test",
    "long_to_wide",
    "missing_pattern",
    "nelson_aalen",
    "ordinal",
    "plot_imputed",
    "plot_missing",
    "plot_tipping_point",
    "plot_trace",
    "plot_trajectories",
    "pool",
    "pool_draws",
    "pool_variance_components",
    "random_intercept",
    "random_slopes",
    "read_mids",
    "rhat",
    "selection_summary",
    "simulate",
    "split_long",
    "suggest",
    "summary",
    "survival",
    "tipping_point",
    "to_datatree",
    "to_mids_csv",
    "to_spss",
    "to_stata",
    "wald_test",
    "wide_to_long",
]
