"""Predictive mean matching: the donors are the k observed cells with the closest means."""

import numpy as np
import pytest

from bayesmi.models.matching import match_donors


@pytest.mark.parametrize("donors", [1, 3, 5, 50])
def test_each_imputation_is_the_value_of_one_of_the_k_nearest_donors(donors):
    rng = np.random.default_rng(4)
    observed_means = rng.normal(size=40)
    missing_means = np.concatenate([rng.normal(size=25), [-9.0, 9.0]])  # beyond both ends
    values = np.arange(40.0) * 10  # value k*10 identifies observed cell k
    for seed in range(5):
        imputed = match_donors(
            observed_means, missing_means, values, donors, np.random.default_rng(seed)
        )
        for mean, value in zip(missing_means, imputed, strict=True):
            distance = np.abs(observed_means - mean)
            k = min(donors, observed_means.size)
            nearest = np.argsort(distance, kind="stable")[:k]
            assert int(value // 10) in set(nearest)


def test_all_k_donors_are_chosen_about_equally_often():
    observed_means = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    values = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    imputed = match_donors(observed_means, np.full(4000, 1.4), values, 3, np.random.default_rng(0))
    shares = np.array([np.mean(imputed == v) for v in (0.0, 1.0, 2.0)])
    np.testing.assert_allclose(shares, 1 / 3, atol=0.03)
    assert not np.any(np.isin(imputed, (3.0, 10.0)))
