"""The `autograder` command (also `python -m autograder`).

Student side (ships in every release):
  autograder check NAME [--dir DIR]        public checks on your own lib/; exit 0 all pass, 1 not

Instructor side (a course checkout only):
  autograder grade SUBMISSION --assignment NAME [--out results.json] [--seed N]
  autograder grade-all ROOT --assignment NAME --csv grades.csv [--jobs N] [--results-dir DIR] [--seed N]
  autograder release NAME [--out DIR]      build the student release of an assignment
  autograder gradescope NAME [--out ZIP]   build the Gradescope autograder bundle
  autograder mutants [NAME] [--jobs N]     grade every known bug, print the mutation score (exit 1 if one escapes)
  autograder stubs [--check]               regenerate lib/ from solutions/ (or report drift)
  autograder demo [--out DIR]              release svm, grade the reference, the stubs and sample bugs

Exit status 2 means unusable arguments (unknown assignment, missing folder).
"""
import argparse
import sys
from pathlib import Path

from .course import ASSIGNMENTS, UnknownAssignment, assignment as find_assignment

USAGE_ERROR = 2


class UsageError(Exception):
    """Arguments that cannot be used; the message says what was expected and what was found."""


def instructor_tools_present():
    """A student release carries no autograder/instructor/ (hidden checks, solutions, releases).

    Looked up beside this file, not by import: on an instructor's machine an installed gradlab
    could otherwise supply the instructor package to a release's autograder.
    """
    return (Path(__file__).resolve().parent / "instructor" / "__init__.py").is_file()


def build_parser():
    parser = argparse.ArgumentParser(prog="autograder", description="gradlab's autograder.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = ", ".join(a.name for a in ASSIGNMENTS)

    check = commands.add_parser("check", help="run the public checks on your own lib/")
    check.add_argument("name", metavar="NAME", help=f"the assignment ({names})")
    check.add_argument("--dir", default=".", help="the assignment folder holding lib/ (default: .)")

    if instructor_tools_present():
        grade = commands.add_parser("grade", help="grade one submission with public and hidden checks")
        grade.add_argument("submission", metavar="SUBMISSION", help="a folder holding lib/")
        grade.add_argument("--assignment", required=True, help=f"the assignment ({names})")
        grade.add_argument("--out", help="write the results (Gradescope's results.json schema) here")
        grade.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the course secret)")
        grade.add_argument("--quiet", action="store_true", help="do not print the table")

        grade_all = commands.add_parser("grade-all", help="grade every student folder under ROOT")
        grade_all.add_argument("root", metavar="ROOT", help="one sub-folder per student (its name is the id)")
        grade_all.add_argument("--assignment", required=True, help=f"the assignment ({names})")
        grade_all.add_argument("--csv", required=True, help="write student_id,score,max_score,<checks> here")
        grade_all.add_argument("--jobs", type=int, default=None, help="students graded at once (default: cores)")
        grade_all.add_argument("--results-dir", help="write <student_id>.json for each student here")
        grade_all.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the course secret)")
        grade_all.add_argument("--force", action="store_true",
                               help="regrade students whose results for this seed are already in --results-dir")

        release = commands.add_parser("release", help="build the student release of an assignment")
        release.add_argument("name", metavar="NAME", help=f"the assignment ({names})")
        release.add_argument("--out", default="release", help="parent folder of the release (default: release)")

        gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip of an assignment")
        gradescope.add_argument("name", metavar="NAME", help=f"the assignment ({names})")
        gradescope.add_argument("--out", default="autograder.zip", help="the zip to write (default: autograder.zip)")

        mutants = commands.add_parser("mutants", help="grade every known bug; print the mutation score")
        mutants.add_argument("name", metavar="NAME", nargs="?", help=f"one assignment ({names}); default: all")
        mutants.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
        mutants.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the course secret)")

        stubs = commands.add_parser("stubs", help="regenerate lib/ from solutions/")
        stubs.add_argument("--check", action="store_true", help="only report files that differ; exit 1 if any")

        demo = commands.add_parser("demo", help="build the svm release and grade sample submissions")
        demo.add_argument("--out", default="demo-output", help="folder for the demo's files (default: demo-output)")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, UnknownAssignment) as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return USAGE_ERROR


def existing_folder(path, what):
    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"{what} {str(path)!r} is not a folder; expected the path of an existing folder.")
    return folder


def run_check(args):
    from .runner import run_checks

    find_assignment(args.name)
    folder = existing_folder(args.dir, "--dir")
    if not (folder / "lib").is_dir():
        raise UsageError(f"no lib/ folder in {folder.resolve()}; run this in your assignment folder "
                         "(the one with the notebook and lib/), or pass --dir.")
    results = run_checks(args.name, folder, include_hidden=False, seed=None)
    print(results.table())
    passed = all(t.status == "passed" for t in results.tests)
    print("\nAll public checks pass." if passed else
          "\nSome public checks fail; hidden checks (run by your instructor) test more.")
    return 0 if passed else 1


def run_grade(args):
    from .instructor.grade import grade_submission, resolve_seed

    find_assignment(args.assignment)
    folder = existing_folder(args.submission, "SUBMISSION")
    seed, source = resolve_seed(args.seed)
    results = grade_submission(folder, args.assignment, seed)
    results.extra_data["seed_source"] = source
    if args.out:
        results.write(args.out)
    if not args.quiet:
        print(results.table())
        print(f"\nseed {seed} ({source}); {results.execution_time:.1f} s")
    return 0


def run_grade_all(args):
    from .instructor.grade import grade_all, resolve_seed

    find_assignment(args.assignment)
    root = existing_folder(args.root, "ROOT")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}.")
    seed, source = resolve_seed(args.seed)
    report = grade_all(root, args.assignment, args.csv, seed, jobs=args.jobs, results_dir=args.results_dir,
                       force=args.force)
    print(f"{args.assignment}, seed {seed} ({source}): {report.summary()}")
    print(f"CSV written to {args.csv}")
    return 0


def run_release(args):
    from .instructor.release import build_release

    destination = build_release(args.name, Path(args.out) / args.name)
    print(f"release of {args.name} written to {destination}")
    return 0


def run_gradescope(args):
    from .instructor.gradescope import build_bundle

    find_assignment(args.name)
    print(f"Gradescope autograder for {args.name} written to {build_bundle(args.name, args.out)}")
    return 0


def run_mutants(args):
    from .instructor.grade import resolve_seed
    from .instructor.mutants import assignments_with_bugs, mutants_table, run_mutants

    if args.name:
        find_assignment(args.name)
    seed, _ = resolve_seed(args.seed)
    all_caught = True
    for name in assignments_with_bugs(args.name):
        mutants = run_mutants(name, seed, jobs=args.jobs)
        print(mutants_table(name, mutants) + "\n")
        all_caught &= all(m.caught for m in mutants)
    return 0 if all_caught else 1


def run_stubs(args):
    from .course import course_root
    from .instructor.stubs import lib_drift, write_lib

    root = course_root()
    if args.check:
        drift = lib_drift(root / "solutions", root / "lib")
        for line in drift:
            print(line)
        return 1 if drift else 0
    changed = write_lib(root / "solutions", root / "lib")
    print(f"lib/: {len(changed)} file(s) regenerated" + (f": {', '.join(changed)}" if changed else ""))
    return 0


def run_demo(args):
    from .instructor.demo import run_demo as demo

    return demo(Path(args.out))


COMMANDS = {"check": run_check, "grade": run_grade, "grade-all": run_grade_all, "release": run_release,
            "gradescope": run_gradescope, "mutants": run_mutants, "stubs": run_stubs, "demo": run_demo}
