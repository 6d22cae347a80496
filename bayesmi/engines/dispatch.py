"""The front door: `impute` checks every argument, encodes, dispatches to an engine, builds, warns.

Nothing is written to disk, no process is started and no model is compiled before every check
has passed (`bayesmi.engines.admission.admit`: the options of both engines, the frame and the
spec against it, what each engine holds, the memory the result needs and what it can
store). Then the chained engine (`bayesmi.engines.parallel` running
`bayesmi.engines.chained`) or the joint engine (`bayesmi.engines.joint`) samples, the
InferenceData is assembled (`bayesmi.result.build`) and sampler trouble is warned about
(`bayesmi.diagnostics.convergence`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from typing import Literal

import arviz as az
import numpy as np
import pandas as pd

from bayesmi.diagnostics.convergence import warn_convergence
from bayesmi.engines.admission import Admission, admit
from bayesmi.engines.chained import models_key, shared_adaptation
from bayesmi.engines.checkpoint import CheckpointStore, data_fingerprint
from bayesmi.engines.foreign_options import own_options_only
from bayesmi.engines.joint import run_joint
from bayesmi.engines.options import (
    ChainedSettings,
    JointSettings,
    Options,
)
from bayesmi.engines.parallel import processes_for, run_chains
from bayesmi.engines.samplers.updaters import WARMUP_SWEEPS
from bayesmi.messages import warn
from bayesmi.result.build import build_inference_data
from bayesmi.result.trace import ChainTrace
from bayesmi.spec.kinds import update_method
from bayesmi.spec.model import ImputationModel
from bayesmi.spec.serialize import spec_to_json

__all__ = ["impute"]

Seed = int | Sequence[int] | np.random.SeedSequence | np.random.Generator | None


@own_options_only
def impute(
    data: pd.DataFrame,
    spec: Mapping[str, ImputationModel],
    cluster: str | Sequence[str] | None = None,
    *,
    time: str | None = None,
    chains: int = 5,
    iterations: int = 20,
    draws: int = 1,
    tune: int | None = None,
    steps: int | None = None,
    target_accept: float = 0.8,
    sampler: Literal["auto", "gibbs", "nuts"] | None = None,
    start: Literal["observed", "overdispersed"] | None = None,
    engine: Literal["chained", "joint"] = "chained",
    analysis: str | ImputationModel | None = None,
    nuts_sampler: Literal["pymc", "nutpie", "numpyro", "blackjax"] | None = None,
    seed: Seed = None,
    cores: int | None = None,
    executor: Executor | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    fit_complete: bool | None = None,
    progressbar: bool = True,
) -> az.InferenceData:
    """Multiply impute incomplete clustered data by chained conditional models or one joint model.

    Each incomplete variable named in `spec` is imputed by its conditional model, fully
    Bayesian: parameters are drawn from their posterior given the current completed data (by
    an exact Gibbs sampler where the model has one, else by NUTS), and missing cells from the
    posterior predictive distribution. See `bayesmi.engines.chained` for the algorithm.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit, missing values as NaN. Not modified. Columns the spec does not use
        may hold anything; they come back as given.
    spec : mapping of str to ImputationModel
        The model imputing each incomplete variable, e.g.
        ``{"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}``. Variables
        are visited in this order in every iteration.
    cluster : str or sequence of str, optional
        Name of the cluster column (complete; labels of any type that sorts), or of nested
        grouping columns, outermost first (``["school", "class"]``: classes in schools; class
        labels may restart in each school). Models of one grouping factor group by the
        innermost (the cluster); formulas may use an outer level's means
        (``x_mean_school``), and variables constant within schools are school-level
        (`bayesmi.data.levels`). Left out, it is read from the formulas' grouping factors
        (`bayesmi.data.levels.cluster_from_formulas`): ``(1 | school)`` gives ``"school"``,
        ``(1 | school/class)`` gives ``["school", "class"]``.
    time : str, optional
        Longitudinal data: the column that orders each cluster's rows (occasions within a
        person), numbers or datetimes, complete, irregular times and unbalanced panels
        allowed; a time repeated within a cluster is refused, naming the rows. Models with
        ``residual="ar1"`` read it (`bayesmi.random_intercept`).
    chains : int, default=5
        Number of independent chains: with ``draws=1``, the number of imputations m (see
        Notes for how many).
    iterations : int, default=20
        Iterations per chain, burn-in included (joint engine: draws after tuning).
    draws : int, default=1
        Number of final iterations of each chain kept as imputations; ``m = chains * draws``.
        Successive iterations of a chain are correlated (see Notes).
    tune : int, optional
        Chained engine: NUTS adaptation transitions of each conditional model in a chain's
        first iteration (default 200); a Gibbs-updated model needs no adaptation and runs
        at most `bayesmi.engines.samplers.updaters.WARMUP_SWEEPS` (20) sweeps there, to leave its
        starting point. Joint engine: `pymc.sample`'s tuning draws (default 500).
    steps : int, optional
        Chained engine: transitions (NUTS) or sweeps (Gibbs) of each conditional model per
        iteration (default 5); with `analysis`, scans of every model (one sweep and one
        Metropolis update of the missing cells each) per iteration (default 20).
    target_accept : float, default=0.8
        Target acceptance rate of NUTS' step-size adaptation; raise it (e.g. 0.95) when
        divergences are reported.
    sampler : {"auto", "gibbs", "nuts"}, optional
        Chained engine: how each model's parameters are updated (default ``"auto"``):

        - ``"auto"``: an exact Gibbs sampler where the model has one (the ``Gibbs``
          column of the table in `bayesmi.spec.kinds`; the family decides: see
          `bayesmi.families`), NUTS otherwise.
        - ``"gibbs"``: as "auto", and the Gibbs samplers a kind uses only when asked (heckman
          with one rho, started where NUTS' warm-up ended: faster per iteration, but it stays
          in the main mode of rho where NUTS visits a minor mode now and then; see
          `bayesmi.models.heckman`).
        - ``"nuts"``: NUTS for every model (to cross-check the Gibbs sampler).

    start : {"observed", "overdispersed"}, optional
        Chained engine: starting values of the missing cells (default ``"observed"``):
        random draws from the variable's observed values (as mice), or over-dispersed across
        chains, to test convergence as Gelman and Rubin advise: chain c of C starts every cell
        at the observed mean plus ``3 (2c / (C - 1) - 1)`` observed SDs (binary: all 0 or all
        1 by chain).
    engine : {"chained", "joint"}, default="chained"
        ``"chained"``: one conditional model per variable, updated in turn (mice's way).
        ``"joint"``: one PyMC model factored in the order of `spec`, every missing cell a
        latent variable, sampled by one `pymc.sample` call (see `bayesmi.engines.joint`); each
        variable's model may use complete columns and the variables before it in `spec`. The
        kinds it holds are the ``joint`` column of the table in `bayesmi.spec.kinds`.
    analysis : str or ImputationModel, optional
        The analysis model, e.g. ``"y ~ x + w + x:w + (1 + x | cluster)"``, or a time to event,
        ``"Surv(time, event) ~ x + z + strata(study)"`` (Cox; with ``(1 | study)`` a frailty)
        or ``bm.survival(formula, family="weibull")`` (`bayesmi.survival`), as the last factor
        of a joint distribution, so the imputations are compatible with its random slopes and
        interactions (substantive-model-compatible imputation, as smcfcs, mdmb and Blimp).
        Each model in `spec` may then use complete columns and the variables before it; none
        may use the outcome, which must not be in `spec`. Joint engine: one NUTS run. Chained
        engine: Gibbs sweeps of every model (fitted to every row, with the current
        imputations) and Metropolis steps for the covariates' missing cells, whose target is
        their own model times the later models' likelihood (`bayesmi.engines.compatible`);
        it holds the kinds of the ``analysis=`` column of the table in `bayesmi.spec.kinds`
        (factors as covariates too, which the joint engine cannot hold).
    nuts_sampler : {"pymc", "nutpie", "numpyro", "blackjax"}, optional
        Joint engine: passed to `pymc.sample` (default ``"pymc"``). nutpie samples several
        times faster once compiled, so it pays off for long runs and large data; it cannot
        update binary missing cells.
    seed : int, sequence of int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Seed of the whole run. The same seed gives the same result however the chains are
        scheduled. A Generator gives 128 bits of entropy drawn from it (it advances); a
        SeedSequence is not modified. With None, fresh entropy is drawn and stored in
        ``idata.attrs["seed"]`` (as JSON), so the run can still be repeated.
    cores : int, optional
        Processes running chains in parallel; default ``min(chains, os.cpu_count())``, except
        for a light run of the chained engine whose models are all updated by Gibbs sweeps
        (under `bayesmi.engines.parallel.LIGHT_ROW_SWEEPS` rows times sweeps), which runs in
        this process: starting workers would cost more than it saves. ``cores=1`` runs the
        chains one after another in this process.
    executor : concurrent.futures.Executor, optional
        Chained engine: runs the chains instead of local processes: any executor, e.g. a Dask
        cluster's ``client.get_executor()`` to spread chains over machines. Results equal a
        local run with the same seed. The progress bars then advance as chains finish.
    checkpoint : str or path-like, optional
        Chained engine: a directory where every chain saves its whole state each
        `checkpoint_every` iterations (see `bayesmi.engines.checkpoint`). Calling `impute`
        again with the same data (rows in the same order, same labels and values) and arguments
        (``seed=None`` included: the stored seed is reused) resumes the chains from it, after
        an interruption or a killed process, with exactly the result of an uninterrupted run.
    checkpoint_every : int, optional
        Chained engine: iterations between checkpoints (default 5).
    fit_complete : bool, optional
        Chained engine: also fit the models of spec variables that have no missing values
        (left out with a warning by default), so their parameters are in the result and
        `bayesmi.impute_new` can impute them in new data (`bayesmi.sklearn.MultilevelImputer`
        does).
    progressbar : bool, default=True
        Show one progress bar per chain.

    Returns
    -------
    arviz.InferenceData
        ``posterior`` (parameters ``<variable>::<parameter>`` and imputed cells
        ``<variable>::missing`` over ``chain``, ``draw``), ``warmup_posterior`` (parameters and
        the mean and SD of the imputed cells in burn-in), ``sample_stats`` and
        ``warmup_sample_stats`` (sampler statistics per variable update), ``observed_data``
        (the input frame), ``constant_data`` (cluster codes, missing masks, levels) and attrs
        (spec as JSON, seed, engine, settings, bayesmi version).

    Raises
    ------
    TypeError
        If `data` is not a DataFrame, a spec entry is not an `ImputationModel`, a used
        column is not numeric, or a setting, the seed or the executor has the wrong type.
    ValueError
        If a column, the cluster column or a setting is wrong, an option belongs to the other
        engine, or the result would not fit in memory; the message names the column, rows,
        clusters or option and says how to fix it. Raised before anything is compiled,
        written or started.

    Warns
    -----
    ConvergenceWarning
        When NUTS diverges after tuning; when the R-hat of the chain means of a variable's
        imputed cells is above 1.05, or a parameter's above 1.1, and above the noise bound
        of well-mixed chains as autocorrelated as its own; when an effective sample size is
        low (`bayesmi.diagnostics.convergence`).

    See Also
    --------
    completed : the m completed DataFrames.
    complete : the completed data in mice's formats.
    missing_pattern : the missingness, overall and per cluster.

    Notes
    -----
    **Choosing chains, iterations and draws.** The imputations are the last `draws`
    iterations of each chain, ``m = chains * draws`` in all. Each chain is independent of the
    others (its own starting values and random stream), so with ``draws=1`` the m
    imputations are independent, as mice's (each mice imputation is a chain of ``maxit``
    iterations). Rubin's rules assume independent imputations: successive iterations of one
    chain are correlated, so ``draws > 1`` gives fewer than `draws` imputations' worth of
    information and, with strongly autocorrelated chains, a between-imputation variance too
    small (intervals too narrow); there is no thinning, so prefer more chains to more draws.
    Rules of thumb:

    - ``chains``: the number of imputations m. 5 to 10 to explore; for the final analysis
      at least the percentage of incomplete cases (White, Royston and Wood 2011), often 20
      to 50, so the pooled estimates and their df do not move with the seed. Chains run
      `cores` at a time.
    - ``iterations``: the burn-in, before the kept draws. 20 (the default) with the Gibbs
      samplers, each iteration being `steps` (5) sweeps of every model; more when a model
      is sampled by NUTS, predictors are strongly related, or much is missing. Check that
      the chains have mixed with `bayesmi.plot_trace` (the chain means should overlap, no
      trend) and `bayesmi.chain_mean_rhat` (near 1; a `ConvergenceWarning` flags values
      above 1.05 and the noise bound of so few chains); if not, raise `iterations`.
    - ``draws``: 1 (the default). More only to get many imputations from few chains of a
      slow model, accepting correlated imputations.

    **Sampler.** With ``sampler="auto"`` (the default) every model with an exact Gibbs
    sampler uses it (see `sampler`); NUTS updates the others, adapted in each chain's first
    iteration (`tune`).

    Parameters are stored on the data's original scale, in float64.

    References
    ----------
    White, I. R., Royston, P. and Wood, A. M. (2011). Multiple imputation using chained
    equations: issues and guidance for practice. Statistics in Medicine 30(4), 377-399.

    Examples
    --------
    >>> spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
    >>> idata = bm.impute(df, spec, cluster="school", chains=3, iterations=8, tune=50,
    ...                   seed=1, progressbar=False)
    >>> idata.posterior["popular::missing"].shape
    (3, 1, 848)

    Other examples in bayesmi's docstrings use this ``idata``.
    """
    admitted = admit(
        data,
        spec,
        cluster,
        time=time,
        engine=engine,
        chains=chains,
        iterations=iterations,
        draws=draws,
        tune=tune,
        steps=steps,
        target_accept=target_accept,
        sampler=sampler,
        start=start,
        analysis=analysis,
        nuts_sampler=nuts_sampler,
        seed=seed,
        cores=cores,
        executor=executor,
        checkpoint=checkpoint,
        checkpoint_every=checkpoint_every,
        fit_complete=fit_complete,
        progressbar=progressbar,
    )
    if admitted.options.engine == "joint":
        traces, attrs = _run_joint(admitted)
    else:
        traces, attrs = _run_chained(data, admitted)
    idata = build_inference_data(traces, admitted.data, admitted.spec, attrs)
    warn_convergence(idata)
    return idata


def _run_chained(frame: pd.DataFrame, admitted: Admission) -> tuple[list[ChainTrace], dict]:
    """Run the chained engine (resuming from a checkpoint); return traces and the run's attrs."""
    data, spec, options = admitted.data, admitted.spec, admitted.options
    store = None if options.checkpoint is None else CheckpointStore(options.checkpoint)
    stored = None if store is None else store.stored_run()
    seed = options.seed if stored is None else _stored_seed(store, stored, options.seed)
    seed = _fresh(seed)
    outcome = admitted.outcome
    settings = ChainedSettings(
        iterations=options.iterations,
        draws=options.draws,
        tune=options.tune,
        steps=options.steps,
        target_accept=options.target_accept,
        sampler=options.sampler,
        start=options.start,
        chains=options.chains,
        checkpoint=None if store is None else str(store.directory),
        checkpoint_every=options.checkpoint_every,
        outcome=outcome,
        models_key=models_key(data, spec, outcome),
    )
    chain_seeds = seed.spawn(options.chains)
    if store is not None:
        store.claim(_run_identity(frame, spec, settings, seed))
    if spec and options.chains > 1 and settings.outcome is None:  # else Gibbs only
        (tuning_seed,) = seed.spawn(1)
        adaptation = shared_adaptation(data, spec, settings, tuning_seed)
        settings = dataclasses.replace(settings, adaptation=adaptation or None)
    if spec:
        cores = _processes(admitted, settings)
        traces = run_chains(
            data, spec, settings, chain_seeds, cores, options.executor, options.progressbar
        )
    else:
        traces = [ChainTrace({}) for _ in chain_seeds]
    return traces, _attrs(options, seed, steps=options.steps, sampler=options.sampler)


