"""Grading time of this tree against an earlier revision, measured side by side in one run.

    python3 benchmarks/versus.py --baseline HEAD~1 [--rounds 7] [--assignments svm,backprop]

Checks out `--baseline` into a temporary git worktree, then alternates the two trees round by
round (so machine load hits both alike) on the same work:
- `autograder grade` of the reference submission, one fresh process each (what nbgrader pays per
  student), per assignment;
- `autograder grade-all --jobs 2` on a class of 10 reference submissions and 10 of untouched stubs
  (svm).
Prints, per measure, the median over rounds of this tree's time divided by the baseline's, and
both medians. Both trees grade with the same seed, as the same user, with the isolation this
machine gives (jailed as root).
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.instructor.reference import copy_reference_lib, copy_stub_lib  # noqa: E402


def timed(command, cwd):
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed in {cwd}:\n{completed.stderr[-2000:]}")
    return seconds


def measures(tree, scratch, assignments):
    """{measure name: command} to run with cwd=tree (the tree's own autograder and solutions)."""
    reference = scratch / "reference"
    commands = {f"grade {name} (reference)": [sys.executable, "-m", "autograder", "grade", str(reference),
                                               "--assignment", name, "--seed", "1", "--quiet"]
                for name in assignments}
    commands["grade-all --jobs 2, 20 svm"] = [
        sys.executable, "-m", "autograder", "grade-all", str(scratch / "class"), "--assignment", "svm",
        "--csv", str(scratch / f"grades-{tree.name}.csv"), "--jobs", "2", "--seed", "1", "--force"]
    return commands


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="the git revision to compare with (e.g. HEAD)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--assignments", default="svm,softmax,optimization,backprop")
    args = parser.parse_args(argv)
    assignments = args.assignments.split(",")
    scratch = Path(tempfile.mkdtemp(prefix="gradlab-versus-"))
    baseline = scratch / "baseline"
    try:
        subprocess.run(["git", "worktree", "add", "--detach", str(baseline), args.baseline], cwd=ROOT, check=True,
                       capture_output=True)
        copy_reference_lib(scratch / "reference")
        for i in range(10):
            copy_reference_lib(scratch / "class" / f"reference-{i}")
            copy_stub_lib(scratch / "class" / f"stubs-{i}")
        trees = {"this tree": ROOT, "baseline": baseline}
        times = {tree: {} for tree in trees}
        for round_number in range(args.rounds):
            for tree_name, tree in (trees.items() if round_number % 2 == 0 else reversed(trees.items())):
                for measure, command in measures(tree, scratch, assignments).items():
                    times[tree_name].setdefault(measure, []).append(timed(command, tree))
        print(f"this tree / {args.baseline}, {args.rounds} alternating rounds, medians "
              f"({time.strftime('%Y-%m-%d')}):")
        print(f"{'measure':<32} {'ratio':>7} {'this tree':>10} {'baseline':>10}")
        for measure in times["this tree"]:
            mine, theirs = times["this tree"][measure], times["baseline"][measure]
            ratio = statistics.median(a / b for a, b in zip(mine, theirs))
            print(f"{measure:<32} {ratio:>7.2f} {statistics.median(mine):>9.2f}s {statistics.median(theirs):>9.2f}s")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
