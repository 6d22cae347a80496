"""Hand imputations to R and back: mice's long format as CSV, mitml-style lists of frames."""

from __future__ import annotations

from pathlib import Path

import arviz as az
import pandas as pd

from bayesmi.result.datatree import reads_result
from bayesmi.result.read import complete

__all__ = ["split_long", "to_mids_csv"]


@reads_result
def to_mids_csv(idata: az.InferenceData, path: str | Path) -> Path:
    """Write the imputations as a long CSV that ``mice::as.mids`` reads back.

    The file holds the incomplete data as ``.imp`` 0 followed by the m completed datasets
    (``.imp`` 1..m), with ``.id`` the row labels and missing values written as ``NA``.
    Categorical, string and boolean columns are written as their labels (``girl``, not a
    code), so R reads them as factors. In R::

        imp <- mice::as.mids(read.csv("imputations.csv", stringsAsFactors = TRUE))
        fit <- with(imp, lm(popular ~ sex + texp))

    An ordered factor needs its order again in R, e.g.
    ``long$ses <- factor(long$ses, levels = c("low", "mid", "high"), ordered = TRUE)``.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    path : str or pathlib.Path
        Where to write the CSV.

    Returns
    -------
    pathlib.Path
        The path written.

    See Also
    --------
    split_long : the long format back into a list of completed frames.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> path = bm.to_mids_csv(idata, pathlib.Path(tempfile.mkdtemp()) / "imp.csv")
    >>> long = pd.read_csv(path)
    >>> sorted(long[".imp"].unique().tolist()), int(long["popular"].isna().sum())
    ([0, 1, 2, 3], 848)
    """
    path = Path(path)
    long = complete(idata, "long", include=True)
    long.to_csv(path, index=False, na_rep="NA")
    return path


def split_long(long: pd.DataFrame, include: bool = False) -> list[pd.DataFrame]:
    """Split mice's long format into a list of completed frames (mitml's ``mitml.list``).

    Parameters
    ----------
    long : pandas.DataFrame
        Stacked imputations with ``.imp`` and ``.id`` columns, as `complete` (``"long"``)
        returns or `to_mids_csv` writes.
    include : bool, default=False
        Keep ``.imp`` 0 (the incomplete data) as the first frame when present.

    Returns
    -------
    list of pandas.DataFrame
        One frame per imputation in ``.imp`` order, indexed by ``.id``, without the two
        bookkeeping columns.

    Raises
    ------
    ValueError
        When ``.imp`` or ``.id`` is missing.

    Examples
    --------
    >>> # idata: the popmis imputation of the example of bm.impute (m = 3)
    >>> frames = bm.split_long(bm.complete(idata, "long"))
    >>> frames[1].equals(bm.complete(idata, 2).rename_axis(".id"))
    True
    """
    absent = [column for column in (".imp", ".id") if column not in long.columns]
    if absent:
        raise ValueError(
            f"long has no {' or '.join(absent)} column; give mice's long format, as "
            "bm.complete(idata, 'long') returns."
        )
    frames = []
    for imputation, block in long.groupby(".imp", sort=True):
        if imputation == 0 and not include:
            continue
        frames.append(block.drop(columns=".imp").set_index(".id"))
    return frames
