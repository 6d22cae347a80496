"""Impute new data with a fitted run: the new rows' missing cells from the stored posterior.

A prediction model developed on one data set is applied to new patients (pupils, ...) whose
predictors are partly missing (JointAI's ``predict``, miceforest's ``impute_new_data``). The
fitted run is not refitted: for each stored imputation its parameters are fixed, the new rows
are appended to the fitted data completed by that imputation (so cluster means and factors
are computed as in the fit), and the new rows' missing cells are drawn by a few Gibbs scans,
each variable from its model given the others' current values, in the order of the spec. Rows
of fitted clusters use that cluster's stored effects. A new cluster's effects are drawn from
the population the fit estimated (`StoredModel.group_effects`), so its rows share them and
are wider than a fitted cluster's; for a normal, binary or negative binomial model they are
drawn given the new cluster's rows that observe the target (`StoredModel.update_new_groups`),
as a refit would inform them.
A run with ``analysis=`` draws each covariate's cell as its engine does, by a Metropolis
step over the later factors, and the outcome from the analysis model
(`bayesmi.newdata.scan`). With predictive mean matching (``pmm=True``) a new cell takes the
observed value of one of the `donors` fitted rows whose predicted means, under the same
stored parameters, are closest (as the fit matched). The new rows' observed values do not
update the parameters: the fit is taken as it is.
"""

from __future__ import annotations

from collections.abc import Hashable
from numbers import Integral

import numpy as np
import pandas as pd

from bayesmi.data.encoding import ImputationData, encode
from bayesmi.data.factors import factor_of, from_codes
from bayesmi.messages import show
from bayesmi.newdata.checks import check_new_frame, check_run, cluster_columns
from bayesmi.newdata.linear_predictor import StoredModel
from bayesmi.newdata.scan import NewRowsScan
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import observed_frame, run_spec

__all__ = ["impute_new"]


@reads_result
def impute_new(
    idata: object,
    new_data: pd.DataFrame,
    *,
    iterations: int = 10,
    seed: int | np.random.Generator | None = None,
) -> list[pd.DataFrame]:
    """Impute the missing cells of new rows with a fitted run, without refitting.

    Parameters
    ----------
    idata : arviz.InferenceData or xarray.DataTree
        A run of `bayesmi.impute` with the chained engine (or one loaded back from netCDF).
    new_data : pandas.DataFrame
        New rows with the fitted data's columns (in any order), missing cells as NaN. Their
        clusters may be fitted ones (their stored effects are used) or new ones (their
        effects are drawn from the fitted population, given their observed rows for a
        normal, binary or negative binomial model).
    iterations : int, default=10
        Gibbs scans over the new rows' missing cells per imputation (one is enough when only
        one variable is missing, or the incomplete ones do not predict each other).
    seed : int or numpy.random.Generator, optional
        Seed of the draws: the same seed gives the same frames.

    Returns
    -------
    list of pandas.DataFrame
        One completed copy of `new_data` per stored imputation (chain by chain, draw by
        draw, as `bayesmi.completed`), its row labels and column order kept; an imputed
        factor comes back in the fitted column's dtype (a categorical stays one where
        new_data's column was all NaN), other columns in their own.

    Raises
    ------
    TypeError
        If `new_data` is not a DataFrame.
    ValueError
        If the run cannot be continued (the joint engine, a model kind, option or delta not
        held; the message says which), or `new_data` lacks or adds
        columns, holds a category or a kind of value the fitted data did not, has missing
        cluster labels, or puts new rows of a heteroscedastic model in new clusters.

    See Also
    --------
    impute : the fit.
    completed : the fitted data's completed frames.

    Notes
    -----
    Each completed frame pairs with the same imputation of the fit, so a prediction model
    fitted to the i-th completed data set can be applied to the i-th new frame and the
    predictions pooled.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> new = bm.datasets.load_popmis().head(4).assign(popular=np.nan)
    >>> frames = bm.impute_new(idata, new, seed=1)
    >>> len(frames), int(frames[0]["popular"].isna().sum())
    (3, 0)
    """
    if isinstance(iterations, bool) or not isinstance(iterations, Integral) or iterations < 1:
        raise ValueError(f"iterations must be a positive whole number, got {iterations!r}.")
    spec = run_spec(idata)
    check_run(idata, spec)
    fitted = observed_frame(idata)
    clusters = cluster_columns(idata, fitted)
    check_new_frame(new_data, fitted, clusters)
    new = new_data[list(fitted.columns)]
    data = encode(_combined(fitted, new), clusters, time=idata.attrs.get("time") or None)
    new_rows = np.arange(len(fitted), data.n_rows)
    designs = {name: _design_columns(idata, name, model, data) for name, model in spec.items()}
    given = _given_predictors(data, spec, designs, new_rows, new_data.index)
    donor_rows = {  # predictive mean matching: the fitted rows that observe the variable
        name: np.flatnonzero(idata.constant_data[f"{name}::observed"].to_numpy())
        for name, model in spec.items()
        if model.pmm
    }
    outcome = list(spec)[-1] if idata.attrs.get("analysis") else None
    posterior = idata.posterior
    rng = np.random.default_rng(seed)
    imputed = {name: [] for name in spec}
    for chain in range(posterior.sizes["chain"]):
        for draw in range(posterior.sizes["draw"]):
            parameters = posterior.isel(chain=chain, draw=draw)
            current = _current(idata, data, spec, parameters) | given
            stored = {
                name: StoredModel(name, model, parameters, data) for name, model in spec.items()
            }
            scan = NewRowsScan(
                data,
                designs,
                stored,
                {name: model.group_effects(rng) for name, model in stored.items()},
                current,
                donor_rows,
                new_rows,
                outcome,
                rng,
            )
            for _ in range(iterations):
                scan.run()
            for name in spec:
                imputed[name].append(current[name][new_rows])
    count = posterior.sizes["chain"] * posterior.sizes["draw"]
    return [
        _completed_frame(new_data, fitted, {name: values[k] for name, values in imputed.items()})
        for k in range(count)
    ]


