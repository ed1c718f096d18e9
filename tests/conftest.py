"""Shared fixtures for the maintainer tests.

The course root is put on sys.path so that tests can `import solutions.x` (the reference) and
build submissions from it; `lib/` is never imported here (it holds stubs).

Two tiers: `pytest -m "not slow"` is the maintainer's loop (every assignment's reference, stubs
and known bugs graded in this process, the solutions' own tests, the sandbox); `pytest` adds the
tests marked `slow` (subprocesses, notebooks, nbgrader, the browser, wheel installs, attack
batches). Work that several tests need (a graded class, the releases, the reference notebook
runs) is done once per session by the fixtures below.
"""
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.course import ASSIGNMENTS
from autograder.instructor.grade import grade_all
from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.instructor.release import build_release

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The hidden-input seed of the sample classes that `graded_class` grades.
CLASS_SEED = 1234

NOTEBOOKS = [(a.name, nb) for a in ASSIGNMENTS for nb in a.notebooks
             if (ROOT / "assignments" / a.name / nb).is_file()]


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory):
    """graded_class(name) -> ({student id: results dict as in <id>.json}, output folder holding
    grades.csv and results/) for a class of sample submissions of assignment `name`: the
    reference, the untouched stubs, the reference in nbgrader's layout, a folder without lib/ and
    one submission per known bug. Each assignment's class is graded once per session, in this
    process, by the same `grade_all` that `autograder grade-all` runs, with CLASS_SEED."""
    cache = {}

    def grade(name):
        if name not in cache:
            cache[name] = grade_sample_class(name, tmp_path_factory)
        return cache[name]
    return grade


def grade_sample_class(name, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"class-{name}")
    copy_reference_lib(root / "reference")
    copy_stub_lib(root / "stubs")
    copy_reference_lib(root / "nbgrader-layout" / name)   # submitted/<id>/<assignment>/lib
    (root / "no-lib").mkdir()
    (root / "no-lib" / "notes.txt").write_text("forgot the code")
    for bug in load_known_bugs(name):
        make_bug_submission(bug, root / f"bug-{bug.name}")
    out = tmp_path_factory.mktemp(f"out-{name}")
    grade_all(root, name, out / "grades.csv", CLASS_SEED, jobs=2, results_dir=out / "results")
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}, out


# -- releases and notebook runs --------------------------------------------------------------------

@pytest.fixture(scope="session")
def releases(tmp_path_factory):
    """{assignment: its student release, stubs untouched} (never modified by a test: copy it)."""
    base = tmp_path_factory.mktemp("releases")
    return {name: build_release(name, base / name) for name in sorted({name for name, _ in NOTEBOOKS})}


def copy_release(releases, name, dest, reference=False):
    folder = Path(dest) / name
    shutil.copytree(releases[name], folder)
    if reference:
        copy_reference_lib(folder)
    return folder


def execute(notebook, folder, allow_errors=False, timeout=600):
    """Run `notebook` (a NotebookNode) in a kernel whose working directory is `folder`, in fast mode."""
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}})
    saved = {k: os.environ.get(k) for k in ("GRADLAB_FAST", "MPLBACKEND")}
    os.environ.update(GRADLAB_FAST="1", MPLBACKEND="Agg")
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


# The recorder: injected first into a notebook run, it notes the title and labels of every figure
# the kernel renders (matplotlib's print_figure), and a last cell prints them as JSON.
RECORDER = textwrap.dedent("""
    from matplotlib.backend_bases import FigureCanvasBase as _GradlabCanvas

    _gradlab_figures = []
    _gradlab_print_figure = _GradlabCanvas.print_figure

    def _gradlab_text(artist):
        return artist.get_text().strip() if artist is not None else ""

    def _gradlab_record(self, *args, **kwargs):
        figure = self.figure
        _gradlab_figures.append({
            "title": _gradlab_text(figure._suptitle), "xlabel": _gradlab_text(figure._supxlabel),
            "ylabel": _gradlab_text(figure._supylabel),
            "axes": [{"title": " ".join(ax.get_title(loc) for loc in ("left", "center", "right")).strip(),
                      "xlabel": ax.get_xlabel().strip(), "ylabel": ax.get_ylabel().strip(),
                      "axis_on": ax.axison and ax.get_visible(), "colorbar": hasattr(ax, "_colorbar")}
                     for ax in figure.axes]})
        return _gradlab_print_figure(self, *args, **kwargs)

    _GradlabCanvas.print_figure = _gradlab_record
""")
REPORT = "import json as _gradlab_json\nprint(_gradlab_json.dumps(_gradlab_figures))"
RECORDER_IDS = ("gradlab-test-recorder", "gradlab-test-report")


def execute_recording_figures(nb, folder, allow_errors=False):
    """Run `nb` with the recorder; → (the notebook without the recorder cells, figures)."""
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER, id=RECORDER_IDS[0]))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT, id=RECORDER_IDS[1]))
    execute(nb, folder, allow_errors=allow_errors)
    figures = json.loads("".join(o.text for o in nb.cells[-1].outputs if o.output_type == "stream"))
    nb.cells = [c for c in nb.cells if c.get("id") not in RECORDER_IDS]
    return nb, figures


@pytest.fixture(scope="session")
def reference_runs(releases, tmp_path_factory):
    """{(assignment, notebook): (folder, executed notebook, figures)}: each notebook once, fast
    mode, on a release whose lib/ is the reference; tests/test_notebooks.py and
    tests/test_student_seat.py read the same runs."""
    runs = {}
    for name, notebook in NOTEBOOKS:
        folder = copy_release(releases, name, tmp_path_factory.mktemp("reference"), reference=True)
        nb, figures = execute_recording_figures(nbformat.read(folder / notebook, as_version=4), folder)
        runs[name, notebook] = folder, nb, figures
    return runs
