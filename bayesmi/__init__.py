"""bayesmi: fully Bayesian multiple imputation of incomplete multilevel data, on PyMC.

Specify one conditional model per incomplete variable (`random_intercept`, `fixed_cluster`),
impute with `impute` into one ArviZ InferenceData, and read the completed datasets back with
`completed` or `complete`.
"""

import warnings
from importlib.metadata import PackageNotFoundError, version

# bayesmi pins ArviZ 0.x, whose import announces the 1.x refactor; that notice is not for our users.
warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing", category=FutureWarning)

from bayesmi import datasets, simulate  # noqa: E402
from bayesmi.chained import impute  # noqa: E402
from bayesmi.data import missing_pattern  # noqa: E402
from bayesmi.diagnostics import ConvergenceWarning, chain_mean_rhat  # noqa: E402
from bayesmi.result import complete, completed  # noqa: E402
from bayesmi.spec import ImputationModel, fixed_cluster, random_intercept  # noqa: E402

try:
    __version__ = version("bayesmi")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "ConvergenceWarning",
    "ImputationModel",
    "__version__",
    "chain_mean_rhat",
    "complete",
    "completed",
    "datasets",
    "fixed_cluster",
    "impute",
    "missing_pattern",
    "random_intercept",
    "simulate",
]
