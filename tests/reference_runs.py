"""Seeded imputation runs of every model kind, saved as reference InferenceData.

The files in ``tests/data/reference/`` were written by this module *before* the package was
reorganised by concern (issue 14), so `tests/test_reference_runs.py` shows that the same calls
give the same objects afterwards. Regenerate them only when a change is meant to alter the
numbers, and say so in the commit::

    python tests/reference_runs.py            # every run, each in a fresh process
    python tests/reference_runs.py popmis_gibbs binary_nuts
    python tests/reference_runs.py binary_nuts --out /tmp/new.nc   # one run, elsewhere
    python tests/reference_runs.py --check    # every run again, compared bit for bit
    python tests/reference_runs.py --check --against /tmp/before   # with runs written here

The runs of ``factor_kinds_gibbs`` to ``heckman_gibbs_fixed_rho`` were added before families
and kinds became objects (issue 28), written by the code of that time, to hold the families,
levels and engines the first runs did not reach.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

import bayesmi as bm
from bayesmi import simulate

DIRECTORY = Path(__file__).parent / "data" / "reference"

QUICK = {"chains": 2, "iterations": 4, "draws": 2, "tune": 30, "steps": 2, "progressbar": False}
"""Tiny settings: the runs check numbers, not statistics."""


def two_variables(seed: int = 0) -> pd.DataFrame:
    """y and x incomplete, w complete, z level 2 (as tests/conftest.py's frame)."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(8), 10)
    u = rng.normal(0, 0.7, 8)
    z = rng.normal(0, 1, 8)[cluster]
    w = rng.normal(0, 1, cluster.size)
    x = 0.5 * w + rng.normal(0, 1, cluster.size)
    y = 1 + 0.5 * x + 0.3 * z + u[cluster] + rng.normal(0, 1, cluster.size)
    frame = pd.DataFrame({"g": cluster, "y": y, "x": x, "w": w, "z": z})
    frame.loc[rng.random(cluster.size) < 0.3, "y"] = np.nan
    frame.loc[rng.random(cluster.size) < 0.2, "x"] = np.nan
    return frame


def _popmis(**settings):
    spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    return bm.impute(bm.datasets.load_popmis(), spec, cluster="school", **(QUICK | settings))


def _sim(data, spec, cluster="cluster", **settings):
    options = QUICK | settings
    if options.get("engine") == "joint":
        # The joint engine ignored steps= when the references were written; it now refuses it.
        options.pop("steps")
    return bm.impute(data, spec, cluster=cluster, **options)


def popmis_gibbs():
    return _popmis(seed=1, cores=1)


def popmis_gibbs_parallel():
    return _popmis(seed=1, cores=2)


def popmis_nuts():
    return _popmis(seed=2, cores=1, sampler="nuts")


def popmis_overdispersed_draws():
    return _popmis(seed=3, cores=1, chains=3, iterations=5, draws=3, start="overdispersed")


def two_variables_slopes_heteroscedastic():
    spec = {
        "y": bm.random_slopes("y ~ x + w + z + x_mean + (1 + w | g)"),
        "x": bm.heteroscedastic("x ~ y + w + y:w + (1 | g)"),
    }
    return _sim(two_variables(), spec, cluster="g", seed=4, cores=1)


def two_variables_executor():
    spec = {
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
        "x": bm.random_intercept("x ~ y + w + (1 | g)"),
    }
    with ThreadPoolExecutor(2) as executor:
        return _sim(two_variables(), spec, cluster="g", seed=5, executor=executor)


def random_slopes_gibbs():
    sim = simulate.simulate_random_slopes(clusters=10, cluster_size=10, seed=1)
    spec = {"y": bm.random_slopes("y ~ x + (1 + x | cluster)")}
    return _sim(sim.incomplete, spec, seed=6, cores=1)


def heteroscedastic_gibbs():
    sim = simulate.simulate_heteroscedastic(clusters=10, cluster_size=10, seed=1)
    spec = {"y": bm.heteroscedastic("y ~ x + (1 | cluster)")}
    return _sim(sim.incomplete, spec, seed=7, cores=1)


def binary_nuts():
    sim = simulate.simulate_binary(clusters=10, cluster_size=10, seed=1)
    spec = {"y": bm.binary("y ~ x + (1 | cluster)")}
    return _sim(sim.incomplete, spec, seed=8, cores=1, sampler="nuts")  # binary's Gibbs: issue 16


def cluster_level_nuts():
    sim = simulate.simulate_cluster_level(clusters=12, cluster_size=8, seed=1)
    target = next(c for c in sim.incomplete if c != "cluster" and sim.incomplete[c].isna().any())
    others = [c for c in sim.incomplete if c not in ("cluster", target)]
    formula = f"{target} ~ " + " + ".join(f"{c}_mean" for c in others)
    spec = {target: bm.cluster_level(formula)}
    return _sim(sim.incomplete, spec, seed=9, cores=1, sampler="nuts")  # its Gibbs: issue 16


def systematic_random_intercept():
    sim = simulate.simulate_systematic(clusters=10, cluster_size=10, seed=1)
    spec = {"x": bm.random_intercept("x ~ y + (1 | cluster)")}
    return _sim(sim.incomplete, spec, seed=10, cores=1)


def fixed_cluster_nuts():
    sim = simulate.simulate_random_intercept(clusters=8, cluster_size=10, seed=1)
    spec = {"y": bm.fixed_cluster("y ~ x")}
    return _sim(sim.incomplete, spec, seed=11, cores=1, sampler="nuts")  # its Gibbs: issue 16


def heckman_gaussian():
    sim = simulate.simulate_heckman(clusters=8, cluster_size=15, seed=2)
    spec = {"y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)")}
    return _sim(sim.incomplete, spec, seed=12, cores=1, sampler="nuts")  # its Gibbs: issue 16


