"""`ImputationModel`: which conditional model imputes which variable, and its JSON form.

A spec is a mapping from each incomplete variable to an `ImputationModel`, made by a
constructor (`bayesmi.random_intercept`, ...) or `bayesmi.from_mice`. The model keeps its formula
as written and the parsed terms (`bayesmi.spec.terms`); `bayesmi.spec.serialize` writes it as
JSON and reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Literal, get_args

from bayesmi.spec.pattern_mixture import Delta, as_delta
from bayesmi.spec.terms import Term

__all__ = [
    "DEFAULT_DONORS",
    "FAMILIES",
    "KINDS",
    "PMM_FAMILIES",
    "Family",
    "ImputationModel",
    "ModelKind",
]

ModelKind = Literal[
    "binary",
    "categorical",
    "cluster_level",
    "count",
    "fixed_cluster",
    "heckman",
    "heteroscedastic",
    "ordinal",
    "random_intercept",
    "random_slopes",
]
KINDS: tuple[str, ...] = get_args(ModelKind)
"""Every model kind, named as its constructor."""

Family = Literal["gaussian", "binary", "categorical", "ordinal", "poisson", "negative_binomial"]
FAMILIES: tuple[str, ...] = get_args(Family)
"""Distributions of a target: ``"gaussian"`` (continuous), ``"binary"`` (two categories),
``"categorical"`` (nominal), ``"ordinal"`` (ordered categories), ``"poisson"`` and
``"negative_binomial"`` (counts)."""

PMM_FAMILIES = ("gaussian",)
"""Families whose models can impute by predictive mean matching."""

DEFAULT_DONORS = 5
"""Donors of predictive mean matching (mice's ``donors``)."""


@dataclass(frozen=True)
class ImputationModel:
    """The conditional model that imputes one variable.

    Make it with a constructor (`random_intercept`, `random_slopes`, `heteroscedastic`,
    `binary`, `cluster_level`, `fixed_cluster`, `heckman`) or `from_mice` rather than directly.

    Attributes
    ----------
    kind : str
        The model, named as its constructor.
    formula : str
        The formula as written (for `heckman`: ``"<outcome> | selection <selection>"``).
    target : str
        The variable this model imputes (the formula's left-hand side).
    fixed_terms : tuple of Term
        Predictors of the fixed part (besides the intercept).
    group : str or None
        The grouping factor of the random part; None for `fixed_cluster` and `cluster_level`.
        With several (nested or crossed factors), the one with random slopes, else the
        first written.
    slope_terms : tuple of Term
        Predictors with a random slope (each also in `fixed_terms`).
    selection_terms : tuple of Term
        Predictors of the selection equation of a `heckman` model (empty otherwise).
    family : str
        Distribution of the target (`FAMILIES`): "gaussian" for the normal models, "binary",
        "categorical", "ordinal", "poisson" or "negative_binomial" for the models named so,
        and any of these for `cluster_level`.
    cluster_rho : bool
        Whether a `heckman` model's error correlation varies between clusters.
    pmm : bool
        Whether a normal model imputes by predictive mean matching.
    donors : int
        Number of donors of predictive mean matching.
    delta : Delta or None
        The shift of the imputations away from MAR (`bayesmi.spec.pattern_mixture`); None under MAR.
    rho : float or None
        A `heckman` model's error correlation, fixed; None when it is estimated.
    other_groups : tuple of str
        The other grouping factors, with a random intercept each (``school:class`` for
        ``(1 | school/class)``).
    level : str or None
        The grouping column of ``cluster=`` a `cluster_level` variable lives on (``"school"``
        in pupils in classes in schools); None for the cluster.
    """

    kind: ModelKind
    formula: str
    target: str
    fixed_terms: tuple[Term, ...]
    group: str | None = None
    slope_terms: tuple[Term, ...] = ()
    selection_terms: tuple[Term, ...] = ()
    family: Family = "gaussian"
    cluster_rho: bool = False
    pmm: bool = False
    donors: int = DEFAULT_DONORS
    delta: Delta | None = None
    rho: float | None = None
    other_groups: tuple[str, ...] = ()
    level: str | None = None

    def __post_init__(self) -> None:
        """Refuse an unknown kind or family, bad matching options or an unsupported delta."""
        object.__setattr__(self, "delta", as_delta(self.delta, self.target))
        if self.delta is not None and self.kind == "heckman":
            raise ValueError(
                f"delta (a shift of the imputations away from MAR) is not available for a "
                f"heckman model ({self.target!r}): the selection model estimates its own "
                "departure from MAR, or assumes one with rho=."
            )
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown model kind {self.kind!r} for {self.target!r}; the kinds are "
                f"{', '.join(sorted(KINDS))}."
            )
        if self.family not in FAMILIES:
            raise ValueError(
                f"family must be one of {', '.join(FAMILIES)}, not {self.family!r} "
                f"(model of {self.target!r})."
            )
        if not isinstance(self.pmm, bool):
            raise TypeError(f"pmm must be True or False, got {self.pmm!r} ({self.target!r}).")
        if self.pmm and (self.family not in PMM_FAMILIES or self.kind == "heckman"):
            raise ValueError(
                f"pmm=True matches predicted means of a normal model; {self.kind} "
                f"({self.family}) of {self.target!r} draws from its own distribution already."
            )
        self._check_rho()
        if isinstance(self.donors, bool) or not isinstance(self.donors, int) or self.donors < 1:
            raise ValueError(
                f"donors must be a positive whole number (mice uses 5), got {self.donors!r} "
                f"({self.target!r})."
            )

    def _check_rho(self) -> None:
        """Refuse a fixed rho outside (-1, 1), with cluster_rho, or for another kind."""
        if self.rho is None:
            return
        if self.kind != "heckman":
            raise ValueError(
                f"rho is a heckman model's option, not {self.kind}'s ({self.target!r})."
            )
        if isinstance(self.rho, bool) or not isinstance(self.rho, Real) or not -1 < self.rho < 1:
            raise ValueError(
                f"rho of {self.target!r} must be a number between -1 and 1 (exclusive), "
                f"got {self.rho!r}."
            )
        if self.cluster_rho:
            raise ValueError(
                f"rho fixes one error correlation for {self.target!r}; cluster_rho=True "
                "estimates one per cluster: give one of them."
            )
        object.__setattr__(self, "rho", float(self.rho))

    @property
    def predictors(self) -> tuple[str, ...]:
        """Names of the fixed predictors: ``x``, ``x_mean``, ``x:w``."""
        return tuple(term.name for term in self.fixed_terms)

    @property
    def groups(self) -> tuple[str, ...]:
        """Every grouping factor of the random part, as the formula writes them."""
        return (self.group, *self.other_groups) if self.group is not None else ()

    @property
    def slopes(self) -> tuple[str, ...]:
        """Names of the predictors with a random slope."""
        return tuple(term.name for term in self.slope_terms)

    @property
    def selection(self) -> tuple[str, ...]:
        """Names of the selection equation's predictors (heckman)."""
        return tuple(term.name for term in self.selection_terms)

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every term the model reads: fixed predictors, then selection-only ones."""
        extra = tuple(term for term in self.selection_terms if term not in self.fixed_terms)
        return self.fixed_terms + extra

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of `terms`."""
        return tuple(term.name for term in self.terms)