def _given_predictors(
    data: ImputationData, spec: dict, designs: dict, new_rows: np.ndarray, labels: pd.Index
) -> dict[Hashable, np.ndarray]:
    """Return the predictors no model imputes, a cluster-level one's gaps filled; refuse others.

    A column constant within clusters (level 2) that a new row of a fitted cluster misses
    takes the cluster's value; any other missing cell of such a column cannot be drawn.
    """
    given = {}
    for name, columns in designs.items():
        for column in columns:
            for source in column.sources:
                variable = source.column
                if variable in spec or variable in given or source.absent:
                    continue
                values = data.values(variable)
                gaps = np.isnan(values[new_rows])
                if not gaps.any():
                    continue
                if data.level.get(variable, 1) >= 2:
                    codes = data.cluster_codes
                    reported = np.full(data.n_clusters, np.nan)
                    known = ~np.isnan(values)
                    reported[codes[known]] = values[known]
                    values = np.where(np.isnan(values), reported[codes], values)
                    gaps = np.isnan(values[new_rows])
                if gaps.any():
                    where = (
                        " (in clusters the fit did not see)"
                        if data.level.get(variable, 1) >= 2
                        else ""
                    )
                    raise ValueError(
                        f"{variable!r} predicts {name!r} but no model of the fit imputes it, "
                        f"and rows {show(list(labels[gaps]), 5)} of new_data miss it{where}: "
                        f"give those values, or fit with a model of {variable!r} "
                        "(impute(..., fit_complete=True) fits one where it is complete)."
                    )
                given[variable] = values
    return given


def _combined(fitted: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Return the fitted rows then the new ones, factors as in the fit.

    Rows are labelled ``fitted row <label>`` and ``new_data row <label>``, so a message about
    rows (a time repeated within a person) says which.
    """
    new = new.copy()
    for column in fitted.columns:
        if isinstance(fitted[column].dtype, pd.CategoricalDtype):
            new[column] = new[column].astype(fitted[column].dtype)
    combined = pd.concat([fitted, new], ignore_index=True)
    labels = [
        *(f"fitted row {label}" for label in fitted.index),
        *(f"new_data row {label}" for label in new.index),
    ]
    combined.index = pd.Index(labels, dtype=object)
    return combined


def _design_columns(idata, name: Hashable, model, data: ImputationData):
    """Return a model's design columns in the combined data, refused if not the fit's."""
    columns = data.design_columns(model.fixed_terms)
    names = [column.name for column in columns]
    labels = idata.posterior.coords.get(f"{name}::beta_dim")
    stored = [] if labels is None else [str(v) for v in labels.to_numpy() if str(v) != "Intercept"]
    if names != stored:
        raise ValueError(
            f"the model of {name!r} reads the design columns {show(stored, 20)} in the fit but "
            f"{show(names, 20)} with new_data appended: a factor's categories or a column's "
            "kind differ; give new_data the fitted data's categories and dtypes."
        )
    return columns


def _current(idata, data: ImputationData, spec: dict, parameters) -> dict[Hashable, np.ndarray]:
    """Return each imputed variable's current values, from which the scans start.

    The fitted rows completed by this imputation, and the new rows' observed values with
    their missing cells at a start: the observed mean, or the most frequent category.
    """
    current = {}
    for name in spec:
        values = data.values(name)
        fitted = ~idata.constant_data[f"{name}::observed"].to_numpy()
        values[np.flatnonzero(fitted)] = parameters[f"{name}::missing"].to_numpy()
        start = np.isnan(values)
        observed = values[~start]
        if data.factors.get(name) is not None or spec[name].family.reads_codes:
            kinds, counts = np.unique(observed, return_counts=True)
            values[start] = kinds[np.argmax(counts)]
        else:
            values[start] = observed.mean()
        current[name] = values
    return current


def _completed_frame(
    new_data: pd.DataFrame, fitted: pd.DataFrame, cells: dict[Hashable, np.ndarray]
) -> pd.DataFrame:
    """Return a copy of `new_data` with each variable's missing cells set, in the fit's dtype."""
    frame = new_data.copy()
    for name, values in cells.items():
        column = new_data[name]
        mask = column.isna().to_numpy()
        if not mask.any():
            continue
        factor = factor_of(fitted[name])
        if factor is not None:
            codes = np.full(len(column), np.nan)
            codes[mask] = values[mask]
            like = column.astype(fitted[name].dtype) if _castable(column, fitted[name]) else column
            filled = from_codes(codes, like, factor)
        else:
            numbers = column.to_numpy(dtype=float, na_value=np.nan, copy=True)
            numbers[mask] = values[mask]
            filled = pd.Series(numbers, index=column.index, name=name)
            if fitted[name].dtype.kind in "iu" and np.all(numbers == np.round(numbers)):
                filled = filled.astype(fitted[name].dtype)
        frame[name] = filled
    return frame


def _castable(column: pd.Series, fitted: pd.Series) -> bool:
    """Whether a new column can take the fitted column's dtype (its categories, say)."""
    try:
        column.astype(fitted.dtype)
    except (TypeError, ValueError):
        return False
    return True
