"""Tipping-point analysis: how far from MAR must the missing values be before a conclusion changes.

One imputation run per delta (`bayesmi.spec.pattern_mixture`: the variable's imputations shifted by
delta, the model fitted as under MAR), or per fixed error correlation rho of a Heckman model,
all with the same seed; each run's completed datasets are analysed (`bayesmi.fit_each`) and
pooled by Rubin's rules (`bayesmi.pool`). The tipping point is the first value, in the order
given, whose confidence interval of the chosen term contains the reference value (0 by
default: the effect is no longer significant).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from numbers import Real
from typing import Literal

import numpy as np
import pandas as pd

from bayesmi.engines.dispatch import impute
from bayesmi.pooling.rubin import fit_each, pool
from bayesmi.spec.model import ImputationModel

__all__ = ["TABLE_COLUMNS", "first_inside", "tipping_point"]

TABLE_COLUMNS = (
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "fmi",
)
"""The columns of `tipping_point`'s table after the first (``delta`` or ``rho``)."""


def tipping_point(
    data: pd.DataFrame,
    spec: Mapping[str, ImputationModel],
    cluster: str,
    variable: str,
    deltas: Sequence[float],
    analysis: Callable[[pd.DataFrame], object],
    term: str,
    *,
    reference: float = 0.0,
    level: float = 0.95,
    over: Literal["delta", "rho"] = "delta",
    seed: int | np.random.SeedSequence | None = None,
    **options,
) -> pd.DataFrame:
    """Impute once per delta, pool an analysis, and find where its conclusion tips.

    Parameters
    ----------
    data, spec, cluster
        As for `bayesmi.impute`.
    variable : str
        The variable whose imputations are shifted; its model in `spec` is used with each
        ``delta`` in turn (on the model's scale: the variable's for normal models, logit or
        log for the others; see `bayesmi.spec.pattern_mixture`).
    deltas : sequence of float
        The shifts (with ``over="rho"``: the error correlations), in the order the tipping
        point is looked for (usually from 0 outward).
    analysis : callable
        Takes one completed DataFrame and returns a fitted model (as for `bayesmi.fit_each`).
    term : str
        The analysis' term whose estimate and interval are followed.
    reference : float, default=0.0
        The value whose inclusion in the interval tips the conclusion.
    level : float, default=0.95
        Confidence level of the intervals.
    over : {"delta", "rho"}, default="delta"
        What `deltas` set: the variable's delta, or the fixed error correlation of its
        `bayesmi.heckman` model (``rho=``; 0 is MAR).
    seed : int or numpy.random.SeedSequence, optional
        Seed of every run (the same for all, so the deltas differ only by their shift); drawn
        once when omitted.
    **options
        Further arguments of `bayesmi.impute` (``chains``, ``iterations``, ``executor``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per value: ``delta`` (or ``rho``), ``term``, ``estimate``, ``std_error``,
        ``conf_low``, ``conf_high``, ``p_value``, ``fmi``. ``table.attrs`` holds
        ``tipping_point`` (the tipping value, None when no interval contains the reference),
        ``over``, ``variable``, ``term``, ``reference`` and ``level``, which
        `bayesmi.plot_tipping_point` reads.

    Raises
    ------
    ValueError
        If `variable` has no model in `spec` (a heckman model with ``over="rho"``), `deltas`
        is empty or not finite numbers (rho not in (-1, 1)), or `term` is not among the
        analysis' terms.

    Examples
    --------
    >>> import bayesmi as bm
    >>> import statsmodels.formula.api as smf
    >>> data = bm.datasets.load_popmis()
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> table = bm.tipping_point(
    ...     data, spec, "school", "popular", [0, -0.5, -1.0],
    ...     lambda d: smf.ols("popular ~ 1", d).fit(), "Intercept", reference=4.9,
    ...     chains=5, iterations=10, seed=1, progressbar=False,
    ... )  # doctest: +SKIP
    >>> table.attrs["tipping_point"]  # doctest: +SKIP
    """
    _check(spec, variable, deltas, over)
    if seed is None:
        seed = np.random.SeedSequence()
    rows = []
    for value in deltas:
        shifted = dict(spec) | {variable: replace(spec[variable], **{over: float(value)})}
        idata = impute(data, shifted, cluster, seed=seed, **options)
        pooled = pool(fit_each(idata, analysis), level=level)
        if term not in pooled.index:
            raise ValueError(
                f"term {term!r} is not among the analysis' terms: "
                f"{', '.join(map(str, pooled.index))}."
            )
        rows.append({over: float(value), "term": term} | pooled.loc[term].to_dict())
    table = pd.DataFrame(rows)[[over, *TABLE_COLUMNS]]
    table.attrs = {
        "tipping_point": first_inside(table, over, reference),
        "over": over,
        "variable": variable,
        "term": term,
        "reference": float(reference),
        "level": float(level),
    }
    return table


def first_inside(table: pd.DataFrame, over: str, reference: float = 0.0) -> float | None:
    """Return the first value of column `over` whose interval contains `reference`, or None."""
    inside = (table["conf_low"] <= reference) & (reference <= table["conf_high"])
    return float(table.loc[inside.idxmax(), over]) if inside.any() else None


def _check(spec: Mapping, variable: str, deltas: Sequence[float], over: str) -> None:
    """Refuse a variable without a (heckman) model and values that are not finite numbers."""
    if over not in ("delta", "rho"):
        raise ValueError(f"over must be 'delta' or 'rho', not {over!r}.")
    if not isinstance(spec, Mapping) or variable not in spec:
        raise ValueError(
            f"variable {variable!r} has no model in spec; give the variable whose imputations "
            "are shifted."
        )
    if over == "rho" and not spec[variable].kind_info.selection:
        raise ValueError(
            f"over='rho' fixes the error correlation of a heckman model; {variable!r} is "
            f"imputed by {spec[variable].kind}. Use over='delta', or bm.heckman."
        )
    values = list(deltas) if isinstance(deltas, Sequence | np.ndarray) else None
    if not values or not all(
        isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
        for value in values
    ):
        raise ValueError(f"deltas must be a non-empty sequence of finite numbers, got {deltas!r}.")
