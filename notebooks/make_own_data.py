"""Write notebooks/own_data.ipynb (run: python notebooks/make_own_data.py).

The fourth notebook: data of the user's own kind, from a CSV to pooled results, exports for R
and Stata and new rows imputed with the fitted run. Kept as this script's output so that its
cells are reviewed as code; the test suite executes the notebook (tests/test_notebook.py) with
fast settings.
"""

from make_tutorial import write
from nbformat.v4 import new_code_cell, new_markdown_cell

CELLS = [
    new_markdown_cell(
        """# Your own data: from a CSV to pooled results, R and Stata

This notebook walks through what you do with data of your own: read the file, tell bayesmi
which columns are factors, let `bm.suggest` propose the imputation model for your analysis,
impute, check the chains and the imputations, pool the analysis, hand the imputations to R
and Stata, and impute new rows with the fitted run.

The file here is the popularity data of the multilevel tutorial (`popmis`: 2,000 pupils in
100 schools, popularity missing for 848) written as an export from a survey tool would give
it: school codes as text, sex as labels, missing scores as empty cells and a few as `.`. With
the full settings (m = 20 imputations) the notebook took 8 seconds on 2 cores (2026-12-06,
PyTensor's cache warm); `BAYESMI_NOTEBOOK_FAST=1` runs it with tiny settings."""
    ),
    new_code_cell(
        """import os
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

import bayesmi as bm

FAST = os.environ.get("BAYESMI_NOTEBOOK_FAST") == "1"
SETTINGS = (
    {"chains": 3, "iterations": 4, "seed": 2026}
    if FAST
    else {"chains": 20, "iterations": 20, "seed": 2026}
)
FIGURES = Path("figures")
FIGURES.mkdir(exist_ok=True)

# the file as an export gives it (in practice, your own file)
popmis = bm.datasets.load_popmis()
export = pd.DataFrame(
    {
        "school": popmis["school"].map("S{:03d}".format),
        "pupil": popmis["pupil"],
        "sex": popmis["sex"].map({0: "boy", 1: "girl"}),
        "texp": popmis["texp"],
        "popular": popmis["popular"].map(lambda v: "" if np.isnan(v) else f"{v:g}"),
    }
)
export.loc[export.index[[3, 40, 77]], "popular"] = "."  # system-missing, as SPSS writes it
export.to_csv("pupils.csv", index=False)
print(Path("pupils.csv").read_text().splitlines()[:4])"""
    ),
    new_markdown_cell(
        """## Read the file

`pd.read_csv` reads `popular` as text because of the three `.` cells. bayesmi refuses such a
column instead of imputing it as a factor of a few hundred categories, and says what to do."""
    ),
    new_code_cell(
        """raw = pd.read_csv("pupils.csv")
print(raw.dtypes.to_string())
spec = {"popular": bm.random_intercept("popular ~ sex + texp + (1 | school)")}
try:
    bm.impute(raw, spec, cluster="school", **SETTINGS)
except ValueError as error:
    print(f"\\nbayesmi: {error}")"""
    ),
    new_markdown_cell(
        """## Declare the factors, look at what is missing

The numbers become numbers, and `sex` a categorical whose first category is the reference
(as in R). `bm.missing_pattern` is mice's `md.pattern`; `bm.plot_missing` also shows which
schools miss what."""
    ),
    new_code_cell(
        """df = raw.assign(
    popular=pd.to_numeric(raw["popular"], errors="coerce"),
    sex=pd.Categorical(raw["sex"], categories=["boy", "girl"]),
)
print(bm.missing_pattern(df, cluster="school").patterns)
axes = bm.plot_missing(df, cluster="school")
axes[0].figure.savefig(FIGURES / "own_missing.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## Let `suggest` propose the model

`bm.suggest` reads the analysis you will run and proposes a model for every incomplete
variable in it, saying why, and notes how it reads each column."""
    ),
    new_code_cell(
        """analysis = "popular ~ sex + texp + (1 | school)"
spec = bm.suggest(df, analysis, cluster="school", verbose=False)
spec"""
    ),
    new_markdown_cell(
        """## Impute and check

m = 20 imputations: 20 chains, one kept draw each. The trace draws each chain in its colour
of a colour map (a colour bar numbers them) with the R-hat of the chain means in the titles;
the densities compare the imputed scores with the observed ones."""
    ),
    new_code_cell(
        """idata = bm.impute(df, spec, cluster="school", **SETTINGS)
print(bm.chain_mean_rhat(idata))
axes = bm.plot_trace(idata, "popular", parameters=["beta", "tau"])
axes[0].figure.savefig(FIGURES / "own_trace.png", dpi=90)
axes = bm.plot_imputed(idata, "popular")
axes[0].figure.savefig(FIGURES / "own_imputed.png", dpi=90)"""
    ),
    new_markdown_cell(
        """## Pool the analysis

The analysis is fitted to each completed data set and pooled by Rubin's rules (`bm.pool`),
its variance components as mitml pools them."""
    ),
    new_code_cell(
        """def fit(frame):
    return smf.mixedlm("popular ~ sex + texp", frame, groups="school").fit()


fits = bm.fit_each(idata, fit)
print(bm.pool(fits).round(3).to_string())
bm.pool_variance_components(fits).round(3)"""
    ),
    new_markdown_cell(
        """## Hand the imputations to R and Stata

`bm.to_mids_csv` writes mice's long format (in R: `imp <- mice::as.mids(read.csv(...))`),
`bm.to_stata` Stata's `mi import flong` layout, `bm.to_spss` SPSS's split by `Imputation_`
(with pyreadstat installed). Each file holds the incomplete data and the m completed ones."""
    ),
    new_code_cell(
        """bm.to_mids_csv(idata, "pupils_imputed.csv")
bm.to_stata(idata, "pupils_imputed.dta")
stata = pd.read_stata("pupils_imputed.dta")
print(f"Stata file: {stata['_mi_m'].nunique() - 1} imputations of {stata['_mi_id'].max()} pupils")
print("In Stata:  use pupils_imputed.dta, clear")
print("           drop _mi_miss")
print("           mi import flong, m(_mi_m) id(_mi_id) imputed(popular)")
print("           mi estimate: mixed popular i.sex texp || school:")
print('In R:      imp <- mice::as.mids(read.csv("pupils_imputed.csv", stringsAsFactors = TRUE))')"""
    ),
    new_markdown_cell(
        """## New pupils

New pupils arrive with their popularity not yet rated: `bm.impute_new` imputes them with the
fitted run, without refitting, one completed frame per imputation. A pupil of a school in the
data takes that school's effect; a pupil of a new school takes an effect drawn from the
schools' population, so the imputations of new-school pupils vary more."""
    ),
    new_code_cell(
        """new = df.sample(6, random_state=1).assign(popular=np.nan, pupil=range(901, 907))
new.loc[new.index[3:], "school"] = "S999"  # a school the fit did not see
frames = bm.impute_new(idata, new, seed=1)
values = np.array([frame["popular"].to_numpy() for frame in frames])
pd.DataFrame(
    {
        "school": new["school"].to_numpy(),
        "mean over the imputations": values.mean(axis=0).round(2),
        "SD over the imputations": values.std(axis=0).round(2),
    }
)"""
    ),
]


def main() -> None:
    write(CELLS, "own_data.ipynb")


if __name__ == "__main__":
    main()
