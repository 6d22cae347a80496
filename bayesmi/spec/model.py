"""`ImputationModel`: which conditional model imputes which variable, and its JSON form.

A spec is a mapping from each incomplete variable to an `ImputationModel`, made by a
constructor (`bayesmi.random_intercept`, ...) or `bayesmi.from_mice`. The model keeps its formula
as written and the parsed terms (`bayesmi.spec.terms`); `bayesmi.spec.serialize` writes it as
JSON and reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from bayesmi.families import Family, get_family
from bayesmi.spec.kinds import KINDS, KindInfo
from bayesmi.spec.pattern_mixture import Delta, as_delta
from bayesmi.spec.terms import Term

RESIDUALS = ("independent", "ar1")
"""Residual structures within a cluster: independent, or AR(1) over the occasions (time=)."""

__all__ = ["DEFAULT_DONORS", "ImputationModel"]

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
        The model, named as its constructor (`bayesmi.spec.kinds.KINDS`).
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
    family : Family
        Distribution of the target (`bayesmi.families.FAMILIES`; given by name, it equals
        its name): "gaussian" for the normal models, "binary", "categorical", "ordinal",
        "poisson" or "negative_binomial" for the models named so, and any of these for
        `cluster_level`.
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
    residual : str
        "independent", or "ar1": residuals autocorrelated over each cluster's occasions,
        ``corr = phi^|t - t'|`` (`bayesmi.random_intercept`).
    level : str or None
        The grouping column of ``cluster=`` a `cluster_level` variable lives on (``"school"``
        in pupils in classes in schools); None for the cluster.
    """

    kind: str
    formula: str
    target: str
    fixed_terms: tuple[Term, ...]
    group: str | None = None
    slope_terms: tuple[Term, ...] = ()
    selection_terms: tuple[Term, ...] = ()
    family: Family | str = "gaussian"
    cluster_rho: bool = False
    pmm: bool = False
    donors: int = DEFAULT_DONORS
    delta: Delta | None = None
    rho: float | None = None
    other_groups: tuple[str, ...] = ()
    level: str | None = None
    residual: str = "independent"

    def __post_init__(self) -> None:
        """Refuse an unknown kind or family, bad matching options or an unsupported delta."""
        info = KINDS.get(self.kind) if isinstance(self.kind, str) else None
        if info is None:
            raise ValueError(
                f"unknown model kind {self.kind!r} for {self.target!r}; the kinds are "
                f"{', '.join(sorted(KINDS))}."
            )
        object.__setattr__(self, "delta", as_delta(self.delta, self.target))
        if self.delta is not None and not info.takes_delta:
            raise ValueError(
                f"delta (a shift of the imputations away from MAR) is not available for a "
                f"{self.kind} model ({self.target!r}): the selection model estimates its own "
                "departure from MAR, or assumes one with rho=."
            )
        self._check_family(info)
        if not isinstance(self.pmm, bool):
            raise TypeError(f"pmm must be True or False, got {self.pmm!r} ({self.target!r}).")
        if self.pmm and not (self.family.matching and info.matching):
            raise ValueError(
                f"pmm=True matches predicted means of a normal model; {self.kind} "
                f"({self.family.name}) of {self.target!r} draws from its own distribution already."
            )
        self._check_rho(info)
        self._check_residual()
        if isinstance(self.donors, bool) or not isinstance(self.donors, int) or self.donors < 1:
            raise ValueError(
                f"donors must be a positive whole number (mice uses 5), got {self.donors!r} "
                f"({self.target!r})."
            )

    def _check_residual(self) -> None:
        """Refuse an unknown residual structure, or AR(1) residuals with matching."""
        if self.residual not in RESIDUALS:
            raise ValueError(
                f"residual must be one of {', '.join(map(repr, RESIDUALS))}, got "
                f"{self.residual!r} ({self.target!r})."
            )
        if self.residual == "ar1" and self.pmm:
            raise ValueError(
                f"residual='ar1' draws each missing cell given its neighbouring occasions; "
                f"predictive mean matching ignores them. Drop pmm=True for {self.target!r}."
            )

    def _check_family(self, info: KindInfo) -> None:
        """Turn the family's name into the family; refuse one the kind cannot have."""
        try:
            family = get_family(self.family)
        except ValueError as error:
            raise ValueError(f"{error.args[0][:-1]} (model of {self.target!r}).") from None
        if not info.takes(family):
            names = [repr(name) for name in info.families]
            allowed = " or ".join(names) if len(names) <= 2 else f"one of {', '.join(names)}"
            raise ValueError(
                f"family of a {self.kind} model must be {allowed}, not {family.name!r} "
                f"(model of {self.target!r})."
            )
        object.__setattr__(self, "family", family)

    def _check_rho(self, info: KindInfo) -> None:
        """Refuse a fixed rho outside (-1, 1), with cluster_rho, or for another kind."""
        if self.rho is None:
            return
        if not info.selection:
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
    def kind_info(self) -> KindInfo:
        """What the model's kind is and can do (its row of `bayesmi.spec.kinds.KINDS`)."""
        return KINDS[self.kind]

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
