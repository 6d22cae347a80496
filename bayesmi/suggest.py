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

import numpy as np
import pandas as pd

from bayesmi._formula import MEAN_SUFFIX, factors, parse, single_group
from bayesmi._validate import check_cluster_column, check_frame
from bayesmi.data import encode
from bayesmi.spec import (
    ImputationModel,
    binary,
    cluster_level,
    random_intercept,
    random_slopes,
)

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
    check_frame(data)
    check_cluster_column(data, cluster)
    outcome, predictors, groups = parse(analysis)
    group, slopes = single_group(analysis, groups, "the analysis model")
    if group != cluster:
        raise ValueError(
            f"the analysis model {analysis!r} is grouped by {group!r}, not by the cluster "
            f"column {cluster!r}."
        )
    encoded = encode(data, cluster)
    variables = list(dict.fromkeys([outcome, *(p for term in predictors for p in factors(term))]))
    for name in variables:
        if name not in encoded.level:
            raise ValueError(
                f"{name!r} in the analysis model {analysis!r} is not a numeric column of data."
            )
    incomplete = [name for name in variables if encoded.missing[name].any()]
    if not incomplete:
        raise ValueError(f"no variable of the analysis model {analysis!r} has missing values.")
    level_two = [name for name in variables if encoded.level[name] == 2]
    chosen: dict[str, tuple[ImputationModel, str]] = {}
    order = sorted(incomplete, key=lambda n: (n == outcome, encoded.level[n] != 2))
    for name in order:
        others = [other for other in variables if other != name]
        if name == outcome:
            others = list(predictors)  # interactions of the analysis included
        values = encoded.values(name)
        is_binary = bool(np.all(np.isin(values[~np.isnan(values)], (0.0, 1.0))))
        if name in level_two:
            terms = [o if o in level_two else f"{o}{MEAN_SUFFIX}" for o in others]
            formula = f"{name} ~ {' + '.join(terms) or '1'}"
            chosen[name] = (
                cluster_level(formula),
                f"constant within clusters of {cluster!r} (level 2): one value per cluster, "
                "from the other level-2 variables and the cluster means of the level-1 ones "
                "(2lonly.norm)",
            )
            continue
        slope_terms = _slopes(name, outcome, slopes, others, level_two)
        random_part = f"(1{''.join(f' + {s}' for s in slope_terms)} | {cluster})"
        formula = f"{name} ~ {' + '.join(others) or '1'} + {random_part}"
        reasons = []
        if slope_terms and name == outcome:
            reasons.append(f"the analysis' random slopes of {', '.join(slope_terms)}")
        elif slope_terms:
            reasons.append(
                f"random slope of {name!r} in the analysis: random slope on the outcome "
                f"{outcome!r} here (2l.pan, reverse regression)"
            )
        if is_binary:
            model = binary(formula)
            reasons.insert(0, "values 0/1: logistic mixed model (2l.bin)")
        elif slope_terms:
            model = random_slopes(formula)
        else:
            model = random_intercept(formula)
            reasons.append("level-1 variable: random intercept per cluster (2l.pan)")
        reason = "; ".join(reasons)
        role = "outcome of the analysis; " if name == outcome else ""
        chosen[name] = (model, role + reason)
    spec = SuggestedSpec({name: model for name, (model, _) in chosen.items()})
    spec.table = pd.DataFrame(
        {
            "model": [model.kind for model, _ in chosen.values()],
            "formula": [model.formula for model, _ in chosen.values()],
            "reason": [reason for _, reason in chosen.values()],
        },
        index=pd.Index(list(chosen), name="variable"),
    )
    if verbose:
        print(repr(spec))
    return spec


def _slopes(
    name: str, outcome: str, slopes: list[str], others: list[str], level_two: list[str]
) -> list[str]:
    """Random slopes of a level-1 variable's model: the analysis' (outcome) or the outcome."""
    if name == outcome:
        return [s for s in slopes if s in others and s not in level_two]
    if name in slopes and outcome not in level_two:
        return [outcome]
    return []
