"""Running the chained engine's chains: in this process, in worker processes, on an executor.

Chains are independent, each with its own seed, so they may run anywhere and in any order with
the same result; they run in blocks (`bayesmi.engines.block`), one here or one per process.
Local worker processes report each finished iteration through a queue, which this process
relays to the progress bars; on a caller's executor (e.g. a Dask cluster) the bars advance as
blocks finish. Worker processes pin their BLAS to one thread (oversubscription made a run 16x
slower), and Ctrl-C stops them at once (each chain's last checkpoint stays valid).
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed

import numpy as np
from threadpoolctl import threadpool_limits

from bayesmi.data.encoding import ImputationData
from bayesmi.engines.block import Report, run_block
from bayesmi.engines.options import ChainedSettings
from bayesmi.engines.progress import ChainProgress
from bayesmi.result.trace import ChainTrace
from bayesmi.spec.model import ImputationModel

__all__ = ["LIGHT_ROW_SWEEPS", "blocks_of", "processes_for", "run_chains"]

LIGHT_ROW_SWEEPS = 10**7
"""Rows times sweeps (over every model and chain) below which a run whose models are all updated
by Gibbs sweeps runs in this process by default: about a second of sweeps (a random-intercept
sweep costs about 0.1 microsecond a row), less than starting worker processes and building
the models again in each costs."""


def processes_for(work: int, gibbs_only: bool, cores: int, cores_given: bool) -> int:
    """Return how many processes run the chains: one for a light Gibbs-only run by default.

    `work` is the run's rows times sweeps, summed over its models and chains; `cores` the
    processes asked for (``cores=``) or the default, ``min(chains, os.cpu_count())``.
    """
    if cores_given or not gibbs_only or work >= LIGHT_ROW_SWEEPS:
        return cores
    return 1


def blocks_of(chains: int, blocks: int) -> list[list[int]]:
    """Split chains ``0..chains-1`` into at most `blocks` contiguous blocks of near equal size."""
    return [list(block) for block in np.array_split(np.arange(chains), blocks) if block.size]


def run_chains(
    data: ImputationData,
    spec: dict[str, ImputationModel],
    settings: ChainedSettings,
    chain_seeds: list[np.random.SeedSequence],
    cores: int,
    executor: Executor | None,
    progressbar: bool,
) -> list[ChainTrace]:
    """Run every chain (here, in `cores` processes, or on `executor`); return their traces.

    The chains run in blocks (`bayesmi.engines.block`): one here, one per process, or one
    per core asked for on an executor.
    """
    progress = ChainProgress(len(chain_seeds), settings.iterations, enabled=progressbar)
    blocks = blocks_of(len(chain_seeds), 1 if executor is None and cores <= 1 else cores)
    if executor is not None:
        return _on_executor(executor, data, spec, settings, chain_seeds, blocks, progress)
    if len(blocks) == 1:
        return _serially(data, spec, settings, chain_seeds, progress)
    return _in_processes(data, spec, settings, chain_seeds, blocks, progress)


def _serially(data, spec, settings, chain_seeds, progress: ChainProgress) -> list[ChainTrace]:
    """Run the chains here as one block, BLAS on one thread as in the workers.

    The updates' vector products are small: on two cores a 28,000-row dot product took 0.35 ms
    with OpenBLAS' threads and 0.01 ms on one.
    """
    indices = range(len(chain_seeds))
    with progress, threadpool_limits(limits=1):
        return run_block(data, spec, settings, indices, chain_seeds, progress.advance)


def _in_processes(
    data, spec, settings, chain_seeds, blocks: list[list[int]], progress: ChainProgress
) -> list[ChainTrace]:
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    messages = context.Queue()
    pool = ProcessPoolExecutor(
        max_workers=len(blocks),
        mp_context=context,
        initializer=_start_worker,
        initargs=(messages,),
    )
    try:
        # Submitting starts the workers: do it before the progress display starts a thread.
        futures = [
            pool.submit(
                _run_in_worker, data, spec, settings, block, [chain_seeds[k] for k in block]
            )
            for block in blocks
        ]
        with progress:
            _relay(futures, messages, progress)
        return [trace for future in futures for trace in future.result()]
    except KeyboardInterrupt:
        _terminate(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: shutting down would wait for their chains to finish.

    Python 3.14's ``terminate_workers``; before it, the pool's own processes (``_processes``,
    the only handle ProcessPoolExecutor gives on them).
    """
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _on_executor(
    executor: Executor, data, spec, settings, chain_seeds, blocks, progress: ChainProgress
) -> list[ChainTrace]:
    """Run the blocks of chains on a caller's executor; progress advances as blocks finish."""
    futures = {
        executor.submit(
            run_block, data, spec, settings, block, [chain_seeds[k] for k in block], _ignore
        ): block
        for block in blocks
    }
    with progress:
        for future in as_completed(futures):
            future.result()
            for chain in futures[future]:
                progress.advance(chain, settings.iterations)
    return [trace for future in futures for trace in future.result()]


def _ignore(chain: int, iteration: int) -> None:
    """Progress of a chain on a caller's executor: reported when its block finishes."""


def _relay(futures: list[Future], messages, progress: ChainProgress) -> None:
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


_WORKER_MESSAGES = None
_WORKER_LIMITS = None


def _start_worker(messages) -> None:
    """Worker initializer: keep the progress queue and pin BLAS to one thread."""
    global _WORKER_MESSAGES, _WORKER_LIMITS
    _WORKER_MESSAGES = messages
    _WORKER_LIMITS = threadpool_limits(limits=1)


def _report_to_parent(chain: int, iteration: int) -> None:
    if _WORKER_MESSAGES is not None:
        _WORKER_MESSAGES.put((chain, iteration))


def _run_in_worker(data, spec, settings, block, seeds) -> list[ChainTrace]:
    """Run a block of chains in a worker process, reporting progress to the parent."""
    report: Report = _report_to_parent
    return run_block(data, spec, settings, block, seeds, report)
