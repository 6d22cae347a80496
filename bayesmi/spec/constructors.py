"""The constructors of imputation models, one per conditional model, from lme4-style formulas.

Formulas are parsed once by `bayesmi.spec.terms` (with formulae, the parser bambi uses); only
column names, cluster means (``x_mean``) and their products (``x:w``) are accepted as terms, so
the imputation model is exactly what the formula says. The fixed intercept is always part of
the model. Checks against the data (columns exist, are numeric, the grouping factor is the
cluster column) happen in `bayesmi.impute` before any model is compiled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from bayesmi.families import Family
from bayesmi.messages import show
from bayesmi.spec.kinds import KINDS, linear_gibbs, mixed_gibbs, model_kind, selection_gibbs
from bayesmi.spec.model import DEFAULT_DONORS, ImputationModel
from bayesmi.spec.pattern_mixture import DeltaLike
from bayesmi.spec.terms import parse_formula

__all__ = [
    "binary",
    "cluster_level",
    "fixed_cluster",
    "grouped_model",
    "heckman",
    "heteroscedastic",
    "random_intercept",
    "random_slopes",
]


HECKMAN_SEPARATOR = " | selection "
"""Between the outcome and the selection formula in a heckman model's ``formula``."""


@model_kind(cluster_dummies=True)
def fixed_cluster(
    formula: str, pmm: bool = False, donors: int = DEFAULT_DONORS, delta: DeltaLike = None
) -> ImputationModel:
    r"""Impute a level-1 variable by a normal linear model with one dummy per cluster.

    The tutorial's "step 0", as mice's ``norm`` with the cluster as a factor predictor: every
    cluster gets its own intercept, estimated from its observed rows only.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"``: the target on the left, plain column names on the right. The cluster
        dummies come from ``cluster=`` in `impute`; write no ``( | )`` term.

    pmm : bool, default=False
        Impute by predictive mean matching (mice's ``pmm``, miceadds' ``2l.pmm``): for each
        missing cell, the `donors` observed cells whose predicted means under the current
        parameter draw are closest to the cell's are the donors, and one donor's observed
        value, chosen at random, is imputed. Imputations are then always observed values
        (whole scores stay whole, within their observed range).
    donors : int, default=5
        Number of donors.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the variable's scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse, has a grouping term, or uses terms other than column
        names.

    See Also
    --------
    random_intercept : partial pooling of the cluster intercepts, the usual choice.

    Notes
    -----
    On the standardised scale (target and predictors centred and scaled by their observed
    mean and SD)

    .. math:: y_{ij} = \alpha_j + x_{ij}'\beta + e_{ij},\quad e_{ij} \sim N(0, \sigma^2)

    with one intercept per cluster (cell-means coding, no global intercept) and priors
    :math:`\alpha_j \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`,
    :math:`\sigma \sim \text{HalfNormal}(1)`. Missing cells are drawn from
    :math:`N(\alpha_j + x_{ij}'\beta, \sigma^2)`.

    Known weaknesses: a cluster-level predictor is collinear with the dummies (it is dropped,
    with a warning, as mice drops collinear predictors), a cluster with no observed target
    cannot be imputed (refused before sampling), and small clusters are overfitted, which
    exaggerates between-cluster differences in the imputations.

    References
    ----------
    van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., section 7.5.

    Examples
    --------
    >>> model = bm.fixed_cluster("popular ~ sex + texp")
    >>> model.kind, model.predictors
    ('fixed_cluster', ('sex', 'texp'))
    """
    parsed = parse_formula(formula)
    if parsed.groups:
        raise ValueError(
            f"fixed_cluster takes no grouping term, but {formula!r} groups by "
            f"{', '.join(parsed.groups)}; the cluster dummies come from impute(..., "
            "cluster=...). For random effects use bm.random_intercept."
        )
    model = ImputationModel("fixed_cluster", formula, parsed.target, parsed.fixed)
    return _options(model, pmm, donors, delta)


