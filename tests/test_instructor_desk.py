"""The instructor's desk: answer keys, regrades, class analytics and the grading policy page.

One svm class (the reference, the untouched stubs, a folder without lib/ and a few known bugs) is
graded once with the real `grade-all`; the regrade and analytics tests start from copies of its
results. Expected numbers are computed here from the results JSON, independently of the code
under test.
"""
import ast
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from autograder.checks.common import tolerance
from autograder.course import ASSIGNMENTS, assignment as find_assignment
from autograder.instructor.analytics import analyse, normalise
from autograder.instructor.answer_key import audit_answer_key
from autograder.instructor.grade import grade_submission
from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib
from autograder.instructor.release import student_checks
from autograder.instructor.stubs import make_stub, strip_markers
from autograder.markers import BEGIN_HIDDEN, END_HIDDEN, regions
from autograder.results import Results, TestResult as CheckResult
from autograder.sandbox.proxy import Limits
from conftest import ROOT

SEED = 4321
SVM_BUGS = ("naive_reg_grad_factor", "naive_reg_grad_missing", "vectorized_with_loop",
            "vectorized_grad_sign_flipped")
CHECKED = [a.name for a in ASSIGNMENTS if a.checks_file.is_file()]


def autograder(*args, cwd=ROOT, env=None, timeout=900):
    """`python -m autograder ARGS` with stdin not a terminal (as in CI and cron jobs)."""
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def read_results(folder):
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def graded_svm_class(tmp_path_factory):
    """(class folder, results folder) of an svm class graded by `grade-all` with SEED."""
    root = tmp_path_factory.mktemp("class")
    copy_reference_lib(root / "reference")
    copy_stub_lib(root / "stubs")
    (root / "no-lib").mkdir()
    bugs = {bug.name: bug for bug in load_known_bugs("svm")}
    for name in SVM_BUGS:
        make_bug_submission(bugs[name], root / f"bug-{name}")
    out = tmp_path_factory.mktemp("graded")
    completed = autograder("grade-all", str(root), "--assignment", "svm", "--csv", str(out / "grades.csv"),
                           "--results-dir", str(out / "results"), "--seed", str(SEED), "--jobs", "2")
    assert completed.returncode == 0, completed.stderr
    return root, out / "results"


# -- answer key -------------------------------------------------------------------------------

ANSWER_KEYS = ["svm", "optimization"]   # optimization: its release hands out a delegating helper


@pytest.fixture(scope="module", params=ANSWER_KEYS)
def answer_key(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp("answer-key")
    completed = autograder("answer-key", name, "--out", str(out), "--fast")
    assert completed.returncode == 0, completed.stderr
    assert f"answer key of {name} written to" in completed.stdout
    return find_assignment(name), out / name


def hidden_check_names(assignment):
    """`test_x` names defined in the hidden region of the assignment's checks module."""
    lines = assignment.checks_file.read_text().splitlines()
    names = set()
    for first, last in regions(lines, BEGIN_HIDDEN, END_HIDDEN):
        names.update(re.findall(r"^def (test_\w+)", "\n".join(lines[first:last]), re.MULTILINE))
    return names


@pytest.mark.slow
def test_answer_key_contains_no_hidden_check(answer_key):
    assignment, key = answer_key
    hidden = hidden_check_names(assignment)
    assert hidden, "the assignment has hidden checks, so this test means something"
    assert not (key / "solutions").exists() and not (key / "autograder" / "instructor").exists()
    assert (key / "autograder" / "checks" / f"{assignment.name}.py").read_text() == student_checks(assignment)
    for path in key.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".ini"):
            text = path.read_text()
            lines = {line.strip().strip('",') for line in text.splitlines()}  # notebook JSON lines too
            assert not lines & {"### BEGIN HIDDEN TESTS", "### BEGIN SOLUTION", "### END SOLUTION"}, path
            leaked = {name for name in hidden if name in text or name[len("test_"):] in text}
            assert not leaked, f"{path} names hidden checks {leaked}"
    assert audit_answer_key(key, assignment.name) == []