def heckman_binary_cluster_rho():
    sim = simulate.simulate_heckman(clusters=8, cluster_size=15, seed=3, binary=True)
    spec = {
        "y": bm.heckman(
            "y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", family="binary", cluster_rho=True
        )
    }
    return _sim(sim.incomplete, spec, seed=13, cores=1)


def mixed_kinds_parallel():
    """Gibbs, NUTS and cluster-level models in one run, chains in two processes."""
    data = two_variables(1)
    data["b"] = (data["w"] > 0).astype(float)
    data.loc[data.index[::7], "b"] = np.nan
    data.loc[data["g"] == 3, "z"] = np.nan
    spec = {
        "z": bm.cluster_level("z ~ y_mean + w_mean"),
        "b": bm.binary("b ~ y + w + (1 | g)"),
        "y": bm.random_intercept("y ~ x + w + z + b + (1 | g)"),
        "x": bm.random_intercept("x ~ y + w + (1 | g)"),
    }
    return _sim(data, spec, cluster="g", seed=14, cores=2)


def joint_serial():
    spec = {
        "x": bm.random_intercept("x ~ w + (1 | g)"),
        "y": bm.random_intercept("y ~ x + w + z + (1 | g)"),
    }
    return _sim(two_variables(), spec, cluster="g", seed=15, cores=1, engine="joint")