@model_kind(joint=True, compatible=True, has_gibbs=mixed_gibbs, any_grouping=True)
def random_intercept(
    formula: str,
    pmm: bool = False,
    donors: int = DEFAULT_DONORS,
    delta: DeltaLike = None,
    residual: Literal["independent", "ar1"] = "independent",
) -> ImputationModel:
    r"""Impute a level-1 variable by a linear mixed model with a random intercept per cluster.

    mice's ``2l.pan`` or ``2l.lmer`` with every predictor coded 1, fully Bayesian.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 | cluster)"``: the target on the left, plain column names and one
        random-intercept term whose grouping factor is the cluster column; or several, as
        lme4 writes them: nested ``(1 | school) + (1 | class)`` or ``(1 | school/class)``,
        crossed ``(1 | school) + (1 | area)`` (`bayesmi.models.multilevel`). A factor is
        read as ``cluster=`` encodes it, else as its column is: with class labels restarting
        in every school and ``cluster="school"``, ``(1 | class)`` would be crossed with the
        schools; write ``(1 | school/class)`` or ``cluster=["school", "class"]``
        (`bayesmi.grouping_structure` shows what is nested and what crossed).

    pmm : bool, default=False
        Impute by predictive mean matching (mice's ``pmm``, miceadds' ``2l.pmm``): for each
        missing cell, the `donors` observed cells whose predicted means under the current
        parameter draw are closest to the cell's are the donors, and one donor's observed
        value, chosen at random, is imputed. Imputations are then always observed values
        (whole scores stay whole, within their observed range).
    donors : int, default=5
        Number of donors.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the variable's scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.
    residual : {"independent", "ar1"}, default="independent"
        Longitudinal data (``impute(..., time="visit")``, the cluster a person): ``"ar1"``
        makes a person's residuals autocorrelated over the occasions, in continuous time,
        ``corr(e_t, e_s) = phi^|t - s|`` with ``phi ~ Uniform(0, 1)`` (nlme's ``corCAR1``;
        at whole-number times the AR(1) of ``corAR1`` with ``phi >= 0``). A missing cell is
        then drawn given its person's neighbouring occasions, observed or imputed, not only
        the person's random effects. The trace holds ``phi``.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse, lacks the ``(1 | cluster)`` term, has random slopes,
        or uses terms other than column names; `residual` is unknown, or ``"ar1"`` with
        `pmm`.

    See Also
    --------
    fixed_cluster : one dummy per cluster instead of random intercepts.

    Notes
    -----
    On the standardised scale (target and predictors centred and scaled by their observed
    mean and SD)

    .. math:: y_{ij} = \beta_0 + x_{ij}'\beta + u_j + e_{ij},\quad
              u_j \sim N(0, \tau^2),\quad e_{ij} \sim N(0, \sigma^2)

    non-centred, :math:`u_j = \tau \eta_j` with :math:`\eta_j \sim N(0, 1)`, and priors
    :math:`\beta_0 \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`,
    :math:`\tau \sim \text{HalfNormal}(1)`, :math:`\sigma \sim \text{HalfNormal}(1)`.
    Missing cells are drawn from :math:`N(\beta_0 + x_{ij}'\beta + u_j, \sigma^2)` with the
    cluster's current :math:`u_j`; a cluster with no observed target has only its prior, so
    its :math:`u_j` is a fresh draw from :math:`N(0, \tau^2)`.

    References
    ----------
    Schafer, J. L. and Yucel, R. M. (2002). Computational strategies for multivariate linear
    mixed-effects models with missing values. Journal of Computational and Graphical
    Statistics, 11(2), 437-457.

    Examples
    --------
    >>> model = bm.random_intercept("popular ~ sex + texp + (1 | school)")
    >>> model.group
    'school'
    >>> bm.random_intercept("y ~ x + (1 | school/class)").groups
    ('school', 'school:class')
    """
    parsed = parse_formula(formula)
    if not parsed.groups:
        parsed.single_group("random_intercept")  # says a grouping term is needed
    sloped = {group: slopes for group, slopes in parsed.groups.items() if slopes}
    for group, slopes in sloped.items():
        raise ValueError(
            f"random_intercept takes (1 | {group}) only; {formula!r} has random slopes on "
            f"{', '.join(term.name for term in slopes)}: use bm.random_slopes."
        )
    group, *others = parsed.groups
    model = ImputationModel(
        "random_intercept", formula, parsed.target, parsed.fixed, group, other_groups=tuple(others)
    )
    return replace(_options(model, pmm, donors, delta), residual=residual)


def _options(model: ImputationModel, pmm: bool, donors: int, delta: DeltaLike) -> ImputationModel:
    """Return the model with its matching options and delta (checked by the model)."""
    return replace(model, pmm=pmm, donors=donors, delta=delta)


