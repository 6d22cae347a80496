"""Checks of a survival analysis model's time, event and strata columns, before anything runs.

A survival model (`bayesmi.survival`, given as ``analysis=``) reads a follow-up time, an event
code and optionally a stratifying column besides its predictors. Event times are never
imputed, so all three must be complete; the time non-negative with no event at time 0 (it
would have no time at risk); the event a whole number from 0 (censored) to K (the causes,
each present); every stratum must hold an event. None of them may be imputed by the spec or
read by a covariate's model (the outcome enters through the analysis model only).
"""

from __future__ import annotations

import numpy as np

from bayesmi.data.encoding import ImputationData
from bayesmi.messages import show
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.survival import SurvivalOutcome, survival_outcome

__all__ = ["check_survival_outcome", "check_survival_predictors"]


def check_survival_outcome(
    analysis: ImputationModel, imputed: object, data: ImputationData
) -> SurvivalOutcome:
    """Refuse a survival model's columns where they cannot hold its outcome; return them.

    Parameters
    ----------
    analysis : ImputationModel
        The survival analysis model.
    imputed : iterable of str
        The variables the spec imputes.
    data : ImputationData
        The encoded data.

    Raises
    ------
    ValueError, TypeError
        Naming the column, the rows or strata at fault, and the fix.
    """
    outcome, _ = survival_outcome(analysis.formula)
    formula = analysis.formula
    for role, column in (("time", outcome.time), ("event", outcome.event)):
        _check_complete(column, role, formula, data)
        if column in imputed:
            raise ValueError(
                f"{column!r} is the {role} column of the survival model {formula!r}; event "
                f"times and events are never imputed: leave {column!r} out of spec (and drop "
                "its rows with a missing value, or impute them in another way first)."
            )
    if outcome.strata is not None:
        _check_complete(outcome.strata, "strata", formula, data)
    _check_times(outcome, formula, data)
    _check_events(outcome, formula, data)
    return outcome


def _check_complete(column: str, role: str, formula: str, data: ImputationData) -> None:
    if column not in data.missing:
        raise ValueError(
            f"{role} column {column!r} of the survival model {formula!r} is not a column of "
            f"data; its columns are {show(sorted(map(str, data.missing)), 20)}."
        )
    if role != "strata" and column in data.factors:
        raise TypeError(
            f"the {role} column {column!r} of {formula!r} is categorical; it must hold "
            f"{'numbers (follow-up times)' if role == 'time' else 'codes 0 (censored), 1, ...'}."
        )
    missing = data.frame.index[data.missing[column]]
    if len(missing):
        raise ValueError(
            f"the {role} column {column!r} of the survival model {formula!r} is missing in "
            f"rows {show(missing)}; a survival model needs it in every row (event times are "
            "never imputed): drop those rows, or find the values."
        )


def _check_times(outcome: SurvivalOutcome, formula: str, data: ImputationData) -> None:
    times = data.values(outcome.time)
    events = data.values(outcome.event)
    index = data.frame.index
    negative = index[times < 0]
    if len(negative):
        raise ValueError(
            f"the time column {outcome.time!r} of {formula!r} is negative in rows "
            f"{show(negative)}; follow-up times are 0 or more (time since entry)."
        )
    at_zero = index[(times == 0) & (events > 0)]
    if len(at_zero):
        raise ValueError(
            f"rows {show(at_zero)} have an event at time 0 in {outcome.time!r}, with no time "
            "at risk before it, which a hazard model cannot hold; give those rows a small "
            "positive time (e.g. half the smallest unit of follow-up) or drop them."
        )


def _check_events(outcome: SurvivalOutcome, formula: str, data: ImputationData) -> None:
    events = data.values(outcome.event)
    index = data.frame.index
    wrong = index[(events < 0) | (events != np.round(events))]
    if len(wrong):
        raise ValueError(
            f"the event column {outcome.event!r} of {formula!r} holds codes other than whole "
            f"numbers 0, 1, ... in rows {show(wrong)} (values "
            f"{show(np.unique(events[(events < 0) | (events != np.round(events))]))}); code it "
            "0 for censored and 1 for the event, or 1..K for K competing causes."
        )
    codes = events.astype(int)
    top = int(codes.max(initial=0))
    absent = sorted(set(range(1, top + 1)) - set(np.unique(codes)))
    if top == 0 or absent:
        what = "no row has an event" if top == 0 else f"causes {show(absent)} never occur"
        raise ValueError(
            f"the event column {outcome.event!r} of {formula!r}: {what}. Code it 0 for "
            "censored and 1..K for K causes, each of which occurs."
        )
    if outcome.strata is None:
        return
    strata = data.frame[outcome.strata].to_numpy()
    labels = np.unique(strata)
    empty = [label for label in labels if not (codes[strata == label] > 0).any()]
    if empty:
        raise ValueError(
            f"strata {show(empty)} of {outcome.strata!r} in {formula!r} have no event, so "
            "their baseline hazards have nothing to be estimated from and their rows add "
            "nothing to the model; drop those rows, or merge those strata with others."
        )


def check_survival_predictors(
    analysis: ImputationModel, spec: dict[str, ImputationModel], data: ImputationData
) -> None:
    """Refuse the time or event as a predictor, of a covariate's model or the analysis model.

    `spec` is the checked spec (`bayesmi.data.checks.check_spec`), the analysis model in it.
    """
    outcome, _ = survival_outcome(analysis.formula)
    for name, model in spec.items():
        read = {source.column for term in model.terms for source in data.resolve(term).sources}
        for column in read & {outcome.time, outcome.event}:
            whose = "the survival model itself" if model is analysis else f"the model of {name!r}"
            raise ValueError(
                f"{whose}, {model.formula!r}, uses {column!r}, a column of the survival "
                f"outcome Surv({outcome.time}, {outcome.event}); the outcome enters through "
                f"the survival model, the last factor: drop {column!r} from that formula."
            )
