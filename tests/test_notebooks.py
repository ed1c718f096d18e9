"""Every released notebook runs top to bottom (fast mode) with the reference as its lib/.

The runs are conftest's `reference_runs`, made once per session and also read by
tests/test_student_seat.py (figures, progress bars, the last cell's self-check).
"""
import pytest

from conftest import NOTEBOOKS

# Notebooks in a kernel.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment, notebook", NOTEBOOKS, ids=[f"{a}/{nb}" for a, nb in NOTEBOOKS])
def test_released_notebook_runs_top_to_bottom_in_fast_mode(reference_runs, assignment, notebook):
    _, nb, _ = reference_runs[assignment, notebook]
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows no figure"