def grouped_model(formula: str, kind: str) -> ImputationModel:
    """Build a mixed model of a kind: slopes among the fixed predictors, on one factor.

    The factor with random slopes (else the first written) is the model's ``group``; other
    grouping factors, each with a random intercept (``(1 + x | school) + (1 | class)``), are
    its ``other_groups``.
    """
    parsed = parse_formula(formula)
    if not parsed.groups:
        parsed.single_group(kind)  # says a grouping term is needed
    sloped = [group for group, slopes in parsed.groups.items() if slopes]
    if len(sloped) > 1:
        written = " + ".join(term.name for term in parsed.groups[sloped[0]])
        raise ValueError(
            f"{kind} takes random slopes on one grouping factor; {formula!r} has them on "
            f"{show(sloped)}. Keep the slopes on one factor and give the others a random "
            f"intercept only: (1 + {written} | {sloped[0]}) + (1 | {sloped[1]})."
        )
    group = sloped[0] if sloped else next(iter(parsed.groups))
    slopes = parsed.groups[group]
    others = tuple(name for name in parsed.groups if name != group)
    absent = [term.name for term in slopes if term not in parsed.fixed]
    if absent:
        raise ValueError(
            f"{formula!r} has a random slope on {', '.join(absent)} but no fixed effect for it; "
            f"add {' + '.join(absent)} to the fixed part (the slopes' mean)."
        )
    fields = {"family": KINDS[kind].default_family, "other_groups": others}
    return ImputationModel(kind, formula, parsed.target, parsed.fixed, group, slopes, **fields)


@model_kind(joint=True, compatible=True, has_gibbs=mixed_gibbs)
def random_slopes(
    formula: str,
    pmm: bool = False,
    donors: int = DEFAULT_DONORS,
    delta: DeltaLike = None,
    residual: Literal["independent", "ar1"] = "independent",
) -> ImputationModel:
    r"""Impute a level-1 variable by a linear mixed model with random intercept and slopes.

    mice's ``2l.pan`` with predictors coded 2 (or 4 with their cluster means), fully
    Bayesian, with any number of correlated random slopes.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 + x1 | cluster)"``: each random slope also in the fixed part.
        Other grouping factors may add a random intercept each, nested or crossed:
        ``"y ~ x + (1 + x | school) + (1 | class)"`` (exact Gibbs steps,
        `bayesmi.gibbs.FactorsGibbs`); the slopes are on one factor.

    pmm : bool, default=False
        Impute by predictive mean matching (mice's ``pmm``, miceadds' ``2l.pmm``): for each
        missing cell, the `donors` observed cells whose predicted means under the current
        parameter draw are closest to the cell's are the donors, and one donor's observed
        value, chosen at random, is imputed. Imputations are then always observed values
        (whole scores stay whole, within their observed range).
    donors : int, default=5
        Number of donors.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the variable's scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.
    residual : {"independent", "ar1"}, default="independent"
        ``"ar1"``: residuals autocorrelated over each person's occasions (``time=``), as in
        `random_intercept`.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse, has no grouping factor, random slopes on several
        factors, or a random slope without its fixed effect. A random slope on a variable
        constant within the groups of its factor is refused by `impute` (it is not
        identified).

    See Also
    --------
    random_intercept : the model without random slopes.
    heteroscedastic : with a residual variance per cluster.

    Notes
    -----
    On the standardised scale,
    :math:`y_{ij} = \beta_0 + x_{ij}'\beta + z_{ij}'b_j + e_{ij}` with :math:`z_{ij}` the
    intercept and the slope variables, :math:`b_j \sim N_q(0, T)`,
    :math:`T = \mathrm{diag}(s)\,\Omega\,\mathrm{diag}(s)`, :math:`s_k \sim
    \text{HalfNormal}(1)`, :math:`\Omega \sim \text{LKJ}(2)`, non-centred
    (:math:`b_j = \mathrm{diag}(s) L_\Omega \eta_j`, :math:`\eta_j \sim N(0, I)`);
    :math:`\beta_0 \sim N(0, 5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`,
    :math:`\sigma \sim \text{HalfNormal}(1)`. Missing cells are drawn from
    :math:`N(\beta_0 + x_{ij}'\beta + z_{ij}'b_j, \sigma^2)`; a cluster with no observed
    target draws :math:`b_j` from :math:`N(0, T)`.

    References
    ----------
    Schafer, J. L. and Yucel, R. M. (2002). Journal of Computational and Graphical Statistics,
    11(2), 437-457.

    Examples
    --------
    >>> model = bm.random_slopes("popular ~ sex + texp + (1 + sex | school)")
    >>> model.slopes
    ('sex',)
    """
    model = _options(grouped_model(formula, "random_slopes"), pmm, donors, delta)
    return replace(model, residual=residual)


