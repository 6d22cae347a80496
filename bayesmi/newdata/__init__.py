"""New data with a fitted run: `impute_new` draws new rows' missing cells from its posterior."""

from bayesmi.newdata.impute_new import impute_new

__all__ = ["impute_new"]
