"""Every argument of `bayesmi.impute` checked before any work, and the engines' settings.

`check_options` runs first in `impute`: types and ranges of the sampler settings (numpy scalars
are accepted), the engine and the options only one engine uses (given to the other engine,
they are refused, naming the engine that uses them), the seed, the executor and the
checkpoint path. Only then is the data encoded; `check_memory` then refuses settings whose
result cannot fit in memory, before anything is allocated for it.
"""

from __future__ import annotations

import importlib.util
import numbers
import os
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from bayesmi.spec.model import ImputationModel

__all__ = [
    "ENGINE_OPTIONS",
    "ChainedSettings",
    "JointSettings",
    "Options",
    "check_memory",
    "check_options",
    "check_positive_int",
    "seed_sequence",
]

ENGINE_OPTIONS = {
    "chained": (
        "steps",
        "sampler",
        "start",
        "executor",
        "checkpoint",
        "checkpoint_every",
        "fit_complete",
    ),
    "joint": ("nuts_sampler",),
}
"""The options only one engine uses; the other engine refuses them."""

SAMPLERS = ("auto", "gibbs", "nuts")
STARTS = ("observed", "overdispersed")
NUTS_SAMPLERS = {"pymc": "pymc", "nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}
"""``nuts_sampler`` values and the package each needs."""

MEMORY_SHARE = 0.5
"""Largest share of the machine's memory the recorded result of a run may take."""


@dataclass(frozen=True)
class ChainedSettings:
    """The chained engine's settings for one run."""

    iterations: int
    draws: int
    tune: int
    steps: int
    target_accept: float
    sampler: str
    models_key: str = ""
    """Identifies the compiled models the run uses (`bayesmi.engines.chained.models_key`)."""
    start: str = "observed"
    chains: int = 1
    checkpoint: str | None = None
    checkpoint_every: int = 5
    adaptation: dict | None = None
    """NUTS adaptation shared by the chains, by variable (`bayesmi.engines.samplers.tuning`)."""
    outcome: str | None = None
    """With ``analysis=``: the analysis model's outcome, the last variable of the spec
    (`bayesmi.engines.compatible`)."""


@dataclass(frozen=True)
class JointSettings:
    """The joint engine's settings for one run."""

    iterations: int
    draws: int
    tune: int
    target_accept: float
    nuts_sampler: str


@dataclass(frozen=True)
class Options:
    """The checked arguments of one `impute` call, defaults filled in."""

    engine: str
    chains: int
    iterations: int
    draws: int
    tune: int
    target_accept: float
    seed: np.random.SeedSequence | None
    cores: int
    cores_given: bool
    progressbar: bool
    steps: int = 5
    sampler: str = "auto"
    start: str = "observed"
    analysis: str | ImputationModel | None = None
    nuts_sampler: str = "pymc"
    executor: Executor | None = field(default=None, repr=False)
    checkpoint: str | None = None
    checkpoint_every: int = 5
    fit_complete: bool = False


def check_options(engine: object, **options) -> Options:
    """Check every argument of `impute` for both engines; return them with defaults filled in.

    Raises
    ------
    TypeError
        For a setting of the wrong type (naming it).
    ValueError
        For a value out of range, an unknown option value (listing the valid ones), or an
        option the chosen engine does not use (naming the engine that does).
    """
    if engine not in ENGINE_OPTIONS:
        raise ValueError(f"engine must be 'chained' or 'joint', got {engine!r}.")
    _refuse_other_engine(engine, options)
    chains, iterations = options["chains"], options["iterations"]
    for name in ("chains", "iterations", "draws"):
        check_positive_int(name, options[name])
    if options["draws"] > iterations:
        raise ValueError(
            f"draws ({options['draws']}) cannot exceed iterations ({iterations}): the kept draws "
            "are the last iterations of each chain; raise iterations or lower draws."
        )
    tune = options["tune"]
    if tune is None:
        tune = 500 if engine == "joint" else 200
    check_positive_int("tune", tune, minimum=0)
    if options["cores"] is not None:
        check_positive_int("cores", options["cores"])
    cores = options["cores"] or min(int(chains), os.cpu_count() or 1)
    common = {
        "engine": engine,
        "chains": int(chains),
        "iterations": int(iterations),
        "draws": int(options["draws"]),
        "tune": int(tune),
        "target_accept": _target_accept(options["target_accept"]),
        "seed": seed_sequence(options["seed"]),
        "cores": int(cores),
        "cores_given": options["cores"] is not None,
        "progressbar": bool(options["progressbar"]),
        "analysis": _analysis(options["analysis"]),
    }
    if engine == "joint":
        return Options(**common, **_joint_options(options))
    return Options(**common, **_chained_options(options))


def _refuse_other_engine(engine: str, options: dict) -> None:
    for other, names in ENGINE_OPTIONS.items():
        if other == engine:
            continue
        given = [name for name in names if options.get(name) is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} {'is an option' if len(given) == 1 else 'are options'} of "
                f"engine={other!r}, which engine={engine!r} does not use; drop "
                f"{'it' if len(given) == 1 else 'them'} or pass engine={other!r}."
            )


