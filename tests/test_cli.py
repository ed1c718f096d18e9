"""The command-line contract: commands, exit codes, clear messages, results files."""
import json
import subprocess
import sys

import pytest

from autograder.instructor.reference import copy_reference_lib
from autograder.results import validate

# Every test here runs the `autograder` command line in a subprocess.
pytestmark = pytest.mark.slow


def autograder(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.mark.parametrize("args, message", [
    (("grade", "/nonexistent/folder", "--assignment", "svm"), "is not a folder"),
    (("grade", ".", "--assignment", "nope"), "Unknown assignment 'nope'; expected one of: svm, softmax"),
    (("grade-all", "/nonexistent/folder", "--assignment", "svm", "--csv", "g.csv"), "is not a folder"),
    (("grade-all", ".", "--assignment", "nope", "--csv", "g.csv"), "Unknown assignment"),
    (("grade-all", ".", "--assignment", "svm", "--csv", "g.csv", "--jobs", "0"), "--jobs must be at least 1"),
    (("check", "nope"), "Unknown assignment"),
    (("check", "svm", "--dir", "/nonexistent/folder"), "is not a folder"),
    (("grade",), "the following arguments are required"),
])
def test_unusable_arguments_exit_2_with_a_clear_message(args, message, tmp_path):
    completed = autograder(*args, cwd=tmp_path)
    assert completed.returncode == 2, completed
    assert message in completed.stderr


def test_check_without_lib_says_where_to_run_it(tmp_path):
    completed = autograder("check", "svm", "--dir", str(tmp_path))
    assert completed.returncode == 2
    assert "no lib/ folder in" in completed.stderr and "assignment folder" in completed.stderr


def test_grade_writes_results_json_and_prints_a_table(tmp_path):
    copy_reference_lib(tmp_path / "sub")
    out = tmp_path / "results.json"
    completed = autograder("grade", str(tmp_path / "sub"), "--assignment", "svm", "--out", str(out), "--seed", "7")
    assert completed.returncode == 0, completed.stderr
    data = json.loads(out.read_text())
    assert validate(data) == []
    assert data["score"] == data["max_score"] > 0
    assert data["extra_data"]["seed"] == 7 and data["extra_data"]["seed_source"] == "--seed"
    assert "svm_loss_naive_lecture_example" in completed.stdout and "total" in completed.stdout


def test_the_seed_comes_from_the_course_secret_or_is_fresh_and_always_recorded(tmp_path):
    copy_reference_lib(tmp_path / "sub")
    env = {k: v for k, v in __import__("os").environ.items() if k != "GRADLAB_SEED"}
    seeds = []
    for _ in range(2):
        out = tmp_path / "r.json"
        assert autograder("grade", str(tmp_path / "sub"), "--assignment", "svm", "--out", str(out),
                          "--quiet", env=env).returncode == 0
        data = json.loads(out.read_text())
        assert data["extra_data"]["seed_source"].startswith("fresh random")
        seeds.append(data["extra_data"]["seed"])
    assert seeds[0] != seeds[1]
    out = tmp_path / "secret.json"
    assert autograder("grade", str(tmp_path / "sub"), "--assignment", "svm", "--out", str(out), "--quiet",
                      env={**env, "GRADLAB_SEED": "424242"}).returncode == 0
    data = json.loads(out.read_text())
    assert data["extra_data"]["seed"] == 424242 and data["extra_data"]["seed_source"] == "course secret"


def test_check_runs_public_checks_only_and_exits_0_when_they_pass(tmp_path):
    copy_reference_lib(tmp_path)
    completed = autograder("check", "svm", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "svm_loss_naive_lecture_example" in completed.stdout
    assert "matches_reference" not in completed.stdout


def test_check_exits_1_on_the_stubs(tmp_path):
    from autograder.instructor.reference import copy_stub_lib
    copy_stub_lib(tmp_path)
    completed = autograder("check", "svm", "--dir", str(tmp_path))
    assert completed.returncode == 1
    assert "Not implemented yet: Implement svm_loss_naive in lib/linear_svm.py" in completed.stdout


def test_console_script_is_installed():
    completed = subprocess.run(["autograder", "--help"], capture_output=True, text=True)
    assert completed.returncode == 0 and "grade-all" in completed.stdout


def test_grade_all_resumes_and_force_regrades(tmp_path):
    copy_reference_lib(tmp_path / "class" / "ada")
    copy_reference_lib(tmp_path / "class" / "bob")
    args = ("grade-all", str(tmp_path / "class"), "--assignment", "svm", "--csv", str(tmp_path / "g.csv"),
            "--results-dir", str(tmp_path / "results"), "--seed", "5", "--jobs", "2")
    first = autograder(*args)
    assert first.returncode == 0 and "graded 2 students, kept 0 earlier results" in first.stdout
    again = autograder(*args)
    assert "graded 0 students, kept 2 earlier results" in again.stdout
    other_seed = autograder(*args[:-4], "--seed", "6", "--jobs", "2")
    assert "graded 2 students, kept 0 earlier results" in other_seed.stdout
    forced = autograder(*args, "--force")
    assert "graded 2 students, kept 0 earlier results" in forced.stdout and "slowest:" in forced.stdout


def test_a_student_the_grader_cannot_grade_gets_zeros_and_the_batch_goes_on(tmp_path, monkeypatch):
    from autograder.instructor import grade

    copy_reference_lib(tmp_path / "class" / "ada")
    copy_reference_lib(tmp_path / "class" / "bob")
    real = grade.grade_submission

    def failing_for_bob(folder, assignment, seed):
        if folder.name == "bob":
            raise RuntimeError("simulated grader failure")
        return real(folder, assignment, seed)

    monkeypatch.setattr(grade, "grade_submission", failing_for_bob)
    report = grade.grade_all(tmp_path / "class", "svm", tmp_path / "g.csv", seed=3, jobs=2,
                             results_dir=tmp_path / "results")
    assert report.results["ada"].score == report.results["ada"].max_score
    assert report.results["bob"].score == 0 and list(report.failed) == ["bob"]
    assert all("could not be graded: the grader failed (RuntimeError: simulated grader failure)" in t.output
               for t in report.results["bob"].tests)
    assert "could not grade bob" in report.summary()
    assert json.loads((tmp_path / "results" / "bob.json").read_text())["score"] == 0