def joint_analysis_parallel():
    sim = simulate.simulate_slope_predictor(clusters=10, cluster_size=8, seed=4)
    return _sim(
        sim.incomplete,
        {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")},
        seed=16,
        cores=2,
        engine="joint",
        analysis="y ~ x + (1 + x | cluster)",
    )


def factor_kinds_gibbs():
    """Ordinal, categorical, binary and negative binomial models by their Gibbs samplers."""
    data = simulate.simulate_ipd(studies=6, patients=25, systematic=1, seed=2).incomplete
    rng = np.random.default_rng(3)
    data["visits"] = rng.poisson(np.exp(0.3 + 0.4 * data["age"])).astype(float)
    data.loc[rng.random(len(data)) < 0.2, "visits"] = np.nan
    data.loc[rng.random(len(data)) < 0.15, "outcome"] = np.nan
    spec = {
        "motor": bm.ordinal("motor ~ age + (1 | study)"),
        "ct": bm.categorical("ct ~ age + motor + (1 | study)"),
        "visits": bm.count("visits ~ age + ct + (1 | study)", family="negative_binomial"),
        "outcome": bm.binary("outcome ~ age + motor + ct + visits + (1 | study)"),
    }
    return _sim(data, spec, cluster="study", seed=17, cores=1)


def discrete_nuts():
    """Poisson counts and cluster-level categories and counts, by NUTS."""
    data = simulate.simulate_cluster_factor(clusters=14, cluster_size=6, seed=4).incomplete
    rng = np.random.default_rng(5)
    data["n"] = rng.poisson(np.exp(0.2 + 0.3 * data["x"])).astype(float)
    data.loc[rng.random(len(data)) < 0.25, "n"] = np.nan
    size = rng.poisson(3.0, 14).astype(float)
    size[[2, 7]] = np.nan
    data["size"] = size[data["cluster"].to_numpy() - 1]
    spec = {
        "n": bm.count("n ~ x + y + (1 + x | cluster)"),
        "kind": bm.cluster_level("kind ~ x_mean + y_mean", family="categorical"),
        "size": bm.cluster_level("size ~ y_mean", family="negative_binomial"),
    }
    return _sim(data, spec, seed=18, cores=1, sampler="nuts")  # their Gibbs sweeps: issue 30


def levels_gibbs():
    """Three levels: normal, heteroscedastic and binary models with several grouping factors."""
    data = simulate.simulate_three_level(schools=6, classes=2, pupils=6, seed=5).incomplete
    data["b"] = (data["x"] > 0).astype(float)
    data.loc[data.index[::9], "b"] = np.nan
    spec = {
        "c": bm.cluster_level("c ~ y_mean + s", level="classroom"),
        "b": bm.binary("b ~ y + (1 | school) + (1 | classroom)"),
        "y": bm.random_intercept("y ~ x + c + b + (1 | school/classroom)"),
        "s": bm.cluster_level("s ~ y_mean_school", level="school"),
    }
    return _sim(data, spec, cluster=["school", "classroom"], seed=19, cores=1)


def compatible_chained():
    """analysis= with the chained engine: Gibbs sweeps and Metropolis steps."""
    sim = simulate.simulate_slope_predictor(clusters=10, cluster_size=8, seed=4)
    return _sim(
        sim.incomplete,
        {"x": bm.random_intercept("x ~ 1 + (1 | cluster)")},
        seed=20,
        cores=1,
        analysis="y ~ x + (1 + x | cluster)",
    )


def matching_and_delta():
    """Predictive mean matching, fixed_cluster by Gibbs, a per-cluster delta."""
    data = two_variables(2)
    spec = {
        "y": bm.random_slopes(
            "y ~ x + w + (1 + w | g)", pmm=True, delta=bm.delta({3: -0.5}, default=0.2)
        ),
        "x": bm.fixed_cluster("x ~ y + w", pmm=True),
    }
    return _sim(data, spec, cluster="g", seed=21, cores=1)


def heckman_gibbs_fixed_rho():
    """A Heckman model with rho fixed, swept by its data-augmentation Gibbs sampler."""
    sim = simulate.simulate_heckman(clusters=8, cluster_size=15, seed=2)
    spec = {"y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)", rho=0.3)}
    return _sim(sim.incomplete, spec, seed=22, cores=1, sampler="gibbs")


