"""Write notebooks/tutorial.ipynb (run: python notebooks/make_tutorial.py).

The notebook is kept as this script's output so that its cells are reviewed as code; the test
suite executes the notebook (tests/test_notebook.py) with fast settings.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell(
        """# Multilevel multiple imputation of popmis with bayesmi

The case study of the mice tutorial on multilevel imputation: 2,000 pupils in 100 schools,
their popularity (`popular`, 848 values missing), sex and the teacher's experience (`texp`,
a school-level variable). The analysis model is a random-intercept model,
`popular ~ sex + texp + (1 | school)`. We impute `popular` step by step, from the simplest
model to the richest, look at convergence for each, pool the analysis, and compare with the
results R's mice gives on the same data (shipped with the package:
`bm.datasets.load_reference("popmis")`), so the notebook runs anywhere bayesmi is installed.

The full run takes about 2 minutes on 2 cores; each imputation shows a progress bar per chain.
Warnings are left on: where one appears, the text says what it means. Set
`BAYESMI_NOTEBOOK_FAST=1` to run everything with tiny settings and two-point sensitivity grids
(as the test suite does); the chains are then far too short and say so with convergence
warnings."""
    ),
    new_code_cell(
        """import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import statsmodels.formula.api as smf

import bayesmi as bm

FAST = os.environ.get("BAYESMI_NOTEBOOK_FAST") == "1"
SETTINGS = (
    {"chains": 3, "iterations": 4, "tune": 50, "seed": 2026}
    if FAST
    else {"chains": 10, "iterations": 20, "seed": 2026}
)
FIGURES = Path("figures")
FIGURES.mkdir(exist_ok=True)
REFERENCE = bm.datasets.load_reference("popmis")
df = bm.datasets.load_popmis()
df.head()"""
    ),
    new_markdown_cell(
        """## The missingness

mice's `md.pattern`, and per school: is `popular` missing for whole schools (systematically,
which needs a model that draws such schools from the population of schools) or for some
pupils in every school (sporadically)?"""
    ),
    new_code_cell(
        """pattern = bm.missing_pattern(df, cluster="school")
axes = bm.plot_missing(df, cluster="school")
axes[0].figure.savefig(FIGURES / "missing.png", dpi=90)
pattern.patterns"""
    ),
    new_code_cell(
        """print("schools missing popular entirely:", int(pattern.clusters["popular_systematic"].sum()))
pattern.clusters["popular_missing"].describe()"""
    ),
    new_markdown_cell(
        """## What bayesmi suggests

From the analysis model with a random slope of `sex` (the richest model the tutorial fits),
`bm.suggest` proposes a model for each incomplete variable and says why."""
    ),
    new_code_cell(
        """suggested = bm.suggest(df, "popular ~ sex + texp + (1 + sex | school)", cluster="school")"""
    ),
    new_markdown_cell(
        """## Steps 0 to 3, and a selection model

| step | bayesmi | mice |
|---|---|---|
| 0 | `fixed_cluster`: one intercept per school | `norm` with school dummies |
| 1 | `random_intercept` | `2l.pan` |
| 2 | `random_slopes` (slope of sex) | `2l.pan`, sex coded 2 |
| 3 | `heteroscedastic` (slope of sex, residual variance per school) | `2l.norm` |
| MNAR | `heckman`: being observed depends on popularity itself; teacher popularity (`teachpop`) affects only being observed | micemd `2l.2stage.heckman` |

Each step imputes, checks convergence (trace plot of the chain means and SDs, R-hat), fits the
analysis to every completed data set and pools it with Rubin's rules. Step 0 warns that `texp`
is constant within schools: school dummies leave nothing of a school-level variable to
estimate, so `fixed_cluster` imputes without its effect (as mice's `norm` with school dummies
does); the random-intercept models of steps 1-3 keep it."""
    ),
    new_code_cell(
        """FORMULA = "popular ~ sex + texp"
STEPS = {
    "step0": bm.fixed_cluster("popular ~ sex + texp"),
    "step1": bm.random_intercept("popular ~ sex + texp + (1 | school)"),
    "step2": bm.random_slopes("popular ~ sex + texp + (1 + sex | school)"),
    "step3": bm.heteroscedastic("popular ~ sex + texp + (1 + sex | school)"),
    "heckman": bm.heckman(
        "popular ~ sex + texp + (1 + sex | school)", "~ sex + texp + teachpop + (1 | school)"
    ),
}


def analysis(data):
    return smf.mixedlm(FORMULA, data, groups="school").fit(reml=True)


results, rhats, runs = {}, {}, {}
for step, model in STEPS.items():
    print(step)
    idata = bm.impute(df, {"popular": model}, cluster="school", **SETTINGS)
    runs[step] = idata
    rhats[step] = bm.chain_mean_rhat(idata)["popular"]
    results[step] = bm.pool(bm.fit_each(idata, analysis))
    axes = bm.plot_trace(idata, "popular")
    axes[0].figure.suptitle(f"{step}: {model.formula}")
    axes[0].figure.tight_layout()
    axes[0].figure.savefig(FIGURES / f"trace_{step}.png", dpi=90)
    plt.close(axes[0].figure)
