"""Data sets shipped with bayesmi, and R's results on them to compare with."""

import json
from importlib.resources import files

import pandas as pd

__all__ = ["load_popmis", "load_reference"]

REFERENCES = {"popmis": "popmis_reference.json"}
"""The data sets with R's reference results, and their files."""


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


def load_reference(name: str) -> dict:
    """Load R's results of the multilevel imputation tutorial on a data set, to compare with.

    Computed by the project with R (mice 3.15.0, mitml 0.4.4, lme4 1.1.31, pan 1.6, jomo
    2.7.4) on ``mice::popmis``: imputation of ``popular`` by each method of van Buuren's
    tutorial (m = 10, maxit = 10, seed 2026), the analysis
    ``lmer(popular ~ sex + texp + (1 | school), REML)`` pooled with
    ``mitml::testEstimates(extra.pars = TRUE)``.

    Parameters
    ----------
    name : str
        The data set: ``"popmis"``.

    Returns
    -------
    dict
        ``description``, ``versions`` (of R and the packages), ``complete_case`` (the analysis
        of the observed rows), ``steps`` (per method, e.g. ``step1_2lpan_ri``: ``fixed``
        estimates and standard errors, ``tau00``, ``sigma2``, ``icc``, summaries of the
        imputed values and the wall time), ``popmis_observed`` and ``note``.

    Raises
    ------
    ValueError
        If there is no reference for `name`.

    Examples
    --------
    >>> reference = bm.datasets.load_reference("popmis")
    >>> round(reference["steps"]["step1_2lpan_ri"]["fixed"]["sex"]["estimate"], 2)
    0.87
    """
    if name not in REFERENCES:
        raise ValueError(f"no reference results for {name!r}; there are: {', '.join(REFERENCES)}.")
    with files("bayesmi.datasets").joinpath(REFERENCES[name]).open("r") as handle:
        return json.load(handle)
