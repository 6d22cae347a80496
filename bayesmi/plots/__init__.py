"""Plots of the missingness, the convergence, the imputations and a sensitivity analysis.

mice users know ``md.pattern``, ``plot(imp)`` (chain means and SDs of the imputed values per
iteration), ``densityplot``, ``stripplot`` and ``bwplot``; these are their counterparts, with
the model parameters' densities and traces (`parameter_traces`): `plot_missing` (`missing`),
`plot_trace` (`trace`), `plot_imputed` (`imputed`; categories' shares in `categories`) and
`plot_tipping_point` (`tipping`), and for repeated measures `plot_trajectories`
(`trajectories`). Every function validates and selects, takes the numbers it
draws from `bayesmi.result` (or `bayesmi.data.patterns`), draws with matplotlib in the colours
of `style`, accepts the axes to draw on and returns them.
"""

from bayesmi.plots.imputed import plot_imputed
from bayesmi.plots.missing import plot_missing
from bayesmi.plots.tipping import plot_tipping_point
from bayesmi.plots.trace import plot_trace
from bayesmi.plots.trajectories import plot_trajectories

__all__ = [
    "plot_imputed",
    "plot_missing",
    "plot_tipping_point",
    "plot_trace",
    "plot_trajectories",
]