@model_kind(joint=True, compatible=True, has_gibbs=mixed_gibbs, cluster_variance=True)
def heteroscedastic(
    formula: str,
    pmm: bool = False,
    donors: int = DEFAULT_DONORS,
    delta: DeltaLike = None,
    residual: Literal["independent", "ar1"] = "independent",
) -> ImputationModel:
    r"""Impute by a mixed model with a residual variance of its own in every cluster.

    mice's ``2l.norm`` (Kasim and Raudenbush), fully Bayesian: clusters with more or less
    noise are imputed with their own spread.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 | cluster)"`` or with random slopes ``(1 + x1 | cluster)``.

    pmm : bool, default=False
        Impute by predictive mean matching (mice's ``pmm``, miceadds' ``2l.pmm``): for each
        missing cell, the `donors` observed cells whose predicted means under the current
        parameter draw are closest to the cell's are the donors, and one donor's observed
        value, chosen at random, is imputed. Imputations are then always observed values
        (whole scores stay whole, within their observed range).
    donors : int, default=5
        Number of donors.
    delta : float, mapping, Series or str, optional
        Shift the imputations away from MAR, on the variable's scale (a sensitivity analysis; see
        `bayesmi.spec.pattern_mixture`, and `bayesmi.delta` for one shift per cluster). 0 is MAR.
    residual : {"independent", "ar1"}, default="independent"
        ``"ar1"``: residuals autocorrelated over each person's occasions (``time=``), as in
        `random_intercept`, each person with their own residual variance.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        As `random_slopes`.

    See Also
    --------
    random_slopes : one residual variance for all clusters.

    Notes
    -----
    As `random_slopes`, with :math:`e_{ij} \sim N(0, \sigma_j^2)`,
    :math:`\log \sigma_j \sim N(\mu_\sigma, \omega^2)`, :math:`\mu_\sigma \sim N(0, 1)`,
    :math:`\omega \sim \text{HalfNormal}(0.5)` (non-centred). A missing cell is drawn with its
    cluster's :math:`\sigma_j`; a cluster with no observed target draws :math:`\sigma_j` and
    :math:`b_j` from the population. Unlike mice 3.15's ``2l.norm``, which drops predictors
    coded 1 (halving the sex effect on popmis in the project's reference run), every predictor
    of the formula is used.

    References
    ----------
    Kasim, R. M. and Raudenbush, S. W. (1998). Application of Gibbs sampling to nested variance
    components models with heterogeneous within-group variance. Journal of Educational and
    Behavioral Statistics, 23(2), 93-116.

    Examples
    --------
    >>> bm.heteroscedastic("popular ~ sex + texp + (1 + sex | school)").kind
    'heteroscedastic'
    """
    model = _options(grouped_model(formula, "heteroscedastic"), pmm, donors, delta)
    return replace(model, residual=residual)


@model_kind(default_family="binary", joint=True, compatible=True, has_gibbs=mixed_gibbs)
def binary(formula: str, delta: DeltaLike = None) -> ImputationModel:
    r"""Impute a 0/1 variable by a logistic mixed model (mice's ``2l.bin``).

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 | cluster)"``, optionally with random slopes.
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
        As `random_slopes`; a target that is not 0/1 is refused by `impute`.

    Notes
    -----
    :math:`\mathrm{logit}\,P(y_{ij} = 1) = \beta_0 + x_{ij}'\beta + z_{ij}'b_j` with
    standardised predictors, :math:`b_j` as in `random_slopes`, :math:`\beta_0 \sim
    N(0, 2.5^2)`, :math:`\beta_k \sim N(0, 2.5^2)`. Missing cells are Bernoulli draws, so
    imputations are 0 or 1.

    Examples
    --------
    >>> bm.binary("sex ~ popular + (1 | school)").kind
    'binary'
    """
    return replace(grouped_model(formula, "binary"), delta=delta)