def _chained_options(options: dict) -> dict:
    steps = options["steps"]
    if steps is None:  # analysis-compatible scans are cheap and mix slower (compatible.py)
        steps = 5 if options["analysis"] is None else 20
    check_positive_int("steps", steps)
    sampler = _choice("sampler", options["sampler"], SAMPLERS)
    start = _choice("start", options["start"], STARTS)
    every = 5 if options["checkpoint_every"] is None else options["checkpoint_every"]
    check_positive_int("checkpoint_every", every)
    executor = options["executor"]
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (e.g. client.get_executor() of a "
            f"Dask client), got {type(executor).__name__}."
        )
    checkpoint = options["checkpoint"]
    if checkpoint is not None and not isinstance(checkpoint, str | os.PathLike):
        raise TypeError(
            f"checkpoint must be a directory path (str or path-like), got "
            f"{type(checkpoint).__name__}."
        )
    fit_complete = bool(options.get("fit_complete") or False)
    if options.get("fit_complete") not in (None, True, False):
        raise TypeError(f"fit_complete must be True or False, got {options['fit_complete']!r}.")
    return {
        "fit_complete": fit_complete,
        "steps": int(steps),
        "sampler": sampler,
        "start": start,
        "executor": executor,
        "checkpoint": None if checkpoint is None else os.fspath(checkpoint),
        "checkpoint_every": int(every),
    }


def _analysis(analysis: object) -> str | ImputationModel | None:
    if analysis is not None and not isinstance(analysis, str | ImputationModel):
        raise TypeError(
            "analysis must be the analysis model's formula, e.g. 'y ~ x + (1 + x | g)' or "
            "'Surv(time, event) ~ x + strata(study)', or a model such as "
            "bm.survival('Surv(time, event) ~ x', family='weibull'); got "
            f"{type(analysis).__name__}."
        )
    return analysis


def _joint_options(options: dict) -> dict:
    nuts_sampler = _choice("nuts_sampler", options["nuts_sampler"], tuple(NUTS_SAMPLERS))
    package = NUTS_SAMPLERS[nuts_sampler]
    if nuts_sampler != "pymc" and importlib.util.find_spec(package) is None:
        raise ValueError(
            f"nuts_sampler={nuts_sampler!r} needs the package {package!r}, which is not "
            f"installed: pip install {package}, or use nuts_sampler='pymc'."
        )
    return {"nuts_sampler": nuts_sampler}


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return `value`, or the first (default) option when it is None; refuse others."""
    if value is None:
        return allowed[0]
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(a) for a in sorted(allowed))}, got {value!r}."
        )
    return str(value)


def _target_accept(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(
            f"target_accept must be a number strictly between 0 and 1, got {value!r}; "
            "0.8 is the default, 0.9 to 0.99 for models that diverge."
        )
    return float(value)


def check_positive_int(name: str, value: object, minimum: int = 1) -> None:
    """Check that a setting is an integer (numpy integers too) of at least `minimum`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")


def seed_sequence(seed: object) -> np.random.SeedSequence | None:
    """Return the run's `numpy.random.SeedSequence` (None: fresh entropy, drawn later).

    An int or a sequence of non-negative ints seeds it; a SeedSequence is used as is; a
    Generator gives 128 bits drawn from it (so the generator advances).

    Raises
    ------
    TypeError
        For anything else, naming `seed`.
    ValueError
        For negative integers.
    """
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence([int(value) for value in seed.integers(0, 2**63, size=2)])
    integers = [seed] if isinstance(seed, numbers.Integral) else seed
    if (
        isinstance(seed, bool | str | bytes)
        or not isinstance(integers, Sequence | np.ndarray)
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in integers)
    ):
        raise TypeError(
            "seed must be an int, a sequence of ints, a numpy.random.SeedSequence or a "
            f"numpy.random.Generator (or None), got {type(seed).__name__}."
        )
    if any(int(value) < 0 for value in integers):
        raise ValueError(f"seed must be made of non-negative integers, got {seed!r}.")
    values = [int(value) for value in integers]
    return np.random.SeedSequence(values[0] if isinstance(seed, numbers.Integral) else values)


def check_memory(options: Options, n_missing: int, n_variables: int) -> None:
    """Refuse settings whose recorded result could not fit in memory.

    The result keeps every kept draw of every missing cell and, every iteration, at least the
    mean and SD of each variable's imputed cells and its sampler statistics: at least
    ``8 chains (draws n_missing + 8 iterations n_variables)`` bytes.
    """
    per_chain = options.draws * n_missing + 8 * options.iterations * max(n_variables, 1)
    needed = 8.0 * options.chains * per_chain
    available = _physical_memory()
    if needed > MEMORY_SHARE * available:
        raise ValueError(
            f"chains={options.chains}, iterations={options.iterations} and "
            f"draws={options.draws} for {n_missing} missing cells need at least "
            f"{needed / 1e9:.3g} GB for the result, more than half of this machine's "
            f"{available / 1e9:.3g} GB; lower chains, iterations or draws."
        )


def _physical_memory() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        return 16e9