@pytest.mark.slow
def test_answer_key_audit_catches_a_hidden_check(answer_key, tmp_path):
    assignment, key = answer_key
    copy = shutil.copytree(key, tmp_path / "key")
    checks = copy / "autograder" / "checks" / f"{assignment.name}.py"
    hidden = sorted(hidden_check_names(assignment))[0]
    checks.write_text(checks.read_text() + f"\n\ndef {hidden}():\n    pass\n")
    problems = audit_answer_key(copy, assignment.name)
    assert any("is not the public checks module" in p for p in problems)
    assert any(f"names hidden checks {hidden}" in p for p in problems), problems


@pytest.mark.slow
def test_answer_key_lib_is_the_reference_and_grades_full_marks(answer_key):
    assignment, key = answer_key
    order = [a.name for a in ASSIGNMENTS]
    for path in sorted((key / "lib").glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = (ROOT / "solutions" / path.name).read_text()
        later = [a for a in ASSIGNMENTS[order.index(assignment.name) + 1:] if path.stem in a.modules]
        expected = make_stub(source, path.stem) if later else strip_markers(source)
        assert path.read_text() == expected, f"lib/{path.name}"
    for module in assignment.modules:
        assert f"in lib/{module}.py\")" not in (key / "lib" / f"{module}.py").read_text()  # a stub's raise
    results = grade_submission(key, assignment.name, SEED)
    failed = {t.name: t.output for t in results.tests if t.status != "passed"}
    assert failed == {} and results.score == results.max_score > 0
    check = autograder("check", assignment.name, cwd=key)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
def test_answer_key_notebooks_ran_without_errors_and_show_the_model_answers(answer_key):
    assignment, key = answer_key
    manifest = json.loads((key / ".gradlab-release").read_text())
    assert manifest["answer_key"] is True and manifest["fast"] is True
    for notebook in assignment.notebooks:
        nb = nbformat.read(key / notebook, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.execution_count is not None for c in code), notebook
        assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
        assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs), "no figure"
        source = nbformat.read(ROOT / "assignments" / assignment.name / notebook, as_version=4)
        answers = [c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert answers, "the notebook has inline questions"
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        for answer in answers:
            cell = by_id[answer.metadata["nbgrader"]["grade_id"]]
            assert cell.source == strip_markers(answer.source) and len(cell.source) > 50
            assert "YOUR ANSWER HERE" not in cell.source


# -- regrade ----------------------------------------------------------------------------------

@pytest.fixture
def results_copy(graded_svm_class, tmp_path):
    root, results = graded_svm_class
    return root, shutil.copytree(results, tmp_path / "results")


@pytest.fixture
def fixed_course(tmp_path):
    """A copy of the course whose check_regularization accepts a dW change within 0.6 instead of 1e-7:
    "the tolerance was fixed". The autograder package is copied (and edited); solutions/ and
    datasets/ are the repository's."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "autograder", course / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("solutions", "datasets"):
        (course / folder).symlink_to(ROOT / folder)
    common = course / "autograder" / "checks" / "common.py"
    old = 'f"the change of dW when reg goes from 0 to {reg:g}", on, 1e-7, hint)'
    assert common.read_text().count(old) == 1
    common.write_text(common.read_text().replace(old, old.replace("1e-7", "0.6")))
    env = {**os.environ, "GRADLAB_COURSE_ROOT": str(course)}
    env.pop("GRADLAB_SEED", None)
    imported = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"],
                              capture_output=True, text=True, cwd=course, env=env)
    assert imported.stdout.strip() == str(course / "autograder" / "__init__.py")
    return course, env


def per_student_rows(report):
    """Students listed in the "Per student:" section of a regrade report."""
    section = report.split("Per student:", 1)[1].split("\n\n", 1)[0]
    return {m.group(1) for m in re.finditer(r"^  (\S+)\s+\S+ / \S+", section, re.MULTILINE)}


@pytest.mark.slow
def test_regrade_with_a_fixed_tolerance_reports_exactly_the_changed_students(results_copy, fixed_course, tmp_path):
    root, results = results_copy
    course, env = fixed_course
    before = read_results(results)
    before_bytes = {p.name: p.read_bytes() for p in results.glob("*.json")}
    args = ("regrade", str(root), "--assignment", "svm", "--results-dir", str(results), "--jobs", "2")

    # Without --yes and without a terminal: the changes are printed, nothing is replaced.
    dry = autograder(*args, cwd=course, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "Nothing was replaced" in dry.stdout and "--yes" in dry.stdout
    assert {p.name: p.read_bytes() for p in results.glob("*.json")} == before_bytes
    assert sorted(p.name for p in results.iterdir()) == sorted(before_bytes)

    applied = autograder(*args, "--csv", str(tmp_path / "grades.csv"), "--yes", cwd=course, env=env)
    assert applied.returncode == 0, applied.stderr
    after = read_results(results)
    assert set(after) == set(before)
    assert all(r["extra_data"]["seed"] == SEED and r["extra_data"]["grader_version"] for r in after.values())
    changed = {s for s in before if before[s]["score"] != after[s]["score"]}
    checks_changed = {s: {t["name"]: (t["score"], n["score"]) for t, n in zip(before[s]["tests"], after[s]["tests"])
                          if t["score"] != n["score"]} for s in before}
    # The fix mattered for the student whose regularization gradient is reg * W (an error of 0.5),
    # not for the one without it (an error of 1).
    assert checks_changed["bug-naive_reg_grad_factor"] == {"svm_loss_naive_regularization": (0.0, 1.0)}
    assert "bug-naive_reg_grad_missing" not in changed
    for report in (dry.stdout, applied.stdout):
        assert per_student_rows(report) == changed
        assert f"{len([s for s in changed if after[s]['score'] > before[s]['score']])} gained" in report
        assert "svm_loss_naive_regularization: gained by bug-naive_reg_grad_factor (+1)" in report
        for student in changed:
            for check, (old, new) in checks_changed[student].items():
                assert f"{check}: {old:g} -> {new:g}" in report

    kept = list((results / "previous").iterdir())
    assert len(kept) == 1
    assert {p.name: p.read_bytes() for p in kept[0].glob("*.json")} == before_bytes
    assert "svm_loss_naive_regularization" in (kept[0] / "changes.txt").read_text()
    assert not list(results.glob(".regrade-*"))
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert {r.split(",")[0]: float(r.split(",")[1]) for r in rows[1:]} == {s: r["score"] for s, r in after.items()}


@pytest.mark.slow
def test_regrade_without_changes_says_so(results_copy):
    root, results = results_copy
    completed = autograder("regrade", str(root), "--assignment", "svm", "--results-dir", str(results),
                           "--jobs", "2")
    assert completed.returncode == 0, completed.stderr
    assert "No student's points changed." in completed.stdout
    assert f"with seed {SEED}" in completed.stdout


@pytest.mark.slow
@pytest.mark.parametrize("edit, message", [
    (lambda data: data["extra_data"].update(seed=SEED + 1), "record different seeds"),
    (lambda data: data["extra_data"].pop("seed"), "no seed is recorded"),
])
def test_regrade_refuses_unclear_seeds_unless_given_one(results_copy, edit, message):
    root, results = results_copy
    path = results / "reference.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    completed = autograder("regrade", str(root), "--assignment", "svm", "--results-dir", str(results))
    assert completed.returncode == 2 and message in completed.stderr and "--seed" in completed.stderr
    assert not (results / "previous").exists() and not list(results.glob(".regrade-*"))


@pytest.mark.slow
def test_regrade_refuses_results_of_another_assignment(results_copy):
    root, results = results_copy
    completed = autograder("regrade", str(root), "--assignment", "softmax", "--results-dir", str(results))
    assert completed.returncode == 2 and "are of the 'svm' assignment, not 'softmax'" in completed.stderr


# -- analytics --------------------------------------------------------------------------------

@pytest.mark.slow
def test_analytics_numbers_match_the_batch(graded_svm_class):
    _, results = graded_svm_class
    data = read_results(results)
    a = analyse(results)
    names = [t["name"] for t in data["reference"]["tests"]]
    assert [c.name for c in a.checks] == names
    for check in a.checks:
        outcomes = [t for r in data.values() for t in r["tests"] if t["name"] == check.name]
        assert check.graded == len(data)
        assert check.passed == sum(t["status"] == "passed" for t in outcomes)
        assert check.pass_rate == pytest.approx(check.passed / len(data))
        assert check.mean_points == pytest.approx(statistics.fmean(t["score"] for t in outcomes))
    scores = [r["score"] for r in data.values()]
    assert a.mean == pytest.approx(statistics.fmean(scores)) and a.median == statistics.median(scores)
    assert a.max_score == data["reference"]["max_score"]
    assert sum(count for _, _, count in a.distribution()) == len(data)
    times = sorted(((r["execution_time"], s) for s, r in data.items()), key=lambda x: (-x[0], x[1]))
    assert [s for s, _ in a.slowest()] == [s for _, s in times[:5]]
    # Mistakes: "no lib/" is one message for every check of one student, whatever its folder name.
    no_lib = next(m for m in a.failures if m.text.startswith("No lib/ found in <student>/"))
    assert no_lib.students == {"no-lib"} and sum(no_lib.checks.values()) == len(names)
    not_implemented = [m for m in a.failures if m.text.startswith("Not implemented yet")]
    assert {s for m in not_implemented for s in m.students} == {"stubs"}
    hinted = {s for s, r in data.items() for t in r["tests"] if t["status"] == "failed" and "\nHint:" in t["output"]}
    assert {s for m in a.hints for s in m.students} == hinted
    assert "bug-naive_reg_grad_factor" in hinted


def test_analytics_groups_the_same_mistake_whatever_its_numbers(tmp_path):
    def results(message, seconds):
        tests = [CheckResult("loss_matches", 0.0, 2.0, message), CheckResult("shape", 1.0, 1.0, "Verified: ok")]
        return Results(tests, seconds, {"assignment": "svm", "seed": 1, "grader_version": "x"})

    results("f: the loss does not match on W (5, 3): relative error 3.1e-02 (tolerance 1e-07).\nHint: divide by N.",
            1.0).write(tmp_path / "ada.json")
    results("f: the loss does not match on W (40, 10): relative error 7.7e-01 (tolerance 1e-04).\nHint: divide by N.",
            9.5).write(tmp_path / "bob.json")
    results("Something else entirely.", 2.0).write(tmp_path / "cy.json")
    a = analyse(tmp_path)
    top = a.failures[0]
    assert top.students == {"ada", "bob"} and top.checks == {"loss_matches": 2}
    assert top.text == "f: the loss does not match on W (#, #): relative error # (tolerance #)."
    assert [m.students for m in a.hints] == [{"ada", "bob"}]
    assert [c.pass_rate for c in a.checks] == [0.0, 1.0] and a.slowest(1) == [("bob", 9.5)]
    assert normalise("No lib/ found in ref/; reference float64 W1", "ref") == \
        "No lib/ found in <student>/; reference float64 W1"


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_analytics_prints_a_table_and_writes_a_report_with_plots(graded_svm_class, tmp_path, suffix):
    _, results = graded_svm_class
    data = read_results(results)
    report = tmp_path / "out" / f"report{suffix}"
    completed = autograder("analytics", str(results), "--report", str(report))
    assert completed.returncode == 0, completed.stderr
    for t in data["reference"]["tests"]:
        passed = sum(tt["status"] == "passed" for r in data.values() for tt in r["tests"] if tt["name"] == t["name"])
        assert re.search(rf"^{re.escape(t['name'])}\s+{t['max_score']:g}\s+\S+\s+{passed} / {len(data)}\s",
                         completed.stdout, re.MULTILINE), t["name"]
    assert "Most frequent failure messages" in completed.stdout and "Slowest submissions" in completed.stdout
    text = report.read_text()
    for image in ("report-scores.png", "report-pass-rates.png"):
        assert (report.parent / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (f"]({image})" if suffix == ".md" else f'src="{image}"') in text
    assert "svm_loss_naive_regularization" in text and "Class analytics: svm" in text


# -- policy -----------------------------------------------------------------------------------

def page_sections(page):
    """{assignment: (points in the heading, [(check, points, public/hidden, visibility)])}."""
    sections = {}
    for match in re.finditer(r"^## (\w+) \((\S+) points\)\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL):
        rows = re.findall(r"^\| `(\w+)` \| (\S+) \| (public|hidden) \| (\w+) \| (.+) \|$", match.group(3), re.MULTILINE)
        sections[match.group(1)] = (float(match.group(2)), [(n, float(p), h, v) for n, p, h, v, _ in rows])
    return sections


@pytest.mark.slow
def test_policy_lists_every_check_with_points_summing_to_the_maximum(tmp_path):
    out = tmp_path / "policy.md"
    completed = autograder("policy", "--out", str(out))
    assert completed.returncode == 0, completed.stderr
    page = out.read_text()
    sections = page_sections(page)
    assert sorted(sections) == sorted(CHECKED)
    for name, (heading_points, rows) in sections.items():
        assignment = find_assignment(name)
        source = assignment.checks_file.read_text()
        defined = [node.name for node in ast.parse(source).body
                   if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
        assert [r[0] for r in rows] == [d[len("test_"):] for d in defined], name
        hidden = {n[len("test_"):] for n in hidden_check_names(assignment)}
        assert {r[0] for r in rows if r[2] == "hidden"} == hidden, name
        (tmp_path / name).mkdir()
        graded = grade_submission(tmp_path / name, name, SEED)  # no lib/: every check scores 0 of its points
        assert sum(r[1] for r in rows) == heading_points == graded.max_score, name
        assert {r[0]: (r[1], r[3]) for r in rows} == {t.name: (t.max_score, t.visibility) for t in graded.tests}


@pytest.mark.slow
def test_policy_states_tolerances_limits_and_the_loop_rule_from_the_code():
    completed = autograder("policy", "svm")
    assert completed.returncode == 0, completed.stderr
    page = completed.stdout
    assert list(page_sections(page)) == ["svm"]
    assert f"{tolerance(np.zeros(1)):.0e} for float64" in page
    assert f"{tolerance(np.zeros(1, np.float32)):.0e} when an input is float32" in page
    limits = Limits()
    assert f"| `call_seconds` | {limits.call_seconds:g} s |" in page
    assert f"| `memory_bytes` | {limits.memory_bytes >> 30} GiB |" in page
    assert "a for/while loop, a comprehension, a generator expression" in page
    assert "score only when those are right" in page
    assert "`svm_loss_naive_lecture_example` | 2 | public | visible | svm_loss_naive reproduces the lecture's" in page


# -- unusable arguments -----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("args, message", [
    (("answer-key", "nope"), "Unknown assignment 'nope'"),
    (("regrade", "/nonexistent/folder", "--assignment", "svm", "--results-dir", "."), "is not a folder"),
    (("regrade", ".", "--assignment", "svm", "--results-dir", "/nonexistent/folder"), "is not a folder"),
    (("regrade", ".", "--assignment", "svm", "--results-dir", "."), "holds no <student_id>.json results"),
    (("analytics", "/nonexistent/folder"), "is not a folder"),
    (("analytics", "."), "holds no <student_id>.json results"),
    (("analytics", ".", "--report", "report.pdf"), "should end in .md (Markdown) or .html"),
    (("policy", "nope"), "Unknown assignment 'nope'"),
])
def test_unusable_arguments_exit_2_with_a_clear_message(args, message, tmp_path):
    completed = autograder(*args, cwd=tmp_path)
    assert completed.returncode == 2, completed
    assert message in completed.stderr
