"""Build a bayesmi spec from a mice ``method`` vector and predictor matrix, so R scripts port.

mice's predictor codes for multilevel methods: -2 the cluster variable, 0 not a predictor,
1 fixed effect, 2 fixed and random effect, 3 fixed effect and cluster mean, 4 fixed and random
effect and cluster mean. Methods map to models:

=============== ==========================================================================
mice method     bayesmi model
=============== ==========================================================================
2l.pan, 2l.lmer `random_intercept`, or `random_slopes` when some predictor is coded 2 or 4
2l.norm         `heteroscedastic` (every predictor is used, unlike mice 3.15's 2l.norm)
2l.bin          `binary`
2lonly.norm     `cluster_level`, predictors as cluster means (as mice aggregates them)
2lonly.mean     `cluster_level`, likewise: clusters reporting the value keep it; clusters with
                none get a model draw where mice would leave them missing
norm            `fixed_cluster` when the cluster variable is a predictor (coded 1)
=============== ==========================================================================

``logreg`` and ``norm`` without the cluster variable ignore the clustering, and ``pmm`` and
other single-level methods have no multilevel counterpart: they are refused with the method
to use instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bayesmi._formula import MEAN_SUFFIX
from bayesmi.spec import (
    ImputationModel,
    binary,
    cluster_level,
    fixed_cluster,
    heteroscedastic,
    random_intercept,
    random_slopes,
)

__all__ = ["from_mice"]

_MIXED = {
    "2l.pan": None,
    "2l.lmer": None,
    "2l.norm": heteroscedastic,
    "2l.bin": binary,
}
_CLUSTER_LEVEL = ("2lonly.norm", "2lonly.mean")
_CODES = (-2, 0, 1, 2, 3, 4)


def from_mice(
    method: Mapping[str, str],
    predictor_matrix: pd.DataFrame | Mapping[str, Mapping[str, int]],
    cluster: str,
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

    Returns
    -------
    dict of str to ImputationModel
        The spec for `bayesmi.impute`, in the order of `method`.

    Raises
    ------
    ValueError
        For a method or code it cannot map, a -2 on another variable than `cluster`, a target
        that predicts itself or a random slope written for a cluster-level method; the message
        names the target and says what to use.

    Examples
    --------
    >>> pred = {"popular": {"school": -2, "sex": 2, "texp": 1}}
    >>> spec = bm.from_mice({"popular": "2l.pan"}, pred, cluster="school")
    >>> spec["popular"].formula
    'popular ~ sex + texp + (1 + sex | school)'
    """
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
        spec[target] = _model(target, str(name), codes, cluster)
    return spec


def _as_frame(predictor_matrix) -> pd.DataFrame:
    if isinstance(predictor_matrix, pd.DataFrame):
        matrix = predictor_matrix
    elif isinstance(predictor_matrix, Mapping):
        matrix = pd.DataFrame.from_dict(predictor_matrix, orient="index").fillna(0)
    else:
        raise TypeError(
            "predictor_matrix must be a DataFrame (rows targets, columns predictors) or a dict "
            f"of dicts, got {type(predictor_matrix).__name__}."
        )
    odd = sorted({int(v) for v in matrix.to_numpy().ravel()} - set(_CODES))
    if odd:
        raise ValueError(f"predictor_matrix has codes {odd}; mice's codes are {list(_CODES)}.")
    return matrix


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
    if method in _MIXED:
        return _mixed(target, method, predictors, cluster)
    if method in _CLUSTER_LEVEL:
        if any(code in (2, 4) for code in predictors.values()):
            raise ValueError(
                f"{target!r} uses {method}, a cluster-level method, with random effects (codes "
                "2 or 4); a level-2 variable has no random slopes: use codes 1 or 3."
            )
        names = [f"{name}{MEAN_SUFFIX}" for name in predictors]
        return cluster_level(f"{target} ~ {' + '.join(names) or '1'}")
    if method == "norm" and codes.get(cluster) == 1:
        return fixed_cluster(f"{target} ~ {' + '.join(predictors) or '1'}")
    if method in ("norm", "logreg"):
        instead = "2l.bin" if method == "logreg" else "2l.pan"
        raise ValueError(
            f"{target!r} uses {method!r} without the cluster as a predictor: a single-level "
            f"method that ignores the clustering. Use {instead!r} (with {cluster!r} coded -2)"
            + (", or code the cluster 1 for cluster dummies." if method == "norm" else ".")
        )
    known = sorted([*_MIXED, *_CLUSTER_LEVEL, "norm"])
    raise ValueError(
        f"{target!r} uses method {method!r}, which bayesmi cannot map; the methods it maps "
        f"are {', '.join(known)}."
    )


def _mixed(target: str, method: str, predictors: dict[str, int], cluster: str) -> ImputationModel:
    fixed, slopes = [], []
    for name, code in predictors.items():
        fixed.append(name)
        if code in (2, 4):
            slopes.append(name)
        if code in (3, 4):
            fixed.append(f"{name}{MEAN_SUFFIX}")
    random = " + ".join(["1", *slopes])
    formula = f"{target} ~ {' + '.join(fixed) or '1'} + ({random} | {cluster})"
    constructor = _MIXED[method] or (random_slopes if slopes else random_intercept)
    return constructor(formula)
