"""Clustered data with known truth, for tests, notebooks and benchmarks.

Each generator returns the incomplete frame, the complete frame it was made from and the true
parameter values, so a test can compare what imputation recovers with what complete data give:
`continuous` for the normal, binary, cluster-level and Heckman models, `discrete` for nominal,
ordinal, count and level-2 categories and an IPD meta-analysis, `survey` for a large school
survey with many incomplete variables, `levels` for three nested levels and crossed
classifications, `survival` for an IPD meta-analysis of a time to event, `longitudinal` for repeated
measures with AR(1) residuals; `common` holds what
they share.
"""

from bayesmi.simulate.common import SimulatedData
from bayesmi.simulate.continuous import (
    simulate_binary,
    simulate_cluster_level,
    simulate_heckman,
    simulate_heteroscedastic,
    simulate_interaction,
    simulate_random_intercept,
    simulate_random_slopes,
    simulate_slope_predictor,
    simulate_systematic,
)
from bayesmi.simulate.discrete import (
    simulate_categorical,
    simulate_cluster_factor,
    simulate_count,
    simulate_ipd,
    simulate_ordinal,
)
from bayesmi.simulate.levels import simulate_crossed, simulate_three_level
from bayesmi.simulate.longitudinal import simulate_dropout_trial, simulate_longitudinal
from bayesmi.simulate.survey import simulate_school_survey
from bayesmi.simulate.survival import simulate_survival

__all__ = [
    "SimulatedData",
    "simulate_binary",
    "simulate_categorical",
    "simulate_cluster_factor",
    "simulate_cluster_level",
    "simulate_count",
    "simulate_crossed",
    "simulate_dropout_trial",
    "simulate_heckman",
    "simulate_heteroscedastic",
    "simulate_interaction",
    "simulate_ipd",
    "simulate_longitudinal",
    "simulate_ordinal",
    "simulate_random_intercept",
    "simulate_random_slopes",
    "simulate_school_survey",
    "simulate_slope_predictor",
    "simulate_survival",
    "simulate_systematic",
    "simulate_three_level",
]
