"""R-hat kernels on (chain, draw) arrays, and the noise bound of R-hat in short runs.

`rank_rhat` is the rank-normalised split R-hat of Vehtari et al. (2021), the number
`arviz.rhat` gives, for a whole batch of (chain, draw) arrays at once. Imputation runs are short
(mice's default is 5 iterations), and R-hat from a few iterations is noisy: with 5 chains of 5
independent draws it exceeds 1.05 in about 60% of cases; `rhat_noise_bound` is the value R-hat
of well-mixed chains stays below in 99% of runs of a given shape (simulated once, with a fixed
seed). Well-mixed chains of a Markov chain sampler are not independent draws: a chained run's
coefficient whose imputed predictor feeds back on it has a lag-1 autocorrelation near 0.2,
and R-hat of 10 such chains of 10 draws is noisier (99% bound 1.25 against 1.16 for
independent draws). So the bound is that of stationary AR(1) chains with the autocorrelation
the chains themselves show (`bound_autocorrelation`: estimated within each chain, so chains
apart, which R-hat detects, do not raise it).

References
----------
Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Buerkner, P.-C. (2021). Rank-normalization,
folding, and localization: an improved R-hat for assessing convergence of MCMC. Bayesian
Analysis, 16(2), 667-718.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.fft import next_fast_len
from scipy.special import ndtri

from bayesmi.diagnostics.bound_store import load_bounds, save_bound

__all__ = [
    "MAX_AUTOCORRELATION",
    "RHAT_THRESHOLD",
    "bound_autocorrelation",
    "bulk_ess",
    "lag1_autocorrelation",
    "rank_rhat",
    "rhat_noise_bound",
    "rhat_window",
    "trace_rhat",
]

RHAT_THRESHOLD = 1.05
_MIN_WINDOW = 4
_NULL_RUNS = 4000
MAX_AUTOCORRELATION = 0.35
"""The largest lag-1 autocorrelation a noise bound allows: AR(1) chains beyond about 1/3 have
an effective sample size below half their draws, which the ESS check reports."""
_AUTOCORRELATION_STEP = 0.05


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


def bulk_ess(values: np.ndarray) -> np.ndarray:
    """Bulk effective sample size over the last two axes (chain, draw) of `values`.

    The number `arviz.ess` gives (method ``"bulk"``: the ESS of the rank-normalised split
    chains, Geyer's initial monotone sequence), for a whole batch of (chain, draw) arrays
    at once: the autocovariances of all by one FFT, the chains' between variance by numpy
    (ArviZ's own, where numba is installed, is a numba function compiled in every new
    process: half a second of a user's first run). NaN with fewer than 4 draws or a NaN draw.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[-1] < 4:
        return np.full(values.shape[:-2], np.nan)
    z = _z_scale(_split_chains(values))
    flat = z.reshape(-1, *z.shape[-2:])
    return np.array([_geyer_ess(chains) for chains in flat]).reshape(values.shape[:-2])


def _geyer_ess(chains: np.ndarray) -> float:
    """ESS of one (chain, draw) array: ArviZ's ``_ess``, step for step."""
    if not np.isfinite(chains).all():
        return np.nan
    if np.max(chains) - np.min(chains) < np.finfo(float).resolution:
        return float(chains.size)
    n_chain, n_draw = chains.shape
    centred = chains - chains.mean(axis=1, keepdims=True)
    length = next_fast_len(2 * n_draw)
    transform = np.fft.rfft(centred, n=length, axis=1)
    transform *= np.conjugate(transform)
    autocovariance = np.fft.irfft(transform, n=length, axis=1)[:, :n_draw] / n_draw
    mean_var = np.mean(autocovariance[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(chains.mean(axis=1), ddof=1)
    rho = np.zeros(n_draw)
    rho[0] = rho_even = 1.0
    rho[1] = rho_odd = 1.0 - (mean_var - np.mean(autocovariance[:, 1])) / var_plus
    t = 1  # Geyer's initial positive sequence
    while t < n_draw - 3 and rho_even + rho_odd > 0.0:
        rho_even = 1.0 - (mean_var - np.mean(autocovariance[:, t + 1])) / var_plus
        rho_odd = 1.0 - (mean_var - np.mean(autocovariance[:, t + 2])) / var_plus
        if rho_even + rho_odd >= 0:
            rho[t + 1], rho[t + 2] = rho_even, rho_odd
        t += 2
    last = t - 2
    if rho_even > 0:
        rho[last + 1] = rho_even
    t = 1  # Geyer's initial monotone sequence
    while t <= last - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    draws = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho[: last + 1]) + np.sum(rho[last + 1 : last + 2])
    tau = max(tau, 1 / np.log10(draws))
    return np.nan if np.isnan(rho).any() else draws / tau


def _split_chains(values: np.ndarray) -> np.ndarray:
    half = values.shape[-1] // 2
    return np.concatenate([values[..., :half], values[..., -half:]], axis=-2)


def _z_scale(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(*values.shape[:-2], -1)
    return ndtri((_ranks(flat) - 0.375) / (flat.shape[-1] + 0.25)).reshape(values.shape)


def _ranks(flat: np.ndarray) -> np.ndarray:
    """Ranks 1..n along the last axis, ties given their average rank (as scipy's rankdata).

    From one sort of each row: every value gets the mean of the first and last positions of
    its run of equal values, the same floats as rankdata's, in a fraction of its time on the
    noise bound's millions of simulated draws. Rows with NaN are all NaN, as rankdata's.
    """
    order = np.argsort(flat, axis=-1)
    ordered = np.take_along_axis(flat, order, axis=-1)
    n = flat.shape[-1]
    starts = np.ones(flat.shape, dtype=bool)  # where a run of equal values starts
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    ends = np.ones(flat.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    positions = np.arange(n)
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    last = np.minimum.accumulate(np.where(ends, positions, n - 1)[..., ::-1], axis=-1)[..., ::-1]
    ranks = np.empty(flat.shape)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=-1)
    ranks[np.isnan(ordered[..., -1])] = np.nan
    return ranks


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


def trace_rhat(trace: np.ndarray) -> float:
    """Return the R-hat of a (chain, iteration) trace over its `rhat_window`; NaN if too short.

    Over every iteration before the first (``trace[..., 0]``) would be wrong: the window
    leaves the burn-in's first half out.
    """
    first, split = rhat_window(trace.shape[1])
    window = trace[:, first:]
    if window.shape[0] < 2 or window.shape[1] < 2:
        return float("nan")
    return float(rank_rhat(window, split))


def rhat_noise_bound(
    chains: int, draws: int, split: bool = True, count: int = 1, autocorrelation: float = 0.0
) -> float:
    """Return the 99% quantile of R-hat of well-mixed chains of this shape.

    R-hat above this bound is unlikely (1%) when the chains have in fact mixed. With `count`
    quantities judged at once (a model's parameters), the ``1 - 1% / count`` quantile, so
    that the largest of them exceeds it in at most 1% of well-mixed runs (Bonferroni). The
    chains are stationary normal AR(1) chains with lag-1 `autocorrelation` (0: independent
    draws), rounded to 0.01.
    """
    return _noise_bound(chains, draws, split, max(1, count), round(float(autocorrelation), 2))


@lru_cache(maxsize=256)
def _noise_bound(chains: int, draws: int, split: bool, count: int, autocorrelation: float) -> float:
    """Return a bound from this machine's stored bounds, or simulate and store it."""
    key = f"{chains},{draws},{int(split)},{count},{autocorrelation:.2f}"
    stored = _stored_bounds().get(key)
    if stored is not None:
        return stored
    value = _simulated_bound(chains, draws, split, count, autocorrelation)
    save_bound(key, value)
    return value


@lru_cache(maxsize=1)
def _stored_bounds() -> dict[str, float]:
    return load_bounds()


def _simulated_bound(
    chains: int, draws: int, split: bool, count: int, autocorrelation: float
) -> float:
    """Simulate well-mixed AR(1) chains; return the quantile of their R-hat."""
    rng = np.random.default_rng(20261125)
    runs = min(_NULL_RUNS * count, max(_NULL_RUNS, 4 * 10**6 // (chains * draws)))
    chain = rng.standard_normal((runs, chains, draws))
    innovation = np.sqrt(1 - autocorrelation**2)
    for t in range(1, draws):  # stationary from the first draw: N(0, 1) throughout
        chain[..., t] = autocorrelation * chain[..., t - 1] + innovation * chain[..., t]
    values = rank_rhat(chain, split)
    return float(np.quantile(values, 1 - 0.01 / count))


def lag1_autocorrelation(values: np.ndarray) -> np.ndarray:
    """Pooled within-chain lag-1 autocorrelation over the last two axes (chain, draw).

    Of the rank-normalised values, each chain centred on its own mean, so chains apart from
    each other (what R-hat detects) do not raise it. For chains of ``n`` independent draws its
    expectation is about ``-1 / n``; NaN for constant traces.
    """
    z = _z_scale(values)
    z = z - z.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (z[..., 1:] * z[..., :-1]).sum(axis=(-2, -1)) / (z * z).sum(axis=(-2, -1))


def bound_autocorrelation(values: np.ndarray) -> np.ndarray:
    """Return the lag-1 autocorrelation the noise bound of these (chain, draw) traces assumes.

    Their `lag1_autocorrelation` plus its bias for independent draws (``1 / n`` for chains of
    ``n`` draws), rounded up to 0.05 and kept within 0 and `MAX_AUTOCORRELATION`. From 10
    chains of 10 draws the estimate is rough (its SD is about 0.1), so a false alarm stays
    rare when the true value is larger: simulated, the largest of 11 R-hats exceeds its bound
    in 0.4% of runs of independent draws and 1.6% of AR(1) chains with autocorrelation 0.2,
    against 0.8% and 26% with the bound of independent draws.
    """
    raw = lag1_autocorrelation(values) + 1 / values.shape[-1]
    stepped = np.ceil(np.round(raw / _AUTOCORRELATION_STEP, 6)) * _AUTOCORRELATION_STEP
    return np.clip(np.nan_to_num(stepped), 0.0, MAX_AUTOCORRELATION)
