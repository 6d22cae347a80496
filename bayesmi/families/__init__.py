"""Families: the distribution of a target given its linear predictor, one class per family.

Each family (`bayesmi.families.base.Family`) owns its likelihood and predictive draw, its row
log likelihood, its own parameters and their dims, its exact Gibbs kernel (or none), the values
its target may hold and where an over-dispersed chain starts, so that models, checks and
engines ask it rather than test its name. `FAMILIES` is the registry, keyed by the names a
spec uses (``family="negative_binomial"``); a new family is a module here and a line in it.
"""

from bayesmi.families.base import Family
from bayesmi.families.binary import Binary
from bayesmi.families.categorical import Categorical
from bayesmi.families.gaussian import Gaussian
from bayesmi.families.negative_binomial import NegativeBinomial
from bayesmi.families.ordinal import Ordinal
from bayesmi.families.poisson import Poisson
from bayesmi.families.survival import Cox, Weibull
from bayesmi.families.zero_inflated_poisson import ZeroInflatedPoisson

__all__ = ["FAMILIES", "Family", "get_family"]

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Gaussian(),
        Binary(),
        Categorical(),
        Ordinal(),
        Poisson(),
        NegativeBinomial(),
        ZeroInflatedPoisson(),
        Cox(),
        Weibull(),
    )
}
"""Every family, by the name a spec uses."""


def get_family(family: str | Family) -> Family:
    """Return the family of a name (a family is returned as it is).

    Raises
    ------
    ValueError
        For an unknown name, listing the families.
    """
    if isinstance(family, Family):
        return family
    found = FAMILIES.get(family) if isinstance(family, str) else None
    if found is None:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}.")
    return found
