"""The data: checks of the frame, encoding into arrays, formula terms read from it, missingness.

`encoding` holds `ImputationData` and `encode`, `factors` the categories of factor columns and
their codes, `frame` the checks of the caller's frame, `checks` the checks of a spec against the
data, `support_checks` those of a target's values against its model's family, and `patterns`
the missingness tables, `levels` the grouping factors (nested levels, crossed factors),
`hazard` the Nelson-Aalen cumulative hazard.
"""

from bayesmi.data.encoding import DesignColumn, ImputationData, ResolvedTerm, Source, encode
from bayesmi.data.factors import Factor
from bayesmi.data.hazard import nelson_aalen
from bayesmi.data.levels import grouping_structure
from bayesmi.data.patterns import MissingPattern, missing_pattern
from bayesmi.data.reshape import long_to_wide, wide_to_long

__all__ = [
    "DesignColumn",
    "Factor",
    "ImputationData",
    "MissingPattern",
    "ResolvedTerm",
    "Source",
    "encode",
    "grouping_structure",
    "long_to_wide",
    "missing_pattern",
    "nelson_aalen",
    "wide_to_long",
]
