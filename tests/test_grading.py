"""Grading every assignment end to end: reference, stubs, known bugs, through `grade-all`.

Per assignment, one class folder is graded once per session (in parallel, as an instructor would;
conftest's `graded_class`), and each test reads the results it needs. The svm-specific tests at
the end pin the feedback texts.
"""
import ast
import csv
import json
import re
import subprocess
import sys

import pytest

from autograder.course import ASSIGNMENTS
from autograder.instructor.known_bugs import load_known_bugs
from autograder.instructor.reference import copy_reference_lib
from autograder.results import validate
from conftest import CLASS_SEED

# Assignments whose checks exist; the others are listed in course.py ahead of their checks.
GRADED = [a.name for a in ASSIGNMENTS if a.checks_file.is_file()]
BUGS = [bug for name in GRADED for bug in load_known_bugs(name)]
SEED = CLASS_SEED


def grade_all(root, out, seed=SEED, assignment="svm"):
    command = [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", assignment,
               "--csv", str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2",
               "--seed", str(seed)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


@pytest.fixture(params=GRADED)
def graded_any(request, graded_class):
    return graded_class(request.param)


@pytest.fixture
def graded(graded_class):
    return graded_class("svm")


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


def test_the_reference_gets_full_marks(graded_any):
    results, _ = graded_any
    for student in ("reference", "nbgrader-layout"):
        r = results[student]
        failed = {t["name"]: t["output"] for t in r["tests"] if t["status"] != "passed"}
        assert failed == {}, f"{student}: {failed}"
        assert r["score"] == r["max_score"] > 0


def test_untouched_stubs_get_zero_with_a_not_implemented_message_per_check(graded_any):
    results, _ = graded_any
    r = results["stubs"]
    assert r["score"] == 0
    for t in r["tests"]:
        assert t["score"] == 0
        assert "Not implemented yet: Implement " in t["output"] and " in lib/" in t["output"], t


def test_a_folder_without_lib_gets_zero_saying_so(graded_any):
    results, _ = graded_any
    assert results["no-lib"]["score"] == 0
    assert all("No lib/ found" in t["output"] for t in results["no-lib"]["tests"])


@pytest.mark.parametrize("bug", BUGS, ids=[f"{b.assignment}-{b.name}" for b in BUGS])
def test_each_known_bug_loses_points_on_the_check_labelled_to_catch_it(graded_class, bug):
    results, _ = graded_class(bug.assignment)
    tests = by_name(results[f"bug-{bug.name}"])
    assert bug.caught_by in tests, f"{bug.name}: no check named {bug.caught_by}; checks are {sorted(tests)}"
    caught = tests[bug.caught_by]
    assert caught["status"] == "failed" and caught["score"] < caught["max_score"], caught
    # The reference passes that very check, so the bug (not the check) made the difference.
    assert by_name(results["reference"])[bug.caught_by]["status"] == "passed"


SHAPE = re.compile(r"\((\d+(, \d+)*,?)?\)")   # (3, 3), (6,), () for a scalar


@pytest.mark.parametrize("bug", BUGS, ids=[f"{b.assignment}-{b.name}" for b in BUGS])
def test_each_known_bug_gets_feedback_that_explains_it(graded_class, bug):
    """The labelled check's message is what a student who made this mistake reads: it names the
    function; a failed comparison says what was compared, on which shapes, and by how much; and a
    "Hint:" line says what the bug file's author wrote the mistake needs (its `hint:` words)."""
    results, _ = graded_class(bug.assignment)
    message = by_name(results[f"bug-{bug.name}"])[bug.caught_by]["output"]
    assert any(name in message for name in changed_names(bug)), (changed_names(bug), message)
    if "does not match" in message or "gradient check failed" in message:
        assert SHAPE.search(message), f"no shape in: {message}"
        assert "relative error" in message or "max |difference| / max |value|" in message, message
    hints = [line[len("Hint: "):] for line in message.splitlines() if line.startswith("Hint: ")]
    assert any(bug.hint in hint for hint in hints), f"expected a hint with {bug.hint!r} in: {message}"


# A graph of scalar Values has no array shape: its size is its number of nodes.
SIZE = re.compile(SHAPE.pattern + r"|\(\d+ nodes\)")


def test_every_failed_comparison_says_on_what_and_by_how_much(graded_any):
    """Not only the labelled check: every check that fails by comparing numbers, for every bug,
    names the shapes it compared on and the error against its tolerance."""
    results, _ = graded_any
    for student, r in results.items():
        for t in r["tests"]:
            message = t["output"]
            if t["status"] == "failed" and ("does not match" in message or "gradient check failed" in message):
                assert SIZE.search(message), (student, t["name"], message)
                assert "relative error" in message or "max |difference| / max |value|" in message, (student, message)
                assert "tolerance" in message, (student, message)


def test_passing_checks_say_what_they_verified(graded_any):
    results, _ = graded_any
    for t in results["reference"]["tests"]:
        assert t["output"].startswith("Verified: ") and len(t["output"]) > len("Verified: ") + 20, t


def changed_names(bug):
    """Public functions a bug snippet defines, and Class/method names it assigns (Value.__mul__ = _mul)."""
    names = set()
    for node in ast.parse(bug.code).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {part for t in node.targets if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                      for part in (t.attr, t.value.id)}
    return names


def test_hints_point_at_known_mistakes(graded):
    results, _ = graded
    factor = by_name(results["bug-naive_reg_grad_factor"])["svm_loss_naive_regularization"]["output"]
    assert "factor 2 is missing" in factor
    looped = by_name(results["bug-vectorized_with_loop"])["svm_loss_vectorized_loop_free"]["output"]
    assert "a for loop in svm_loss_naive (lib/linear_svm.py line" in looped
    mutated = by_name(results["bug-reverses_inputs_in_place"])["svm_loss_inputs_unchanged"]["output"]
    assert "modified its inputs X, y" in mutated
    sign = by_name(results["bug-vectorized_grad_sign_flipped"])["svm_loss_vectorized_matches_reference"]["output"]
    assert "wrong sign" in sign and "max |difference| / max |value|" in sign and "W (" in sign


def test_results_follow_the_gradescope_schema_and_record_seed_and_version(graded_any):
    results, _ = graded_any
    for student, r in results.items():
        assert validate(r) == [], student
        assert r["extra_data"]["seed"] == SEED
        assert r["extra_data"]["grader_version"]
        assert abs(r["score"] - sum(t["score"] for t in r["tests"])) < 1e-9


def test_hidden_checks_are_marked_hidden_until_the_due_date(graded):
    results, _ = graded
    visibility = {t["name"]: t["visibility"] for t in results["reference"]["tests"]}
    assert visibility["svm_loss_naive_lecture_example"] == "visible"
    assert visibility["svm_loss_naive_matches_reference"] == "after_due_date"


def test_csv_has_one_row_per_student_and_one_column_per_check_in_results_order(graded_any):
    results, out = graded_any
    with open(out / "grades.csv") as f:
        rows = list(csv.reader(f))
    names = [t["name"] for t in results["reference"]["tests"]]
    assert rows[0] == ["student_id", "score", "max_score"] + names
    assert sorted(r[0] for r in rows[1:]) == sorted(results)
    row = {r[0]: r for r in rows[1:]}["reference"]
    assert float(row[1]) == results["reference"]["score"] and float(row[2]) == results["reference"]["max_score"]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", GRADED)
def test_the_reference_gets_full_marks_whatever_the_hidden_seed(tmp_path, assignment):
    root = tmp_path / "class"
    for seed_student in ("a", "b"):
        copy_reference_lib(root / seed_student)
    for seed in (1, 987654321):
        results = grade_all(root, tmp_path / f"out{seed}", seed, assignment)
        assert all(r["score"] == r["max_score"] for r in results.values()), (seed, results)


def test_every_assignment_has_known_bugs_for_its_checks():
    for name in GRADED:
        assert len(load_known_bugs(name)) >= 6, name
