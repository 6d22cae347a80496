"""The chained-equations (FCS) engine: one conditional model per incomplete variable.

Algorithm, per chain (chains are independent and run in parallel processes):

1. Every missing cell starts at a random draw from its variable's observed values.
2. Each variable's conditional model is built and compiled once (a PyMC model whose likelihood
   uses the rows where that variable is observed, with its predictors in `pm.Data`), with one
   NUTS step method started at a jittered initial point.
3. Each iteration visits the incomplete variables in the order of the spec. For each: the
   current completed predictors are set into its model (`set_data`); its parameters advance
   by ``steps`` NUTS transitions from where they were (in the first iteration after ``tune``
   adaptation transitions; step size and mass matrix are fixed afterwards); its missing cells
   are drawn from the model's predictive distribution given the new parameters, and become
   predictors of the variables visited after it.
4. The last ``draws`` iterations are kept: every (chain, draw) pair is one imputation, so
   ``m = chains * draws``. With ``draws=1`` this is mice's scheme (m chains, the last
   iteration of each). Earlier iterations are burn-in, kept as parameter traces and as the
   mean and SD of the imputed cells, for trace plots.

Randomness: one `numpy.random.SeedSequence` from ``seed``, one child per chain, so a chain's
result does not depend on how many processes run the chains or in which order.

References
----------
van Buuren, S. (2018). Flexible Imputation of Missing Data, 2nd ed., chapters 4 and 7.
Hoffman, M. D. and Gelman, A. (2014). The No-U-Turn sampler. JMLR 15, 1593-1623.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd

from bayesmi._progress import ChainProgress
from bayesmi._updaters import make_updater
from bayesmi._validate import (
    check_fixed_cluster_support,
    check_positive_int,
    check_settings,
    check_spec,
    show,
)
from bayesmi.checkpoint import CheckpointStore, data_fingerprint
from bayesmi.data import ImputationData, encode
from bayesmi.diagnostics import warn_convergence
from bayesmi.joint import JointSettings, analysis_model, check_joint, run_joint
from bayesmi.models import FACTORIES, ConditionalModel
from bayesmi.models.fixed_cluster import cluster_level_predictors
from bayesmi.result import ChainTrace, TraceRecorder, build_inference_data
from bayesmi.spec import ImputationModel, spec_to_json

__all__ = ["impute"]


@dataclass(frozen=True)
class Settings:
    """The engine's settings for one run."""

    iterations: int
    draws: int
    tune: int
    steps: int
    target_accept: float
    sampler: str
    run_id: str = ""
    start: str = "observed"
    chains: int = 1
    checkpoint: str | None = None
    checkpoint_every: int = 5


