"""Sensitivity to missing not at random: tipping-point analyses over delta shifts.

`tipping` runs one imputation per delta and pools an analysis of each; `plot` draws the result.
The shifts themselves are a model's ``delta=`` (`bayesmi.spec.delta`).
"""

from bayesmi.sensitivity.plot import plot_tipping_point
from bayesmi.sensitivity.tipping import tipping_delta, tipping_point

__all__ = ["plot_tipping_point", "tipping_delta", "tipping_point"]
