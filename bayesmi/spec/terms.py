"""Formula terms: an lme4-style formula parsed once, with formulae, into term objects.

A formula such as ``"y ~ x + x_mean + x:w + (1 + x | school)"`` becomes a `Formula`: its target
``y``, its fixed `Term` objects (``x``, ``x_mean``, ``x:w``) and, per grouping factor, the terms
with a random slope (``x``). A term is a product of one or more variables (an interaction when
more than one); a variable named ``x_mean`` is the cluster mean of ``x`` unless the data have a
column of that name, and ``C(x)`` is column ``x`` read as a factor, which `bayesmi.data` decides
against the data (a factor column is a factor without ``C``). In longitudinal data
``lag(x)``, ``lag(x, 2)`` and ``lead(x)`` read ``x`` at the person's previous, second previous
or next occasion (`bayesmi.data.occasions`). This module is the only one
that reads formula strings; every other module reads the term objects.

The fixed intercept is always part of an imputation model, and every grouping term has a random
intercept: formulas that remove either are refused, so the model is exactly what is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from formulae import model_description
from formulae.parser import ParseError
from formulae.terms.terms import Intercept
from formulae.terms.terms import Term as FormulaeTerm

__all__ = [
    "INTERACTION",
    "MEAN_SUFFIX",
    "SHIFTS",
    "Formula",
    "Term",
    "cluster_mean_of",
    "parse_formula",
    "shift_of",
]

MEAN_SUFFIX = "_mean"
"""A variable ``x_mean`` is the cluster mean of ``x`` (when the data have no column ``x_mean``)."""

INTERACTION = ":"
"""How a product of variables is named: ``x:w``."""

SHIFTS = ("lag", "lead")
"""Calls that read a column at an earlier (``lag(x)``, ``lag(x, 2)``) or later (``lead(x)``)
occasion of the same person (longitudinal data, ``time=``)."""

_SHIFT = re.compile(r"^(lag|lead)\((.+?)(?:, (\d+))?\)$")


def cluster_mean_of(variable: str) -> str | None:
    """Return the column whose cluster mean a variable name may denote (``x`` for ``x_mean``)."""
    if variable.endswith(MEAN_SUFFIX) and len(variable) > len(MEAN_SUFFIX):
        return variable.removesuffix(MEAN_SUFFIX)
    return None


@dataclass(frozen=True)
class Term:
    """One predictor of a formula: a variable, or the product of several (an interaction).

    Attributes
    ----------
    variables : tuple of str
        The variables multiplied, as written: ``("x",)``, ``("x_mean",)``, ``("x", "w")``.
    """

    variables: tuple[str, ...]

    @property
    def name(self) -> str:
        """The term as written in a formula: ``x``, ``x_mean``, ``x:w``."""
        return INTERACTION.join(self.variables)

    def __str__(self) -> str:
        """Return the term's name."""
        return self.name


@dataclass(frozen=True)
class Formula:
    """A parsed imputation formula.

    Attributes
    ----------
    text : str
        The formula as written.
    target : str
        The left-hand side.
    fixed : tuple of Term
        The fixed predictors, besides the intercept.
    groups : dict of str to tuple of Term
        For every grouping factor, the terms with a random slope (the random intercept is
        always there).
    """

    text: str
    target: str
    fixed: tuple[Term, ...]
    groups: dict[str, tuple[Term, ...]]

    def single_group(self, kind: str) -> tuple[str, tuple[Term, ...]]:
        """Return the one grouping factor of a mixed model's formula and its random slopes.

        Raises
        ------
        ValueError
            If the formula has no grouping term or several grouping factors.
        """
        if len(self.groups) != 1:
            raise ValueError(
                f"{kind} needs exactly one grouping term such as (1 | cluster); {self.text!r} "
                f"has {len(self.groups)} grouping factors ({', '.join(self.groups) or 'none'})."
            )
        ((group, slopes),) = self.groups.items()
        return group, slopes