def impute(
    data: pd.DataFrame,
    spec: Mapping[str, ImputationModel],
    cluster: str,
    *,
    chains: int = 5,
    iterations: int = 20,
    draws: int = 1,
    tune: int | None = None,
    steps: int = 5,
    target_accept: float = 0.8,
    sampler: Literal["auto", "nuts"] = "auto",
    start: Literal["observed", "overdispersed"] = "observed",
    engine: Literal["chained", "joint"] = "chained",
    analysis: str | None = None,
    nuts_sampler: str = "pymc",
    seed: int | None = None,
    cores: int | None = None,
    executor: Executor | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int = 5,
    progressbar: bool = True,
) -> az.InferenceData:
    """Multiply impute incomplete clustered data by chained conditional models or one joint model.

    Each incomplete variable named in `spec` is imputed by its conditional model, fully
    Bayesian: parameters are drawn by NUTS from their posterior given the current completed
    data, and missing cells from the posterior predictive distribution. See the module
    docstring for the algorithm.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit, missing values as NaN. Not modified.
    spec : mapping of str to ImputationModel
        The model imputing each incomplete variable, e.g.
        ``{"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}``. Variables
        are visited in this order in every iteration.
    cluster : str
        Name of the cluster column (complete; any hashable labels).
    chains : int, default=5
        Number of independent chains.
    iterations : int, default=20
        Iterations per chain, burn-in included (joint engine: draws after tuning).
    draws : int, default=1
        Number of final iterations of each chain kept as imputations; ``m = chains * draws``.
    tune : int, optional
        NUTS adaptation transitions of each conditional model in a chain's first iteration
        (default 200); with the joint engine, `pymc.sample`'s tuning draws (default 500).
    steps : int, default=5
        NUTS transitions of each conditional model per iteration.
    target_accept : float, default=0.8
        Target acceptance rate of NUTS' step-size adaptation; raise it (e.g. 0.95) when
        divergences are reported.
    sampler : {"auto", "nuts"}, default="auto"
        How each model's parameters are updated:

        - ``"auto"``: an exact Gibbs sampler where the model has one (random_intercept,
          random_slopes and heteroscedastic, as pan and 2l.norm; see `bayesmi.models._gibbs`),
          NUTS otherwise (binary, cluster_level, fixed_cluster); ``steps`` and ``tune`` then
          count sweeps.
        - ``"nuts"``: NUTS for every model (to cross-check the Gibbs sampler).

    start : {"observed", "overdispersed"}, default="observed"
        Starting values of the missing cells: random draws from the variable's observed
        values (as mice), or over-dispersed across chains, to test convergence as Gelman and
        Rubin advise: chain c of C starts every cell at the observed mean plus
        ``3 (2c / (C - 1) - 1)`` observed SDs (binary: all 0 or all 1 by chain).
    engine : {"chained", "joint"}, default="chained"
        ``"joint"``: one PyMC model factored in the order of `spec`, every missing cell a
        latent variable, sampled by one `pymc.sample` call (see `bayesmi.joint`); each
        variable's model may use complete columns and the variables before it in `spec`.
        It holds random_intercept, random_slopes, heteroscedastic and binary models.
    analysis : str, optional
        Joint engine: the analysis model, e.g. ``"y ~ x + w + x:w + (1 + x | cluster)"``, as
        the last factor, so the imputations are compatible with its random slopes and
        interactions. Its outcome must not be in `spec` nor a predictor in it.
    nuts_sampler : {"pymc", "nutpie", "numpyro", "blackjax"}, default="pymc"
        Joint engine: passed to `pymc.sample`. nutpie samples several times faster once
        compiled (compiling takes seconds), so it pays off for long runs and large data; it
        cannot update binary missing cells.
    seed : int, optional
        Seed of the whole run. The same seed gives the same result however the chains are
        scheduled. With None, fresh entropy is drawn and stored in ``idata.attrs["seed"]``,
        so the run can still be repeated.
    cores : int, optional
        Processes running chains in parallel; default ``min(chains, os.cpu_count())``.
        ``cores=1`` runs the chains one after another in this process.
    executor : concurrent.futures.Executor, optional
        Runs the chains instead of local processes: any executor, e.g. a Dask cluster's
        ``client.get_executor()`` to spread chains over machines. Results equal a local run
        with the same seed. The progress bars then advance as chains finish.
    checkpoint : str or path-like, optional
        A directory where every chain saves its whole state each `checkpoint_every`
        iterations (see `bayesmi.checkpoint`). Calling `impute` again with the same data and
        arguments (``seed=None`` included: the stored seed is reused) resumes the chains from
        it, after an interruption or a killed process, with exactly the result of an
        uninterrupted run. Chained engine only.
    checkpoint_every : int, default=5
        Iterations between checkpoints.
    progressbar : bool, default=True
        Show one progress bar per chain.

    Returns
    -------
    arviz.InferenceData
        ``posterior`` (parameters ``<variable>::<parameter>`` and imputed cells
        ``<variable>::missing`` over ``chain``, ``draw``), ``warmup_posterior`` (parameters and
        the mean and SD of the imputed cells in burn-in), ``sample_stats`` and
        ``warmup_sample_stats`` (NUTS statistics per variable update), ``observed_data`` (the
        input frame), ``constant_data`` (cluster codes, missing masks, levels) and attrs (spec
        as JSON, seed, engine, settings, bayesmi version).

    Raises
    ------
    TypeError
        If `data` is not a DataFrame, a spec entry is not an `ImputationModel`, a used
        column is not numeric, or a setting is not an integer.
    ValueError
        If a column, the cluster column or a setting is wrong; the message names the column,
        rows or clusters and says how to fix it. Raised before any model is compiled.

    Warns
    -----
    ConvergenceWarning
        When NUTS diverges after tuning, or the R-hat of the chain means of a variable's
        imputed cells is above 1.05.

    See Also
    --------
    completed : the m completed DataFrames.
    complete : the completed data in mice's formats.
    missing_pattern : the missingness, overall and per cluster.

    Notes
    -----
    Parameters are stored on the data's original scale, in float64.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=2, iterations=3, tune=50,
    ...                   seed=1, progressbar=False)
    >>> idata.posterior["popular::missing"].shape
    (2, 1, 848)
    """
    if engine not in ("chained", "joint"):
        raise ValueError(f"engine must be 'chained' or 'joint', got {engine!r}.")
    if analysis is not None and engine != "joint":
        raise ValueError("analysis= needs engine='joint': the chained engine has no such factor.")
    tune = (500 if engine == "joint" else 200) if tune is None else tune
    check_settings(chains, iterations, draws, tune, steps, target_accept, cores)
    encoded = encode(data, cluster)
    spec = _prepare_spec(spec, encoded, allow_complete=analysis is not None)
    if sampler not in ("auto", "nuts"):
        raise ValueError(f"sampler must be 'auto' or 'nuts', got {sampler!r}.")
    if engine == "joint":
        outcome = None
        if analysis is not None:
            outcome = analysis_model(analysis, encoded)
            if outcome.target in spec:
                raise ValueError(
                    f"{outcome.target!r} is the outcome of the analysis model {analysis!r}, "
                    "which imputes it in the joint engine: leave it out of spec."
                )
            spec = check_spec(spec | {outcome.target: outcome}, encoded)
        check_joint(spec, encoded, nuts_sampler, outcome)
        if executor is not None:
            raise ValueError(
                "executor= is for the chained engine; the joint engine uses pymc.sample."
            )
    store = None
    if checkpoint is not None:
        if engine != "chained":
            raise ValueError("checkpoint= is for the chained engine.")
        check_positive_int("checkpoint_every", checkpoint_every)
        store = CheckpointStore(checkpoint)
        stored = store.stored_run()
        if seed is None and stored is not None:
            seed = int(stored["seed"])
    if start not in ("observed", "overdispersed"):
        raise ValueError(f"start must be 'observed' or 'overdispersed', got {start!r}.")
    settings = Settings(
        iterations,
        draws,
        tune,
        steps,
        float(target_accept),
        sampler,
        uuid.uuid4().hex,
        start,
        chains,
        None if store is None else str(store.directory),
        checkpoint_every,
    )
    seed_sequence = np.random.SeedSequence(seed)
    chain_seeds = seed_sequence.spawn(chains)
    if store is not None:
        store.claim(_run_identity(data, spec, settings, seed_sequence))
    cores = min(chains, os.cpu_count() or 1) if cores is None else cores
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (e.g. client.get_executor() of a "
            f"Dask client), got {type(executor).__name__}."
        )
    if engine == "joint":
        joint = JointSettings(iterations, draws, tune, float(target_accept), nuts_sampler)
        traces = run_joint(encoded, spec, joint, chains, seed_sequence, cores, progressbar)
        steps, sampler = 1, nuts_sampler
    elif not spec:
        traces = [ChainTrace({}) for _ in chain_seeds]
    elif executor is not None:
        traces = _run_on_executor(executor, encoded, spec, settings, chain_seeds, progressbar)
    else:
        traces = _run_chains(encoded, spec, settings, chain_seeds, cores, progressbar)
    idata = build_inference_data(
        traces,
        encoded,
        spec,
        attrs={
            "seed": str(seed_sequence.entropy),
            "engine": engine,
            "analysis": analysis or "",
            "iterations": iterations,
            "draws": draws,
            "tune": tune,
            "steps": steps,
            "target_accept": float(target_accept),
            "sampler": sampler,
        },
    )
    warn_convergence(idata)
    return idata


