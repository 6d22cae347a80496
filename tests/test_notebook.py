"""The tutorial notebooks run top to bottom (fast settings) from a copy of notebooks/ alone."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "tutorial.ipynb"
SURVIVAL = NOTEBOOK.with_name("survival.ipynb")


def execute(path: Path, tmp_path: Path, monkeypatch) -> tuple:
    """Execute a notebook with fast settings in an empty directory; return it and that directory.

    Its code cells may not filter warnings or hide the progress bars.
    """
    monkeypatch.setenv("BAYESMI_NOTEBOOK_FAST", "1")
    notebook = nbformat.read(path, as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert not [source for source in sources if "simplefilter" in source or "filterwarn" in source]
    assert not [source for source in sources if "progressbar=False" in source]
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": workdir}}
    )
    client.execute(env=os.environ | {"BAYESMI_NOTEBOOK_FAST": "1"})
    return notebook, workdir


def printed(notebook) -> list[str]:
    """Every code cell output's text: printed, or a value's plain-text form."""
    return [
        output.get("data", {}).get("text/plain", "") + output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]


def test_tutorial_notebook_executes_and_saves_figures(tmp_path, monkeypatch):
    """Executed in an empty directory outside the repository, with the installed package
    only (the R reference numbers ship inside it), and no warning filter in any cell."""
    notebook, workdir = execute(NOTEBOOK, tmp_path, monkeypatch)
    figures = sorted(path.name for path in (workdir / "figures").iterdir())
    assert figures == [
        "imputed_step3.png",
        "missing.png",
        "tipping_popular.png",
        "tipping_rho.png",
        "trace_heckman.png",
        "trace_heckman_rho.png",
        "trace_step0.png",
        "trace_step1.png",
        "trace_step2.png",
        "trace_step3.png",
    ]
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    assert any("largest distance to R's pooled fixed effects per step" in text for text in outputs)


def test_survival_notebook_executes_and_saves_figures(tmp_path, monkeypatch):
    """The second tutorial (a time to event, notebooks/make_survival.py) runs top to bottom in an
    empty directory with fast settings, and prints the table of pooled log hazard ratios."""
    notebook, workdir = execute(SURVIVAL, tmp_path, monkeypatch)
    figures = sorted(path.name for path in (workdir / "figures").iterdir())
    assert figures == [
        "survival_hazard_ratios.png",
        "survival_imputed_x.png",
        "survival_trace_x.png",
    ]
    outputs = printed(notebook)
    assert any("mice's approximation" in text and "compatible" in text for text in outputs)


def test_longitudinal_notebook_executes_and_saves_figures(tmp_path, monkeypatch):
    """The third tutorial (a trial with dropout, notebooks/make_longitudinal.py) runs top to
    bottom with fast settings and prints the treatment effects beside LOCF's."""
    notebook, workdir = execute(NOTEBOOK.with_name("longitudinal.ipynb"), tmp_path, monkeypatch)
    figures = sorted(path.name for path in (workdir / "figures").iterdir())
    assert figures == [
        "longitudinal_dropout.png",
        "longitudinal_effects.png",
        "longitudinal_trajectories.png",
    ]
    outputs = printed(notebook)
    assert any("LOCF" in text and "multiple imputation (AR(1))" in text for text in outputs)


def test_own_data_notebook_executes_and_exports(tmp_path, monkeypatch):
    """The fourth notebook (a CSV of one's own, notebooks/make_own_data.py) runs top to bottom:
    bayesmi's advice on the stray '.', the pooled table, the Stata and R files, new pupils."""
    notebook, workdir = execute(NOTEBOOK.with_name("own_data.ipynb"), tmp_path, monkeypatch)
    figures = sorted(path.name for path in (workdir / "figures").iterdir())
    assert figures == ["own_imputed.png", "own_missing.png", "own_trace.png"]
    assert (workdir / "pupils_imputed.dta").exists()
    assert (workdir / "pupils_imputed.csv").exists()
    outputs = printed(notebook)
    assert any("Or, if it holds numbers" in text and "errors='coerce'" in text for text in outputs)
    assert any("mi import flong, m(_mi_m) id(_mi_id)" in text for text in outputs)
    assert any("S999" in text and "SD over the imputations" in text for text in outputs)
