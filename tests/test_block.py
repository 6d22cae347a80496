"""Chains advanced as a block: one vectorised sweep, each chain its own stream (issue 29)."""

import numpy as np
import pytest

import bayesmi as bm
from bayesmi.data.checks import check_spec, prepare_spec
from bayesmi.data.encoding import encode
from bayesmi.engines.chained import starting_values
from bayesmi.engines.designs import StandardisedDesigns
from bayesmi.engines.parallel import blocks_of
from bayesmi.gibbs import LinearGibbs, RandomInterceptGibbs, RandomSlopesGibbs
from bayesmi.models import build

CHAINS, ROWS, CLUSTERS, PREDICTORS = 5, 300, 30, 3


@pytest.fixture(scope="module")
def kernel_and_predictors():
    rng = np.random.default_rng(5)
    codes = np.sort(
        np.concatenate([np.arange(CLUSTERS), rng.integers(0, CLUSTERS, ROWS - CLUSTERS)])
    )
    y = rng.standard_normal(ROWS) + rng.standard_normal(CLUSTERS)[codes]
    kernel = RandomInterceptGibbs("t", y, codes, CLUSTERS, PREDICTORS)
    return kernel, rng.standard_normal((CHAINS, ROWS, PREDICTORS))


def start(chain: int) -> dict:
    rng = np.random.default_rng(100 + chain)
    return {
        "t::intercept_std": np.asarray(rng.normal()),
        "t::tau_std_log__": np.asarray(rng.normal()),
        "t::sigma_std_log__": np.asarray(rng.normal()),
        "t::eta": rng.normal(size=CLUSTERS),
        "t::beta_std": rng.normal(size=PREDICTORS),
    }


def test_a_block_sweep_is_each_chain_alone_to_the_last_bit(kernel_and_predictors):
    """Five chains in one call, or each in a block of its own: the same floats and streams."""
    kernel, x = kernel_and_predictors
    rngs = [np.random.default_rng(chain) for chain in range(CHAINS)]
    points, acceptance = kernel.sweep_block([start(c) for c in range(CHAINS)], list(x), rngs, 25)
    for chain in range(CHAINS):
        alone_rng = [np.random.default_rng(chain)]
        (alone,), alone_acceptance = kernel.sweep_block([start(chain)], [x[chain]], alone_rng, 25)
        for name, value in points[chain].items():
            np.testing.assert_array_equal(value, alone[name], err_msg=name)
        assert acceptance[chain] == alone_acceptance[0]
        assert rngs[chain].random() == alone_rng[0].random()  # the streams stand at one place


def test_a_block_sweep_draws_what_the_one_chain_sweep_draws(kernel_and_predictors):
    """The block kernel and `sweep` take the same random numbers, in the same order."""
    kernel, x = kernel_and_predictors
    rngs = [np.random.default_rng(chain) for chain in range(CHAINS)]
    points, acceptance = kernel.sweep_block([start(c) for c in range(CHAINS)], list(x), rngs, 25)
    for chain in range(CHAINS):
        rng, point, accepted = np.random.default_rng(chain), start(chain), 0.0
        for _ in range(25):
            point, rate = kernel.sweep(point, x[chain], rng)
            accepted += rate
        for name, value in points[chain].items():
            np.testing.assert_allclose(value, point[name], rtol=0, atol=1e-12, err_msg=name)
        assert acceptance[chain] == pytest.approx(accepted / 25, abs=1e-12)
        assert rngs[chain].random() == rng.random()


@pytest.mark.parametrize(
    ("chains", "blocks", "sizes"), [(10, 1, [10]), (10, 3, [4, 3, 3]), (2, 4, [1, 1])]
)
def test_chains_split_into_contiguous_blocks(chains, blocks, sizes):
    split = blocks_of(chains, blocks)
    assert [len(block) for block in split] == sizes
    assert [chain for block in split for chain in block] == list(range(chains))


def test_kept_designs_give_what_fresh_ones_give(two_variable_data, two_variable_spec, monkeypatch):
    """Predictor matrices kept and renewed, or built afresh every update: the same run."""
    settings = {"cluster": "g", "chains": 3, "iterations": 5, "seed": 4, "progressbar": False}
    kept = bm.impute(two_variable_data, two_variable_spec, **settings)
    monkeypatch.setattr("bayesmi.engines.designs.KEPT_DESIGN_BYTES", 0)
    fresh = bm.impute(two_variable_data, two_variable_spec, **settings)
    for name in ("y::missing", "x::missing", "y::beta", "x::tau"):
        np.testing.assert_array_equal(kept.posterior[name], fresh.posterior[name], err_msg=name)