def _prepare_spec(
    spec: Mapping[str, ImputationModel], data: ImputationData, allow_complete: bool = False
) -> dict[str, ImputationModel]:
    """Check the spec, drop complete targets (with a warning) and check each model's needs."""
    spec = check_spec(spec, data)
    complete = [name for name in spec if not data.missing[name].any()]
    if complete:
        warnings.warn(
            f"{show(complete)} have no missing values; nothing to impute for them, so they "
            "are left out of the spec (their observed values stay as predictors).",
            UserWarning,
            stacklevel=3,
        )
        spec = {name: model for name, model in spec.items() if name not in complete}
    if not spec and not allow_complete:
        warnings.warn(
            "no variable in spec has missing values; there is nothing to impute, so every "
            "'imputation' is the data as given.",
            UserWarning,
            stacklevel=3,
        )
    for model in spec.values():
        if model.kind == "fixed_cluster":
            check_fixed_cluster_support(model, data)
            dropped = cluster_level_predictors(model, data)
            if dropped:
                warnings.warn(
                    f"fixed_cluster for {model.target!r}: the cluster-level predictors "
                    f"{show(dropped)} are constant within clusters and collinear with the "
                    "cluster dummies, so they are left out (the dummies carry their "
                    "information), as mice removes collinear predictors.",
                    UserWarning,
                    stacklevel=3,
                )
    return spec


