"""Hand imputations to Stata and SPSS: their stacked layouts of the m completed datasets.

Stata's ``mi import flong`` reads the incomplete data (``_mi_m`` 0) followed by the m
completed datasets (``_mi_m`` 1..m), each row numbered by ``_mi_id`` and flagged by
``_mi_miss`` (in the rows of ``_mi_m`` 0: whether an imputed variable is missing there); SPSS's
multiple-imputation procedures split the file by ``Imputation_`` (0 the original data).
Factors become labelled numbers in both (Stata value labels through pandas, SPSS value labels
through pyreadstat).
"""

from __future__ import annotations

from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

from bayesmi.result.datatree import reads_result
from bayesmi.result.read import complete, imputed_variables

__all__ = ["to_spss", "to_stata"]


@reads_result
def to_stata(idata: az.InferenceData, path: str | Path) -> Path:
    """Write the imputations as a Stata dataset in ``mi import flong``'s layout.

    Rows are the incomplete data (``_mi_m`` 0) and the m completed datasets (``_mi_m``
    1..m); ``_mi_id`` numbers the rows 1..n in every dataset and ``_mi_miss`` is 1 in the
    original rows missing an imputed variable (0 in the others, missing where ``_mi_m`` > 0).
    Categorical, string and boolean columns are written with Stata value labels (a
    categorical) or as text; imputed variables are labelled "imputed (bayesmi)". A column
    name Stata cannot hold (longer than 32 characters, or a reserved word such as ``const``)
    is renamed by pandas, which warns with the new names. In Stata::

        use imputations.dta, clear
        drop _mi_miss
        mi import flong, m(_mi_m) id(_mi_id) imputed(popular)
        mi estimate: mixed popular sex texp || school:

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    path : str or pathlib.Path
        Where to write the ``.dta`` file.

    Returns
    -------
    pathlib.Path
        The path written.

    See Also
    --------
    to_spss : the same for SPSS.
    to_mids_csv : the same for R's mice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> path = bm.to_stata(idata, pathlib.Path(tempfile.mkdtemp()) / "imp.dta")
    >>> stacked = pd.read_stata(path)
    >>> sorted(stacked["_mi_m"].unique().tolist()), int(stacked["_mi_miss"].sum())
    ([0, 1, 2, 3], 848)
    """
    path = Path(path)
    stacked, imputed = _stacked(idata)
    stacked = stacked.rename(columns={".imp": "_mi_m", ".id": "_mi_id"})
    original = stacked["_mi_m"] == 0
    missing = stacked.loc[original, imputed].isna().any(axis=1).astype(float)
    stacked.insert(2, "_mi_miss", np.where(original, 0.0, np.nan))
    stacked.loc[original, "_mi_miss"] = missing.to_numpy()
    labels = {str(name): "imputed (bayesmi)" for name in imputed}
    _for_stata(stacked).to_stata(
        path,
        write_index=False,
        data_label="bayesmi imputations: mi import flong, m(_mi_m) id(_mi_id)",
        variable_labels=labels,
        version=118,
    )
    return path


@reads_result
def to_spss(idata: az.InferenceData, path: str | Path) -> Path:
    """Write the imputations as an SPSS ``.sav`` file split by ``Imputation_``.

    ``Imputation_`` 0 holds the incomplete data and 1..m the completed datasets, as SPSS's
    Multiple Imputation writes them (its procedures then pool over the split); factors are
    written as numbers 1..K with their categories as value labels. Needs pyreadstat
    (``pip install "bayesmi[spss]"``).

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    path : str or pathlib.Path
        Where to write the ``.sav`` file.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ImportError
        Without pyreadstat.

    See Also
    --------
    to_stata : the same for Stata.
    """
    try:
        import pyreadstat
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'bm.to_spss writes .sav files with pyreadstat: pip install "bayesmi[spss]".'
        ) from error
    path = Path(path)
    stacked, imputed = _stacked(idata)
    stacked = stacked.rename(columns={".imp": "Imputation_"}).drop(columns=".id")
    value_labels = {}
    for column in list(stacked.columns):
        series = stacked[column]
        if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == bool:
            categories = list(series.cat.categories) if series.dtype != bool else [False, True]
            codes = pd.Series(
                pd.Categorical(series, categories=categories).codes, index=series.index
            )
            stacked[column] = np.where(codes < 0, np.nan, codes + 1.0)
            value_labels[str(column)] = {k + 1.0: str(label) for k, label in enumerate(categories)}
        elif not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_datetime64_any_dtype(
            series
        ):
            stacked[column] = series.astype(object).where(series.notna(), None)
        elif pd.api.types.is_extension_array_dtype(series):
            stacked[column] = series.astype(float)
    stacked.columns = [str(column) for column in stacked.columns]
    pyreadstat.write_sav(
        stacked,
        str(path),
        variable_value_labels=value_labels,
        column_labels={str(name): "imputed (bayesmi)" for name in imputed},
    )
    return path


def _stacked(idata: az.InferenceData) -> tuple[pd.DataFrame, list]:
    """Return mice's long layout (``.imp`` 0..m, ``.id`` 1..n) and the imputed columns."""
    stacked = complete(idata, "long", include=True)
    n = int((stacked[".imp"] == 0).sum())
    stacked[".id"] = np.tile(np.arange(1, n + 1), stacked[".imp"].nunique())
    return stacked.reset_index(drop=True), imputed_variables(idata)


def _for_stata(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame in types ``to_stata`` writes: nullable and boolean columns as numbers."""
    frame = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if series.dtype == bool or str(series.dtype) == "boolean":
            frame[column] = series.astype(float)
        elif pd.api.types.is_extension_array_dtype(series) and pd.api.types.is_numeric_dtype(
            series
        ):
            frame[column] = series.astype(float)
        elif pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            if not isinstance(series.dtype, pd.CategoricalDtype):
                frame[column] = series.astype(object).where(series.notna(), "")
    frame.columns = [str(column) for column in frame.columns]
    return frame
