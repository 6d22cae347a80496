"""The data: checks of the frame, encoding into arrays, formula terms read from it, missingness.

`encoding` holds `ImputationData` and `encode`, `frame` the checks of the caller's frame,
`checks` the checks of a spec against the data and `patterns` the missingness tables.
"""

from bayesmi.data.encoding import ImputationData, ResolvedTerm, Source, encode
from bayesmi.data.patterns import MissingPattern, missing_pattern

__all__ = [
    "ImputationData",
    "MissingPattern",
    "ResolvedTerm",
    "Source",
    "encode",
    "missing_pattern",
]
