"""Whether the data support missingness not at random: the posterior of a Heckman model's rho.

The error correlation ``rho`` of a `bayesmi.heckman` model is the quantity that separates
missing not at random (rho away from 0) from missing at random given the predictors (rho = 0).
`selection_summary` tabulates its posterior, overall and per cluster.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd

from bayesmi.diagnostics.kernels import rank_rhat
from bayesmi.result.datatree import reads_result
from bayesmi.result.read import iteration_trace, run_spec

__all__ = ["selection_summary"]


@reads_result
def selection_summary(idata: az.InferenceData, variable: str, prob: float = 0.95) -> pd.DataFrame:
    """Summarise the posterior of a Heckman model's error correlation, overall and per cluster.

    The draws are every chain's parameter values over the second half of its iterations
    (burn-in included: the window `chain_mean_rhat` judges), pooled over chains.

    Parameters
    ----------
    idata : arviz.InferenceData
        The result of `bayesmi.impute`.
    variable : str
        A variable imputed by `bayesmi.heckman`.
    prob : float, default=0.95
        Probability of the central posterior interval.

    Returns
    -------
    pandas.DataFrame
        One row ``"overall"`` (``rho``), then, for a model with ``cluster_rho=True``, one row
        per cluster (``rho_j``). Columns: ``n`` and ``missing`` (rows of the cluster, or all),
        ``mean``, ``sd``, the interval's ``lower`` and ``upper``, ``P(rho > 0)``, and ``r_hat``
        over the same window (NaN with fewer than 2 chains or 4 iterations in the window).

    Raises
    ------
    ValueError
        If `variable` was not imputed by a heckman model, or `prob` is not in (0, 1).

    Examples
    --------
    >>> sim = bm.simulate.simulate_heckman(clusters=8, cluster_size=20, seed=2)
    >>> spec = {"y": bm.heckman("y ~ x + (1 | cluster)", "~ x + z + (1 | cluster)")}
    >>> idata = bm.impute(sim.incomplete, spec, cluster="cluster", chains=2, iterations=8,
    ...                   tune=50, seed=1, progressbar=False)
    >>> table = bm.selection_summary(idata, "y")
    >>> list(table.index), int(table.loc["overall", "missing"])
    (['overall'], 68)
    """
    spec = run_spec(idata)
    if variable not in spec or not spec[variable].kind_info.selection:
        heckman = [name for name, model in spec.items() if model.kind_info.selection]
        raise ValueError(
            f"{variable!r} was not imputed by a heckman model; the variables that were: "
            f"{heckman or 'none'}."
        )
    if not 0 < prob < 1:
        raise ValueError(f"prob must be between 0 and 1, not {prob!r}.")
    observed = idata.constant_data[f"{variable}::observed"].to_numpy()
    codes = idata.constant_data["cluster_code"].to_numpy()
    labels = list(idata.constant_data["cluster"].to_numpy())
    rows = {"overall": _row(_window(idata, f"{variable}::rho"), observed, prob)}
    if spec[variable].cluster_rho:
        per_cluster = _window(idata, f"{variable}::rho_cluster")
        for j, label in enumerate(labels):
            rows[label] = _row(per_cluster[..., j], observed[codes == j], prob)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "cluster"
    return table


def _window(idata: az.InferenceData, name: str) -> np.ndarray:
    trace = iteration_trace(idata, name)
    return trace[:, trace.shape[1] // 2 :]


def _row(draws: np.ndarray, observed: np.ndarray, prob: float) -> dict:
    flat = draws.ravel()
    lower, upper = np.quantile(flat, [(1 - prob) / 2, (1 + prob) / 2])
    enough = draws.shape[0] >= 2 and draws.shape[1] >= 4
    return {
        "n": observed.size,
        "missing": int((~observed).sum()),
        "mean": flat.mean(),
        "sd": flat.std(ddof=1),
        "lower": lower,
        "upper": upper,
        "P(rho > 0)": float((flat > 0).mean()),
        "r_hat": float(rank_rhat(draws)) if enough else float("nan"),
    }
