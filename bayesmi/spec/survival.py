"""Survival analysis models: ``Surv(time, event) ~ x + z + strata(study)`` or ``+ (1 | study)``.

A time-to-event analysis model enters an imputation as the last factor of the joint
distribution (``analysis=`` of `bayesmi.impute`), so incomplete covariates are imputed
compatibly with it (`bayesmi.engines.compatible`). Its formula is R's survival formula:

- ``Surv(time, event)``: the follow-up time (positive numbers) and the event code of every
  row, 0 censored, 1 the event, or ``1..K`` for K competing causes (one cause-specific hazard
  per cause, as smcfcs' ``compet``). Neither may be missing: event times are never imputed.
- ``strata(s)``: a baseline hazard of its own in every stratum of the complete column ``s``
  (coxph's ``strata``); at most one.
- ``(1 | study)``: a log-normal frailty, a random intercept on the log hazard per cluster.

`survival` builds the model (its family, ``"cox"`` or ``"weibull"``, is the baseline hazard);
`survival_outcome` reads the time, event and strata columns back from its formula.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bayesmi.families import Family
from bayesmi.spec.kinds import model_kind
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.terms import parse_formula

__all__ = ["SurvivalOutcome", "is_survival_formula", "survival", "survival_outcome"]

_NAME = r"\s*(`[^`]+`|[A-Za-z_.][\w.]*)\s*"
_SURV = re.compile(rf"^\s*Surv\s*\({_NAME},{_NAME}\)\s*~(.*)$", re.DOTALL)
_STRATA = re.compile(rf"(\+\s*)?\bstrata\s*\({_NAME}\)(\s*\+)?")


@dataclass(frozen=True)
class SurvivalOutcome:
    """The columns a survival formula names besides its predictors.

    Attributes
    ----------
    time : str
        Follow-up time (the model's target).
    event : str
        Event code: 0 censored, 1..K the cause.
    strata : str or None
        The column whose every value has a baseline hazard of its own; None for one baseline.
    """

    time: str
    event: str
    strata: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the outcome reads: time, event and strata."""
        return (self.time, self.event) + ((self.strata,) if self.strata else ())


def is_survival_formula(formula: object) -> bool:
    """Say whether a formula's left-hand side is ``Surv(time, event)``."""
    return isinstance(formula, str) and formula.lstrip().startswith("Surv")


def _unquote(name: str) -> str:
    return name.strip().strip("`")


def survival_outcome(formula: str) -> tuple[SurvivalOutcome, str]:
    """Split a survival formula into its outcome columns and a plain formula of the time.

    Returns
    -------
    outcome : SurvivalOutcome
    plain : str
        ``"time ~ predictors"`` with the random part and without ``strata()``, what
        `bayesmi.spec.terms.parse_formula` reads.

    Raises
    ------
    ValueError
        If the left-hand side is not ``Surv(time, event)``, or ``strata()`` is given twice.
    """
    match = _SURV.match(formula)
    if match is None:
        raise ValueError(
            f"cannot read the survival formula {formula!r}; write it as R's survival does: "
            "'Surv(time, event) ~ x + z + strata(study)' or 'Surv(time, event) ~ x + (1 | study)'."
        )
    time, event, rhs = _unquote(match.group(1)), _unquote(match.group(2)), match.group(3)
    strata = [_unquote(found.group(2)) for found in _STRATA.finditer(rhs)]
    if len(strata) > 1:
        raise ValueError(
            f"{formula!r} has strata() {len(strata)} times; a Cox model takes one stratifying "
            "column: combine them into one column first (e.g. data['s'] = data['a'].astype(str) "
            "+ '/' + data['b'].astype(str))."
        )
    rhs = _STRATA.sub(lambda found: "+" if found.group(1) and found.group(3) else "", rhs)
    rhs = rhs.strip() or "1"
    quoted = f"`{time}`" if not time.isidentifier() else time
    return SurvivalOutcome(time, event, strata[0] if strata else None), f"{quoted} ~ {rhs}"


@model_kind(
    default_family="cox",
    takes=lambda family: family.survival,
    compatible=True,
    formulas=1,
)
def survival(formula: str, family: str | Family = "cox") -> ImputationModel:
    r"""Build a time-to-event analysis model: the last factor of an analysis-compatible run.

    Pass it (or its formula alone, for a Cox model) as ``analysis=`` of `bayesmi.impute`; the
    incomplete covariates are then imputed compatibly with it, as R's smcfcs does for one level
    (Bartlett et al. 2015), here with strata and a frailty across clusters.

    Parameters
    ----------
    formula : str
        ``"Surv(time, event) ~ x + z + strata(study)"`` (a baseline hazard per study) or
        ``"Surv(time, event) ~ x + z + (1 | study)"`` (one baseline, a log-normal frailty per
        study; ``study`` the cluster). ``event`` is 0 for censored rows and 1 for the event,
        or 1..K for K competing causes, each with its own cause-specific hazard.
    family : {"cox", "weibull"}, default="cox"
        The baseline hazard of every stratum: ``"cox"`` a step function with a jump at every
        event time of its stratum, under which the posterior of the coefficients is their
        prior times Cox's partial likelihood (Breslow's for ties); ``"weibull"`` a Weibull
        hazard with a rate and a shape of its own (traced as ``shape`` and ``scale``, in time
        units, with every predictor 0). A Weibull model is passed as the model itself:
        ``analysis=bm.survival(formula, family="weibull")``.

    Returns
    -------
    ImputationModel

    Notes
    -----
    On predictors standardised by their observed mean and SD, the coefficients (log hazard
    ratios) have ``N(0, 2.5^2)`` priors and the frailty SD a ``HalfNormal(1)``; a Weibull
    baseline's rate ``p(lambda) \propto 1 / lambda`` and shape ``log alpha ~ N(0, 1)``. The Cox
    baseline's jumps ``dH_m`` at the distinct event times have the limit of a gamma-process
    prior, ``p(dH_m) \propto 1 / dH_m``, under which the posterior of the coefficients is
    proportional to their prior times the partial likelihood (Kalbfleisch 1978; Sinha, Ibrahim
    and Chen 2003). Rows censored before their stratum's first event contribute nothing, as in
    Cox's model.

    References
    ----------
    Bartlett, J. W., Seaman, S. R., White, I. R. and Carpenter, J. R. (2015). Multiple
    imputation of covariates by fully conditional specification: accommodating the
    substantive model. Statistical Methods in Medical Research 24(4), 462-487.
    Kalbfleisch, J. D. (1978). Non-parametric Bayesian analysis of survival time data. JRSS B
    40(2), 214-221.
    Sinha, D., Ibrahim, J. G. and Chen, M.-H. (2003). A Bayesian justification of Cox's partial
    likelihood. Biometrika 90(3), 629-641.

    Examples
    --------
    >>> import bayesmi as bm
    >>> model = bm.survival("Surv(years, died) ~ age + stage + strata(trial)")
    >>> model.target, model.predictors
    ('years', ('age', 'stage'))
    """
    if not isinstance(formula, str):
        raise TypeError(
            f"formula must be a string such as 'Surv(time, event) ~ x', got "
            f"{type(formula).__name__}."
        )
    _, plain = survival_outcome(formula)
    parsed = parse_formula(plain)
    group = None
    if parsed.groups:
        group, slopes = parsed.single_group("a survival model's frailty")
        if slopes:
            raise ValueError(
                f"{formula!r} has random slopes on {', '.join(t.name for t in slopes)}; a "
                f"survival model takes a frailty (a random intercept on the log hazard) only: "
                f"write (1 | {group})."
            )
    return ImputationModel("survival", formula, parsed.target, parsed.fixed, group, family=family)
