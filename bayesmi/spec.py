"""Imputation specs: which conditional model imputes which variable, from lme4-style formulas.

A spec is a mapping from each incomplete variable to an `ImputationModel`, made by one of the
public constructors (`fixed_cluster`, `random_intercept`). Formulas are parsed with
`formulae`, the parser bambi uses; only plain column names are accepted as terms, so the
imputation model is exactly what the formula says. The fixed intercept is always part of the
model. Checks against the data (columns exist, are numeric, the grouping factor is the cluster
column) happen in `bayesmi.impute` before any model is compiled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

from formulae import model_description
from formulae.parser import ParseError
from formulae.terms.terms import Intercept, Term

__all__ = ["ImputationModel", "fixed_cluster", "random_intercept"]

ModelKind = Literal["fixed_cluster", "random_intercept"]


@dataclass(frozen=True)
class ImputationModel:
    """The conditional model that imputes one variable.

    Make it with `fixed_cluster` or `random_intercept` rather than directly.

    Attributes
    ----------
    kind : {"fixed_cluster", "random_intercept"}
        The model family.
    formula : str
        The formula as written.
    target : str
        The variable this model imputes (the formula's left-hand side).
    predictors : tuple of str
        Columns entering the fixed part (besides the intercept).
    group : str or None
        The grouping factor of the random part, or None for `fixed_cluster`.
    """

    kind: ModelKind
    formula: str
    target: str
    predictors: tuple[str, ...]
    group: str | None = None

    def to_dict(self) -> dict:
        """Return the spec as a JSON-ready dict."""
        return asdict(self) | {"predictors": list(self.predictors)}

    @classmethod
    def from_dict(cls, values: dict) -> ImputationModel:
        """Rebuild a spec from `to_dict`'s output."""
        return cls(**(values | {"predictors": tuple(values["predictors"])}))


def spec_to_json(spec: dict[str, ImputationModel]) -> str:
    """Serialise a spec (variable to model) to JSON, keeping the visiting order."""
    return json.dumps([model.to_dict() for model in spec.values()])


def spec_from_json(text: str) -> dict[str, ImputationModel]:
    """Rebuild a spec serialised by `spec_to_json`."""
    models = [ImputationModel.from_dict(values) for values in json.loads(text)]
    return {model.target: model for model in models}


def fixed_cluster(formula: str) -> ImputationModel:
    r"""Impute a level-1 variable by a normal linear model with one dummy per cluster.

    The tutorial's "step 0", as mice's ``norm`` with the cluster as a factor predictor: every
    cluster gets its own intercept, estimated from its observed rows only.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``: the target on the left, plain column names on the right. The cluster
        dummies come from ``cluster=`` in `impute`; write no ``( | )`` term.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse, has a grouping term, or uses terms other than column
        names.

    See Also
    --------
    random_intercept : partial pooling of the cluster intercepts, the usual choice.

    Notes
    -----
    On the standardised scale (target and predictors centred and scaled by their observed
    mean and SD)

    .. math:: y_{ij} = \alpha_j + x_{ij}'\beta + e_{ij},\quad e_{ij} \sim N(0, \sigma^2)

    with one intercept per cluster (cell-means coding, no global intercept) and priors
    :math:`\alpha_j \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`,
    :math:`\sigma \sim \text{HalfNormal}(1)`. Missing cells are drawn from
    :math:`N(\alpha_j + x_{ij}'\beta, \sigma^2)`.

    Known weaknesses: a cluster-level predictor is collinear with the dummies (it is dropped,
    with a warning, as mice drops collinear predictors), a cluster with no observed target
    cannot be imputed (refused before sampling), and small clusters are overfitted, which
    exaggerates between-cluster differences in the imputations.

    References
    ----------
    van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., section 7.5.

    Examples
    --------
    >>> model = bm.fixed_cluster("popular ~ sex + texp")
    >>> model.kind, model.predictors
    ('fixed_cluster', ('sex', 'texp'))
    """
    target, predictors, groups = _parse(formula)
    if groups:
        raise ValueError(
            f"fixed_cluster takes no grouping term, but {formula!r} groups by "
            f"{', '.join(groups)}; the cluster dummies come from impute(..., cluster=...). "
            "For random effects use bm.random_intercept."
        )
    return ImputationModel("fixed_cluster", formula, target, predictors)


def random_intercept(formula: str) -> ImputationModel:
    r"""Impute a level-1 variable by a linear mixed model with a random intercept per cluster.

    mice's ``2l.pan`` or ``2l.lmer`` with every predictor coded 1, fully Bayesian.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 | cluster)"``: the target on the left, plain column names and one
        random-intercept term whose grouping factor is the cluster column.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse, lacks the ``(1 | cluster)`` term, has random slopes,
        or uses terms other than column names.

    See Also
    --------
    fixed_cluster : one dummy per cluster instead of random intercepts.

    Notes
    -----
    On the standardised scale (target and predictors centred and scaled by their observed
    mean and SD)

    .. math:: y_{ij} = \beta_0 + x_{ij}'\beta + u_j + e_{ij},\quad
              u_j \sim N(0, \tau^2),\quad e_{ij} \sim N(0, \sigma^2)

    non-centred, :math:`u_j = \tau \eta_j` with :math:`\eta_j \sim N(0, 1)`, and priors
    :math:`\beta_0 \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`,
    :math:`\tau \sim \text{HalfNormal}(1)`, :math:`\sigma \sim \text{HalfNormal}(1)`.
    Missing cells are drawn from :math:`N(\beta_0 + x_{ij}'\beta + u_j, \sigma^2)` with the
    cluster's current :math:`u_j`; a cluster with no observed target has only its prior, so
    its :math:`u_j` is a fresh draw from :math:`N(0, \tau^2)`.

    References
    ----------
    Schafer, J. L. and Yucel, R. M. (2002). Computational strategies for multivariate linear
    mixed-effects models with missing values. Journal of Computational and Graphical
    Statistics, 11(2), 437-457.

    Examples
    --------
    >>> model = bm.random_intercept("popular ~ sex + texp + (1 | school)")
    >>> model.group
    'school'
    """
    target, predictors, groups = _parse(formula)
    if len(groups) != 1:
        raise ValueError(
            f"random_intercept needs exactly one random-intercept term such as (1 | cluster); "
            f"{formula!r} has {len(groups)} grouping factors ({', '.join(groups) or 'none'})."
        )
    ((group, slopes),) = groups.items()
    if slopes:
        raise ValueError(
            f"random_intercept takes (1 | {group}) only; {formula!r} has random slopes on "
            f"{', '.join(slopes)}. Random slopes need a random-slopes model."
        )
    return ImputationModel("random_intercept", formula, target, predictors, group)


def _parse(formula: object) -> tuple[str, tuple[str, ...], dict[str, list[str]]]:
    """Return the target, the fixed predictors and the random slopes of each grouping factor."""
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'y ~ x', got {type(formula).__name__}.")
    if not formula.split("~")[0].strip() or "~" not in formula:
        raise ValueError(f"formula {formula!r} has no target; write it as 'target ~ predictors'.")
    try:
        description = model_description(formula)
    except (ParseError, ValueError) as error:
        raise ValueError(f"cannot parse the formula {formula!r}: {error}") from error
    target = _name(description.response.term, formula)
    if not any(isinstance(term, Intercept) for term in description.common_terms):
        raise ValueError(
            f"formula {formula!r} removes the intercept; imputation models always include one, "
            "so drop the '0 +' or '- 1'."
        )
    predictors = tuple(
        _name(term, formula) for term in description.common_terms if isinstance(term, Term)
    )
    groups: dict[str, list[str]] = {}
    for term in description.group_terms:
        slopes = groups.setdefault(_name(term.factor, formula), [])
        if not isinstance(term.expr, Intercept):
            slopes.append(_name(term.expr, formula))
    return target, predictors, groups


def _name(term: object, formula: str) -> str:
    components = getattr(term, "components", [])
    if len(components) != 1 or type(components[0]).__name__ != "Variable":
        raise ValueError(
            f"term {term} in {formula!r} is not a plain column name; create the column "
            "(interaction, transformation) in the data first and use its name."
        )
    return str(components[0].name)
