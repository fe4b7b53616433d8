"""notebooks/03_uncertainty.ipynb runs top to bottom in a fresh kernel (nbclient).

The fast test overrides the notebook's parameter cell through environment
variables (CAPACITY_NOTEBOOK_SCENARIO etc.) to run it on the tiny city; the
slow one runs it as committed, on Kunming (kindergartens, a few draws).
"""

import os
from pathlib import Path

import nbformat
import pytest

from capacity.testing import tiny_ensemble_scenario, write_tiny_city

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "03_uncertainty.ipynb"

TINY = tiny_ensemble_scenario({"kindergarten": 2})


def execute(env: dict, timeout: int):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def text_of(nb) -> str:
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_notebook_on_the_tiny_city(tmp_path):
    write_tiny_city(tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    nb = execute({"CAPACITY_NOTEBOOK_SCENARIO": str(tmp_path / "tiny.toml"), "CAPACITY_NOTEBOOK_DRAWS": "3",
                  "CAPACITY_NOTEBOOK_FIT_DRAWS": "1", "CAPACITY_NOTEBOOK_RUNNER": "serial"}, timeout=300)
    text = text_of(nb)
    assert "site_id" in text and "baseline" in text and "robust" in text
    assert any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", []))
    assert not list(NOTEBOOK.parent.glob("*.png"))


@pytest.mark.slow
def test_notebook_on_kunming():
    nb = execute({}, timeout=1800)
    assert "site_id" in text_of(nb)
