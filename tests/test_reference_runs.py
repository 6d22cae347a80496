"""The same seeded calls give the same InferenceData as before the reorganisation (issue 14).

The reference files were written by `tests/reference_runs.py` from the code before it was
reorganised; each run here repeats one call and compares every group, variable, coordinate and
attribute. Runs that use NUTS run in a fresh process, so that nothing an earlier test did to
the process can move their numbers: before `bayesmi.models.conditional.COMPILE_LOCK`, chains
compiled on a thread pool left the process running later models' operations in Python, which
moved NUTS results from the ninth digit on (the joint engine's from the fourth). Values are
compared to a relative 1e-7: a fresh process on this machine gives identical numbers; another
CPU may round a BLAS call's last bit differently. A change of algorithm, seed handling or
order of updates moves the numbers in the first digits.
"""

import subprocess
import sys

import arviz as az
import numpy as np
import pytest
import reference_runs

FAST = {
    "popmis_gibbs",
    "popmis_gibbs_parallel",
    "popmis_overdispersed_draws",
    "two_variables_slopes_heteroscedastic",
    "two_variables_executor",
    "random_slopes_gibbs",
    "heteroscedastic_gibbs",
    "systematic_random_intercept",
    "factor_kinds_gibbs",
    "levels_gibbs",
    "compatible_chained",
    "matching_and_delta",
    "heckman_gibbs_fixed_rho",
}
"""Runs with exact Gibbs samplers only (no NUTS compilation), cheap enough for every test run."""

VOLATILE_ATTRS = {"created_at", "arviz_version", "inference_library_version", "bayesmi_version"}
"""Attributes that record when and with which versions a run was made."""


def assert_same_inference_data(new: az.InferenceData, old: az.InferenceData) -> None:
    assert sorted(new.groups()) == sorted(old.groups())
    for group in old.groups():
        left, right = new[group], old[group]
        assert sorted(left.data_vars) == sorted(right.data_vars), group
        for name in right.data_vars:
            assert left[name].dims == right[name].dims, (group, name)
            if np.issubdtype(right[name].dtype, np.number):
                np.testing.assert_allclose(
                    left[name].to_numpy(), right[name].to_numpy(), rtol=1e-7, atol=1e-10
                )
            else:
                np.testing.assert_array_equal(left[name].to_numpy(), right[name].to_numpy())
        for dim in right.coords:
            np.testing.assert_array_equal(left[dim].to_numpy(), right[dim].to_numpy())
        kept = {k: v for k, v in right.attrs.items() if k not in VOLATILE_ATTRS}
        assert {k: left.attrs.get(k) for k in kept} == kept, group
    kept = {k: v for k, v in old.attrs.items() if k not in VOLATILE_ATTRS}
    assert {k: new.attrs.get(k) for k in kept} == kept


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=() if name in FAST else pytest.mark.slow)
        for name in reference_runs.RUNS
    ],
)
def test_same_call_same_inference_data(name, tmp_path):
    old = az.from_netcdf(reference_runs.DIRECTORY / f"{name}.nc")
    if name in FAST:
        new = reference_runs.run_quietly(name)
    else:
        path = tmp_path / f"{name}.nc"
        command = [sys.executable, reference_runs.__file__, name, str(path), "--out"]
        subprocess.run(command, check=True, capture_output=True)
        new = az.from_netcdf(path)
    assert_same_inference_data(new, old)
