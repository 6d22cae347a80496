"""Propose an imputation spec from the analysis model, explaining each choice.

The rules are those of the multilevel imputation literature (Grund, Luedtke and Robitzsch 2018;
van Buuren 2018, chapter 7; Enders, Mistler and Keller 2016), applied to every incomplete
variable of the analysis model:

- the outcome of the analysis is a predictor of every other variable's model, and every
  variable of the analysis a predictor of the outcome's model (imputation must not be less
  rich than the analysis);
- a variable constant within clusters (level 2) is imputed by `cluster_level` from the other
  level-2 variables and the cluster means of the level-1 ones (mice's 2lonly.norm);
- a 0/1 variable is imputed by `binary` (2l.bin);
- the outcome keeps the analysis' random slopes (`random_slopes`); a level-1 predictor with a
  random slope in the analysis gets a random slope on the outcome (the reverse-regression
  approximation of 2l.pan); other level-1 variables get `random_intercept`.

Missing not at random (`heckman`) is never proposed: whether it applies is a judgement about
why values are missing that the data cannot make.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayesmi.data.encoding import encode
from bayesmi.spec.constructors import (
    cluster_level,
    grouped_model,
    random_intercept,
    random_slopes,
)
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import MEAN_SUFFIX, parse_formula

__all__ = ["SuggestedSpec", "suggest"]


class SuggestedSpec(dict):
    """A spec (variable to `ImputationModel`) with the reasons for each model in `table`.

    Pass it to `bayesmi.impute` as any spec. ``table`` has one row per imputed variable:
    ``model``, ``formula`` and ``reason``.
    """

    table: pd.DataFrame

    def __repr__(self) -> str:
        """Show the table of choices."""
        with pd.option_context("display.max_colwidth", 120, "display.width", 200):
            return self.table.to_string()

    def _repr_html_(self) -> str:
        """Show the table of choices in Jupyter."""
        return self.table.to_html()


def suggest(data: pd.DataFrame, analysis: str, cluster: str, verbose: bool = True) -> SuggestedSpec:
    """Propose a model for every incomplete variable of an analysis model.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data.
    analysis : str
        The analysis model, e.g. ``"popular ~ sex + texp + (1 + sex | school)"``.
    cluster : str
        The cluster column (the analysis' grouping factor).
    verbose : bool, default=True
        Print the table of choices and reasons.

    Returns
    -------
    SuggestedSpec
        The spec (incomplete level-2 variables first, then level-1 ones, the outcome last),
        with ``table`` explaining each choice.

    Raises
    ------
    ValueError
        If the formula does not parse, its grouping factor is not `cluster`, a variable is not
        a numeric column, or no variable of the analysis has missing values.

    Examples
    --------
    >>> spec = bm.suggest(df, "popular ~ sex + texp + (1 + sex | school)", cluster="school",
    ...                   verbose=False)
    >>> spec["popular"].formula
    'popular ~ sex + texp + (1 + sex | school)'
    """
    parsed = parse_formula(analysis)
    group, slopes = parsed.single_group("the analysis model")
    if group != cluster:
        raise ValueError(
            f"the analysis model {analysis!r} is grouped by {group!r}, not by the cluster "
            f"column {cluster!r}."
        )
    encoded = encode(data, cluster)
    variables = list(
        dict.fromkeys([parsed.target, *(v for term in parsed.fixed for v in term.variables)])
    )
    for name in variables:
        if name not in encoded.level:
            raise ValueError(
                f"{name!r} in the analysis model {analysis!r} is not a column of data holding "
                "numbers or categories."
            )
    incomplete = [name for name in variables if encoded.missing[name].any()]
    if not incomplete:
        raise ValueError(f"no variable of the analysis model {analysis!r} has missing values.")
    analysis_terms = _AnalysisTerms(
        parsed.target,
        [term.name for term in parsed.fixed],
        [term.name for term in slopes],
        variables,
        [name for name in variables if encoded.level[name] >= 2],
        cluster,
    )
    order = sorted(incomplete, key=lambda n: (n == parsed.target, encoded.level[n] < 2))
    chosen = {name: _choose(name, _kind_of(name, encoded), analysis_terms) for name in order}
    spec = SuggestedSpec({name: model for name, (model, _) in chosen.items()})
    spec.table = pd.DataFrame(
        {
            "model": [_described(model) for model, _ in chosen.values()],
            "formula": [model.formula for model, _ in chosen.values()],
            "reason": [reason for _, reason in chosen.values()],
        },
        index=pd.Index(list(chosen), name="variable"),
    )
    if verbose:
        print(repr(spec))
    return spec


@dataclass(frozen=True)
class _AnalysisTerms:
    """What the rules read from the analysis model and the data."""

    outcome: str
    predictors: list[str]
    slopes: list[str]
    variables: list[str]
    level_two: list[str]
    cluster: str


def _described(model: ImputationModel) -> str:
    """Return the model's kind, with a non-normal cluster-level family and matching."""
    options = [model.family] if model.kind == "cluster_level" and model.family != "gaussian" else []
    options += ["pmm"] if model.pmm else []
    return f"{model.kind} ({', '.join(options)})" if options else model.kind


@dataclass(frozen=True)
class _Kind:
    """What a variable's values call for: a family, matching, and why."""

    family: str
    pmm: bool
    reason: str


def _kind_of(name: str, encoded) -> _Kind:
    """Choose the family from the column's dtype and values."""
    factor = encoded.factors.get(name)
    if factor is not None:
        if factor.n_categories == 2:
            return _Kind("binary", False, "two categories: logistic model (2l.bin)")
        if factor.ordered:
            return _Kind("ordinal", False, "ordered categories: cumulative logit model")
        return _Kind(
            "categorical", False, f"{factor.n_categories} unordered categories: multinomial logit"
        )
    values = encoded.values(name)
    values = values[~np.isnan(values)]
    if np.all(np.isin(values, (0.0, 1.0))):
        return _Kind("binary", False, "values 0/1: logistic mixed model (2l.bin)")
    if np.all(values == np.round(values)):
        return _Kind(
            "gaussian",
            True,
            "whole numbers: predictive mean matching keeps imputations among the observed "
            "values (2l.pmm)",
        )
    return _Kind("gaussian", False, "")


def _choose(name: str, kind: _Kind, analysis: _AnalysisTerms) -> tuple[ImputationModel, str]:
    """Return the model for one incomplete variable and the reason for it."""
    others = [other for other in analysis.variables if other != name]
    if name == analysis.outcome:
        others = list(analysis.predictors)  # interactions of the analysis included
    if name in analysis.level_two:
        terms = [o if o in analysis.level_two else f"{o}{MEAN_SUFFIX}" for o in others]
        formula = f"{name} ~ {' + '.join(terms) or '1'}"
        reason = kind.reason + "; " if kind.reason else ""
        return (
            cluster_level(formula, family=kind.family, pmm=kind.pmm),
            f"{reason}constant within clusters of {analysis.cluster!r} (level 2): one value per "
            "cluster, from the other level-2 variables and the cluster means of the level-1 "
            "ones (2lonly)",
        )
    slope_terms = _slopes(name, analysis.outcome, analysis.slopes, others, analysis.level_two)
    random_part = f"(1{''.join(f' + {s}' for s in slope_terms)} | {analysis.cluster})"
    formula = f"{name} ~ {' + '.join(others) or '1'} + {random_part}"
    reasons = []
    if slope_terms and name == analysis.outcome:
        reasons.append(f"the analysis' random slopes of {', '.join(slope_terms)}")
    elif slope_terms:
        reasons.append(
            f"random slope of {name!r} in the analysis: random slope on the outcome "
            f"{analysis.outcome!r} here (2l.pan, reverse regression)"
        )
    if kind.family != "gaussian":
        model = grouped_model(formula, kind.family)
        reasons.insert(0, kind.reason)
    elif slope_terms:
        model = random_slopes(formula, pmm=kind.pmm)
    else:
        model = random_intercept(formula, pmm=kind.pmm)
        reasons.append("level-1 variable: random intercept per cluster (2l.pan)")
    if kind.family == "gaussian" and kind.reason:
        reasons.insert(0, kind.reason)
    role = "outcome of the analysis; " if name == analysis.outcome else ""
    return model, role + "; ".join(reasons)


def _slopes(
    name: str, outcome: str, slopes: list[str], others: list[str], level_two: list[str]
) -> list[str]:
    """Random slopes of a level-1 variable's model: the analysis' (outcome) or the outcome."""
    if name == outcome:
        return [s for s in slopes if s in others and s not in level_two]
    if name in slopes and outcome not in level_two:
        return [outcome]
    return []
