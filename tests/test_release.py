"""The student release: what it contains, what it must never contain, and that it works alone."""
import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from autograder.course import ASSIGNMENTS
from autograder.instructor.reference import copy_reference_lib
from autograder.instructor.release import audit_release, build_release
from autograder.instructor.stubs import make_stub
from autograder.markers import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, regions
from conftest import ROOT

RELEASED = [a for a in ASSIGNMENTS if all((ROOT / "assignments" / a.name / nb).is_file() for nb in a.notebooks)]


@pytest.fixture(scope="module", params=RELEASED, ids=[a.name for a in RELEASED])
def release(request, tmp_path_factory):
    assignment = request.param
    return assignment, build_release(assignment.name, tmp_path_factory.mktemp("release") / assignment.name)


def text_files(folder):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".ini", ".txt"):
            yield path, path.read_text()


def solution_lines(module):
    """Distinctive code lines from the solution regions of solutions/<module>.py that the stub
    does not also give away (a docstring may state a contract formula)."""
    source = (ROOT / "solutions" / f"{module}.py").read_text()
    stub = make_stub(source, module)
    lines = source.splitlines()
    found = set()
    for first, last in regions(lines, BEGIN_SOLUTION, END_SOLUTION):
        for line in lines[first + 1:last]:
            code = line.strip()
            if len(code) >= 25 and not code.startswith("#") and code not in stub:
                found.add(code)
    return found


def hidden_check_names(assignment):
    lines = assignment.checks_file.read_text().splitlines()
    names = set()
    for first, last in regions(lines, BEGIN_HIDDEN, END_HIDDEN):
        names.update(re.findall(r"^def (\w+)", "\n".join(lines[first:last]), re.MULTILINE))
    return names


def test_release_has_notebooks_lib_data_and_the_student_autograder(release):
    assignment, folder = release
    for notebook in assignment.notebooks:
        assert (folder / notebook).is_file()
    for module in assignment.modules:
        assert (folder / "lib" / f"{module}.py").read_text() == make_stub(
            (ROOT / "solutions" / f"{module}.py").read_text(), module)
    for given in ("data", "gradient_check", "vis"):
        assert (folder / "lib" / f"{given}.py").is_file()
    assert (folder / "datasets" / "digits.csv.gz").is_file()
    assert (folder / "autograder" / "checks" / f"{assignment.name}.py").is_file()
    assert (folder / "README.md").is_file()
    assert audit_release(folder, assignment.name) == []


def test_release_never_contains_solutions_hidden_checks_or_the_instructor_package(release):
    assignment, folder = release
    assert not (folder / "solutions").exists()
    assert not (folder / "autograder" / "instructor").exists()
    released_checks = [p.stem for p in (folder / "autograder" / "checks").glob("*.py")]
    assert sorted(released_checks) == sorted(["__init__", "common", "objectives", assignment.name])
    secret_lines = set().union(*(solution_lines(m) for m in assignment.modules))
    # Lines that the release hands out anyway, in the reference of an earlier assignment (e.g.
    # `loss += reg * np.sum(W * W)` in linear_svm.py for softmax) or a given helper, are no secret.
    manifest = json.loads((folder / ".gradlab-release").read_text())["lib"]
    handed_out = "\n".join((folder / "lib" / f"{m}.py").read_text() for m, kind in manifest.items() if kind != "stub")
    secret_lines = {line for line in secret_lines if line not in handed_out}
    hidden = hidden_check_names(assignment)
    assert secret_lines and hidden
    for path, text in text_files(folder):
        leaked = [line for line in secret_lines if line in text]
        assert leaked == [], f"{path.relative_to(folder)} holds solution lines: {leaked[:3]}"
        named = [name for name in hidden if re.search(rf"\b{name}\b", text)]
        assert named == [], f"{path.relative_to(folder)} names hidden checks {named}"


def test_released_notebooks_have_no_solutions_and_no_outputs(release):
    assignment, folder = release
    for notebook_name in assignment.notebooks:
        notebook = nbformat.read(folder / notebook_name, as_version=4)
        for cell in notebook.cells:
            assert BEGIN_SOLUTION not in cell.source
            if cell.cell_type == "code":
                assert cell.outputs == []
        answers = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert answers and all("YOUR ANSWER HERE" in c.source for c in answers)


def run_in(folder, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADLAB_COURSE_ROOT")}
    return subprocess.run([sys.executable, *args], cwd=folder, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.slow
def test_the_release_checks_itself_with_its_own_autograder_and_no_instructor_tools(release, tmp_path):
    assignment, folder = release
    where = run_in(folder, "-c", "import autograder, autograder.checks; print(autograder.__file__)")
    assert where.stdout.strip() == str(folder / "autograder" / "__init__.py")
    stubs = run_in(folder, "-m", "autograder", "check", assignment.name)
    assert stubs.returncode == 1 and "Not implemented yet" in stubs.stdout
    grade = run_in(folder, "-m", "autograder", "grade", ".", "--assignment", assignment.name)
    assert grade.returncode == 2 and "invalid choice" in grade.stderr
    filled = tmp_path / "filled"
    import shutil
    shutil.copytree(folder, filled)
    copy_reference_lib(filled)
    solved = run_in(filled, "-m", "autograder", "check", assignment.name)
    assert solved.returncode == 0, solved.stdout + solved.stderr


def test_a_folder_that_is_not_a_release_is_never_overwritten(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(RuntimeError, match="not an earlier release"):
        build_release("svm", tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


@pytest.mark.slow
def test_in_the_optimization_release_the_gradient_check_helper_uses_the_students_own_gradient(tmp_path):
    from autograder.course import assignment
    from autograder.instructor.release import released_module

    solutions = ROOT / "solutions"
    text, kind = released_module("gradient_check", assignment("optimization"),
                                 (solutions / "gradient_check.py").read_text(), "reference", solutions)
    assert "calls the student's numerical_gradient_centered" in kind
    for variant, optimization in (("stub", make_stub((solutions / "optimization.py").read_text(), "optimization")),
                                  ("reference", (solutions / "optimization.py").read_text())):
        package = tmp_path / variant / "lib"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "gradient_check.py").write_text(text)
        (package / "optimization.py").write_text(optimization)
        probe = ("import numpy as np\nfrom lib.gradient_check import eval_numerical_gradient\n"
                 "x = np.array([1.0, -2.0])\nprint(eval_numerical_gradient(lambda v: float(np.sum(v ** 3)), x))\n")
        completed = run_in(tmp_path / variant, "-c", probe)
        if variant == "stub":
            assert "Implement numerical_gradient_centered in lib/optimization.py" in completed.stderr
        else:
            assert completed.returncode == 0, completed.stderr
            assert [float(v) for v in completed.stdout.strip(" []\n").split()] == pytest.approx([3.0, 12.0], rel=1e-6)
    # Every other release hands out the helper complete.
    text, kind = released_module("gradient_check", assignment("svm"), (solutions / "gradient_check.py").read_text(),
                                 "reference", solutions)
    assert kind == "given" and text == (solutions / "gradient_check.py").read_text()
