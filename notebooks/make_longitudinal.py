"""Write notebooks/longitudinal.ipynb (run: python notebooks/make_longitudinal.py).

The third tutorial: a two-arm trial with repeated visits and dropout, imputed in long format
with AR(1) residuals and analysed by a growth model, against last observation carried forward.
Kept as this script's output so that its cells are reviewed as code; the test suite executes
the notebook (tests/test_notebook.py) with fast settings.
"""

from make_tutorial import write
from nbformat.v4 import new_code_cell, new_markdown_cell

CELLS = [
    new_markdown_cell(
        """# Repeated measures with dropout: a growth model after multiple imputation

A two-arm trial: 400 patients, a symptom score `y` (lower is better) at visits 0 to 4. Patients
whose last score was bad are more likely to leave the trial before the next visit, so the
missing scores are missing at random given the last observed one, and the dropout is monotone.
The analysis is a growth model, `y ~ visit * treat + (1 + visit | id)`; the treatment effect is
the interaction `visit:treat`, the treated arm's extra change per visit.

bayesmi imputes long data (one row per visit) with `time=` naming the column that orders each
patient's visits. With `residual="ar1"` a patient's residuals are autocorrelated over the
visits, so a missing visit is imputed from that patient's neighbouring visits, not only from
the patient's random intercept and slope. Last observation carried forward (LOCF), still common
in trial reports, freezes each dropout's score and is shown beside it as the biased reference.

The data are simulated (`bm.simulate.simulate_dropout_trial`): the true treatment effect is
-0.4 per visit. The AR(1) model's residual SD, autocorrelation and random-effect SDs trade off
against each other, so its chains move more slowly than a random-intercept model's: the full
settings run 40 iterations (20 gave a bulk ESS of 46 for the residual SD, which bayesmi
flags). With them the notebook takes about a minute on 2 cores;
`BAYESMI_NOTEBOOK_FAST=1` runs it with tiny settings (the test suite does), whose chains are
too short and say so."""
    ),
    new_code_cell(
        """import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import bayesmi as bm

FAST = os.environ.get("BAYESMI_NOTEBOOK_FAST") == "1"
SETTINGS = (
    {"chains": 3, "iterations": 4, "seed": 2026}
    if FAST
    else {"chains": 10, "iterations": 40, "seed": 2026}
)
FIGURES = Path("figures")
FIGURES.mkdir(exist_ok=True)
simulated = bm.simulate.simulate_dropout_trial(seed=2026)
df = simulated.incomplete
df.head(6)"""
    ),
    new_markdown_cell(
        """## Who stays in the trial

The share of patients with a score at each visit, by arm. Trial data often arrive wide, one
row per patient; `bm.long_to_wide` and `bm.wide_to_long` convert between the formats with
every column's dtype kept."""
    ),
    new_code_cell(
        """wide = bm.long_to_wide(df, "id", "visit")
print(wide.head(3).round(2).to_string())
present = df.groupby(["treat", "visit"])["y"].apply(lambda s: s.notna().mean()).unstack(0)
fig, axis = plt.subplots(figsize=(5, 3.2))
for arm, label in ((0.0, "control"), (1.0, "treated")):
    axis.plot(present.index, present[arm], "o-", label=label)
axis.set_xlabel("visit")
axis.set_ylabel("share of patients with a score")
axis.set_ylim(0, 1.05)
axis.legend()
fig.tight_layout()
fig.savefig(FIGURES / "longitudinal_dropout.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## The imputation models

`bm.suggest` proposes a model from the analysis; with `time=` the time-varying score gets
AR(1) residuals over each patient's visits, and the analysis' random slope of visit."""
    ),
    new_code_cell(
        """analysis = "y ~ visit * treat + (1 + visit | id)"
spec = bm.suggest(df, analysis, cluster="id", time="visit")
idata = bm.impute(df, spec, cluster="id", time="visit", **SETTINGS)
print(bm.summary(idata, ["y::beta", "y::re_sd", "y::sigma", "y::phi"]).round(3).to_string())"""
    ),
    new_markdown_cell(
        """`y::phi` is the residual autocorrelation of visits one apart. The trajectories of a few
patients who dropped out, per arm: each imputation (red) continues the patient's own course
from the observed visits (blue)."""
    ),
    new_code_cell(
        """axes = bm.plot_trajectories(idata, "y", by="treat", n_persons=6)
axes[0].figure.savefig(FIGURES / "longitudinal_trajectories.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## The growth model, pooled, against LOCF

The growth model is fitted to each completed data set and pooled by Rubin's rules; the same
model is fitted to the data completed by LOCF, to the complete data (known here), and to the
observed visits alone (a mixed model is itself valid under MAR; imputation lets any analysis
of the completed data use the same information)."""
    ),
    new_code_cell(
        """def growth(frame):
    return smf.mixedlm("y ~ visit * treat", frame, groups="id", re_formula="~visit").fit()


def effect(fit):
    interval = fit.conf_int().loc["visit:treat"]
    return fit.params["visit:treat"], interval.iloc[0], interval.iloc[1]


pooled = bm.pool(bm.fit_each(idata, growth)).loc["visit:treat"]
locf = df.sort_values(["id", "visit"]).assign(y=lambda f: f.groupby("id")["y"].ffill())
estimates = pd.DataFrame(
    {
        "complete data": effect(growth(simulated.complete)),
        "multiple imputation (AR(1))": (pooled["estimate"], pooled["conf_low"], pooled["conf_high"]),
        "observed visits only": effect(growth(df.dropna())),
        "LOCF": effect(growth(locf)),
    },
    index=["estimate", "conf_low", "conf_high"],
).T
truth = simulated.truth["time_by_treat"]
print(f"true treatment effect per visit: {truth}")
estimates.round(3)"""
    ),
    new_code_cell(
        """fig, axis = plt.subplots(figsize=(6, 2.8))
for position, (name, row) in enumerate(estimates.iterrows()):
    errors = [[row["estimate"] - row["conf_low"]], [row["conf_high"] - row["estimate"]]]
    axis.errorbar(row["estimate"], position, xerr=errors, fmt="o", color="C0")
axis.axvline(truth, color="black", ls="--", lw=1, label="truth")
axis.set_yticks(range(len(estimates)), list(estimates.index))
axis.invert_yaxis()
axis.set_xlabel("treatment effect per visit (visit:treat), 95% interval")
axis.legend(loc="upper right", fontsize="small")
fig.tight_layout()
fig.savefig(FIGURES / "longitudinal_effects.png", dpi=90)"""
    ),
    new_markdown_cell(
        """With the full settings the pooled effect is -0.443 (95% interval -0.556 to -0.330),
beside the complete data's -0.467, and covers the truth; LOCF gives -0.299, biased towards no
effect: the patients who leave after a bad score keep that score, in both arms, so the arms'
courses look more alike than they are.

## Other longitudinal models

- time-varying covariates: include them in the analysis and impute them compatibly with it,
  `analysis=bm.random_slopes("y ~ visit * treat + x + (1 + visit | id)", residual="ar1")`;
- lagged predictors: `lag(x)`, `lag(x, 2)` and `lead(y)` in a formula read a column at the
  patient's previous, second previous or next visit, from the current imputations (each
  shift adds an indicator of the visits without one, `no_lag(1)`);
- irregular times: `time=` may hold any numbers or dates; the AR(1) correlation is
  `phi^|t - s|` in the time distance (nlme's `corCAR1`)."""
    ),
]


def main() -> None:
    write(CELLS, "longitudinal.ipynb")


if __name__ == "__main__":
    main()
