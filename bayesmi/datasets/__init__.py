"""Data sets shipped with bayesmi."""

from importlib.resources import files

import pandas as pd

__all__ = ["load_popmis"]


def load_popmis() -> pd.DataFrame:
    """Load popmis, the popularity data of the multilevel imputation tutorial.

    Simulated data after Hox's textbook example of pupils in school classes, with part of the
    popularity scores deleted; exported from the R package mice 3.15.0 (``mice::popmis``,
    GPL-licensed; the data are simulated teaching data).

    Returns
    -------
    pandas.DataFrame
        2000 rows (pupils) in 100 schools of 16 to 26 pupils, columns:

        - ``pupil``: pupil number;
        - ``school``: school number (the cluster);
        - ``popular``: popularity score, observed values integers 2 to 9, missing (NaN) for
          848 pupils; no school misses it for all its pupils;
        - ``sex``: 0/1, pupil level;
        - ``texp``: teacher experience in years, constant within a school (level 2);
        - ``const``: 1;
        - ``teachpop``: teacher-rated popularity.

    References
    ----------
    Hox, J. J. (2010). Multilevel Analysis: Techniques and Applications, 2nd ed. Routledge.
    van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., section 7.10.

    Examples
    --------
    >>> popmis = bm.datasets.load_popmis()
    >>> popmis.shape, int(popmis["popular"].isna().sum())
    ((2000, 7), 848)
    """
    with files("bayesmi.datasets").joinpath("popmis.csv").open("r") as handle:
        return pd.read_csv(handle)
