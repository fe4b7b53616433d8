"""The notebooks in ``notebooks/`` run top to bottom in a fresh kernel on the shipped data.

Each notebook is executed with nbclient in a new ``python3`` kernel whose
working folder is ``notebooks/`` (as when opened in Jupyter). The kernel must
be this interpreter's: ipykernel's own kernel spec starts ``python``, which
jupyter_client replaces by ``sys.executable``; a user-level ``python3`` spec
pointing elsewhere is caught by :func:`test_kernel_is_this_python`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT_S = 600


def execute(nb):
    """Run a notebook in a fresh kernel with cwd = notebooks/; raise on the first failing cell."""
    client = nbclient.NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return nb


def errors(nb) -> list[str]:
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_kernel_is_this_python():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys; print(sys.executable)")]
    out = execute(nb).cells[0].outputs[0]["text"].strip()
    assert os.path.realpath(out) == os.path.realpath(sys.executable), (
        f"the {KERNEL!r} kernel runs {out}, not {sys.executable}; "
        f"install ipykernel into this environment")


@pytest.mark.parametrize("name", ["01_population_assumptions.ipynb", "02_plan_and_compare.ipynb"])
def test_notebook_runs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert errors(execute(nb)) == []


@pytest.mark.parametrize("name", ["01_population_assumptions.ipynb", "02_plan_and_compare.ipynb"])
def test_notebook_committed_without_outputs(name):
    """No hidden state in the repository: outputs and execution counts are cleared."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