pd.Series(rhats, name="R-hat of the chain means")"""
    ),
    new_markdown_cell("""The trace plot of step 3 (mice's `plot(imp)`), and its parameters:"""),
    new_code_cell(
        """axes = bm.plot_trace(runs["step3"], "popular", parameters=["beta", "re_sd"])
bm.summary(runs["step3"])"""
    ),
    new_markdown_cell("""Observed and imputed values (mice's `densityplot` and `stripplot`):"""),
    new_code_cell(
        """axes = bm.plot_imputed(runs["step3"], "popular")
axes[0].figure.savefig(FIGURES / "imputed_step3.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## Pooled fixed effects beside R's

The same analysis (REML random-intercept model) pooled over the imputations, against mice's
pooled estimates on the same data (m = 10, maxit = 10)."""
    ),
    new_code_cell(
        """R_NAMES = {"(Intercept)": "Intercept", "sex": "sex", "texp": "texp"}
rows = []
for step, table in results.items():
    reference = {}
    for values in REFERENCE["steps"].values():
        if values["label"] == step:
            reference = {R_NAMES[name]: v["estimate"] for name, v in values["fixed"].items()}
    for term in ("Intercept", "sex", "texp"):
        estimate = table.loc[term, "estimate"]
        r_value = reference.get(term, float("nan"))
        rows.append(
            {
                "step": step,
                "term": term,
                "bayesmi": estimate,
                "std_error": table.loc[term, "std_error"],
                "R mice": r_value,
                "difference": estimate - r_value,
            }
        )
comparison = pd.DataFrame(rows).set_index(["step", "term"])
comparison.round(4)"""
    ),
    new_code_cell(
        """largest = comparison["difference"].abs().groupby("step").max()
print("largest distance to R's pooled fixed effects per step:")
print(largest.dropna().round(4).to_string())"""
    ),
    new_markdown_cell(
        """## Is popularity missing not at random?

The Heckman model's error correlation `rho` says whether pupils with lower (rho > 0) or higher
popularity are more often missing, beyond what sex and teacher experience explain."""
    ),
    new_code_cell("""bm.selection_summary(runs["heckman"], "popular")"""),
    new_markdown_cell(
        """The Heckman model's traces need a closer look than the MAR models'. The posterior of
`rho` has a minor mode near -0.6 beside the main one near 0.8 (the model's log likelihood about 9
lower there, the other coefficients different too). NUTS, which updates this model, crosses to
it now and then (about 6 of 560 iterations in a long run), and a chain that does shows a spike:
for an iteration or two its imputed values are much higher, since a negative rho says the
missing pupils are the more popular ones. In the trace of `rho` below it is a dip to about -0.6
in one chain; in the chain means of `popular` a jump of about a point. Such a visit is part of
the posterior NUTS samples, not a failure, but it says the posterior is bimodal: check that
the kept draws are not taken in the minor mode (the table of `bm.selection_summary` gives
rho's posterior), and prefer more iterations (the visits then weigh as little as they
should). In the runs behind this notebook no chain visited it."""
    ),
    new_code_cell(
        """axes = bm.plot_trace(runs["heckman"], "popular", parameters=["rho"])
axes[0].figure.savefig(FIGURES / "trace_heckman_rho.png", dpi=90)"""
    ),
    new_markdown_cell("""## What changed between the steps"""),
    new_code_cell(
        """means = {
    step: pd.Series([frame["popular"].mean() for frame in bm.completed(idata)]).mean()
    for step, idata in runs.items()
}
summary = pd.DataFrame(
    {
        "completed mean of popular": means,
        "pooled sex effect": {s: t.loc["sex", "estimate"] for s, t in results.items()},
        "pooled texp effect": {s: t.loc["texp", "estimate"] for s, t in results.items()},
        "R-hat": rhats,
    }
)
print("observed mean of popular:", round(df["popular"].mean(), 4))
summary.round(4)"""
    ),
    new_markdown_cell(
        """Reading the table: every model imputes the missing popularity below the observed mean,
so the completed mean drops below the observed one. Not because the MAR models assume the
missing pupils are less popular than observed pupils like them (under MAR they are alike given
sex, teacher experience and school), but because they are more often boys (38% girls among
them against 56% among the observed), and boys are less popular by about 0.9 points. Step 0's school dummies absorb the school-level
`texp`, so its imputations carry no `texp` effect of their own; the random-intercept models
(steps 1-3) keep it. Steps 2 and 3 let the sex difference vary between schools, and step 3
also the residual variance, as mice's 2l.norm; on popmis these change the pooled estimates
little, as in the R tutorial (with the full settings every step's pooled fixed effects are
within 0.025 of mice's). The Heckman model adds what the MAR models cannot: whether being
missing depends on popularity itself, through `rho`. In the full run its posterior lies well
above 0 (about 0.8, 95% interval 0.70 to 0.90): less popular pupils are missing more often even
given sex, school and teacher experience, so the selection model imputes much lower values
(completed mean about 4.84 against 5.32-5.33 under MAR) and a larger sex effect. Whether to
believe it rests on the exclusion restriction (teacher popularity affects only whether a
pupil's popularity is recorded): a judgement about the study, not something the data prove."""
    ),
    new_markdown_cell(
        """## How far from MAR before the conclusion changes? A tipping point

The other route to MNAR makes the departure an explicit assumption (pattern mixture, as
mice's NARFCS): impute `popular` with the step 1 model, but shift every imputed value by
`delta` points (`bm.random_intercept(..., delta=-0.5)`; one value per school with
`bm.delta({...})`, or per row from a column). The model is fitted to the observed values as
under MAR. `bm.tipping_point` imputes once per delta with the same seed and pools the analysis
of each; here the school-weighted mean popularity, and the question whether it stays above 5."""
    ),
    new_code_cell(
        """def mean_popularity(data):
    return smf.mixedlm("popular ~ 1", data, groups="school").fit(reml=True)


tipping = bm.tipping_point(
    df,
    {"popular": STEPS["step1"]},
    "school",
    "popular",
    [0.0, -1.0] if FAST else [0.0, -0.25, -0.5, -0.75, -1.0, -1.5, -2.0],
    mean_popularity,
    "Intercept",
    reference=5.0,
    **SETTINGS,
)
ax = bm.plot_tipping_point(tipping, label="mean popularity")
ax.figure.savefig(FIGURES / "tipping_popular.png", dpi=90)
print("tipping delta:", tipping.attrs["tipping_point"])
tipping.round(4)"""
    ),
    new_markdown_cell(
        """Every imputed value moves by exactly delta, so the pooled mean falls by delta times the
share of missing values (848 of 2,000). Its interval first holds 5 at the tipping delta: the
missing pupils would have to be that much less popular than MAR predicts for the conclusion
"mean popularity above 5" to fail. The Heckman model's imputations are about 1.1 points below
the MAR ones (completed mean 4.84 against 5.32, above): past the tipping point. Which delta is
plausible is a question for the people who know how the data were collected."""
    ),
    new_markdown_cell(
        """### The same question over the Heckman model's rho

The Heckman model estimated rho (about 0.8 above); fixing it instead (`bm.heckman(...,
rho=0.4)`) turns the selection model into an assumption as well: rho = 0 is MAR, a larger rho
says pupils with lower popularity are missing more often than sex, teacher experience and
school explain. `bm.tipping_point(..., over="rho")` runs the grid. With rho fixed, the
data-augmentation Gibbs sampler (`sampler="gibbs"`) needs no NUTS warm-up and a run takes
seconds; at large rho its chains are more autocorrelated, so this grid runs 100 iterations.
The selection equation's school SD `tau_v` mixes slowest (the sampler draws it given the latent
selection values): bayesmi may warn that its effective sample size is below 100. It enters the
imputations only through the probability of being missing, and the grid agrees with a NUTS
grid (below), so the warning asks for longer runs before trusting `tau_v` itself, not the
pooled means."""
    ),
    new_code_cell(
        """over_rho = bm.tipping_point(
    df,
    {"popular": STEPS["heckman"]},
    "school",
    "popular",
    [0.0, 0.4] if FAST else [0.0, 0.2, 0.4, 0.6, 0.8],
    mean_popularity,
    "Intercept",
    reference=5.0,
    over="rho",
    sampler="gibbs",
    **(SETTINGS if FAST else SETTINGS | {"iterations": 100}),
)
ax = bm.plot_tipping_point(over_rho, label="mean popularity")
ax.figure.savefig(FIGURES / "tipping_rho.png", dpi=90)
print("tipping rho:", over_rho.attrs["tipping_point"])
over_rho.round(4)"""
    ),
    new_markdown_cell(
        """At rho = 0 the Heckman model is a MAR model, and the pooled mean is the delta
analysis' at delta = 0 (about 5.32). It falls as rho grows, and its interval first holds 5 at
about rho = 0.4 (with the full settings), half the 0.8 the free model estimated under its
exclusion restriction. (The Gibbs grid agrees with one run by NUTS, 20 iterations, within
0.01 at every rho.) Both analyses say the same in their own units: the conclusion "mean
popularity above 5" holds only if the pupils without a score are not much less popular than
MAR predicts."""
    ),
]


def write(cells: list, name: str) -> None:
    """Write `cells` as the notebook `name` beside this script (the Python 3 kernel)."""
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = Path(__file__).with_name(name)
    nbformat.write(notebook, path)
    print(f"wrote {path}")


def main() -> None:
    write(CELLS, "tutorial.ipynb")


if __name__ == "__main__":
    main()
