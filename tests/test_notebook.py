"""The tutorial notebook runs top to bottom (fast settings) and saves its figures."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "tutorial.ipynb"


def test_tutorial_notebook_executes_and_saves_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESMI_NOTEBOOK_FAST", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workdir = tmp_path / "notebooks"
    workdir.mkdir()
    (tmp_path / "tests" / "data").mkdir(parents=True)
    source = NOTEBOOK.parents[1] / "tests" / "data" / "tutorial.json"
    (tmp_path / "tests" / "data" / "tutorial.json").write_text(source.read_text())
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": workdir}}
    )
    client.execute(env=os.environ | {"BAYESMI_NOTEBOOK_FAST": "1"})
    figures = sorted(path.name for path in (workdir / "figures").iterdir())
    assert figures == [
        "imputed_step3.png",
        "missing.png",
        "tipping_popular.png",
        "tipping_rho.png",
        "trace_heckman.png",
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
