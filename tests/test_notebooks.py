"""The notebooks: each .ipynb executes top to bottom in a Jupyter kernel (nbclient; its time,
limit two minutes, is measured by benchmarks/bench_demo_notebooks.py, not asserted), ends with
cells that assert its headline numbers, carries no outputs, and is in step with its `# %%`
script (jupytext pairing, declared in notebooks/jupytext.toml)."""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = {
    "01_reproduce_recall_profile",
    "02_programme_needs_gap",
    "03_review_strategies",
    "04_caseload_priorities",
    "05_policy_sweeps",
}
#: A hang guard per cell, not a timing check (benchmarks/bench_demo_notebooks.py times them).
CELL_TIMEOUT_S = 600


def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_expected_notebooks_present():
    names = {p.stem for p in NOTEBOOKS}
    assert EXPECTED <= names
    assert names == {p.stem for p in (ROOT / "notebooks").glob("*.py")}, "every .ipynb is paired"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs(path):
    """Outputs are not committed: they would be stale the moment the code changes, bloat diffs,
    and the test below regenerates them anyway."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs; clear them"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_pair_in_step(path):
    ipynb = nbformat.read(path, as_version=4)
    script = jupytext.read(path.with_suffix(".py"))
    assert _cells(ipynb) == _cells(script), (
        f"{path.name} and {path.with_suffix('.py').name} differ: run "
        "`jupytext --sync notebooks/*.py` (or notebooks/*.ipynb, whichever you edited)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_ends_with_assertions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert "assert " in code[-1], f"{path.name}: the last code cell must assert headline numbers"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    """Run in a real kernel; a failing assertion cell raises CellExecutionError here."""
    # The kernel is a subprocess: make it import this checkout's toolkit even without an install.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    printed = "".join(o.get("text", "") for o in last.outputs if o.output_type == "stream")
    assert "all checks passed" in printed
    # Figures show inline: at least one image output in every notebook.
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert images, f"{path.name} shows no figure inline"
