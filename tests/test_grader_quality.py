"""How good the graders are: every known bug caught (autograder mutants), no false positives on
unusual but correct code, and no flakiness across hidden seeds."""
import ast
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from autograder.course import ASSIGNMENTS
from autograder.instructor.reference import copy_reference_lib
from conftest import ROOT

# Every test here grades in a subprocess (the command line, or 20 seeds in a fresh process).
pytestmark = pytest.mark.slow

GRADED = [a.name for a in ASSIGNMENTS if a.checks_file.is_file()]
VARIANTS = ROOT / "tests" / "correct_variants"


def test_mutants_command_reports_the_mutation_score_and_exits_0_when_all_are_caught():
    completed = subprocess.run([sys.executable, "-m", "autograder", "mutants", "svm", "--jobs", "2", "--seed", "8"],
                               capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-2000:]
    bugs = sorted(p.stem for p in (ROOT / "tests" / "known_bugs" / "svm").glob("*.py"))
    assert f"svm: {len(bugs)} / {len(bugs)} known bugs caught by their labelled check" in completed.stdout
    assert all(f"  {bug} " in completed.stdout for bug in bugs)


def correct_variants():
    return [(a, p) for a in GRADED for p in sorted((VARIANTS / a).glob("*.py")) if not p.name.startswith("lib_")]


@pytest.mark.parametrize("assignment, variant", correct_variants(), ids=lambda v: getattr(v, "stem", v))
def test_unusual_but_correct_implementations_get_full_marks(tmp_path, assignment, variant):
    folder = copy_reference_lib(tmp_path / "student")
    for extra in (VARIANTS / assignment).glob("lib_*.py"):   # the student's own extra lib modules
        shutil.copy(extra, folder / "lib" / extra.name[len("lib_"):])
    doc = ast.get_docstring(ast.parse(variant.read_text()))
    module = next(line.split(":", 1)[1].strip() for line in doc.splitlines() if line.startswith("module:"))
    target = folder / "lib" / f"{module}.py"
    target.write_text(target.read_text() + "\n\n" + variant.read_text())
    out = tmp_path / "results.json"
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--assignment", assignment,
                    "--seed", "11", "--out", str(out), "--quiet"], check=True, cwd=ROOT, timeout=600)
    results = json.loads(out.read_text())
    assert results["score"] == results["max_score"], [t["output"] for t in results["tests"] if t["status"] == "failed"]


SEEDS_SCRIPT = textwrap.dedent("""
    import json, sys
    from autograder.instructor.grade import grade_submission
    folder, assignment = sys.argv[1], sys.argv[2]
    lost = {}
    for seed in range(1, 21):
        results = grade_submission(folder, assignment, seed * 7919)
        lost[seed * 7919] = [t.name for t in results.tests if t.status == "failed"]
    print(json.dumps(lost))
""")


@pytest.mark.parametrize("assignment", GRADED)
def test_the_reference_gets_full_marks_for_20_hidden_seeds(tmp_path, assignment):

    folder = copy_reference_lib(tmp_path / "reference")
    completed = subprocess.run([sys.executable, "-c", SEEDS_SCRIPT, str(folder), assignment], capture_output=True,
                               text=True, timeout=1200, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr[-2000:]
    lost = json.loads(completed.stdout.strip().splitlines()[-1])
    assert {seed: names for seed, names in lost.items() if names} == {}
