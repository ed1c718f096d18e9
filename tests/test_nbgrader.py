"""The real nbgrader CLI on this course, in a temporary course folder: generate_assignment →
submissions → autograde → generate_feedback → export, with simulated students."""
import csv
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission
from autograder.instructor.nbgrader_glue import SCORE_CELL_ID
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.release import audit_release
from conftest import ROOT

# The real nbgrader command line, in subprocesses.
pytestmark = pytest.mark.slow

SEED = "20261127"
ENV = {**os.environ, "GRADLAB_SEED": SEED}


def nbgrader(course, *args):
    completed = subprocess.run(["nbgrader", *args], cwd=course, capture_output=True, text=True, env=ENV, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


def tamper_with_notebook(path, delete_score_cell=False):
    """A student who edits the score cell to claim full marks (or deletes it) and adds a grade
    cell of their own."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == SCORE_CELL_ID:
            cell.source = "print(1000)"
            cell.metadata["nbgrader"]["points"] = 1000
    if delete_score_cell:
        notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != SCORE_CELL_ID]
    notebook.cells.append(nbformat.v4.new_code_cell("1000", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": False, "points": 1000, "grade_id": "free_points",
        "schema_version": 3}}))
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    nbgrader(course, "generate_assignment", "svm", "--force")
    release = course / "release" / "svm"
    bugs = {b.name: b for b in load_known_bugs("svm")}
    students = {
        "correct": lambda d: copy_reference_lib(d),
        "partly_wrong": lambda d: make_bug_submission(bugs["naive_reg_grad_factor"], d),
        "untouched": lambda d: None,
        "crashing": lambda d: (copy_reference_lib(d),
                               (d / "lib" / "linear_svm.py").write_text("import os\nos._exit(3)\n")),
        "tampering": lambda d: ((d / "lib" / "linear_svm.py").write_text(
                                    (d / "lib" / "linear_svm.py").read_text()
                                    + "\nnp.allclose = lambda *a, **k: True\n"),
                                tamper_with_notebook(d / "svm.ipynb")),
        "deleting": lambda d: (copy_reference_lib(d), tamper_with_notebook(d / "svm.ipynb", delete_score_cell=True)),
    }
    for student, make in students.items():
        folder = course / "submitted" / student / "svm"
        shutil.copytree(release, folder)
        make(folder)
    nbgrader(course, "autograde", "svm")
    nbgrader(course, "generate_feedback", "svm")
    nbgrader(course, "export")
    return course, list(students)


def autograder_score(folder):
    out = folder.parent / f"{folder.parent.name}-direct.json"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--assignment", "svm",
                    "--seed", SEED, "--out", str(out), "--quiet"], check=True, cwd=ROOT)
    return json.loads(out.read_text())


def test_generate_assignment_builds_the_release_with_the_one_builder(course):
    course, _ = course
    release = course / "release" / "svm"
    assert audit_release(release, "svm") == []
    assert (release / "lib" / "linear_svm.py").read_text() == (ROOT / "lib" / "linear_svm.py").read_text()
    assert (release / "autograder" / "checks" / "svm.py").is_file() and not (release / "solutions").exists()
    notebook = nbformat.read(release / "svm.ipynb", as_version=4)
    score = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == SCORE_CELL_ID]
    reference = autograder_score_of_reference(course)
    assert len(score) == 1 and score[0].metadata.nbgrader.points == reference["max_score"]
    answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and all("YOUR ANSWER HERE" in c.source for c in answers)


def autograder_score_of_reference(course):
    folder = course / "reference-check" / "svm"
    if not folder.exists():
        copy_reference_lib(folder)
    return autograder_score(folder)


def test_gradebook_auto_points_are_the_sandboxed_graders_score_for_every_student(course):
    from nbgrader.api import Gradebook

    course, students = course
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission("svm", student)
            direct = autograder_score(course / "submitted" / student / "svm")
            assert submission.code_score == pytest.approx(direct["score"]), student
            grade = gradebook.find_grade(SCORE_CELL_ID, "svm", "svm", student)
            assert grade.max_score == direct["max_score"]
            assert not any(g.name == "free_points" for g in submission.notebooks[0].grades)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission("svm", s).code_score for s in students}
    assert scores["correct"] == autograder_score_of_reference(course)["max_score"]
    assert 0 < scores["partly_wrong"] < scores["correct"]
    assert scores["untouched"] == scores["crashing"] == scores["tampering"] == 0
    assert scores["deleting"] == scores["correct"]


def test_feedback_shows_each_checks_score_and_message_but_no_check_code(course):
    course, _ = course
    html = (course / "feedback" / "partly_wrong" / "svm" / "svm.html").read_text()
    assert "svm_loss_naive_regularization" in html and "the factor 2 is missing" in html
    assert "svm_loss_naive_matches_reference" in html
    for secret in ("def test_", "svm_variant", "KNOWN_MISTAKES", "BEGIN HIDDEN TESTS"):
        assert secret not in html


def test_export_rows_carry_the_auto_graded_points(course):
    course, students = course
    with open(course / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == sorted(students)
    for student in students:
        direct = autograder_score(course / "submitted" / student / "svm")
        # The inline questions are manually graded and still ungraded here: they add max points only.
        assert float(rows[student]["raw_score"]) == pytest.approx(direct["score"])
        assert float(rows[student]["max_score"]) > direct["max_score"]


# -- SandboxedScore on its own: a staller or a grader failure scores 0, and autograde goes on ------

def score_cell_outputs(folder, timeout):
    """(stdout text, score text, seconds) of the score cell after SandboxedScore graded `folder`."""
    import time

    from autograder.instructor.nbgrader_glue import SandboxedScore, score_cell

    notebook = nbformat.v4.new_notebook(cells=[score_cell("svm")])
    resources = {"nbgrader": {"assignment": "svm", "notebook": "svm"}, "metadata": {"path": str(folder)}}
    start = time.monotonic()
    notebook, _ = SandboxedScore(timeout=timeout).preprocess(notebook, resources)
    seconds = time.monotonic() - start
    stdout, result = notebook.cells[0].outputs
    return stdout["text"], result["data"]["text/plain"], seconds


def test_a_submission_that_stalls_the_grader_scores_zero_with_the_reason_within_the_timeout(tmp_path):
    copy_reference_lib(tmp_path / "svm")
    module = tmp_path / "svm" / "lib" / "linear_svm.py"
    module.write_text(module.read_text() + "\nimport time\nwhile True:\n    time.sleep(1)\n")
    text, score, seconds = score_cell_outputs(tmp_path / "svm", timeout=6)
    assert score == "0.0" and "took longer than its limit of 6 s" in text
    assert seconds < 6 + 10, seconds


def test_a_grader_failure_scores_zero_with_the_reason_instead_of_stopping_autograde(tmp_path):
    text, score, _ = score_cell_outputs(tmp_path / "no-such-folder", timeout=60)
    assert score == "0.0" and "the grader stopped with an error (exit status 2)" in text
    assert "Traceback" not in text


def test_an_honest_submission_scores_full_marks_through_the_preprocessor(tmp_path):
    copy_reference_lib(tmp_path / "svm")
    text, score, _ = score_cell_outputs(tmp_path / "svm", timeout=300)
    reference = autograder_score(tmp_path / "svm")
    assert float(score) == reference["score"] == reference["max_score"], text
