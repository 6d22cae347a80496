"""The grouping factors of a mixed model: the first, with its random slopes, and the others.

A model written ``(1 + x | school) + (1 | class)`` has the school effects of the two-level
models (intercept and slopes, correlated: ``u``, ``re_sd``, ``re_corr``) and a random
intercept per class beside them. With one factor the groups are the clusters (dim
``cluster``, effects ``u``); with several, each factor's groups have their own dim
``<target>::<factor>``, its effects are ``u_<factor>`` and the SDs of the factors with a
random intercept only are ``tau`` (dim ``<target>::factor``). `GroupingFactors` names them,
for the mixed models (`bayesmi.models.mixed`) and the multinomial one
(`bayesmi.models.categorical`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm

from bayesmi.data.encoding import ImputationData
from bayesmi.data.levels import Grouping
from bayesmi.spec.model import ImputationModel

__all__ = ["GroupingFactors"]


@dataclass(frozen=True)
class GroupingFactors:
    """A model's grouping factors, the first (``model.group``) first.

    Attributes
    ----------
    target : str
        The imputed variable (prefix of the dims).
    groupings : tuple of Grouping
        The factors: the cluster alone for a two-level model.
    """

    target: str
    groupings: tuple[Grouping, ...]

    @classmethod
    def of(cls, model: ImputationModel, data: ImputationData) -> GroupingFactors:
        """Return the factors of a model, looked up in the data."""
        first = data.grouping(model.group)
        return cls(model.target, (first, *(data.grouping(name) for name in model.other_groups)))

    @property
    def first(self) -> Grouping:
        """The factor with the random slopes (the first written when none has)."""
        return self.groupings[0]

    @property
    def others(self) -> tuple[Grouping, ...]:
        """The factors with a random intercept only, beside the first."""
        return self.groupings[1:]

    def dim(self, grouping: Grouping) -> str:
        """Return the dim of a factor's groups: ``cluster`` with one factor."""
        return f"{self.target}::{grouping.name}" if self.others else "cluster"

    def add_coords(self, pymc_model: pm.Model) -> None:
        """Add each factor's groups as a coordinate (the clusters are one already)."""
        if self.others:
            for grouping in self.groupings:
                pymc_model.add_coord(self.dim(grouping), list(grouping.labels))

    def other_rows(self, observed: np.ndarray) -> tuple[tuple[str, np.ndarray], ...]:
        """Each other factor's dim and the groups of the `observed` rows."""
        return tuple((self.dim(grouping), grouping.codes[observed]) for grouping in self.others)

    def coords(self, first_in_tau: bool) -> dict[str, list]:
        """Coordinates of the parameters: each factor's groups, and ``tau``'s factors.

        `first_in_tau`: the first factor has a random intercept only, so its SD is in
        ``tau`` too (``re_sd`` holds it otherwise).
        """
        if not self.others:
            return {}
        in_tau = self.groupings if first_in_tau else self.others
        coords = {f"{self.target}::factor": [grouping.name for grouping in in_tau]}
        return coords | {self.dim(grouping): list(grouping.labels) for grouping in self.groupings}

    def parameter_dims(
        self, dims: dict[str, tuple[str, ...]], *per_group: str
    ) -> dict[str, tuple[str, ...]]:
        """Rename ``u`` to ``u_<first>`` and add ``tau`` and the other factors' ``u_<factor>``.

        `per_group` are trailing dims of every factor's effects (a categorical model's
        categories); ``tau`` has them too.
        """
        if not self.others:
            return dims
        dims = dict(dims)
        dims[f"u_{self.first.name}"] = dims.pop("u")
        dims["tau"] = (f"{self.target}::factor", *per_group)
        for grouping in self.others:
            dims[f"u_{grouping.name}"] = (self.dim(grouping), *per_group)
        return dims

    def name_effects(self, named: dict, taus: np.ndarray, effects: list[np.ndarray]) -> dict:
        """Return the parameters with ``u_<factor>`` per factor and every intercept SD in tau.

        `named` holds the first factor's ``u`` (and ``tau`` without random slopes), `taus`
        and `effects` the other factors' SDs and effects, all on the data's scale.
        """
        if not self.others:
            return named
        named = dict(named)
        named[f"u_{self.first.name}"] = named.pop("u")
        if "tau" in named:  # the first factor's, without random slopes
            taus = np.concatenate([np.atleast_1d(named["tau"]), taus])
        named["tau"] = taus
        for grouping, values in zip(self.others, effects, strict=True):
            named[f"u_{grouping.name}"] = np.asarray(values)
        return named

    def effects_of_rows(self, effects: list[np.ndarray], rows: np.ndarray) -> np.ndarray | float:
        """Return the sum of the other factors' effects of some rows (0 with one factor)."""
        total = 0.0
        for grouping, values in zip(self.others, effects, strict=True):
            total = total + values[grouping.codes[rows]]
        return total
