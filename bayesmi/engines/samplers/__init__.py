"""The samplers of the chained engine, each model's parameters and each cell's moves.

`updaters` drives one model's parameters: exact Gibbs sweeps, or NUTS by hand (`pm.sample`
costs seconds per call, so it is never called inside the chained loop); `tuning` shares one
NUTS adaptation per model between a run's chains; `metropolis` moves the covariates' missing
cells of an analysis-compatible run. The exact Gibbs kernels themselves are `bayesmi.gibbs`;
the chain that calls these in turn is `bayesmi.engines.chained.Chain`.
"""