def _processes(admitted: Admission, settings: ChainedSettings) -> int:
    """Return how many processes run the chains (`bayesmi.engines.parallel.processes_for`)."""
    options, data = admitted.options, admitted.data
    methods = [update_method(model, options.sampler) for model in admitted.spec.values()]
    sweeps = settings.iterations * settings.steps + min(settings.tune, WARMUP_SWEEPS)
    work = options.chains * sweeps * data.n_rows * len(admitted.spec)
    gibbs_only = all(method == "gibbs" for method in methods)
    return processes_for(work, gibbs_only, options.cores, options.cores_given)


def _stored_seed(
    store: CheckpointStore, stored: dict, seed: np.random.SeedSequence | None
) -> np.random.SeedSequence | None:
    """Return the seed to resume a stored run with: the one given, or (with a word) its own."""
    if seed is not None:
        return seed  # another seed is refused by the store's claim
    spawn_key = tuple(stored.get("seed_spawn_key", ()))
    warn(
        f"seed= is left out, so the run stored in checkpoint {str(store.directory)!r} resumes "
        f"with its own seed {stored['seed']}; give another checkpoint path to start a new run.",
        UserWarning,
    )
    return np.random.SeedSequence(json.loads(stored["seed"]), spawn_key=spawn_key)


def _run_joint(admitted: Admission) -> tuple[list, dict]:
    """Run the joint engine; return traces and the run's attrs."""
    data, spec, options = admitted.data, admitted.spec, admitted.options
    seed = _fresh(options.seed)
    settings = JointSettings(
        options.iterations, options.draws, options.tune, options.target_accept, options.nuts_sampler
    )
    traces = run_joint(
        data, spec, settings, options.chains, seed, options.cores, options.progressbar
    )
    return traces, _attrs(options, seed, steps=1, sampler=options.nuts_sampler)


