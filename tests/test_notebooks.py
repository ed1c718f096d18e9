"""Every released notebook runs top to bottom (fast mode) with the reference as its lib/."""
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.release import build_release
from conftest import ROOT

NOTEBOOKS = [(a.name, nb) for a in ASSIGNMENTS for nb in a.notebooks
             if (ROOT / "assignments" / a.name / nb).is_file()]


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """{assignment: release folder with the reference copied into lib/}."""
    built = {}
    for name in sorted({name for name, _ in NOTEBOOKS}):
        folder = build_release(name, tmp_path_factory.mktemp("release") / name)
        copy_reference_lib(folder)
        built[name] = folder
    return built


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=[f"{a}/{nb}" for a, nb in NOTEBOOKS])
def test_released_notebook_runs_top_to_bottom_in_fast_mode(releases, assignment, notebook, monkeypatch, tmp_path):
    monkeypatch.setenv("GRADLAB_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    folder = tmp_path / assignment
    shutil.copytree(releases[assignment], folder)
    nb = nbformat.read(folder / notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows no figure"
