"""The constructors of the models for categories and counts: categorical, ordinal and count.

Each is a mixed model with a random intercept per cluster (and optional random slopes, as
`bayesmi.random_slopes` writes them); clusters with no observed value draw their effects from the
population. Binary targets (any two categories) have `bayesmi.binary`; level-2 categories and
counts have `bayesmi.cluster_level` with their family.
"""

from __future__ import annotations

from dataclasses import replace

from bayesmi.families import Family
from bayesmi.spec.constructors import grouped_model
from bayesmi.spec.kinds import mixed_gibbs, model_kind
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.pattern_mixture import DeltaLike

__all__ = ["categorical", "count", "ordinal"]


@model_kind(default_family="categorical", compatible=True, has_gibbs=mixed_gibbs)
def categorical(formula: str, delta: DeltaLike = None) -> ImputationModel:
    r"""Impute a nominal variable by a baseline-category multinomial logit mixed model.

    As JointAI's ``mlogitmm`` and Blimp's nominal model: for a target with categories
    :math:`0, \dots, K-1` (the first one, the reference, is 0), every other category has its
    own intercept, coefficients and random effects.

    Parameters
    ----------
    formula : str
        ``"edu ~ x1 + x2 + (1 | cluster)"``, optionally with random slopes ``(1 + x1 |
        cluster)``. The target is a categorical, string or object column (or whole numbers,
        each distinct value a category).
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the logit scale of every non-reference category (a
        sensitivity analysis; see `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift
        per cluster). 0 is MAR.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        As `random_slopes`. A target with fewer than three categories, or a category observed
        in too few rows, is refused by `impute`.

    Notes
    -----
    With standardised predictors,
    :math:`\log P(y_{ij} = k) / P(y_{ij} = 0) = \beta_{0k} + x_{ij}'\beta_k + z_{ij}'b_{jk}`
    for :math:`k = 1, \dots, K-1`; the cluster effects of all categories,
    :math:`b_j = (b_{j1}, \dots, b_{j,K-1})`, are jointly normal, :math:`b_j \sim N(0, T)`,
    :math:`T = \mathrm{diag}(s)\,\Omega\,\mathrm{diag}(s)`, :math:`s \sim
    \text{HalfNormal}(1)`, :math:`\Omega \sim \text{LKJ}(2)` (correlated between
    categories), non-centred; :math:`\beta_{0k}, \beta_k \sim N(0, 2.5^2)`. Missing cells are
    draws from the categorical distribution given the cluster's effects, so they are always
    one of the categories.

    Examples
    --------
    >>> bm.categorical("edu ~ age + (1 | school)").family
    'categorical'
    """
    return replace(grouped_model(formula, "categorical"), delta=delta)


@model_kind(default_family="ordinal", compatible=True, has_gibbs=mixed_gibbs)
def ordinal(formula: str, delta: DeltaLike = None) -> ImputationModel:
    r"""Impute an ordered categorical variable by a cumulative logit mixed model.

    As R's ``ordinal::clmm``, JointAI's ``clmm`` and Blimp's ordinal model.

    Parameters
    ----------
    formula : str
        ``"score ~ x1 + (1 | cluster)"``, optionally with random slopes. The target is an
        ordered categorical, or a column of numbers (a score), ordered by value.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the logit scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        As `random_slopes`. An unordered categorical or string target (use `categorical`), or
        a category observed in too few rows, is refused by `impute`.

    Notes
    -----
    :math:`P(y_{ij} \le k) = \mathrm{logit}^{-1}(\theta_k - x_{ij}'\beta - z_{ij}'b_j)`,
    :math:`k = 0, \dots, K-2`, with ordered thresholds :math:`\theta_0 < \dots < \theta_{K-2}`,
    :math:`\theta \sim N(0, 5^2)` (ordered), no intercept (the thresholds hold it),
    :math:`\beta_k \sim N(0, 2.5^2)` for standardised predictors and :math:`b_j` as in
    `random_slopes`. A positive coefficient moves the distribution up the categories. The
    result holds ``thresholds`` and ``beta`` on the data's scale.

    Examples
    --------
    >>> bm.ordinal("ses ~ popular + (1 | school)").family
    'ordinal'
    """
    return replace(grouped_model(formula, "ordinal"), delta=delta)


@model_kind(
    default_family="poisson",
    takes=lambda family: family.counts,
    has_gibbs=mixed_gibbs,
    compatible=True,
)
def count(
    formula: str, family: str | Family = "poisson", delta: DeltaLike = None
) -> ImputationModel:
    r"""Impute a count by a Poisson or negative binomial mixed model (log link).

    As JointAI's ``glmer`` with a Poisson family and Blimp's count model.

    Parameters
    ----------
    formula : str
        ``"visits ~ x1 + (1 | cluster)"``, optionally with random slopes. The target holds
        non-negative whole numbers.
    family : {"poisson", "negative_binomial"}, default="poisson"
        "negative_binomial" for counts more spread out than a Poisson allows (overdispersion);
        any family of counts in `bayesmi.families.FAMILIES`.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the log scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        As `random_slopes`, or for an unknown `family`. Negative or fractional counts are
        refused by `impute`.

    Notes
    -----
    :math:`\log \mu_{ij} = \beta_0 + x_{ij}'\beta + z_{ij}'b_j` with standardised predictors,
    :math:`\beta_0 \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`, :math:`b_j` as in
    `random_slopes`. Poisson: :math:`y_{ij} \sim \text{Poisson}(\mu_{ij})`. Negative binomial:
    variance :math:`\mu + \mu^2/\alpha`, with :math:`1/\sqrt{\alpha} \sim
    \text{HalfNormal}(1)`; the result holds ``alpha``. Missing cells are draws of the count
    given the cluster's effects, so they are non-negative whole numbers.

    Examples
    --------
    >>> bm.count("visits ~ age + (1 | hospital)", family="negative_binomial").family
    'negative_binomial'
    """
    return replace(grouped_model(formula, "count"), family=family, delta=delta)