@model_kind(
    takes=lambda family: not family.survival,
    has_gibbs=linear_gibbs,
    cluster_level=True,
    compatible=True,
)
def cluster_level(
    formula: str,
    family: str | Family = "gaussian",
    pmm: bool = False,
    donors: int = DEFAULT_DONORS,
    delta: DeltaLike = None,
    level: str | None = None,
) -> ImputationModel:
    r"""Impute a cluster-level (level-2) variable by a regression across clusters.

    mice's ``2lonly.norm``: one row per cluster; level-1 predictors enter as their cluster
    means (write ``x_mean``), other level-2 variables as they are. Every unit of a cluster gets
    the same imputed value.

    Parameters
    ----------
    formula : str
        ``"z ~ x_mean + w"`` with no grouping term.
    family : str, default="gaussian"
        The target's distribution across clusters: "gaussian" (a normal regression),
        "binary" (logistic), "categorical" (multinomial logit, first category the reference),
        "ordinal" (cumulative logit) or "poisson" / "negative_binomial" (log link), each
        with the priors of the level-1 model of that family (`binary`, `categorical`,
        `ordinal`, `count`) and no random effect: one row per cluster.
    pmm : bool, default=False
        Impute by predictive mean matching among the clusters that report the value
        (gaussian only; as miceadds' ``2lonly.pmm``).
    donors : int, default=5
        Number of donor clusters.
    delta : float, mapping, Series or str, optional
        Shift each imputed cluster's value away from what the MAR model predicts (pattern
        mixture, `bayesmi.spec.pattern_mixture`): by delta on the variable's scale (gaussian,
        matching included), on the logit scale (binary, categorical, ordinal) or the log
        scale (counts). A number, a mapping from cluster label (`bayesmi.delta`), or a column
        constant within each cluster without the value. 0 is MAR; clusters that report the
        value keep it.
    level : str, optional
        With several grouping columns (``cluster=["school", "classroom"]``), the one the
        variable lives on: ``"school"`` for a school-level variable, one value per school,
        ``x_mean`` then the school mean. The cluster (the innermost) by default.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If `formula` is not a string.
    ValueError
        If the formula does not parse or has a grouping term. A target that varies within
        clusters, a level-1 predictor not written as its cluster mean, or a delta column that
        varies within a cluster without the value, is refused by `impute`.

    Notes
    -----
    :math:`w_j = \gamma_0 + a_j'\gamma + e_j`, :math:`e_j \sim N(0, \sigma_w^2)` on the
    standardised scale, fitted to the clusters where :math:`w_j` is observed, with priors as
    `random_intercept`'s fixed part. A cluster where some units report the value and others
    miss it keeps the reported value (as mice's ``2lonly.mean``); clusters with no value are
    drawn from the model.

    Examples
    --------
    >>> bm.cluster_level("texp ~ popular_mean").predictors
    ('popular_mean',)
    """
    parsed = parse_formula(formula)
    if parsed.groups:
        raise ValueError(
            f"cluster_level takes no grouping term, but {formula!r} groups by "
            f"{', '.join(parsed.groups)}: the model already has one row per cluster."
        )
    if level is not None and not isinstance(level, str):
        raise TypeError(f"level must be a grouping column's name (str), got {level!r}.")
    model = ImputationModel(
        "cluster_level", formula, parsed.target, parsed.fixed, family=family, level=level
    )
    return _options(model, pmm, donors, delta)


