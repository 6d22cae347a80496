"""Build a bayesmi spec from a mice ``method`` vector and predictor matrix, so R scripts port.

mice's predictor codes for multilevel methods: -2 the cluster variable, 0 not a predictor,
1 fixed effect, 2 fixed and random effect, 3 fixed effect and cluster mean, 4 fixed and random
effect and cluster mean. Methods map to models:

=============== ==========================================================================
mice method     bayesmi model
=============== ==========================================================================
2l.pan, 2l.lmer `random_intercept`, or `random_slopes` when some predictor is coded 2 or 4
2l.pmm, pmm     as 2l.pan with ``pmm=True`` (miceadds' 2l.pmm; ``pmm`` with the cluster
                coded -2)
2l.norm         `heteroscedastic` (every predictor is used, unlike mice 3.15's 2l.norm)
2l.bin          `binary`
2lonly.norm     `cluster_level`, predictors as cluster means (as mice aggregates them)
2lonly.mean     `cluster_level`, likewise: clusters reporting the value keep it; clusters with
                none get a model draw where mice would leave them missing
2lonly.pmm      `cluster_level` with ``pmm=True``
ml.lmer         `random_intercept` with one random intercept per level id of the target in
                ``levels_id`` (miceadds: pupils in classes in schools, or crossed factors)
norm            `fixed_cluster` when the cluster variable is a predictor (coded 1)
=============== ==========================================================================

``logreg``, ``polyreg`` and ``polr`` with the cluster variable (as dummies) are refused with the
bayesmi model that imputes them multilevel (`binary`, `categorical`, `ordinal`) written out;
``norm``, ``pmm`` and ``logreg`` without the cluster variable ignore the clustering and are
refused with the method to use instead. Column names that are not Python identifiers
(``"teach pop"``) are written in backticks in the formulas, as R writes them in formulas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from bayesmi.spec.constructors import (
    binary,
    cluster_level,
    fixed_cluster,
    heteroscedastic,
    random_intercept,
    random_slopes,
)
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import MEAN_SUFFIX

__all__ = ["from_mice"]

_MIXED = {
    "2l.pan": None,
    "2l.lmer": None,
    "2l.norm": heteroscedastic,
    "2l.bin": binary,
}
_CLUSTER_LEVEL = ("2lonly.norm", "2lonly.mean", "2lonly.pmm")
_MATCHING = ("2l.pmm", "2lonly.pmm")
_CATEGORICAL = {"logreg": "binary", "polyreg": "categorical", "polr": "ordinal"}
"""Single-level methods of categories, and the multilevel model that replaces each."""
_CODES = (-2, 0, 1, 2, 3, 4)


def from_mice(
    method: Mapping[str, str],
    predictor_matrix: pd.DataFrame | Mapping[str, Mapping[str, int]],
    cluster: str,
    levels_id: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, ImputationModel]:
    """Translate mice's ``method`` and ``predictorMatrix`` into a bayesmi spec.

    Parameters
    ----------
    method : mapping of str to str
        mice's method vector as a dict, e.g. ``{"popular": "2l.pan", "sex": ""}``; variables
        with an empty method are not imputed. The order is the visiting order.
    predictor_matrix : pandas.DataFrame or mapping
        mice's predictor matrix: one row per target, one column per predictor, mice's codes
        (-2, 0, 1, 2, 3, 4). A dict of dicts ``{target: {predictor: code}}`` works too.
    cluster : str
        The cluster variable (coded -2 in the rows of multilevel methods).
    levels_id : mapping of str to list of str, optional
        miceadds' ``levels_id`` for ``ml.lmer`` targets: the grouping variables of each
        (``{"y": ["classroom", "school"]}``); each gets a random intercept.

    Returns
    -------
    dict of str to ImputationModel
        The spec for `bayesmi.impute`, in the order of `method`.

    Raises
    ------
    TypeError
        If `method` or `predictor_matrix` is not a mapping (or DataFrame), or `cluster` is not
        a string.
    ValueError
        For a method or code it cannot map (codes must be integers among mice's, not NaN), a
        predictor matrix with duplicated rows or columns, a -2 on another variable than
        `cluster`, a target that predicts itself or a random slope written for a
        cluster-level method; the message names the target and says what to use.

    Examples
    --------
    >>> pred = {"popular": {"school": -2, "sex": 2, "texp": 1}}
    >>> spec = bm.from_mice({"popular": "2l.pan"}, pred, cluster="school")
    >>> spec["popular"].formula
    'popular ~ sex + texp + (1 + sex | school)'
    """
    if not isinstance(method, Mapping):
        raise TypeError(
            "method must be a mapping from variable to mice method, e.g. "
            f'{{"popular": "2l.pan"}}; got {type(method).__name__}.'
        )
    if not isinstance(cluster, str):
        raise TypeError(f"cluster must be a column name (str), got {type(cluster).__name__}.")
    matrix = _as_frame(predictor_matrix)
    spec = {}
    for target, name in method.items():
        if not name:
            continue
        if target not in matrix.index:
            raise ValueError(
                f"{target!r} has method {name!r} but no row in the predictor matrix; add its row."
            )
        codes = {str(k): int(v) for k, v in matrix.loc[target].items() if int(v) != 0}
        if name == "ml.lmer":
            spec[target] = _ml_lmer(target, codes, (levels_id or {}).get(target))
        else:
            spec[target] = _model(target, str(name), codes, cluster)
    return spec


def _ml_lmer(target: str, codes: dict[str, int], levels: object) -> ImputationModel:
    """Return the model of miceadds' ml.lmer: a random intercept per level id, others fixed."""
    if isinstance(levels, str) or not isinstance(levels, Sequence) or not levels:
        raise ValueError(
            f"{target!r} uses 'ml.lmer', which needs its grouping variables: give "
            f'levels_id={{"{target}": ["classroom", "school"]}} (miceadds\' levels_id).'
        )
    predictors = {name: code for name, code in codes.items() if name not in levels}
    other = {name: code for name, code in predictors.items() if code != 1}
    if other:
        raise ValueError(
            f"{target!r} uses 'ml.lmer' with codes {other}; bayesmi maps its fixed effects "
            "(code 1) and one random intercept per level id: code predictors 1, and write "
            "cluster means (x_mean_school) or random slopes in a bm.random_intercept formula."
        )
    fixed = " + ".join(quote(name) for name in predictors) or "1"
    groups = " + ".join(f"(1 | {quote(level)})" for level in levels)
    return random_intercept(f"{quote(target)} ~ {fixed} + {groups}")


def _as_frame(predictor_matrix: object) -> pd.DataFrame:
    """Return the predictor matrix as a frame of integer codes; refuse what mice would not."""
    if isinstance(predictor_matrix, pd.DataFrame):
        matrix = predictor_matrix
    elif isinstance(predictor_matrix, Mapping):
        rows = {}
        for target, row in predictor_matrix.items():
            if not isinstance(row, Mapping):
                raise TypeError(
                    f"predictor_matrix[{target!r}] must be a mapping from predictor to code, "
                    f"got {type(row).__name__}."
                )
            absent = [name for name, code in row.items() if pd.isna(code)]
            if absent:
                raise ValueError(
                    f"predictor_matrix row {target!r} has missing codes for "
                    f"{', '.join(map(str, absent))}; give every code (0: not a predictor)."
                )
            rows[target] = row
        matrix = pd.DataFrame.from_dict(rows, orient="index", dtype=object).fillna(0)
    else:
        raise TypeError(
            "predictor_matrix must be a DataFrame (rows targets, columns predictors) or a dict "
            f"of dicts, got {type(predictor_matrix).__name__}."
        )
    for axis, labels in (("rows", matrix.index), ("columns", matrix.columns)):
        duplicated = labels[labels.duplicated()]
        if len(duplicated):
            raise ValueError(
                f"predictor_matrix has duplicated {axis} ({', '.join(map(str, duplicated))}); "
                "give each variable one row and one column, as mice does."
            )
    return matrix.apply(_codes)


def _codes(column: pd.Series) -> pd.Series:
    """Check one predictor column's codes: integers among mice's, no NaN."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    bad = column.index[np.isnan(values) | (values != np.round(values))]
    if len(bad):
        raise ValueError(
            f"predictor_matrix column {column.name!r} has codes that are not integers "
            f"(rows {', '.join(map(str, bad))}: {list(column[bad])}); mice's codes are "
            f"{list(_CODES)}."
        )
    odd = sorted({int(v) for v in values} - set(_CODES))
    if odd:
        raise ValueError(f"predictor_matrix has codes {odd}; mice's codes are {list(_CODES)}.")
    return pd.Series(values.astype(int), index=column.index, name=column.name)


def quote(name: str) -> str:
    """Write a column name as a formula term: in backticks unless it is an identifier."""
    return name if name.isidentifier() else f"`{name}`"


def _model(target: str, method: str, codes: dict[str, int], cluster: str) -> ImputationModel:
    if codes.get(target, 0):
        raise ValueError(
            f"{target!r} predicts itself in the predictor matrix (code {codes[target]}); set the "
            "diagonal to 0, as mice requires."
        )
    wrong = [name for name, code in codes.items() if code == -2 and name != cluster]
    if wrong:
        raise ValueError(
            f"row {target!r} codes {', '.join(wrong)} as the cluster variable (-2), but "
            f"cluster={cluster!r}; bayesmi models one clustering: code only {cluster!r} as -2."
        )
    predictors = {name: code for name, code in codes.items() if name != cluster}
    if method == "pmm" and codes.get(cluster) == -2:
        method = "2l.pmm"
    if method in _MIXED or method == "2l.pmm":
        return _mixed(target, method, predictors, cluster)
    if method in _CLUSTER_LEVEL:
        return _cluster_level(target, method, predictors)
    if method == "norm" and codes.get(cluster) == 1:
        terms = " + ".join(quote(name) for name in predictors) or "1"
        return fixed_cluster(f"{quote(target)} ~ {terms}")
    if method in _CATEGORICAL and cluster in codes:
        kind = _CATEGORICAL[method]
        formula = _mixed_formula(target, {name: 1 for name in predictors}, cluster)
        raise ValueError(
            f"{target!r} uses {method!r} with the cluster {cluster!r} as a predictor; its "
            f"multilevel counterpart in bayesmi is bm.{kind}({formula!r}) (a random intercept "
            "per cluster instead of cluster dummies): put that in the spec."
        )
    if method in ("norm", "logreg", "pmm"):
        instead = {"logreg": "2l.bin", "norm": "2l.pan", "pmm": "2l.pmm"}[method]
        raise ValueError(
            f"{target!r} uses {method!r} without the cluster as a predictor: a single-level "
            f"method that ignores the clustering. Use {instead!r} (with {cluster!r} coded -2)"
            + (", or code the cluster 1 for cluster dummies." if method == "norm" else ".")
        )
    known = sorted([*_MIXED, *_CLUSTER_LEVEL, "2l.pmm", "ml.lmer", "norm", "pmm"])
    raise ValueError(
        f"{target!r} uses method {method!r}, which bayesmi cannot map; the methods it maps "
        f"are {', '.join(known)}."
    )


def _cluster_level(target: str, method: str, predictors: dict[str, int]) -> ImputationModel:
    if any(code in (2, 4) for code in predictors.values()):
        raise ValueError(
            f"{target!r} uses {method}, a cluster-level method, with random effects (codes "
            "2 or 4); a level-2 variable has no random slopes: use codes 1 or 3."
        )
    names = [quote(f"{name}{MEAN_SUFFIX}") for name in predictors]
    formula = f"{quote(target)} ~ {' + '.join(names) or '1'}"
    return cluster_level(formula, pmm=method in _MATCHING)


def _mixed(target: str, method: str, predictors: dict[str, int], cluster: str) -> ImputationModel:
    formula = _mixed_formula(target, predictors, cluster)
    slopes = any(code in (2, 4) for code in predictors.values())
    if method == "2l.pmm":
        return (random_slopes if slopes else random_intercept)(formula, pmm=True)
    constructor = _MIXED[method] or (random_slopes if slopes else random_intercept)
    return constructor(formula)


def _mixed_formula(target: str, predictors: dict[str, int], cluster: str) -> str:
    """Return the lme4 formula of mice's codes: 1 fixed, 2 random slope, 3, 4 cluster means."""
    fixed, slopes = [], []
    for name, code in predictors.items():
        fixed.append(quote(name))
        if code in (2, 4):
            slopes.append(quote(name))
        if code in (3, 4):
            fixed.append(quote(f"{name}{MEAN_SUFFIX}"))
    random = " + ".join(["1", *slopes])
    return f"{quote(target)} ~ {' + '.join(fixed) or '1'} + ({random} | {quote(cluster)})"
