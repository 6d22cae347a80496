"""The result of an imputation run: its InferenceData, built, read back and exported.

`trace` records each chain, `build` assembles the InferenceData, `read` gives the completed
data frames back (`completed`, `complete`), `export` writes them for R (`to_mids_csv`),
`datatree` converts the result to ArviZ 1's `xarray.DataTree` (`to_datatree`).
"""

from bayesmi.result.datatree import to_datatree
from bayesmi.result.export import split_long, to_mids_csv
from bayesmi.result.read import complete, completed

__all__ = ["complete", "completed", "split_long", "to_datatree", "to_mids_csv"]
