"""The bivariate normal CDF used by the binary Heckman model, against SciPy."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy.stats import multivariate_normal

from bayesmi.families.bivariate_normal import log_bivariate_normal_cdf


def reference(h, k, r):
    probabilities = [
        multivariate_normal([0, 0], [[1, c], [c, 1]], abseps=1e-13, releps=1e-13).cdf([a, b])
        for a, b, c in zip(h, k, r, strict=True)
    ]
    with np.errstate(divide="ignore"):  # SciPy rounds the smallest probabilities to 0
        return np.log(probabilities)


@pytest.fixture(scope="module")
def bounds():
    rng = np.random.default_rng(1)
    h, k = rng.normal(0.0, 2.0, (2, 300))
    return h, k, np.tanh(rng.normal(0.0, 1.0, 300)).clip(-0.95, 0.95), rng.choice([-1.0, 1.0], 300)


def test_matches_scipy_per_row_correlation(bounds):
    h, k, r, sign = bounds
    got = log_bivariate_normal_cdf(h, k, r, sign=sign).eval()
    expected = reference(sign * h, k, sign * r)
    kept = expected > np.log(1e-8)
    assert kept.sum() > 250
    assert np.max(np.abs(got - expected)[kept]) < 1e-4


@pytest.mark.parametrize("r", [-0.9, -0.3, 0.0, 0.6, 0.95])
def test_matches_scipy_scalar_correlation(bounds, r):
    h, k, _, sign = bounds
    got = log_bivariate_normal_cdf(h, k, r, sign=sign).eval()
    expected = reference(sign * h, k, sign * np.full(h.size, r))
    kept = expected > np.log(1e-8)
    assert np.max(np.abs(got - expected)[kept]) < 1e-4


def test_gradient_in_the_correlation_matches_finite_differences():
    r = pt.dscalar("r")
    value = log_bivariate_normal_cdf(np.array([0.3, -1.2]), np.array([-0.4, 0.8]), r).sum()
    function = pytensor.function([r], [value, pt.grad(value, r)])
    step = 1e-6
    numeric = (function(0.5 + step)[0] - function(0.5 - step)[0]) / (2 * step)
    assert function(0.5)[1] == pytest.approx(numeric, rel=1e-6)
