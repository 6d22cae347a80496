"""Specs as JSON: written with the formula and options, read back by replaying the constructor.

Reading a model back calls the constructor its ``kind`` names with its formula, so a JSON spec
(stored in every result's attrs, or edited by hand) is parsed and checked exactly as a spec
written in Python; an unknown kind is refused with the list of kinds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bayesmi.spec.constructors import HECKMAN_SEPARATOR
from bayesmi.spec.kinds import KINDS
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.pattern_mixture import Delta

__all__ = ["model_from_dict", "model_to_dict", "spec_from_json", "spec_to_json"]


def model_to_dict(model: ImputationModel) -> dict:
    """Return a model as a JSON-ready dict (formula, options, and the parsed names).

    Predictive mean matching, delta, a fixed rho, further grouping factors and AR(1) residuals
    are written only when there, so specs without them read as before.
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
    if model.residual != "independent":
        matching["residual"] = model.residual
    return {
        "kind": model.kind,
        "formula": model.formula,
        "target": model.target,
        "predictors": list(model.predictors),
        "group": model.group,
        "slopes": list(model.slopes),
        "selection": list(model.selection),
        "family": model.family.name,
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
    info = KINDS.get(values["kind"])
    if info is None:
        raise ValueError(
            f"unknown model kind {values['kind']!r} in the spec entry for "
            f"{values.get('target')!r}; the kinds are {', '.join(sorted(KINDS))}."
        )
    formulas = (
        values["formula"].split(HECKMAN_SEPARATOR) if info.formulas == 2 else [values["formula"]]
    )
    options = {name: values.get(name, info.defaults[name]) for name in info.options}
    if "delta" in values:
        options["delta"] = Delta.from_dict(values["delta"])
    return info.constructor(*formulas, **options)


def spec_to_json(spec: Mapping[str, ImputationModel]) -> str:
    """Serialise a spec (variable to model) to JSON, keeping the visiting order."""
    return json.dumps([model_to_dict(model) for model in spec.values()])


def spec_from_json(text: str) -> dict[str, ImputationModel]:
    """Rebuild a spec serialised by `spec_to_json`."""
    models = [model_from_dict(values) for values in json.loads(text)]
    return {model.target: model for model in models}