def _run_chains(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: Settings,
    chain_seeds: list[np.random.SeedSequence],
    cores: int,
    progressbar: bool,
) -> list[ChainTrace]:
    progress = ChainProgress(len(chain_seeds), settings.iterations, enabled=progressbar)
    if cores <= 1 or len(chain_seeds) == 1:
        try:
            with progress:
                return [
                    run_chain(data, spec, settings, chain, seed, progress.advance)
                    for chain, seed in enumerate(chain_seeds)
                ]
        finally:
            _COMPILED.__dict__.clear()
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    messages = context.Queue()
    executor = ProcessPoolExecutor(
        max_workers=min(cores, len(chain_seeds)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(messages,),
    )
    try:
        # Submitting starts the workers: do it before the progress display starts a thread.
        futures = [
            executor.submit(run_chain, data, spec, settings, chain, seed, None)
            for chain, seed in enumerate(chain_seeds)
        ]
        with progress:
            _follow(futures, messages, progress)
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        # Return control now: stop the workers (each chain's last checkpoint stays valid).
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _run_on_executor(
    executor: Executor,
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: Settings,
    chain_seeds: list[np.random.SeedSequence],
    progressbar: bool,
) -> list[ChainTrace]:
    """Run the chains on a caller's executor; progress advances as chains finish."""
    progress = ChainProgress(len(chain_seeds), settings.iterations, enabled=progressbar)
    futures = {
        executor.submit(run_chain, data, spec, settings, chain, seed, None): chain
        for chain, seed in enumerate(chain_seeds)
    }
    with progress:
        for future in as_completed(futures):
            future.result()
            progress.advance(futures[future], settings.iterations)
    return [future.result() for future in futures]


def _follow(futures: list[Future], messages: multiprocessing.Queue, progress: ChainProgress):
    """Relay the workers' progress messages until every chain is done."""
    while not all(future.done() for future in futures):
        try:
            chain, iteration = messages.get(timeout=0.1)
        except queue.Empty:
            continue
        progress.advance(chain, iteration)
    while True:
        try:
            chain, iteration = messages.get_nowait()
        except queue.Empty:
            break
        progress.advance(chain, iteration)


_WORKER_MESSAGES: multiprocessing.Queue | None = None
_WORKER_LIMITS: object = None


def _start_worker(messages: multiprocessing.Queue) -> None:
    """Worker initializer: keep the progress queue and pin BLAS to one thread."""
    from threadpoolctl import threadpool_limits

    global _WORKER_MESSAGES, _WORKER_LIMITS
    _WORKER_MESSAGES = messages
    _WORKER_LIMITS = threadpool_limits(limits=1)


def _report_to_parent(chain: int, iteration: int) -> None:
    if _WORKER_MESSAGES is not None:
        _WORKER_MESSAGES.put((chain, iteration))


def run_chain(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: Settings,
    chain: int,
    seed: np.random.SeedSequence,
    report: Callable[[int, int], None] | None,
) -> ChainTrace:
    """Run one chain of the chained engine; return its trace (numpy arrays only)."""
    report = report or _report_to_parent
    rng = np.random.default_rng(seed)
    spread = None
    if settings.start == "overdispersed" and settings.chains > 1:
        spread = 2.0 * chain / (settings.chains - 1) - 1.0
    current = _starting_values(data, spec, rng, spread)
    models = _compiled_models(data, spec, settings.run_id)
    updaters = {
        name: make_updater(model, rng.spawn(1)[0], settings.sampler, settings.target_accept)
        for name, model in models.items()
    }
    store = None if settings.checkpoint is None else CheckpointStore(settings.checkpoint)
    records = {
        name: TraceRecorder(
            settings.iterations,
            settings.draws,
            model.parameter_dims,
            model.coords,
            int((~model.observed).sum()),
        )
        for name, model in models.items()
    }
    first = 0
    saved = None if store is None else store.load(chain)
    if saved is not None:
        first = _restore_chain(saved, rng, current, updaters, records)
        report(chain, first)
    for iteration in range(first, settings.iterations):
        for name, model in models.items():
            predictors = _predictor_matrix(current, model.predictors, data)
            model.set_predictors(predictors)
            updater = updaters[name]
            if iteration == 0 and settings.tune:
                updater.advance(settings.tune, tune=True)
            stats = updater.advance(settings.steps, tune=False)
            draws = model.draw_missing(updater.point, predictors, rng)
            current[name][data.missing[name]] = draws
            records[name].add(iteration, model.parameters(updater.point), draws, vars(stats))
        report(chain, iteration + 1)
        done = iteration + 1
        if store is not None and (
            done % settings.checkpoint_every == 0 or done == settings.iterations
        ):
            store.save(
                chain,
                {
                    "iteration": done,
                    "rng": rng.bit_generator.state,
                    "current": current,
                    "updaters": {name: updater.state() for name, updater in updaters.items()},
                    "records": records,
                },
            )
    return ChainTrace({name: record.trace() for name, record in records.items()})


def _restore_chain(
    saved: dict,
    rng: np.random.Generator,
    current: dict[str, np.ndarray],
    updaters: dict,
    records: dict[str, TraceRecorder],
) -> int:
    """Put a chain back in its saved state; return the iteration it had reached."""
    rng.bit_generator.state = saved["rng"]
    current.update(saved["current"])
    for name, updater in updaters.items():
        updater.restore(saved["updaters"][name])
    records.update(saved["records"])
    return saved["iteration"]


def _run_identity(
    data: pd.DataFrame,
    spec: dict[str, ImputationModel],
    settings: Settings,
    seed: np.random.SeedSequence,
) -> dict:
    """Return what a checkpoint must match to be resumed: data, spec, settings and seed."""
    kept = {
        key: value for key, value in vars(settings).items() if key not in ("run_id", "checkpoint")
    }
    return {
        "data": data_fingerprint(data),
        "spec": spec_to_json(spec),
        "settings": json.dumps(kept, sort_keys=True),
        "seed": str(seed.entropy),
    }


_COMPILED = threading.local()
"""This thread's compiled models of the run it last worked on (``run_id`` to models)."""


def _compiled_models(
    data: ImputationData, spec: dict[str, ImputationModel], run_id: str
) -> dict[str, ConditionalModel]:
    """Build and compile the run's models once per process (thread), reused by later chains.

    A chain sets every model's predictors before each update and starts its own sampler
    state, so reuse changes nothing in the result; it saves the compilation (seconds per
    model) for every chain after a worker's first. Only the latest run is kept.
    """
    if getattr(_COMPILED, "run_id", None) != run_id:
        _COMPILED.run_id = run_id
        _COMPILED.models = {
            name: FACTORIES[model.kind](model, data) for name, model in spec.items()
        }
    return _COMPILED.models


def _starting_values(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    rng: np.random.Generator,
    spread: float | None = None,
) -> dict[str, np.ndarray]:
    """Completed columns to start from: missing cells drawn from the observed values.

    A cluster-level variable starts constant within clusters: each cluster with no value takes
    one draw from the values of the other clusters. With `spread` in [-1, 1] (over-dispersed
    starts) every missing cell starts at the observed mean plus ``3 spread`` observed SDs
    (binary: 0 for spread < 0, else 1).
    """
    current = {}
    for name, model in spec.items():
        values = data.values(name)
        mask = data.missing[name]
        if spread is not None:
            mean, sd = data.observed_moments(name)
            start = float(spread >= 0) if model.family == "binary" else mean + 3 * spread * sd
            values[mask] = start
        elif model.kind == "cluster_level":
            per_cluster = data.cluster_means(values)
            unknown = np.isnan(per_cluster)
            codes = np.unique(data.cluster_codes[unknown])
            pool = np.unique(per_cluster[~unknown])
            start = np.full(data.n_clusters, np.nan)
            start[codes] = rng.choice(pool, size=codes.size, replace=True)
            values[mask] = np.where(unknown, start[data.cluster_codes], per_cluster)[mask]
        else:
            values[mask] = rng.choice(values[~mask], size=int(mask.sum()), replace=True)
        current[name] = values
    return current


def _predictor_matrix(
    current: dict[str, np.ndarray], predictors: tuple[str, ...], data: ImputationData
) -> np.ndarray:
    """Return the current completed predictors, cluster means recomputed."""
    columns = [data.predictor(name, current) for name in predictors]
    return np.column_stack(columns) if columns else np.empty((data.frame.shape[0], 0))
