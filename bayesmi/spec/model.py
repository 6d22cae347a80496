"""`ImputationModel`: which conditional model imputes which variable, and its JSON form.

A spec is a mapping from each incomplete variable to an `ImputationModel`, made by a
constructor (`bayesmi.random_intercept`, ...) or `bayesmi.from_mice`. The model keeps its formula
as written and the parsed terms (`bayesmi.spec.terms`); `bayesmi.spec.serialize` writes it as
JSON and reads it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from bayesmi.spec.terms import Term

__all__ = ["FAMILIES", "KINDS", "Family", "ImputationModel", "ModelKind"]

ModelKind = Literal[
    "binary",
    "cluster_level",
    "fixed_cluster",
    "heckman",
    "heteroscedastic",
    "random_intercept",
    "random_slopes",
]
KINDS: tuple[str, ...] = get_args(ModelKind)
"""Every model kind, named as its constructor."""

Family = Literal["gaussian", "binary"]
FAMILIES: tuple[str, ...] = get_args(Family)
"""Distributions of a target: ``"gaussian"`` (continuous) and ``"binary"`` (0/1)."""


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
    slope_terms : tuple of Term
        Predictors with a random slope (each also in `fixed_terms`).
    selection_terms : tuple of Term
        Predictors of the selection equation of a `heckman` model (empty otherwise).
    family : {"gaussian", "binary"}
        Distribution of the target: "binary" for `binary` and for a `heckman` model of a 0/1
        variable.
    cluster_rho : bool
        Whether a `heckman` model's error correlation varies between clusters.
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

    def __post_init__(self) -> None:
        """Refuse an unknown kind or family (e.g. from a hand-edited spec)."""
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

    @property
    def predictors(self) -> tuple[str, ...]:
        """Names of the fixed predictors: ``x``, ``x_mean``, ``x:w``."""
        return tuple(term.name for term in self.fixed_terms)

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
