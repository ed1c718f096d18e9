"""Grading time: one submission, a class of 100 with --jobs 2, and nbgrader vs grade-all.

Times are wall-clock medians or single runs on this machine; they only mean something with the
date and the machine they were taken on (benchmarks/README.md).
"""
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median_time

from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib


def grading_time(assignment, repeat):
    """Wall time of `autograder grade` on the reference submission (process and worker start included)."""
    with tempfile.TemporaryDirectory() as folder:
        copy_reference_lib(folder)
        command = [sys.executable, "-m", "autograder", "grade", folder, "--assignment", assignment,
                   "--seed", "1", "--quiet"]
        return median_time(lambda: subprocess.run(command, check=True, cwd=ROOT), repeat)


# Hostile submissions that end quickly (the slow ones, loops and bombs, cost their time limit
# by design and are measured by tests/test_attacks.py, not here).
QUICK_ATTACKS = ("sys_exit_at_import", "os_exit_at_import", "monkeypatches_numpy_and_builtins", "lying_objects",
                 "returns_lists_wrong_shapes_nan", "prints_100mb", "memory_bomb")


def class_of_100(root):
    """100 svm submissions: references, stubs, every known bug and quick attacks, round-robin."""
    makers = [lambda d: copy_reference_lib(d), lambda d: copy_stub_lib(d)]
    makers += [lambda d, b=bug: make_bug_submission(b, d) for bug in load_known_bugs("svm")]
    for name in QUICK_ATTACKS:
        path = ROOT / "tests" / "attacks" / f"{name}.py"
        module = next(line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
                      if line.startswith("module:"))
        base = copy_stub_lib if "base: stub" in path.read_text() else copy_reference_lib

        def make(d, base=base, module=module, code=path.read_text()):
            base(d)
            target = Path(d) / "lib" / f"{module}.py"
            target.write_text(target.read_text() + "\n\n" + code)
        makers.append(make)
    for i in range(100):
        makers[i % len(makers)](root / f"student{i:03d}")


def batch_time(jobs=2):
    """Wall time of `grade-all --jobs 2` on 100 mixed svm submissions (one run)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "class"
        class_of_100(root)
        command = [sys.executable, "-m", "autograder", "grade-all", str(root), "--assignment", "svm",
                   "--csv", str(Path(folder) / "grades.csv"), "--jobs", str(jobs), "--seed", "1"]
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
        return time.perf_counter() - start


def nbgrader_vs_grade_all(count=20, rounds=3):
    """The same `count` svm submissions through `nbgrader autograde` (this course's configuration,
    one student after another) and through `autograder grade-all --jobs 2`, timed back to back in
    each of `rounds` rounds. → (median of the rounds' ratios, nbgrader seconds, grade-all seconds),
    the seconds of the round with the median ratio."""
    with tempfile.TemporaryDirectory() as folder:
        course = Path(folder)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        subprocess.run(["nbgrader", "generate_assignment", "svm", "--force"], cwd=course, check=True,
                       capture_output=True)
        staging = course / "staging"
        class_of_100(staging)
        for student in sorted(staging.iterdir())[:count]:
            target = course / "submitted" / student.name / "svm"
            shutil.copytree(course / "release" / "svm", target)
            shutil.rmtree(target / "lib")
            shutil.copytree(student / "lib", target / "lib")
        measured = []
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run(["nbgrader", "autograde", "svm", "--force"], cwd=course, check=True, capture_output=True)
            nbgrader = time.perf_counter() - start
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(course / "submitted"), "--assignment",
                            "svm", "--csv", str(course / "grades.csv"), "--jobs", "2", "--seed", "1"],
                           cwd=ROOT, check=True, capture_output=True)
            ours = time.perf_counter() - start
            measured.append((nbgrader / ours, nbgrader, ours))
    measured.sort()
    return measured[len(measured) // 2]


def sandbox_overhead(repeat):
    """Seconds to start a worker and get its first answer, jailed (as root) and not jailed."""
    from autograder.sandbox.isolation import ROOT_JAIL, UNJAILED, UidPool, jail_available
    from autograder.sandbox.proxy import Sandbox

    def start_and_call(jailed):
        with tempfile.TemporaryDirectory() as folder:
            copy_reference_lib(folder)
            with Sandbox(folder) as sandbox:
                sandbox.level = ROOT_JAIL if jailed else UNJAILED
                sandbox.jailed, sandbox.uids = jailed, UidPool() if jailed else None
                sandbox.call("gradient_check.rel_error", 1.0, 1.0)

    modes = [False] + ([True] if jail_available()[0] else [])
    return {("jailed" if jailed else "not jailed"): median_time(lambda: start_and_call(jailed), repeat)
            for jailed in modes}
