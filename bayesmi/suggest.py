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

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from bayesmi.data.column_advice import reference_note, whole_numbers_note
from bayesmi.data.encoding import encode
from bayesmi.messages import show
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
    ``model``, ``formula`` and ``reason``; ``notes`` say how the analysis' columns are read
    (each factor's reference category, numbers that may be codes of groups).
    """

    table: pd.DataFrame
    notes: list[str]

    def __repr__(self) -> str:
        """Show the table of choices, then the notes."""
        with pd.option_context("display.max_colwidth", 120, "display.width", 200):
            text = self.table.to_string()
        return text + "".join(f"\n- {note}" for note in getattr(self, "notes", []))

    def _repr_html_(self) -> str:
        """Show the table of choices in Jupyter, then the notes."""
        notes = "".join(f"<li>{escape(note)}</li>" for note in getattr(self, "notes", []))
        return self.table.to_html() + (f"<ul>{notes}</ul>" if notes else "")


def suggest(
    data: pd.DataFrame,
    analysis: str,
    cluster: str | Sequence[str],
    verbose: bool = True,
    time: str | None = None,
) -> SuggestedSpec:
    """Propose a model for every incomplete variable of an analysis model.

    Parameters
    ----------
    data : pandas.DataFrame
        The incomplete data.
    analysis : str
        The analysis model, e.g. ``"popular ~ sex + texp + (1 + sex | school)"``.
    cluster : str or sequence of str
        The cluster column (the analysis' grouping factor), or nested grouping columns,
        outermost first, for an analysis with a random intercept per level
        (``"y ~ x + (1 | school) + (1 | classroom)"``, ``cluster=["school", "classroom"]``).
    verbose : bool, default=True
        Print the table of choices and reasons.
    time : str, optional
        Longitudinal data (the cluster a person): the column ordering each person's
        occasions, as `bayesmi.impute` takes it. Continuous time-varying variables then get
        AR(1) residuals over the occasions (``residual="ar1"``); time-invariant ones (constant
        within person) the person-level model, as level-2 variables always do.

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
    encoded = encode(data, cluster, time)
    groups, slopes = _analysis_groups(parsed, encoded, analysis)
    variables = list(
        dict.fromkeys([parsed.target, *(v for term in parsed.fixed for v in term.variables)])
    )
    for name in variables:
        if name in encoded.misread:
            raise ValueError(encoded.misread[name])
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
        groups,
        {name: encoded.level[name] for name in variables},
        [grouping.name for grouping in encoded.groupings],
        time=time,
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
    spec.notes = _notes([name for name in variables if name != time], encoded)
    if verbose:
        print(repr(spec))
    return spec


def _notes(variables: list[str], encoded) -> list[str]:
    """Say how each variable of the analysis is read: a factor's reference, codes as numbers."""
    notes = []
    for name in variables:
        factor = encoded.factors.get(name)
        if factor is not None and factor.n_categories >= 2:
            notes.append(reference_note(name, encoded.frame[name], factor.categories))
        elif factor is None:
            note = whole_numbers_note(name, encoded.values(name))
            notes += [note] if note else []
    return notes


def _analysis_groups(parsed, encoded, analysis: str) -> tuple[list[str], tuple]:
    """Return the analysis' grouping factors and random slopes, checked against the data.

    With several factors, the slopes are on the first factor returned.
    """
    if len(parsed.groups) <= 1:
        group, slopes = parsed.single_group("the analysis model")
        if group != encoded.cluster:
            raise ValueError(
                f"the analysis model {analysis!r} is grouped by {group!r}, not by the cluster "
                f"column {encoded.cluster!r}."
            )
        return [group], slopes
    sloped = [group for group, slopes in parsed.groups.items() if slopes]
    if len(sloped) > 1:
        raise ValueError(
            f"the analysis model {analysis!r} has random slopes by {show(sloped)}; bayesmi "
            "imputes random slopes on one grouping factor beside random intercepts of the "
            "others: suggest from the model with slopes on one factor."
        )
    for group in parsed.groups:
        encoded.grouping(group)  # a column of the data, complete, with two groups or more
    first = sloped[0] if sloped else next(iter(parsed.groups))
    groups = [first, *(group for group in parsed.groups if group != first)]
    return groups, parsed.groups[first]


@dataclass(frozen=True)
class _AnalysisTerms:
    """What the rules read from the analysis model and the data."""

    outcome: str
    predictors: list[str]
    slopes: list[str]
    variables: list[str]
    level_two: list[str]
    groups: list[str]
    levels: dict[str, int]
    level_names: list[str]
    """The grouping columns of ``cluster=``, outermost first (level 2 the last)."""
    time: str | None = None
    """The column ordering each person's occasions (``time=``), if any."""

    @property
    def longitudinal(self) -> bool:
        return self.time is not None

    @property
    def cluster(self) -> str:
        return self.level_names[-1]

    def level_name(self, name: str) -> str:
        """Return the grouping column a variable of level 2 or more lives on."""
        return self.level_names[-(self.levels[name] - 1)]


def _described(model: ImputationModel) -> str:
    """Return the model's kind, with a family other than its kind's default, and matching."""
    family = model.family.name
    options = [] if family == model.kind_info.default_family else [family]
    options += ["pmm"] if model.pmm else []
    options += [f"residual={model.residual}"] if model.residual != "independent" else []
    return f"{model.kind} ({', '.join(options)})" if options else model.kind


@dataclass(frozen=True)
class _Kind:
    """What a variable's values call for: a family (and the kind named after it), matching, why.

    ``kind`` is None for a continuous variable, whose kind follows the analysis' random part.
    """

    family: str
    pmm: bool
    reason: str
    kind: str | None = None


def _kind_of(name: str, encoded) -> _Kind:
    """Choose the family from the column's dtype and values."""
    factor = encoded.factors.get(name)
    if factor is not None:
        if factor.n_categories == 2:
            return _Kind("binary", False, "two categories: logistic model (2l.bin)", "binary")
        if factor.ordered:
            return _Kind("ordinal", False, "ordered categories: cumulative logit model", "ordinal")
        reason = f"{factor.n_categories} unordered categories: multinomial logit"
        return _Kind("categorical", False, reason, "categorical")
    values = encoded.values(name)
    values = values[~np.isnan(values)]
    if np.all(np.isin(values, (0.0, 1.0))):
        return _Kind("binary", False, "values 0/1: logistic mixed model (2l.bin)", "binary")
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
        return _cluster_level_choice(name, kind, analysis, others)
    slope_terms = _slopes(name, analysis.outcome, analysis.slopes, others, analysis.level_two)
    groups = analysis.groups
    reasons = []
    sloped = "".join(f" + {term}" for term in slope_terms)  # on the first factor
    random_part = " + ".join(
        f"(1{sloped if k == 0 else ''} | {group})" for k, group in enumerate(groups)
    )
    formula = f"{name} ~ {' + '.join(others) or '1'} + {random_part}"
    if slope_terms and name == analysis.outcome:
        reasons.append(f"the analysis' random slopes of {', '.join(slope_terms)}")
    elif slope_terms:
        reasons.append(
            f"random slope of {name!r} in the analysis: random slope on the outcome "
            f"{analysis.outcome!r} here (2l.pan, reverse regression)"
        )
    if len(groups) > 1:
        reasons.append(
            f"level-1 variable: a random intercept per {' and per '.join(groups)}, as the "
            "analysis (ml.lmer)"
        )
    serial = analysis.longitudinal and not kind.pmm and kind.kind is None and len(groups) == 1
    residual = "ar1" if serial else "independent"
    if kind.kind is not None:
        model = grouped_model(formula, kind.kind)
        reasons.insert(0, kind.reason)
    elif slope_terms:
        model = random_slopes(formula, pmm=kind.pmm, residual=residual)
    elif len(groups) > 1:
        model = random_intercept(formula, pmm=kind.pmm)
    else:
        model = random_intercept(formula, pmm=kind.pmm, residual=residual)
        reasons.append("level-1 variable: random intercept per cluster (2l.pan)")
    if serial:
        reasons.append(
            "time-varying: AR(1) residuals over each person's occasions, so an occasion is "
            "imputed from its neighbours"
        )
    if kind.kind is None and kind.reason:
        reasons.insert(0, kind.reason)
    role = "outcome of the analysis; " if name == analysis.outcome else ""
    return model, role + "; ".join(reasons)


def _cluster_level_choice(
    name: str, kind: _Kind, analysis: _AnalysisTerms, others: list[str]
) -> tuple[ImputationModel, str]:
    """Return the cluster-level model of a variable constant within its level's groups."""
    level = analysis.levels[name]
    terms = [
        other if analysis.levels.get(other, 1) >= level else f"{other}{MEAN_SUFFIX}"
        for other in others
        if other != analysis.time  # a person's mean time is the design's, not information
    ]
    formula = f"{name} ~ {' + '.join(terms) or '1'}"
    where = analysis.level_name(name)
    reason = kind.reason + "; " if kind.reason else ""
    model = cluster_level(
        formula,
        family=kind.family,
        pmm=kind.pmm,
        level=None if where == analysis.cluster else where,
    )
    invariant = "time-invariant, " if analysis.longitudinal and level == 2 else ""
    return (
        model,
        f"{reason}{invariant}constant within groups of {where!r} (level {level}): one value "
        "per group, from the variables of that level and the group means of the others "
        "(2lonly)",
    )


def _slopes(
    name: str, outcome: str, slopes: list[str], others: list[str], level_two: list[str]
) -> list[str]:
    """Random slopes of a level-1 variable's model: the analysis' (outcome) or the outcome."""
    if name == outcome:
        return [s for s in slopes if s in others and s not in level_two]
    if name in slopes and outcome not in level_two:
        return [outcome]
    return []