@model_kind(
    takes=lambda family: family.selection_kernel is not None,
    gibbs=False,  # NUTS crosses to rho's minor mode now and then, the sweeps never
    has_gibbs=selection_gibbs,
    warms_up_by_nuts=lambda model: model.rho is None,
    selection=True,
    formulas=2,
)
def heckman(
    outcome: str,
    selection: str,
    family: str | Family = "gaussian",
    cluster_rho: bool = False,
    rho: float | None = None,
) -> ImputationModel:
    r"""Impute a variable missing not at random by a hierarchical Heckman selection model.

    The approach of micemd's ``2l.2stage.heckman``, fully Bayesian: an outcome equation and a
    probit equation for being observed, with correlated errors (``rho``) and random effects in
    both. The missing cells are drawn from the outcome given that it was not observed, so
    when ``rho`` is away from 0 they differ systematically from the observed ones.

    Parameters
    ----------
    outcome : str
        ``"y ~ x1 + x2 + (1 + x1 | cluster)"``: the outcome model, as `random_slopes`.
    selection : str
        ``"~ x1 + x2 + z + (1 | cluster)"``: the predictors of being observed, with a random
        intercept; at least one (``z``, the exclusion restriction) must not be in the outcome.
    family : {"gaussian", "binary"}, default="gaussian"
        "binary" for a 0/1 target: the outcome equation is then a probit (a bivariate probit
        with sample selection).
    cluster_rho : bool, default=False
        Let the error correlation vary between clusters: :math:`\mathrm{atanh}\,\rho_j \sim
        N(\mathrm{atanh}\,\rho, s^2)`, :math:`s \sim \text{HalfNormal}(0.5)`; the result then
        holds ``rho_cluster`` beside the overall ``rho``.
    rho : float, optional
        Fix the error correlation at this value (``-1 < rho < 1``) instead of estimating it:
        a sensitivity analysis over a grid of assumed departures from MAR
        (`bayesmi.tipping_point` with ``over="rho"``); 0 is the MAR random-slopes model.

    Returns
    -------
    ImputationModel

    Raises
    ------
    TypeError
        If a formula is not a string.
    ValueError
        If a formula does not parse, the selection formula has a left-hand side, random slopes
        or no variable absent from the outcome formula, or `family` is unknown. A target
        without missing values is refused by `impute` (there is no selection to model).

    Notes
    -----
    On the standardised scale, outcome :math:`y_{ij} = x_{ij}'\beta + z_{ij}'b_j + e_{ij}`,
    selection :math:`s^*_{ij} = w_{ij}'\gamma + v_j + d_{ij}`, observed when
    :math:`s^*_{ij} > 0`; :math:`(e/\sigma, d)` standard bivariate normal with correlation
    :math:`\rho`. Likelihood: observed rows
    :math:`N(y; \mu, \sigma^2)\,\Phi((\eta + \rho (y - \mu)/\sigma)/\sqrt{1 - \rho^2})`,
    missing rows :math:`\Phi(-\eta)`. Priors: as `random_slopes` for the outcome;
    :math:`\gamma \sim N(0, 2.5^2)`, :math:`v_j \sim N(0, \tau_v^2)`,
    :math:`\tau_v \sim \text{HalfNormal}(1)`, :math:`\mathrm{atanh}\,\rho \sim N(0, 1)`.
    Draw for a missing cell: :math:`d \sim N(0, 1)` truncated to :math:`d \le -\eta`, then
    :math:`y = \mu + \sigma(\rho d + \sqrt{1 - \rho^2}\, \epsilon)`. With :math:`\rho = 0` it
    is the random-slopes model.

    With ``family="binary"``, :math:`y = 1` when :math:`\mu + e > 0`, :math:`\sigma = 1`:
    an observed row contributes :math:`\Phi_2(q\mu, \eta; q\rho)`, :math:`q = 2y - 1`, and a
    missing cell is 1 when :math:`\mu + \rho d + \sqrt{1 - \rho^2}\,\epsilon > 0`, with
    :math:`d` truncated as above; the intercept's prior is :math:`N(0, 2.5^2)`.

    The posterior of ``rho`` (``<y>::rho`` in the result, summarised by
    `bayesmi.selection_summary`) says whether the data support missingness not at random.

    References
    ----------
    Heckman, J. J. (1979). Sample selection bias as a specification error. Econometrica, 47,
    153-161.

    Examples
    --------
    >>> model = bm.heckman("popular ~ sex + (1 | school)", "~ sex + teachpop + (1 | school)")
    >>> model.selection
    ('sex', 'teachpop')
    """
    model = grouped_model(outcome, "heckman")
    if model.other_groups:
        raise ValueError(
            f"heckman models one grouping factor; {outcome!r} has {len(model.groups)} "
            f"({show(model.groups)}). Keep the factor the selection depends on, "
            f"(1 | {model.group}), or impute under MAR with several factors "
            "(bm.random_intercept) and assess MNAR with delta=."
        )
    if not isinstance(selection, str):
        raise TypeError("selection must be a string such as '~ x + z + (1 | cluster)'.")
    if selection.split("~")[0].strip():
        raise ValueError(
            f"the selection formula {selection!r} has a left-hand side; the selection outcome "
            "is whether the target is observed: write it as '~ x + z + (1 | cluster)'."
        )
    parsed = parse_formula(f"{model.target} {selection.strip()}")
    group, slopes = parsed.single_group("the selection equation")
    if slopes or group != model.group:
        raise ValueError(
            f"the selection formula {selection!r} needs the random intercept (1 | {model.group}) "
            "and no random slopes."
        )
    if all(term in model.fixed_terms for term in parsed.fixed):
        raise ValueError(
            f"the selection formula {selection!r} has no variable that the outcome formula "
            f"{outcome!r} lacks; the model is identified only through such an exclusion "
            "restriction (a variable that affects being observed but not the outcome)."
        )
    return ImputationModel(
        "heckman",
        f"{outcome}{HECKMAN_SEPARATOR}{selection}",
        model.target,
        model.fixed_terms,
        model.group,
        model.slope_terms,
        parsed.fixed,
        family=family,
        cluster_rho=bool(cluster_rho),
        rho=rho,
    )
