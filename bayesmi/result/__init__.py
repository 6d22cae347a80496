"""The result of an imputation run: its InferenceData, built, read back and exported.

`trace` records each chain, `build` assembles the InferenceData, `read` gives the completed
data frames back (`completed`, `complete`), `export` writes them for R (`to_mids_csv`),
`foreign` for Stata and SPSS (`to_stata`, `to_spss`), `mids` reads mice's imputations back
(`read_mids`), `datatree` converts the result to ArviZ 1's `xarray.DataTree` (`to_datatree`).
"""

from bayesmi.result.datatree import to_datatree
from bayesmi.result.export import split_long, to_mids_csv
from bayesmi.result.foreign import to_spss, to_stata
from bayesmi.result.mids import read_mids
from bayesmi.result.read import complete, completed

__all__ = [
    "complete",
    "completed",
    "read_mids",
    "split_long",
    "to_datatree",
    "to_mids_csv",
    "to_spss",
    "to_stata",
]
