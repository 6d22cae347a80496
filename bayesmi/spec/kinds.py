"""The kinds of imputation model: one table, `KINDS`, that says what each kind is and can do.

Every kind is named as its constructor (`bayesmi.random_intercept`, ...), and its row in the
table (`KindInfo`) is written beside that constructor, as the `model_kind` decorator's
arguments: the options the constructor takes besides the formula (what a spec's JSON holds),
its default family and the families it takes, which engines hold it, whether an exact Gibbs
sampler updates it by default, and what is particular to its structure (one row per cluster,
cluster dummies, a selection equation, ...). From the table come the constructor map and the
defaults of `bayesmi.spec.serialize`, the engines' capability lists, the checks that refuse what
a kind cannot hold, and the one choice of how the chained engine updates a model's parameters
(`update_method`).

=================  ===========  =====  ==========  =====  =====================================
kind               families     joint  analysis=   Gibbs  particular
=================  ===========  =====  ==========  =====  =====================================
random_intercept   gaussian     yes    yes         yes    any grouping factors (three levels)
random_slopes      gaussian     yes    yes         yes
heteroscedastic    gaussian     yes    yes         yes    a residual variance per cluster
fixed_cluster      gaussian     no     no          yes    one intercept per cluster
binary             binary       yes    yes         yes
categorical        categorical  no     yes         yes
ordinal            ordinal      no     yes         yes
count              counts       no     yes         yes    (negative binomial; poisson by NUTS)
cluster_level      any          no     yes         yes    per cluster (poisson, zip by NUTS)
heckman            selection    no     no          asked  a selection equation (MNAR)
survival           survival     no     yes         yes    a time to event: analysis= only
=================  ===========  =====  ==========  =====  =====================================
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bayesmi.families import FAMILIES, Family

__all__ = [
    "KINDS",
    "KindInfo",
    "UpdateMethod",
    "gibbs_available",
    "linear_gibbs",
    "mixed_gibbs",
    "model_kind",
    "selection_gibbs",
    "update_method",
]

UpdateMethod = Literal["gibbs", "nuts_then_gibbs", "nuts"]
"""How the chained engine updates a model's parameters: exact Gibbs sweeps; NUTS while it
warms up, then sweeps; or NUTS throughout."""

ImputationModel = Any
"""A `bayesmi.spec.model.ImputationModel` (which reads this table, so is not imported here)."""


def _always(model: ImputationModel) -> bool:
    return True


def _never(model: ImputationModel) -> bool:
    return False


def mixed_gibbs(model: ImputationModel) -> bool:
    """Say whether a mixed model has a Gibbs sampler: its family's kernel, for its factors."""
    family = model.family
    return family.has_gibbs_kernel and (not model.other_groups or family.takes_other_factors)


def linear_gibbs(model: ImputationModel) -> bool:
    """Say whether a regression without random effects has one: its family's linear sweep."""
    return model.family.linear_gibbs


def selection_gibbs(model: ImputationModel) -> bool:
    """Say whether a selection model has one: one error correlation, its family's kernel."""
    return model.family.selection_kernel is not None and not model.cluster_rho


