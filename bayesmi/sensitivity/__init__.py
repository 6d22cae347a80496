"""Sensitivity to missing not at random: tipping-point analyses over delta shifts.

`tipping` runs one imputation per delta (or per fixed rho of a Heckman model) and pools an
analysis of each; `bayesmi.plots.tipping` draws the result. The shifts themselves are a
model's ``delta=`` (`bayesmi.spec.pattern_mixture`), the fixed correlation
`bayesmi.heckman`'s ``rho=``.
"""

from bayesmi.sensitivity.tipping import first_inside, tipping_point

__all__ = ["first_inside", "tipping_point"]
