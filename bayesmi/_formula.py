"""Parse lme4-style formulas into target, fixed predictors and random slopes, with formulae."""

from __future__ import annotations

from formulae import model_description
from formulae.parser import ParseError
from formulae.terms.terms import Intercept, Term

MEAN_SUFFIX = "_mean"
"""A predictor ``x_mean`` is the cluster mean of ``x`` (when ``x_mean`` is not a column)."""


def parse(formula: object) -> tuple[str, tuple[str, ...], dict[str, list[str]]]:
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


INTERACTION = ":"
"""A predictor ``x:w`` is the product of ``x`` and ``w`` (each a column or a cluster mean)."""


def _name(term: object, formula: str) -> str:
    components = getattr(term, "components", [])
    if not components or any(type(part).__name__ != "Variable" for part in components):
        raise ValueError(
            f"term {term} in {formula!r} is not a column name or an interaction of column "
            "names (x:w); create the column (transformation) in the data first and use its "
            "name."
        )
    return INTERACTION.join(str(part.name) for part in components)


def factors(name: str) -> list[str]:
    """Return the factors of a predictor: ``["x", "w"]`` for ``x:w``, ``["x"]`` for ``x``."""
    return name.split(INTERACTION)


def single_group(formula: str, groups: dict[str, list[str]], kind: str) -> tuple[str, list[str]]:
    """Return the one grouping factor of a mixed model's formula and its random slopes."""
    if len(groups) != 1:
        raise ValueError(
            f"{kind} needs exactly one grouping term such as (1 | cluster); {formula!r} has "
            f"{len(groups)} grouping factors ({', '.join(groups) or 'none'})."
        )
    ((group, slopes),) = groups.items()
    return group, slopes


def source_column(name: str, columns: list[str]) -> tuple[str, bool] | None:
    """Return the column a predictor reads and whether it is that column's cluster mean.

    ``x`` reads column ``x``; ``x_mean`` reads column ``x_mean`` when there is one, else the
    cluster mean of ``x``. None when neither exists.
    """
    if name in columns:
        return name, False
    base = name.removesuffix(MEAN_SUFFIX)
    if name.endswith(MEAN_SUFFIX) and base in columns:
        return base, True
    return None
