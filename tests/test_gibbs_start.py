"""Gibbs-only runs start without compiling anything (issue 29, points 2 and 4)."""

import sys

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data.checks import check_spec, prepare_spec
from bayesmi.data.encoding import encode
from bayesmi.engines.chained import forget_compiled_models
from bayesmi.models import build
from bayesmi.models.conditional import gibbs_start, jittered_start

X_MODEL = {"x": bm.random_intercept("x ~ w + (1 | g)")}
GIBBS_MODELS = {
    "random intercept": {"y": bm.random_intercept("y ~ x + w + (1 | g)")} | X_MODEL,
    "no predictors": {"y": bm.random_intercept("y ~ 1 + (1 | g)")},
    "cluster level": {"z": bm.cluster_level("z ~ w_mean")},
    "fixed cluster": {"y": bm.fixed_cluster("y ~ x + w")} | X_MODEL,
    "three levels": {"y": bm.random_intercept("y ~ x + c + (1 | school/classroom)")},
}


def model_data(kind: str, two_variable_data):
    if kind == "three levels":
        simulated = bm.simulate.simulate_three_level(schools=6, classes=3, pupils=5, seed=1)
        frame = simulated.incomplete
        return encode(frame.assign(c=frame["c"].fillna(0.0)), ["school", "classroom"])
    # z (constant in clusters) missing in two clusters
    return encode(
        two_variable_data.assign(z=two_variable_data["z"].where(two_variable_data["g"] > 1)), "g"
    )


@pytest.mark.parametrize("kind", GIBBS_MODELS)
def test_the_gibbs_start_is_pymcs_jittered_initial_point(kind, two_variable_data):
    data = model_data(kind, two_variable_data)
    spec = prepare_spec(check_spec(GIBBS_MODELS[kind], data), data)
    for name in spec:
        model = build(spec[name], data)
        assert model.gibbs is not None
        ours = gibbs_start(model.model, np.random.default_rng(3))
        pymcs = jittered_start(model.model, np.random.default_rng(3))
        assert list(ours) == list(pymcs)
        for key, value in pymcs.items():
            np.testing.assert_array_equal(ours[key], value, err_msg=key)


def test_a_gibbs_only_run_compiles_no_pytensor_function(two_variable_data, monkeypatch):
    compiler = sys.modules["pytensor.compile.function.pfunc"]
    compiled = []

    def record(*args, **kwargs):
        compiled.append(args)
        raise AssertionError("a PyTensor function was compiled")

    forget_compiled_models()
    monkeypatch.setattr(compiler, "orig_function", record)
    spec = {
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
        "x": bm.random_intercept("x ~ y + w + (1 | g)"),
    }
    idata = bm.impute(
        two_variable_data, spec, cluster="g", chains=2, iterations=3, progressbar=False
    )
    assert not compiled
    assert np.isfinite(idata.posterior["y::missing"]).all()
