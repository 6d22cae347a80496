"""Specs as JSON: written with the formula and options, read back by replaying the constructor.

Reading a model back calls the constructor its ``kind`` names with its formula, so a JSON spec
(stored in every result's attrs, or edited by hand) is parsed and checked exactly as a spec
written in Python; an unknown kind is refused with the list of kinds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from bayesmi.spec.constructors import (
    HECKMAN_SEPARATOR,
    binary,
    cluster_level,
    fixed_cluster,
    heckman,
    heteroscedastic,
    random_intercept,
    random_slopes,
)
from bayesmi.spec.discrete import categorical, count, ordinal
from bayesmi.spec.model import DEFAULT_DONORS, KINDS, ImputationModel
from bayesmi.spec.pattern_mixture import Delta

__all__ = ["model_from_dict", "model_to_dict", "spec_from_json", "spec_to_json"]

_CONSTRUCTORS: dict[str, Callable[..., ImputationModel]] = {
    "binary": binary,
    "categorical": categorical,
    "cluster_level": cluster_level,
    "count": count,
    "fixed_cluster": fixed_cluster,
    "heteroscedastic": heteroscedastic,
    "ordinal": ordinal,
    "random_intercept": random_intercept,
    "random_slopes": random_slopes,
}

_OPTIONS: dict[str, tuple[str, ...]] = {
    "cluster_level": ("family", "pmm", "donors", "level"),
    "count": ("family",),
    "fixed_cluster": ("pmm", "donors"),
    "heteroscedastic": ("pmm", "donors"),
    "random_intercept": ("pmm", "donors"),
    "random_slopes": ("pmm", "donors"),
}
"""The constructor's options of each kind besides the formula, as `model_to_dict` keys."""


def model_to_dict(model: ImputationModel) -> dict:
    """Return a model as a JSON-ready dict (formula, options, and the parsed names).

    Predictive mean matching, delta, a fixed rho and further grouping factors are written only
    when there, so specs without them read as before.
    """
    matching = {"pmm": True, "donors": model.donors} if model.pmm else {}
    if model.delta is not None:
        matching["delta"] = model.delta.to_dict()
    if model.rho is not None:
        matching["rho"] = model.rho
    if model.other_groups:
        matching["other_groups"] = list(model.other_groups)
    if model.level is not None:
        matching["level"] = model.level
    return {
        "kind": model.kind,
        "formula": model.formula,
        "target": model.target,
        "predictors": list(model.predictors),
        "group": model.group,
        "slopes": list(model.slopes),
        "selection": list(model.selection),
        "family": model.family,
        "cluster_rho": model.cluster_rho,
    } | matching


def model_from_dict(values: Mapping) -> ImputationModel:
    """Rebuild a model from `model_to_dict`'s output by replaying its constructor.

    Raises
    ------
    ValueError
        For an unknown kind, or a formula its constructor refuses.
    """
    if not isinstance(values, Mapping) or "kind" not in values or "formula" not in values:
        raise ValueError(
            f"a spec entry must be a mapping with 'kind' and 'formula', as model_to_dict "
            f"writes; got {values!r}."
        )
    kind = values["kind"]
    if kind not in KINDS:
        raise ValueError(
            f"unknown model kind {kind!r} in the spec entry for {values.get('target')!r}; the "
            f"kinds are {', '.join(sorted(KINDS))}."
        )
    if kind == "heckman":
        outcome, _, selection = values["formula"].partition(HECKMAN_SEPARATOR)
        return heckman(
            outcome,
            selection,
            family=values.get("family", "gaussian"),
            cluster_rho=bool(values.get("cluster_rho", False)),
            rho=values.get("rho"),
        )
    defaults = {"family": "gaussian" if kind != "count" else "poisson", "pmm": False, "level": None}
    options = {
        name: values.get(name, defaults.get(name, DEFAULT_DONORS))
        for name in _OPTIONS.get(kind, ())
    }
    if "delta" in values:
        options["delta"] = Delta.from_dict(values["delta"])
    return _CONSTRUCTORS[kind](values["formula"], **options)


def spec_to_json(spec: Mapping[str, ImputationModel]) -> str:
    """Serialise a spec (variable to model) to JSON, keeping the visiting order."""
    return json.dumps([model_to_dict(model) for model in spec.values()])


def spec_from_json(text: str) -> dict[str, ImputationModel]:
    """Rebuild a spec serialised by `spec_to_json`."""
    models = [model_from_dict(values) for values in json.loads(text)]
    return {model.target: model for model in models}
