"""The kind table: every kind's row, and the docstring table users read, agree with the code."""

import pytest

import bayesmi as bm
from bayesmi.families import FAMILIES
from bayesmi.models import FACTORIES
from bayesmi.spec import kinds
from bayesmi.spec.kinds import KINDS, update_method


def documented_rows() -> dict[str, list[str]]:
    lines = kinds.__doc__.split("\n")
    rule = [k for k, line in enumerate(lines) if line.startswith("=====")]
    return {line.split()[0]: line.split() for line in lines[rule[1] + 1 : rule[2]]}


def test_every_kind_has_a_constructor_a_factory_and_a_documented_row():
    assert set(KINDS) == set(FACTORIES) == set(documented_rows())
    for name, info in KINDS.items():
        assert info.constructor is getattr(bm, name)
        assert info.default_family in info.families


@pytest.mark.parametrize("name", sorted(KINDS))
def test_the_documented_row_says_what_the_table_holds(name):
    _, families, joint, compatible, gibbs, *_ = documented_rows()[name]
    info = KINDS[name]
    assert joint == ("yes" if info.joint else "no")
    assert compatible == ("yes" if info.compatible else "no")
    assert gibbs == ("yes" if info.gibbs else "asked")
    counts = tuple(name for name, family in FAMILIES.items() if family.counts)
    covariates = tuple(name for name, family in FAMILIES.items() if not family.survival)
    named = {"any": covariates, "counts": counts}
    named["survival"] = tuple(name for name, family in FAMILIES.items() if family.survival)
    named["selection"] = ("gaussian", "binary")
    assert info.families == named.get(families, (families,))


def test_options_and_defaults_come_from_the_constructors():
    assert KINDS["random_intercept"].options == ("pmm", "donors", "residual")
    assert KINDS["random_slopes"].defaults["residual"] == "independent"
    assert KINDS["binary"].options == ()
    assert KINDS["count"].defaults == {"family": "poisson"}
    assert KINDS["cluster_level"].options == ("family", "pmm", "donors", "level")
    assert KINDS["heckman"].options == ("family", "cluster_rho", "rho")
    assert not KINDS["heckman"].takes_delta
    assert KINDS["binary"].takes_delta
    assert KINDS["fixed_cluster"].matching
    assert not KINDS["ordinal"].matching


def test_a_family_the_kind_cannot_have_is_refused_naming_the_ones_it_can():
    with pytest.raises(ValueError, match="count model must be one of 'poisson', 'negative_bin"):
        bm.count("y ~ x + (1 | g)", family="gaussian")
    with pytest.raises(ValueError, match="family must be one of gaussian, binary"):
        bm.cluster_level("z ~ x_mean", family="lognormal")
    with pytest.raises(ValueError, match=r"cluster_level model must be one of .* not 'weibull'"):
        bm.cluster_level("z ~ x_mean", family="weibull")
    model = bm.cluster_level("z ~ x_mean", family="ordinal")
    assert model.family is FAMILIES["ordinal"]
    assert model.family == "ordinal"


def test_update_method_is_the_one_choice_of_sampler():
    heckman = bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)")
    assert update_method(heckman, "auto") == "nuts"
    assert update_method(heckman, "gibbs") == "nuts_then_gibbs"
    fixed_rho = bm.heckman("y ~ x + (1 | g)", "~ x + z + (1 | g)", rho=0.2)
    assert update_method(fixed_rho, "gibbs") == "gibbs"
    assert update_method(bm.count("y ~ x + (1 | g)"), "auto") == "nuts"
    negative_binomial = bm.count("y ~ x + (1 | g)", family="negative_binomial")
    assert update_method(negative_binomial, "auto") == "gibbs"
    assert update_method(negative_binomial, "nuts") == "nuts"
    for family in ("gaussian", "binary", "categorical", "ordinal", "negative_binomial"):
        assert update_method(bm.cluster_level("z ~ x_mean", family=family), "auto") == "gibbs"
    assert update_method(bm.cluster_level("z ~ x_mean", family="poisson"), "auto") == "nuts"
    assert update_method(bm.ordinal("y ~ x + (1 | g) + (1 | h)"), "auto") == "nuts"