def _fresh(seed: np.random.SeedSequence | None) -> np.random.SeedSequence:
    """Return a SeedSequence of the run's own: fresh entropy, or a copy of the caller's."""
    if seed is None:
        return np.random.SeedSequence()
    return np.random.SeedSequence(
        seed.entropy,
        spawn_key=seed.spawn_key,
        pool_size=seed.pool_size,
        n_children_spawned=seed.n_children_spawned,
    )


def _seed_text(seed: np.random.SeedSequence) -> str:
    """Return the seed as the attrs keep it: JSON of the entropy (an int or ints)."""
    entropy = seed.entropy
    return json.dumps(entropy if isinstance(entropy, int) else [int(v) for v in entropy])


def _analysis_text(analysis: str | ImputationModel | None) -> str:
    """Return the analysis as the attrs keep it: its formula, a non-default family named."""
    if not isinstance(analysis, ImputationModel):
        return analysis or ""
    if analysis.family.name == analysis.kind_info.default_family:
        return analysis.formula
    return f"{analysis.formula} [family={analysis.family.name}]"


def _attrs(options: Options, seed: np.random.SeedSequence, steps: int, sampler: str) -> dict:
    attrs = {
        "seed": _seed_text(seed),
        "engine": options.engine,
        "analysis": _analysis_text(options.analysis),
        "iterations": options.iterations,
        "draws": options.draws,
        "tune": options.tune,
        "steps": steps,
        "target_accept": options.target_accept,
        "sampler": sampler,
    }
    if seed.spawn_key:
        attrs["seed_spawn_key"] = json.dumps([int(v) for v in seed.spawn_key])
    return attrs


def _run_identity(
    frame: pd.DataFrame,
    spec: dict[str, ImputationModel],
    settings: ChainedSettings,
    seed: np.random.SeedSequence,
) -> dict:
    """Return what a checkpoint must match to be resumed: data, spec, settings and seed."""
    kept = {
        key: value
        for key, value in vars(settings).items()
        if key not in ("models_key", "checkpoint")
    }
    identity = {
        "data": data_fingerprint(frame),
        "spec": spec_to_json(spec),
        "settings": json.dumps(kept, sort_keys=True),
        "seed": _seed_text(seed),
    }
    if seed.spawn_key:  # a child of a seed draws another stream than its parent
        identity["seed_spawn_key"] = [int(v) for v in seed.spawn_key]
    return identity
