"""The prior scales every model states on the standardised scale, defined once.

Targets (when continuous) and predictors are centred and scaled by their observed mean and SD
inside every model (`bayesmi.models.scaling`), so one set of weakly informative priors serves
all data: the PyMC models (`bayesmi.models`, `bayesmi.families`) and the exact Gibbs samplers
that keep their posteriors (`bayesmi.gibbs`) read them from here.
"""

__all__ = ["COEFFICIENT_SD", "INTERCEPT_SD", "SCALE_SD", "THRESHOLD_SD"]

INTERCEPT_SD = 5.0
"""Prior SD of intercepts on the standardised scale."""
COEFFICIENT_SD = 2.5
"""Prior SD of regression coefficients on the standardised scale."""
SCALE_SD = 1.0
"""Prior SD of the half-normal priors on standard deviations (standardised scale)."""
THRESHOLD_SD = 5.0
"""Prior SD of an ordinal model's thresholds."""