def parse_formula(formula: object) -> Formula:
    """Parse an lme4-style formula into its target, fixed terms and random slopes.

    Parameters
    ----------
    formula : str
        ``"target ~ predictors"``, optionally with grouping terms ``(1 + x | g)``. Column names
        that are not Python identifiers are written in backticks: ```teach pop```.

    Returns
    -------
    Formula

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If it does not parse, has no target, removes the intercept, has a grouping term
        without a random intercept, or a term that is not a column name or a product of
        column names.
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'y ~ x', got {type(formula).__name__}.")
    if "~" not in formula or not formula.split("~")[0].strip():
        raise ValueError(f"formula {formula!r} has no target; write it as 'target ~ predictors'.")
    try:
        description = model_description(formula)
    except (ParseError, ValueError) as error:
        raise ValueError(f"cannot parse the formula {formula!r}: {error}") from error
    if not any(isinstance(term, Intercept) for term in description.common_terms):
        raise ValueError(
            f"formula {formula!r} removes the intercept; imputation models always include one, "
            "so drop the '0 +' or '- 1'."
        )
    (target,) = _term(description.response.term, formula).variables
    fixed = tuple(
        _term(term, formula) for term in description.common_terms if isinstance(term, FormulaeTerm)
    )
    return Formula(formula, target, fixed, _groups(description.group_terms, formula))


def _groups(group_terms: list, formula: str) -> dict[str, tuple[Term, ...]]:
    """Random slopes per grouping factor; refuse a grouping factor without random intercept."""
    slopes: dict[str, list[Term]] = {}
    intercepts: set[str] = set()
    for term in group_terms:
        group = _term(term.factor, formula).name
        slopes.setdefault(group, [])
        if isinstance(term.expr, Intercept):
            intercepts.add(group)
        else:
            slopes[group].append(_term(term.expr, formula))
    without = [group for group in slopes if group not in intercepts]
    if without:
        group = without[0]
        written = " + ".join(term.name for term in slopes[group])
        raise ValueError(
            f"the grouping term of {group!r} in {formula!r} has random slopes but no random "
            f"intercept (0 + {written} | {group}); bayesmi's models always have one: write "
            f"(1 + {written} | {group})."
        )
    return {group: tuple(terms) for group, terms in slopes.items()}


def _term(term: object, formula: str) -> Term:
    """Return a formulae term as a `Term`; refuse calls and transformations other than C(x)."""
    components = getattr(term, "components", [])
    if not components or not all(_plain_or_factor(part) for part in components):
        raise ValueError(
            f"term {term} in {formula!r} is not a column name, C(column), lag(column, k), "
            "lead(column, k) or an interaction of those (x:w); create the column "
            "(transformation) in the data first and use its name."
        )
    return Term(tuple(_variable_name(part) for part in components))


def _variable_name(part: object) -> str:
    """Return a component's variable as bayesmi names it: ``x``, ``C(x)``, ``lead(x, 2)``."""
    call = getattr(part, "call", None)
    if type(part).__name__ == "Call" and call.callee in SHIFTS:
        column = str(call.args[0].name)
        steps = int(call.args[1].value) if len(call.args) == 2 else 1
        return f"{call.callee}({column})" if steps == 1 else f"{call.callee}({column}, {steps})"
    return str(part.name)


def _plain_or_factor(part: object) -> bool:
    """Whether a component is a column name, ``C(column)``, or ``lag``/``lead`` of a column."""
    if type(part).__name__ == "Variable":
        return True
    call = getattr(part, "call", None)
    if type(part).__name__ != "Call" or call is None or call.kwargs:
        return False
    column = len(call.args) >= 1 and type(call.args[0]).__name__ == "LazyVariable"
    if call.callee == "C":
        return column and len(call.args) == 1
    if call.callee in SHIFTS:
        steps = call.args[1:]
        return column and (
            not steps
            or (
                len(steps) == 1
                and isinstance(getattr(steps[0], "value", None), int)
                and steps[0].value >= 1
            )
        )
    return False


def shift_of(variable: str) -> tuple[str, int] | None:
    """Return the column and signed steps of ``lag(x, k)`` (``+k``) or ``lead(x, k)`` (``-k``)."""
    match = _SHIFT.match(variable)
    if match is None:
        return None
    steps = int(match.group(3) or 1)
    return match.group(2), steps if match.group(1) == "lag" else -steps
