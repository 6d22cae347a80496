"""R-hat kernels on (chain, draw) arrays, and the noise bound of R-hat in short runs.

`rank_rhat` is the rank-normalised split R-hat of Vehtari et al. (2021), the number
`arviz.rhat` gives, for a whole batch of (chain, draw) arrays at once. Imputation runs are short
(mice's default is 5 iterations), and R-hat from a few iterations is noisy: with 5 chains of 5
independent draws it exceeds 1.05 in about 60% of cases; `rhat_noise_bound` is the value R-hat
of independent draws stays below in 99% of runs of a given shape (simulated once, with a fixed
seed).

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Buerkner, P.-C. (2021). Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC. Bayesian
Analysis, 16(2), 667-718.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["RHAT_THRESHOLD", "rank_rhat", "rhat_noise_bound", "rhat_window"]

RHAT_THRESHOLD = 1.05
_MIN_WINDOW = 4
_NULL_RUNS = 4000


def rank_rhat(values: np.ndarray, split: bool = True) -> np.ndarray:
    """Rank-normalised split R-hat over the last two axes (chain, draw) of `values`.

    With ``split=False`` the chains are not split in halves (for windows too short to split).

    The same number as `arviz.rhat` (method ``"rank"``) for a (chain, draw) array, computed
    for a whole batch of such arrays at once.
    """
    chains = _split_chains(values) if split else values
    bulk = _classic_rhat(_z_scale(chains))
    median = np.median(chains.reshape(*chains.shape[:-2], -1), axis=-1)[..., None, None]
    tail = _classic_rhat(_z_scale(np.abs(chains - median)))
    return np.maximum(bulk, tail)


def _split_chains(values: np.ndarray) -> np.ndarray:
    half = values.shape[-1] // 2
    return np.concatenate([values[..., :half], values[..., -half:]], axis=-2)


def _z_scale(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(*values.shape[:-2], -1)
    ranks = rankdata(flat, axis=-1, method="average")
    return ndtri((ranks - 0.375) / (flat.shape[-1] + 0.25)).reshape(values.shape)


def _classic_rhat(values: np.ndarray) -> np.ndarray:
    n = values.shape[-1]
    between = n * values.mean(axis=-1).var(axis=-1, ddof=1)
    within = values.var(axis=-1, ddof=1).mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):  # constant traces: NaN, as ArviZ
        return np.sqrt((between / within + n - 1) / n)


def rhat_window(iterations: int) -> tuple[int, bool]:
    """Return the first iteration R-hat uses and whether it splits the chains.

    The second half, split, when it has at least 4 iterations; otherwise every iteration,
    unsplit.
    """
    if iterations - iterations // 2 >= _MIN_WINDOW:
        return iterations // 2, True
    return 0, False


@lru_cache(maxsize=64)
def rhat_noise_bound(chains: int, draws: int, split: bool = True, count: int = 1) -> float:
    """Return the 99% quantile of R-hat of independent normal draws of this shape.

    R-hat above this bound is unlikely (1%) when the chains have in fact mixed. With `count`
    quantities judged at once (a model's parameters), the ``1 - 1% / count`` quantile, so
    that the largest of them exceeds it in at most 1% of well-mixed runs (Bonferroni).
    """
    rng = np.random.default_rng(20261125)
    runs = min(_NULL_RUNS * max(1, count), max(_NULL_RUNS, 4 * 10**6 // (chains * draws)))
    values = rank_rhat(rng.standard_normal((runs, chains, draws)), split)
    return float(np.quantile(values, 1 - 0.01 / max(1, count)))
