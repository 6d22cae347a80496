"""Time of a tipping-point grid with compiled models reused across its runs, against without.

A Heckman model of popmis' popularity (the tutorial's), rho fixed at each of 0, 0.2, 0.4 and
0.6 (``bm.tipping_point(..., over="rho")``), 4 chains of 10 iterations in this process, once
by NUTS (the default) and once with ``sampler="gibbs"``. The baseline is the same four runs
with this process' compiled models dropped before each (as every run compiled before the
models were keyed by what they depend on, `bayesmi.engines.chained.models_key`); both give the
same table. The two ways alternate over two rounds and the least time of each is reported.

Run: ``python benchmarks/bench_tipping.py`` (about seven minutes).
"""

from __future__ import annotations

import time
import warnings

import pandas as pd
import statsmodels.formula.api as smf

import bayesmi as bm
from bayesmi.engines import chained

RHOS = [0.0, 0.2, 0.4, 0.6]
ROUNDS = 2
SETTINGS = {"chains": 4, "iterations": 10, "cores": 1, "seed": 3, "progressbar": False}


def grid(data: pd.DataFrame, sampler: str, reuse: bool) -> tuple[float, pd.DataFrame]:
    """Run the grid; return its seconds and its table."""
    spec = {
        "popular": bm.heckman(
            "popular ~ sex + texp + (1 | school)", "~ sex + texp + teachpop + (1 | school)"
        )
    }
    tables = []
    start = time.perf_counter()
    runs = [RHOS] if reuse else [[rho] for rho in RHOS]
    for rhos in runs:
        if not reuse:
            chained.forget_compiled_models()
        tables.append(
            bm.tipping_point(
                data,
                spec,
                "school",
                "popular",
                rhos,
                lambda frame: smf.ols("popular ~ 1", frame).fit(),
                "Intercept",
                over="rho",
                sampler=sampler,
                **SETTINGS,
            )
        )
    return time.perf_counter() - start, pd.concat(tables, ignore_index=True)


def main() -> None:
    data = bm.datasets.load_popmis()
    warnings.simplefilter("ignore", bm.ConvergenceWarning)
    print(f"tipping-point grid over rho = {RHOS}, {SETTINGS}")
    print(f"{'sampler':<8} {'reused s':>9} {'compiled each s':>16} {'ratio':>6}")
    for sampler in ("auto", "gibbs"):
        best = {True: float("inf"), False: float("inf")}
        tables = {}
        for _ in range(ROUNDS):
            for reuse in (False, True):
                chained.forget_compiled_models()
                seconds, tables[reuse] = grid(data, sampler, reuse)
                best[reuse] = min(best[reuse], seconds)
        pd.testing.assert_frame_equal(tables[True], tables[False], check_like=True)
        print(
            f"{sampler:<8} {best[True]:>9.1f} {best[False]:>16.1f} {best[True] / best[False]:>6.2f}"
        )


if __name__ == "__main__":
    main()
