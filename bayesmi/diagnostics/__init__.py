"""Diagnostics of an imputation run: convergence warnings, summaries, and the evidence for MNAR.

`kernels` holds the R-hat kernels and their noise bound, `convergence` the warnings given after a
run and `chain_mean_rhat`, `summary` ArviZ's summary, R-hat and ESS of a run, `selection` the
posterior of a Heckman model's error correlation.
"""

from bayesmi.diagnostics.convergence import ConvergenceWarning, chain_mean_rhat, warn_convergence
from bayesmi.diagnostics.selection import selection_summary
from bayesmi.diagnostics.summary import ess, rhat, summary

__all__ = [
    "ConvergenceWarning",
    "chain_mean_rhat",
    "ess",
    "rhat",
    "selection_summary",
    "summary",
    "warn_convergence",
]
