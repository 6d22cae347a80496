"""Write notebooks/survival.ipynb (run: python notebooks/make_survival.py).

The second tutorial: an IPD meta-analysis of a time to event, its covariates imputed compatibly
with a stratified Cox model. Kept as this script's output so that its cells are reviewed as
code; the test suite executes the notebook (tests/test_notebook.py) with fast settings.
"""

from make_tutorial import write
from nbformat.v4 import new_code_cell, new_markdown_cell

CELLS = [
    new_markdown_cell(
        """# A time to event across studies: covariates imputed for a stratified Cox model

An individual participant data (IPD) meta-analysis: 3,000 patients in 20 studies, followed until
death or the end of follow-up. The analysis is a Cox model stratified by study (each study its
own baseline hazard): `Surv(time, event) ~ x + z + b + strata(study)`, with a biomarker `x`
(normal, its mean differing between studies), a binary risk factor `b` and age `z`. `x` and
`b` are each missing for about 30% of the patients, more often for those who died and those
who died early: missing at random given the outcome.

mice's usual answer (White and Royston 2009) puts the event indicator and the Nelson-Aalen
cumulative hazard `H(t)` into the covariates' imputation models. That approximates the Cox
model, and is known to pull hazard ratios towards 1. bayesmi imputes the covariates
*compatibly* with the Cox model itself (`analysis=`): the Cox model is a factor of the joint
distribution, and each missing cell is drawn from its own model times the survival likelihood,
as R's smcfcs does for data of one level, here with strata and across clusters.

The data are simulated (`bm.simulate.simulate_survival`), so the truth is known: log hazard
ratios 0.7 for `x`, -0.5 for `b` and 0.3 for `z`. With the full settings the notebook takes
about a minute on 2 cores; `BAYESMI_NOTEBOOK_FAST=1` runs it with tiny settings (the test
suite does), whose chains are too short and say so."""
    ),
    new_code_cell(
        """import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

import bayesmi as bm

FAST = os.environ.get("BAYESMI_NOTEBOOK_FAST") == "1"
SETTINGS = (
    {"chains": 3, "iterations": 4, "seed": 2026}
    if FAST
    else {"chains": 10, "iterations": 20, "seed": 2026}
)
FIGURES = Path("figures")
FIGURES.mkdir(exist_ok=True)
simulated = bm.simulate.simulate_survival(seed=2026)
df = simulated.incomplete
df.head()"""
    ),
    new_markdown_cell(
        """## Who is missing what

The share of patients missing `x` and `b`, by event status, and the median time of those
with and without `x`. Patients who died are missing their covariates more often, so the
complete cases are not a random sample."""
    ),
    new_code_cell(
        """shares = df.groupby("event")[["x", "b"]].agg(lambda column: column.isna().mean())
shares.index = ["censored", "died"]
print(shares.round(3))
df.groupby(df["x"].isna())["time"].median().rename(index={False: "x observed", True: "x missing"})"""
    ),
    new_markdown_cell(
        """## The analysis, and what the complete data would give

The stratified Cox model (statsmodels' `PHReg`, Breslow's ties). lifelines' `CoxPHFitter`
with `strata=["study"]` gives the same numbers, and `bm.fit_each` reads either; install it
with `pip install "bayesmi[survival]"`."""
    ),
    new_code_cell(
        """TERMS = ["x", "z", "b"]


def cox(data):
    return PHReg(
        data["time"], data[TERMS], status=data["event"], strata=data["study"], ties="breslow"
    ).fit()


def table(fit):
    return pd.DataFrame(
        {"estimate": fit.params, "std_error": fit.bse}, index=TERMS
    )


complete = table(cox(simulated.complete))
complete_cases = table(cox(df.dropna()))
pd.concat({"complete data": complete, "complete cases": complete_cases}, axis=1).round(3)"""
    ),
    new_markdown_cell(
        """## Compatible imputation

Each incomplete covariate gets its own model, with a random intercept per study (the
biomarker's mean differs between studies); the Cox model is `analysis=`, the last factor.
The covariates' models must not use the time or the event: the outcome enters through the
Cox model. `b`'s model may use `x`, which comes before it."""
    ),
    new_code_cell(
        """spec = {
    "x": bm.random_intercept("x ~ z + (1 | study)"),
    "b": bm.binary("b ~ x + z + (1 | study)"),
}
ANALYSIS = "Surv(time, event) ~ x + z + b + strata(study)"
compatible = bm.impute(df, spec, cluster="study", analysis=ANALYSIS, **SETTINGS)
bm.summary(compatible, var_names=["time::beta"])"""
    ),
    new_markdown_cell(
        """The summary holds the Cox model's own posterior (`time::beta`, the log hazard ratios
per unit, traced in every chain). Convergence of the imputations, mice's `plot(imp)`:"""
    ),
    new_code_cell(
        """axes = bm.plot_trace(compatible, "x")
axes[0].figure.savefig(FIGURES / "survival_trace_x.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## mice's approximation, run the same way

The same covariate models with the event indicator and `H(t)` (`bm.nelson_aalen`) as
predictors, no analysis model: what `2l.pan` and `2l.bin` would do in mice."""
    ),
    new_code_cell(
        """approximate_spec = {
    "x": bm.random_intercept("x ~ z + b + event + hazard + (1 | study)"),
    "b": bm.binary("b ~ x + z + event + hazard + (1 | study)"),
}
with_hazard = df.assign(hazard=bm.nelson_aalen(df["time"], df["event"]))
approximation = bm.impute(with_hazard, approximate_spec, cluster="study", **SETTINGS)"""
    ),
    new_markdown_cell(
        """## Pooled hazard ratios

Every completed data set is analysed by the Cox model, and the estimates pooled by Rubin's
rules."""
    ),
    new_code_cell(
        """pooled = {
    "compatible": bm.pool(bm.fit_each(compatible, cox)),
    "mice's approximation": bm.pool(bm.fit_each(approximation, cox)),
}
truth = pd.Series({term: simulated.truth[f"log_hr_{term}"] for term in TERMS})
rows = {"truth": truth, "complete data": complete["estimate"]}
rows["complete cases"] = complete_cases["estimate"]
rows |= {name: result["estimate"] for name, result in pooled.items()}
estimates = pd.DataFrame(rows).T[TERMS]
estimates.round(3)"""
    ),
    new_code_cell(
        """fig, axes = plt.subplots(1, len(TERMS), figsize=(12, 3.2), sharey=True)
methods = {
    "complete data": complete,
    "complete cases": complete_cases,
    **{name: result for name, result in pooled.items()},
}
for axis, term in zip(axes, TERMS):
    for position, (name, result) in enumerate(methods.items()):
        estimate, error = result.loc[term, "estimate"], result.loc[term, "std_error"]
        ratio, low, high = np.exp([estimate, estimate - 1.96 * error, estimate + 1.96 * error])
        axis.errorbar(ratio, position, xerr=[[ratio - low], [high - ratio]], fmt="o", color="C0")
    axis.axvline(np.exp(truth[term]), color="black", ls="--", lw=1, label="truth")
    axis.set_title(f"hazard ratio of {term}")
    axis.set_xlabel("hazard ratio (95% interval)")
axes[0].set_yticks(range(len(methods)), list(methods))
axes[0].invert_yaxis()
axes[0].legend(loc="lower right", fontsize="small")
fig.tight_layout()
fig.savefig(FIGURES / "survival_hazard_ratios.png", dpi=90)"""
    ),
    new_markdown_cell(
        """With the full settings, the compatible imputation's hazard ratios fall beside the complete
data's (log hazard ratio of `x` 0.750 against 0.748), and the approximation's hazard ratio of
`x` lies closer to 1 (0.678: the bias White and Royston describe, here about 10% on the log
scale). The complete cases are biased too, away from 1: which patients keep their covariates
depends on the outcome. `benchmarks/bench_survival.py` repeats this design 100 times to
measure the bias and the interval coverage of both imputations.

## Imputed against observed, by event status

Within each event status, the imputed biomarker should look like the observed one (MAR given
the outcome): `by="event"` draws the comparison once per group."""
    ),
    new_code_cell(
        """axes = bm.plot_imputed(compatible, "x", by="event")
axes[0].figure.savefig(FIGURES / "survival_imputed_x.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## Other survival analyses

- a frailty instead of strata (one baseline, a log-normal random intercept per study):
  `analysis="Surv(time, event) ~ x + z + b + (1 | study)"`;
- a Weibull baseline: `analysis=bm.survival("Surv(time, event) ~ x + z + b", family="weibull")`,
  whose trace holds the shape and scale of each stratum;
- competing risks: code the event 0 for censored and 1..K for the causes; each cause gets its
  own cause-specific hazard, as smcfcs' `compet`."""
    ),
]


def main() -> None:
    write(CELLS, "survival.ipynb")


if __name__ == "__main__":
    main()
