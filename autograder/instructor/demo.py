"""The demo: build the svm release, grade the reference, the untouched stubs and sample bugs.

    autograder demo [--out demo-output]

Writes demo-output/release/svm (what students get), demo-output/submissions/<who>/ (the
release with a lib/ filled in by "who"), demo-output/grades.csv and results/<who>.json, and
prints the class table and one student's feedback.
"""
import shutil
from pathlib import Path

from ..results import Results
from .grade import grade_all, resolve_seed
from .known_bugs import load_known_bugs, make_bug_submission
from .reference import copy_reference_lib
from .release import build_release

ASSIGNMENT = "svm"
SAMPLE_BUGS = ("naive_reg_grad_factor", "vectorized_with_loop", "train_batches_without_rng")


def make_submissions(release, folder):
    """Student folders under `folder`: reference, untouched stubs, and a few known bugs."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(release, folder / "untouched-stubs")
    shutil.copytree(release, folder / "reference")
    copy_reference_lib(folder / "reference")
    bugs = {bug.name: bug for bug in load_known_bugs(ASSIGNMENT)}
    for name in SAMPLE_BUGS:
        student = folder / f"bug-{name}"
        shutil.copytree(release, student)
        make_bug_submission(bugs[name], student)
    return folder


def run_demo(out):
    out = Path(out)
    release = build_release(ASSIGNMENT, out / "release" / ASSIGNMENT)
    print(f"1. Student release of '{ASSIGNMENT}' built in {release}")
    submissions = make_submissions(release, out / "submissions")
    print(f"2. Sample submissions in {submissions}: {', '.join(p.name for p in sorted(submissions.iterdir()))}")
    seed, source = resolve_seed()
    print(f"3. Grading them with public and hidden checks (seed {seed}, {source})")
    report = grade_all(submissions, ASSIGNMENT, out / "grades.csv", seed, results_dir=out / "results", force=True)
    print(report.summary())
    print()
    print(class_table(report.results))
    print(f"\nCSV: {out / 'grades.csv'}; per-student results.json: {out / 'results'}/")
    example = f"bug-{SAMPLE_BUGS[0]}"
    print(f"\nFeedback for {example}:\n")
    print(Results.read(out / "results" / f"{example}.json").table())
    return 0


def class_table(results):
    """One line per student: score and the checks that lost points."""
    width = max(len("student"), *(len(s) for s in results))
    lines = [f"{'student':<{width}}  {'score':>9}  checks that lost points", f"{'-' * width}  {'-' * 9}  {'-' * 24}"]
    for student, r in sorted(results.items()):
        lost = [t.name for t in r.tests if t.status == "failed"]
        lines.append(f"{student:<{width}}  {r.score:>4g}/{r.max_score:<4g}  {', '.join(lost) if lost else '-'}")
    return "\n".join(lines)
