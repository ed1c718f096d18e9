"""gradlab benchmarks: kernels against their BLAS floor, and grading time.

    python benchmarks/run.py            # everything, prints a table
    python benchmarks/run.py --quick    # fewer repeats

Kernel numbers are ratios measured in one run (kernel time / time of the GEMMs it cannot
avoid), so machine load cancels out; grading times are medians of several runs on this
machine and are only meaningful with the date and machine they were taken on.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.instructor.known_bugs import load_known_bugs, make_bug_submission  # noqa: E402
from autograder.instructor.reference import copy_reference_lib, copy_stub_lib  # noqa: E402
from solutions.linear_svm import svm_loss_vectorized  # noqa: E402


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def svm_vs_gemm(repeat):
    """Reference svm_loss_vectorized vs its two GEMMs (X @ W and X.T @ dS); N=500, D=3073, C=10."""
    rng = np.random.default_rng(0)
    N, D, C = 500, 3073, 10
    X = rng.standard_normal((N, D))
    W = 1e-3 * rng.standard_normal((D, C))
    y = rng.integers(0, C, N)
    dS = rng.standard_normal((N, C))
    ratios = []
    for _ in range(repeat):  # interleaved, so both see the same machine state
        kernel = median_time(lambda: svm_loss_vectorized(W, X, y, 2.5e4), 5)
        floor = median_time(lambda: (X @ W, X.T @ dS), 5)
        ratios.append(kernel / floor)
    return float(np.median(ratios)), kernel, floor


def grading_time(repeat):
    """Wall time of `autograder grade` on the reference svm submission (worker start included)."""
    with tempfile.TemporaryDirectory() as folder:
        copy_reference_lib(folder)
        command = [sys.executable, "-m", "autograder", "grade", folder, "--assignment", "svm",
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


def nbgrader_vs_grade_all(count=20):
    """Seconds for the same `count` svm submissions through `nbgrader autograde` (this course's
    configuration, one student after another) and through `autograder grade-all --jobs 2`."""
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
        start = time.perf_counter()
        subprocess.run(["nbgrader", "autograde", "svm"], cwd=course, check=True, capture_output=True)
        nbgrader = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(course / "submitted"), "--assignment",
                        "svm", "--csv", str(course / "grades.csv"), "--jobs", "2", "--seed", "1"],
                       cwd=ROOT, check=True, capture_output=True)
        ours = time.perf_counter() - start
    return nbgrader, ours


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    print(f"# gradlab benchmarks, {date.today()}, {platform.node()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}")
    for pool in threadpool_info():
        print(f"#   {pool['internal_api']} {pool.get('version')} ({pool.get('architecture')}), "
              f"{pool['num_threads']} threads: {pool['filepath']}")
    ratio, kernel, floor = svm_vs_gemm(repeat)
    grade = grading_time(repeat)
    batch = batch_time()
    nbgrader, ours = nbgrader_vs_grade_all()
    rows = [
        ("svm_loss_vectorized / its 2 GEMMs (N=500, D=3073, C=10)", f"{ratio:.2f}x", "<= 1.5x",
         f"{kernel * 1e3:.2f} ms vs {floor * 1e3:.2f} ms"),
        ("grade one svm submission (worker start included)", f"{grade:.2f} s", "<= 3 s", f"median of {repeat}"),
        ("grade-all 100 mixed svm submissions, --jobs 2", f"{batch:.0f} s", "<= 120 s", "one run"),
        ("nbgrader autograde / grade-all --jobs 2, same 20 submissions", f"{nbgrader / ours:.1f}x", ">= 5x",
         f"{nbgrader:.0f} s vs {ours:.0f} s"),
    ]
    print(f"\n{'measure':<58} {'value':>9} {'target':>8}  detail")
    for name, value, target, detail in rows:
        print(f"{name:<58} {value:>9} {target:>8}  {detail}")
    print("\n" + json.dumps({"svm_gemm_ratio": ratio, "grade_svm_seconds": grade, "batch_100_seconds": batch,
                             "nbgrader_20_seconds": nbgrader, "grade_all_20_seconds": ours}))


if __name__ == "__main__":
    main()
