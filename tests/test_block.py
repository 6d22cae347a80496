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

CHAINS, SWEEPS = 5, 20


def clustered(rng: np.random.Generator, rows: int, clusters: int) -> np.ndarray:
    """Sorted cluster codes, every cluster with at least one row."""
    extra = rng.integers(0, clusters, rows - clusters)
    return np.sort(np.concatenate([np.arange(clusters), extra]))


def random_intercept():
    rng = np.random.default_rng(5)
    codes = clustered(rng, 300, 30)
    y = rng.standard_normal(300) + rng.standard_normal(30)[codes]
    starts = [
        {
            "t::intercept_std": np.asarray(start.normal()),
            "t::tau_std_log__": np.asarray(start.normal()),
            "t::sigma_std_log__": np.asarray(start.normal()),
            "t::eta": start.normal(size=30),
            "t::beta_std": start.normal(size=3),
        }
        for start in (np.random.default_rng(100 + chain) for chain in range(CHAINS))
    ]
    kernel = RandomInterceptGibbs("t", y, codes, 30, 3)
    return kernel, starts, rng.standard_normal((CHAINS, 300, 3)), 1e-12


def linear(intercepts: int):
    """The cluster-level (one intercept) or fixed-cluster (one per cluster) regression."""
    rng = np.random.default_rng(2)
    design = np.eye(intercepts)[rng.integers(0, intercepts, 60)]
    x = rng.standard_normal((CHAINS, 60, 2))
    y = design @ rng.standard_normal(intercepts) + x[0] @ [0.5, -0.3] + rng.standard_normal(60)
    kernel = LinearGibbs("t", "alpha_std" if intercepts > 1 else "intercept_std", y, design)
    starts = [
        {"t::sigma_std_log__": np.asarray(np.random.default_rng(c).normal())} for c in range(CHAINS)
    ]
    return kernel, starts, x, 1e-12


def random_slopes():
    rng = np.random.default_rng(8)
    codes = clustered(rng, 240, 12)
    x = rng.standard_normal((CHAINS, 240, 2))
    slopes = rng.normal(0, 0.5, 12)
    y = 0.3 + x[0] @ [0.5, -0.2] + slopes[codes] * x[0, :, 0] + rng.standard_normal(240)
    kernel = RandomSlopesGibbs(y, codes, 12, (0,), cluster_variance=False)
    starts = [kernel.start(2, np.random.default_rng(50 + c)) for c in range(CHAINS)]
    # the residual sum of squares from cluster sums: the one-chain sweep's to about 1e-13
    return kernel, starts, x, 1e-10


KERNELS = {
    "random intercept": random_intercept,
    "cluster level": lambda: linear(1),
    "fixed cluster": lambda: linear(6),
    "random slopes": random_slopes,
}


@pytest.mark.parametrize("kind", KERNELS)
def test_a_block_sweep_is_each_chain_alone_and_draws_what_one_chain_draws(kind):
    """Five chains in one call, each in a block of its own, and the one-chain sweep.

    The block and the blocks of one give the same floats; the one-chain sweep takes the same
    random numbers in the same order (its sums add in another order: equal to `tolerance`);
    all three leave each chain's generator at the same place.
    """
    kernel, starts, x, tolerance = KERNELS[kind]()
    rngs = [np.random.default_rng(chain) for chain in range(CHAINS)]
    states, acceptance = kernel.sweep_block(starts, list(x), rngs, SWEEPS)
    for chain in range(CHAINS):
        alone_rng = [np.random.default_rng(chain)]
        (alone,), alone_acceptance = kernel.sweep_block(
            [starts[chain]], [x[chain]], alone_rng, SWEEPS
        )
        one_rng, state, accepted = np.random.default_rng(chain), starts[chain], 0.0
        for _ in range(SWEEPS):
            state, rate = kernel.sweep(state, x[chain], one_rng)
            accepted += rate
        for key, value in states[chain].items():
            np.testing.assert_array_equal(value, alone[key], err_msg=key)
            np.testing.assert_allclose(value, state[key], rtol=0, atol=tolerance, err_msg=key)
        assert acceptance[chain] == alone_acceptance[0]
        assert acceptance[chain] == pytest.approx(accepted / SWEEPS, abs=tolerance)
        assert rngs[chain].random() == one_rng.random() == alone_rng[0].random()


def test_a_heteroscedastic_model_is_not_swept_as_a_block():
    kernel = RandomSlopesGibbs(np.zeros(4), np.array([0, 0, 1, 1]), 2, (), cluster_variance=True)
    with pytest.raises(ValueError, match="one residual variance"):
        kernel.sweep_block(
            [kernel.start(0, np.random.default_rng(0))],
            [np.empty((4, 0))],
            [np.random.default_rng(0)],
            1,
        )


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