def test_a_kept_design_is_renewed_where_imputations_changed(two_variable_data, two_variable_spec):
    data = encode(two_variable_data, "g")
    spec = prepare_spec(check_spec(two_variable_spec, data), data)
    models = {name: build(model, data) for name, model in spec.items()}
    designs = StandardisedDesigns(data, models, chains=1)
    rng = np.random.default_rng(0)
    current = starting_values(data, spec, rng)
    first = designs.matrix(0, "y", models["y"], current).copy()
    current["x"][data.missing["x"]] += 1.0  # new imputations of x, a predictor of y
    renewed = designs.matrix(0, "y", models["y"], current)
    expected = models["y"].scaling.x(data.design(models["y"].columns, current))
    np.testing.assert_array_equal(renewed, expected)
    assert not np.array_equal(renewed, first)


@pytest.mark.parametrize("intercepts", [1, 6])
def test_a_linear_block_sweep_draws_what_the_one_chain_sweep_draws(intercepts):
    """The cluster-level (one intercept) and fixed-cluster (one per cluster) regressions."""
    rng = np.random.default_rng(2)
    rows = 60
    design = np.eye(intercepts)[rng.integers(0, intercepts, rows)]
    x = rng.standard_normal((CHAINS, rows, 2))
    y = design @ rng.standard_normal(intercepts) + x[0] @ [0.5, -0.3] + rng.standard_normal(rows)
    name = "alpha_std" if intercepts > 1 else "intercept_std"
    kernel = LinearGibbs("t", name, y, design)
    starts = [
        {"t::sigma_std_log__": np.asarray(np.random.default_rng(c).normal())} for c in range(CHAINS)
    ]
    rngs = [np.random.default_rng(chain) for chain in range(CHAINS)]
    points, acceptance = kernel.sweep_block(starts, list(x), rngs, 20)
    for chain in range(CHAINS):
        alone_rng = [np.random.default_rng(chain)]
        (alone,), _ = kernel.sweep_block([starts[chain]], [x[chain]], alone_rng, 20)
        rng_one, point, accepted = np.random.default_rng(chain), starts[chain], 0.0
        for _ in range(20):
            point, rate = kernel.sweep(point, x[chain], rng_one)
            accepted += rate
        for key, value in points[chain].items():
            np.testing.assert_array_equal(value, alone[key], err_msg=key)
            np.testing.assert_allclose(value, point[key], rtol=0, atol=1e-12, err_msg=key)
        assert acceptance[chain] == pytest.approx(accepted / 20, abs=1e-12)
        assert rngs[chain].random() == rng_one.random() == alone_rng[0].random()


def test_a_random_slopes_block_sweep_draws_what_the_one_chain_sweep_draws():
    rng = np.random.default_rng(8)
    clusters, rows = 12, 240
    codes = np.sort(
        np.concatenate([np.arange(clusters), rng.integers(0, clusters, rows - clusters)])
    )
    x = rng.standard_normal((CHAINS, rows, 2))
    slopes = rng.normal(0, 0.5, clusters)
    y = 0.3 + x[0] @ [0.5, -0.2] + slopes[codes] * x[0, :, 0] + rng.standard_normal(rows)
    kernel = RandomSlopesGibbs(y, codes, clusters, (0,), cluster_variance=False)
    starts = [kernel.start(2, np.random.default_rng(50 + c)) for c in range(CHAINS)]
    rngs = [np.random.default_rng(chain) for chain in range(CHAINS)]
    states, acceptance = kernel.sweep_block(starts, list(x), rngs, 15)
    for chain in range(CHAINS):
        alone_rng = [np.random.default_rng(chain)]
        (alone,), _ = kernel.sweep_block([starts[chain]], [x[chain]], alone_rng, 15)
        rng_one, state, accepted = np.random.default_rng(chain), starts[chain], 0.0
        for _ in range(15):
            state, rate = kernel.sweep(state, x[chain], rng_one)
            accepted += rate
        for key, value in states[chain].items():
            np.testing.assert_array_equal(value, alone[key], err_msg=key)
            np.testing.assert_allclose(value, state[key], rtol=0, atol=1e-10, err_msg=key)
        assert acceptance[chain] == pytest.approx(accepted / 15, abs=1e-10)
        assert rngs[chain].random() == rng_one.random() == alone_rng[0].random()
