"""`admit` checks everything once, and the guard of tests/conftest.py holds it to that."""

import pytensor
import pytensor.tensor as pt
import pytest

import bayesmi as bm
from bayesmi.data import checks
from bayesmi.engines import admission


def test_the_guard_fails_a_compilation_before_the_checks_end(admission_guard, monkeypatch):
    def compile_while_checking(*args, **kwargs):
        x = pt.dscalar("x")
        pytensor.function([x], 2 * x)

    monkeypatch.setattr(admission, "check_memory", compile_while_checking)
    data = bm.datasets.load_popmis()
    spec = {"popular": bm.random_intercept("popular ~ sex + (1 | school)")}
    with pytest.raises(AssertionError, match="compiled before impute's checks ended"):
        bm.impute(data, spec, cluster="school", chains=2, iterations=2, progressbar=False)
    assert admission_guard.offences == ["a PyTensor function was compiled"]
    admission_guard.offences.clear()
    x = pt.dscalar("x")
    assert pytensor.function([x], 2 * x)(2.0) == 4.0  # outside impute, compiling is free


def test_the_spec_is_checked_once_with_the_analysis_model(monkeypatch, make_data):
    calls = []
    original = checks.check_spec

    def counted(spec, data, analysis=None):
        calls.append(list(spec))
        return original(spec, data, analysis)

    monkeypatch.setattr(admission, "check_spec", counted)
    data = make_data().drop(columns="x")
    spec = {"y": bm.random_intercept("y ~ w + (1 | g)")}
    with pytest.raises(ValueError, match="'y' is the outcome of the analysis model"):
        bm.impute(data, spec, cluster="g", analysis="y ~ w + (1 | g)")
    calls.clear()
    spec = {"x": bm.random_intercept("x ~ w + (1 | g)")}
    settings = {"chains": 2, "iterations": 2, "seed": 1, "progressbar": False}
    idata = bm.impute(make_data(), spec, cluster="g", analysis="y ~ x + w + (1 | g)", **settings)
    assert calls == [["x"]]  # the analysis model is entered last by check_spec itself
    assert [name for name in idata.posterior.data_vars if name.endswith("::missing")] == [
        "x::missing",
        "y::missing",
    ]
