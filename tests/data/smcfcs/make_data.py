"""Write the single-level survival data set that smcfcs_cox.R imputes (run from the repo root).

1,000 patients in 10 groups with no group effects (frailty SD 0, no between-group
difference in x, one baseline), so the data are single-level: a Cox model with a normal ``x``
and a binary ``b``, each about 30% missing at random on the event and the time, and a
complete ``z``.
"""

import bayesmi as bm

sim = bm.simulate.simulate_survival(
    studies=10, patients=100, frailty_sd=0.0, between_sd=0.0, stratified=False, seed=2030
)
sim.incomplete.to_csv("tests/data/smcfcs/cox.csv", index=False)