RUNS = {
    run.__name__: run
    for run in (
        popmis_gibbs,
        popmis_gibbs_parallel,
        popmis_nuts,
        popmis_overdispersed_draws,
        two_variables_slopes_heteroscedastic,
        two_variables_executor,
        random_slopes_gibbs,
        heteroscedastic_gibbs,
        binary_nuts,
        cluster_level_nuts,
        systematic_random_intercept,
        fixed_cluster_nuts,
        heckman_gaussian,
        heckman_binary_cluster_rho,
        mixed_kinds_parallel,
        joint_serial,
        joint_analysis_parallel,
        factor_kinds_gibbs,
        discrete_nuts,
        levels_gibbs,
        compatible_chained,
        matching_and_delta,
        heckman_gibbs_fixed_rho,
    )
}


def run_quietly(name: str) -> az.InferenceData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RUNS[name]()


def differences(new: az.InferenceData, old: az.InferenceData) -> list[str]:
    """Return what differs between two InferenceData, bit for bit (volatile attrs aside)."""
    volatile = {"created_at", "arviz_version", "inference_library_version", "bayesmi_version"}
    found = []
    if sorted(new.groups()) != sorted(old.groups()):
        return [f"groups {sorted(new.groups())} != {sorted(old.groups())}"]
    for group in old.groups():
        left, right = new[group], old[group]
        if sorted(left.data_vars) != sorted(right.data_vars):
            found.append(f"{group}: variables differ")
            continue
        for name in right.data_vars:
            a, b = left[name].to_numpy(), right[name].to_numpy()
            same = a.shape == b.shape and (
                np.array_equal(a, b, equal_nan=True)
                if np.issubdtype(b.dtype, np.number)
                else np.array_equal(a, b)
            )
            if left[name].dims != right[name].dims or not same:
                found.append(f"{group}/{name}")
        for dim in right.coords:
            if not np.array_equal(left[dim].to_numpy(), right[dim].to_numpy()):
                found.append(f"{group}: coordinate {dim}")
        for key, value in right.attrs.items():
            if key not in volatile and left.attrs.get(key) != value:
                found.append(f"{group}: attribute {key}")
    return found


def check(names: list[str], directory: Path = DIRECTORY) -> bool:
    """Run every run again in a fresh process; print whether each equals its file bit for bit.

    `directory` holds the files to compare with: the shipped ones, or runs written on this
    machine by an earlier commit (a BLAS call may round its last bit differently on another
    CPU, which the tests' tolerance allows and this check does not).
    """
    same = True
    with tempfile.TemporaryDirectory() as scratch:
        for name in names or RUNS:
            path = Path(scratch) / f"{name}.nc"
            subprocess.run([sys.executable, __file__, name, str(path), "--out"], check=True)
            found = differences(az.from_netcdf(path), az.from_netcdf(directory / f"{name}.nc"))
            print(f"{name}: {'identical' if not found else 'DIFFERS in ' + ', '.join(found)}")
            same = same and not found
    return same


def main(arguments: list[str]) -> None:
    """Write each run's InferenceData, every run in a process of its own.

    A fresh process per run, so that no run depends on what an earlier one did to the process
    (chains compiled on a thread pool, as in `two_variables_executor`, used to leave later
    models running in Python, moving NUTS results from the ninth digit on).
    """
    names = [argument for argument in arguments if not argument.startswith("--")]
    if "--check" in arguments:
        if "--against" in arguments:
            directory = Path(arguments[arguments.index("--against") + 1])
            names = [name for name in names if Path(name) != directory]
            sys.exit(0 if check(names, directory) else 1)
        sys.exit(0 if check(names) else 1)
    if "--out" in arguments:
        (name,) = names[:-1]
        run_quietly(name).to_netcdf(names[-1])
        return
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    if len(names) != 1:
        for name in names or RUNS:
            subprocess.run([sys.executable, __file__, name], check=True)
        return
    (name,) = names
    path = DIRECTORY / f"{name}.nc"
    run_quietly(name).to_netcdf(str(path))
    print(f"{name}: {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(sys.argv[1:])
