"""Imputation specs: which conditional model imputes which variable.

`model` holds `ImputationModel`, `terms` parses formulas into term objects, `constructors`
builds models from formulas (`discrete` those of categories and counts), `from_mice` from
mice's method vector and predictor matrix, and `serialize` writes specs as JSON and reads them back.
"""

from bayesmi.spec.constructors import (
    binary,
    cluster_level,
    fixed_cluster,
    heckman,
    heteroscedastic,
    random_intercept,
    random_slopes,
)
from bayesmi.spec.discrete import categorical, count, ordinal
from bayesmi.spec.from_mice import from_mice
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.pattern_mixture import Delta, delta
from bayesmi.spec.serialize import model_from_dict, model_to_dict, spec_from_json, spec_to_json
from bayesmi.spec.survival import survival
from bayesmi.spec.terms import Formula, Term, parse_formula

__all__ = [
    "Delta",
    "Formula",
    "ImputationModel",
    "Term",
    "binary",
    "categorical",
    "cluster_level",
    "count",
    "delta",
    "fixed_cluster",
    "from_mice",
    "heckman",
    "heteroscedastic",
    "model_from_dict",
    "model_to_dict",
    "ordinal",
    "parse_formula",
    "random_intercept",
    "random_slopes",
    "spec_from_json",
    "spec_to_json",
    "survival",
]
