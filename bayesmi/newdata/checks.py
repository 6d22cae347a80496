"""What `impute_new` refuses before it draws: runs it cannot continue, and new rows unlike the fit.

A fitted run is continued from its stored posterior: every model's parameters and each
cluster's effects on the data's scale, one set per stored imputation. What that does not
determine yet is refused with what to do instead: the joint engine's runs, a delta, kinds
whose draws are not a family's draw given a linear predictor (heckman, fixed_cluster,
survival), matching whole clusters, nominal models of several grouping factors, variables of a
level above the cluster, and in ``analysis=`` runs cluster-level covariates and an AR(1)
analysis model. New rows must have the fitted frame's columns, kinds of values and categories
(a cluster label may be new) and complete cluster columns.
"""

from __future__ import annotations

import json
from collections.abc import Hashable

import arviz as az
import pandas as pd

from bayesmi.messages import show
from bayesmi.spec.model import ImputationModel

__all__ = ["check_new_frame", "check_run"]


def check_run(idata: az.InferenceData, spec: dict[str, ImputationModel]) -> None:
    """Refuse a run whose imputations the stored posterior does not determine."""
    attrs = idata.attrs
    if attrs.get("engine") != "chained":
        raise ValueError(
            "impute_new continues a run of the chained engine; this one ran "
            f"engine={attrs.get('engine')!r}, whose missing cells are latent variables of one "
            "model. Impute with engine='chained' (the default)."
        )
    if "posterior" not in idata.groups():
        raise ValueError("the run stored no posterior draws: impute with draws >= 1.")
    compatible = bool(attrs.get("analysis"))
    for name, model in spec.items():
        reason = _unsupported(model)
        if compatible and model.kind_info.cluster_level:
            reason = (
                "a cluster-level covariate of a run with analysis= is proposed for a whole "
                "cluster at once, which is not held yet."
            )
        if compatible and model.residual == "ar1":
            reason = (
                "an analysis model with residual='ar1' links the likelihood of neighbouring "
                "occasions, which the covariates' Metropolis step of new rows does not hold yet."
            )
        if reason is not None:
            raise ValueError(f"impute_new cannot draw {name!r}: {reason}")


def _unsupported(model: ImputationModel) -> str | None:
    """Return why `impute_new` cannot draw a model's cells, or None."""
    info, family = model.kind_info, model.family
    if info.selection or info.cluster_dummies or family.survival:
        return (
            f"its model is {model.kind}, whose draws are not a family's given its linear "
            "predictor (a selection equation, one intercept per cluster, or a time to event): "
            "impute_new draws the mixed and cluster-level models so far."
        )
    if model.pmm and info.cluster_level:
        return "matching whole clusters (pmm=True of a cluster-level model) is not held yet."
    if model.delta is not None:
        return "a delta (MNAR shift) is not held yet; impute without delta."
    if family.per_category and model.other_groups:
        return "a nominal (categorical) model of several grouping factors is not held yet."
    if info.cluster_level and model.level is not None:
        return (
            f"a variable of the level {model.level!r} (above the cluster) is not held yet; "
            "its model must be of the cluster's level."
        )
    return None


def cluster_columns(idata: az.InferenceData, frame: pd.DataFrame) -> list[Hashable]:
    """Return the run's grouping columns, outermost first, as the frame labels them."""
    names = json.loads(idata.attrs.get("cluster_columns", json.dumps([idata.attrs["cluster"]])))
    by_name = {str(column): column for column in frame.columns}
    return [by_name[name] for name in names]


def check_new_frame(new: object, fitted: pd.DataFrame, clusters: list[Hashable]) -> None:
    """Refuse new rows that are not a frame like the fitted one.

    The same columns (in any order), each with the fitted column's kind of values: numbers
    where it held numbers, the fitted categories where it was a factor; complete cluster
    columns.
    """
    if not isinstance(new, pd.DataFrame):
        raise TypeError(f"new_data must be a pandas DataFrame, got {type(new).__name__}.")
    if len(new) == 0:
        raise ValueError("new_data has no rows.")
    absent = [column for column in fitted.columns if column not in new.columns]
    extra = [column for column in new.columns if column not in fitted.columns]
    if absent or extra:
        parts = [f"lacks {show(absent)}" if absent else "", f"adds {show(extra)}" if extra else ""]
        raise ValueError(
            f"new_data {' and '.join(part for part in parts if part)}; it needs the columns of "
            f"the fitted data: {show(list(fitted.columns), 20)} (missing values as NaN)."
        )
    for column in clusters:
        empty = new.index[new[column].isna().to_numpy()]
        if len(empty):
            raise ValueError(
                f"cluster column {column!r} of new_data is missing in rows {show(list(empty), 5)}: "
                "give each new row its cluster (a new label for a cluster not in the fit)."
            )
    for column in fitted.columns:
        if column not in clusters:  # a cluster label the fit did not see is a new cluster
            _check_column(new[column], fitted[column])


def _check_column(new: pd.Series, fitted: pd.Series) -> None:
    """Refuse a column whose values are not of the fitted column's kind."""
    from bayesmi.data.encoding import is_numeric

    column = fitted.name
    if is_numeric(fitted) and not fitted.dtype == bool:
        if not (is_numeric(new) or new.isna().all()) or new.dtype == bool:
            raise ValueError(
                f"column {column!r} held numbers in the fitted data but {new.dtype} in "
                "new_data: convert it with pd.to_numeric(...)."
            )
        return
    known = set(fitted.dropna().unique())
    if isinstance(fitted.dtype, pd.CategoricalDtype):
        known |= set(fitted.cat.categories)
    values = new.dropna()
    unknown = values[~values.isin(known)]
    if len(unknown):
        raise ValueError(
            f"column {column!r} of new_data holds {show(sorted(map(str, unknown.unique())), 5)} "
            f"(rows {show(list(unknown.index), 5)}), which the fitted data never held; its "
            f"categories are {show(sorted(map(str, known)), 20)}. A model cannot draw or read a "
            "category it was not fitted on: recode those values or set them missing."
        )
