"""Per-iteration time of one chain of the chained engine, shared by the benchmarks.

The chain runs in this process through the engine's own loop
(`bayesmi.engines.block.run_block`); the time of each iteration is read from its progress
callback, so compilation and the first iteration (NUTS tuning) are left out. BLAS runs on one
thread, as in the engine.
"""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from bayesmi.data.checks import check_spec, prepare_spec
from bayesmi.data.encoding import encode
from bayesmi.engines.block import run_block
from bayesmi.engines.chained import models_key
from bayesmi.engines.options import ChainedSettings


def seconds_per_iteration(
    data, spec, sampler: str = "auto", iterations: int = 30, cluster="cluster"
) -> float:
    """Median seconds per iteration after the first (``steps=5``, tuning 200), one chain."""
    encoded = encode(data, cluster)
    spec = prepare_spec(check_spec(spec, encoded), encoded)
    key = models_key(encoded, spec)
    settings = ChainedSettings(iterations, 1, 200, 5, 0.8, sampler, models_key=key)
    stamps = []
    with threadpool_limits(limits=1):  # as in the engine's workers and its serial runs
        run_block(
            encoded,
            spec,
            settings,
            [0],
            [np.random.SeedSequence(1)],
            lambda chain, iteration: stamps.append(time.perf_counter()),
        )
    return float(np.median(np.diff(stamps)))
