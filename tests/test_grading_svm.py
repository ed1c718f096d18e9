"""Grading the svm assignment end to end: reference, stubs, known bugs, through `grade-all`.

One class folder is graded once per test session (in parallel, as an instructor would), and
each test reads the results it needs.
"""
import csv
import json
import subprocess
import sys

import pytest

from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.results import validate

BUGS = load_known_bugs("svm")
SEED = 1234


def grade_all(root, out, seed=SEED):
    command = [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "svm",
               "--csv", str(out / "grades.csv"), "--results-dir", str(out / "results"), "--jobs", "2",
               "--seed", str(seed)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    copy_reference_lib(root / "reference")
    copy_stub_lib(root / "stubs")
    copy_reference_lib(root / "nbgrader-layout" / "svm")   # submitted/<id>/<assignment>/lib
    (root / "no-lib").mkdir()
    (root / "no-lib" / "notes.txt").write_text("forgot the code")
    for bug in BUGS:
        make_bug_submission(bug, root / f"bug-{bug.name}")
    out = tmp_path_factory.mktemp("out")
    return grade_all(root, out), out


def by_name(results):
    return {t["name"]: t for t in results["tests"]}


def test_the_reference_gets_full_marks(graded):
    results, _ = graded
    for student in ("reference", "nbgrader-layout"):
        r = results[student]
        failed = {t["name"]: t["output"] for t in r["tests"] if t["status"] != "passed"}
        assert failed == {}, f"{student}: {failed}"
        assert r["score"] == r["max_score"] > 0


def test_untouched_stubs_get_zero_with_a_not_implemented_message_per_check(graded):
    results, _ = graded
    r = results["stubs"]
    assert r["score"] == 0
    for t in r["tests"]:
        assert t["score"] == 0
        assert "Not implemented yet: Implement " in t["output"] and " in lib/" in t["output"], t


def test_a_folder_without_lib_gets_zero_saying_so(graded):
    results, _ = graded
    assert results["no-lib"]["score"] == 0
    assert all("No lib/ found" in t["output"] for t in results["no-lib"]["tests"])


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_each_known_bug_loses_points_on_the_check_labelled_to_catch_it(graded, bug):
    results, _ = graded
    tests = by_name(results[f"bug-{bug.name}"])
    assert bug.caught_by in tests, f"{bug.name}: no check named {bug.caught_by}; checks are {sorted(tests)}"
    caught = tests[bug.caught_by]
    assert caught["status"] == "failed" and caught["score"] < caught["max_score"], caught
    # The reference passes that very check, so the bug (not the check) made the difference.
    assert by_name(results["reference"])[bug.caught_by]["status"] == "passed"


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


def test_results_follow_the_gradescope_schema_and_record_seed_and_version(graded):
    results, _ = graded
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


def test_csv_has_one_row_per_student_and_one_column_per_check_in_results_order(graded):
    results, out = graded
    with open(out / "grades.csv") as f:
        rows = list(csv.reader(f))
    names = [t["name"] for t in results["reference"]["tests"]]
    assert rows[0] == ["student_id", "score", "max_score"] + names
    assert sorted(r[0] for r in rows[1:]) == sorted(results)
    row = {r[0]: r for r in rows[1:]}["reference"]
    assert float(row[1]) == results["reference"]["score"] and float(row[2]) == results["reference"]["max_score"]


def test_the_reference_gets_full_marks_whatever_the_hidden_seed(tmp_path):
    root = tmp_path / "class"
    for seed_student in ("a", "b"):
        copy_reference_lib(root / seed_student)
    for seed in (1, 987654321):
        results = grade_all(root, tmp_path / f"out{seed}", seed)
        assert all(r["score"] == r["max_score"] for r in results.values()), seed