@dataclass(frozen=True)
class KindInfo:
    """What a kind of imputation model is, and what can hold it.

    Attributes
    ----------
    name : str
        The kind, named as its constructor.
    constructor : callable
        The constructor (`bayesmi.random_intercept`, ...).
    options : tuple of str
        The constructor's options besides its formula (and ``delta``), as a spec's JSON keys.
    defaults : dict
        Their defaults.
    default_family : str
        The family of a model that names none.
    takes : callable
        ``Family -> bool``: whether a model of this kind can have that family.
    joint : bool
        Whether the joint engine holds it.
    compatible : bool
        Whether an analysis-compatible chained run (``analysis=``) holds it.
    gibbs : bool
        Whether its exact Gibbs sampler (where `gibbs_available`) updates it by default;
        False: only with ``sampler="gibbs"``.
    has_gibbs : callable
        ``ImputationModel -> bool``: whether the model has an exact Gibbs sampler.
    warms_up_by_nuts : callable
        ``ImputationModel -> bool``: whether its Gibbs sampler starts where NUTS' warm-up ended.
    cluster_level : bool
        One row per cluster of its level (a level-2 variable).
    cluster_dummies : bool
        One intercept per cluster (no random effects; level-2 predictors are dropped).
    selection : bool
        A selection equation models why values are missing (MNAR): no delta.
    cluster_variance : bool
        A residual variance per cluster.
    any_grouping : bool
        Takes any grouping factors of the data (nested or crossed), not only the cluster.
    formulas : int
        Formulas the constructor takes first (2: outcome and selection, stored as one).
    """

    name: str
    constructor: Callable[..., ImputationModel]
    options: tuple[str, ...]
    defaults: dict
    default_family: str
    takes: Callable[[Family], bool]
    joint: bool
    compatible: bool
    gibbs: bool
    has_gibbs: Callable[[ImputationModel], bool]
    warms_up_by_nuts: Callable[[ImputationModel], bool]
    cluster_level: bool
    cluster_dummies: bool
    selection: bool
    cluster_variance: bool
    any_grouping: bool
    formulas: int

    @property
    def families(self) -> tuple[str, ...]:
        """The names of the families a model of this kind can have."""
        return tuple(name for name, family in FAMILIES.items() if self.takes(family))

    @property
    def matching(self) -> bool:
        """Whether the constructor offers predictive mean matching (``pmm=``)."""
        return "pmm" in self.options

    @property
    def takes_delta(self) -> bool:
        """Whether the constructor offers a shift away from MAR (``delta=``)."""
        return "delta" in inspect.signature(self.constructor).parameters


KINDS: dict[str, KindInfo] = {}
"""Every kind of imputation model, by name (filled by the constructors' `model_kind`)."""


def model_kind(
    *,
    default_family: str = "gaussian",
    takes: Callable[[Family], bool] | None = None,
    joint: bool = False,
    compatible: bool = False,
    gibbs: bool = True,
    has_gibbs: Callable[[ImputationModel], bool] = _always,
    warms_up_by_nuts: Callable[[ImputationModel], bool] = _never,
    cluster_level: bool = False,
    cluster_dummies: bool = False,
    selection: bool = False,
    cluster_variance: bool = False,
    any_grouping: bool = False,
    formulas: int = 1,
) -> Callable:
    """Enter a constructor's kind in `KINDS` (a decorator); see `KindInfo` for the arguments.

    The kind is the constructor's name; its options and their defaults are the constructor's
    parameters after its `formulas` formula arguments, ``delta`` aside.
    """

    def enter(constructor: Callable[..., ImputationModel]) -> Callable[..., ImputationModel]:
        parameters = list(inspect.signature(constructor).parameters.values())[formulas:]
        options = tuple(p.name for p in parameters if p.name != "delta")
        KINDS[constructor.__name__] = KindInfo(
            name=constructor.__name__,
            constructor=constructor,
            options=options,
            defaults={p.name: p.default for p in parameters if p.name != "delta"},
            default_family=default_family,
            takes=takes or (lambda family: family.name == default_family),
            joint=joint,
            compatible=compatible,
            gibbs=gibbs,
            has_gibbs=has_gibbs,
            warms_up_by_nuts=warms_up_by_nuts,
            cluster_level=cluster_level,
            cluster_dummies=cluster_dummies,
            selection=selection,
            cluster_variance=cluster_variance,
            any_grouping=any_grouping,
            formulas=formulas,
        )
        return constructor

    return enter


def gibbs_available(model: ImputationModel) -> bool:
    """Whether a model has an exact Gibbs sampler (its factory builds one exactly then)."""
    return KINDS[model.kind].has_gibbs(model)


def update_method(model: ImputationModel, sampler: str) -> UpdateMethod:
    """Return how the chained engine updates a model's parameters, given ``sampler=``.

    The one place this is decided: NUTS with ``sampler="nuts"`` or where the model has no exact
    Gibbs sampler; its Gibbs sampler where the kind uses it by default, or ``sampler="gibbs"``
    asks for it (started where NUTS' warm-up ended, for a kind whose sweeps need that).
    """
    info = KINDS[model.kind]
    if sampler == "nuts" or not info.has_gibbs(model):
        return "nuts"
    if not info.gibbs and sampler != "gibbs":
        return "nuts"
    return "nuts_then_gibbs" if info.warms_up_by_nuts(model) else "gibbs"
