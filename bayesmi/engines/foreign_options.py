"""The options of mice, jomo, mitml, Blimp and scikit-learn, named as bayesmi calls them.

A user coming from R writes ``bm.impute(df, spec, m=20, maxit=10)``; Python's own error,
"unexpected keyword argument 'm'", does not say what to write instead. `own_options_only`
wraps a function so that an unknown keyword is refused before anything runs, naming the
bayesmi option that does what the foreign one did (or the valid options, for a typo).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable

__all__ = ["FOREIGN_OPTIONS", "own_options_only"]

_CHAINS = "chains= (the number of imputations: m = chains x draws, and draws=1 by default)"
_ITERATIONS = "iterations= (the iterations of every chain, burn-in included)"
_DRAWS = "draws= (the last iterations of each chain kept; bayesmi does not thin: prefer chains)"
_SPEC = "spec= (a model per variable), or bm.from_mice(method, predictor_matrix, cluster=...)"

FOREIGN_OPTIONS = {
    "m": _CHAINS,
    "nimp": _CHAINS,
    "n_imputations": _CHAINS,
    "imputations": _CHAINS,
    "maxit": _ITERATIONS,
    "max_iter": _ITERATIONS,
    "n_iter": _ITERATIONS,
    "nburn": _ITERATIONS,
    "n_burn": _ITERATIONS,
    "burn": _ITERATIONS,
    "burnin": _ITERATIONS,
    "nbetween": _DRAWS,
    "thin": _DRAWS,
    "random_state": "seed=",
    "printFlag": "progressbar=",
    "print_flag": "progressbar=",
    "verbose": "progressbar=",
    "method": _SPEC,
    "predictorMatrix": _SPEC,
    "predictor_matrix": _SPEC,
    "n_jobs": "cores= (chains run in that many processes)",
    "clus": "cluster=",
    "group": "cluster=",
    "groups": "cluster=",
}
"""Option names of mice, jomo, mitml, Blimp and scikit-learn, and bayesmi's for each."""


def own_options_only(function: Callable) -> Callable:
    """Wrap `function` so that an unknown keyword argument is refused with bayesmi's name.

    Raises (when the wrapped function is called)
    ------
    TypeError
        For a keyword argument `function` does not take: ``m`` says ``chains=``, ``maxit``
        ``iterations=``; another says the closest valid options.
    """
    parameters = inspect.signature(function).parameters

    @functools.wraps(function)
    def checked(*args, **kwargs):
        for name in kwargs:
            if name in parameters:
                continue
            close = difflib.get_close_matches(name, list(parameters), n=3)
            if name in FOREIGN_OPTIONS:
                hint = f"in bayesmi that is {FOREIGN_OPTIONS[name]}"
            elif close:
                hint = f"did you mean {' or '.join(f'{option}=' for option in close)}?"
            else:
                hint = f"the options are {', '.join(sorted(parameters))}."
            raise TypeError(
                f"{function.__name__}() got an unexpected keyword argument {name!r}; {hint}"
            )
        return function(*args, **kwargs)

    return checked
