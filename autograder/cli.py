"""The `autograder` command (also `python -m autograder`).

Student side (ships in every release):
  autograder check NAME [--dir DIR]        public checks on your own lib/; exit 0 all pass, 1 not
  autograder package NAME [--dir DIR] [--out FILE.zip]
                                           check your folder and zip what to upload; exit 0 written, 1 refused

Instructor side (a course checkout only):
  autograder grade SUBMISSION --assignment NAME [--out results.json] [--seed N]
  autograder grade-all ROOT --assignment NAME --csv grades.csv [--jobs N] [--results-dir DIR] [--seed N]
  autograder release NAME|all [--out DIR] [--zip]   the student release of one assignment or all (folders or zips)
  autograder gradescope NAME [--out ZIP]   build the Gradescope autograder bundle
  autograder mutants [NAME] [--jobs N]     grade every known bug, print the mutation score (exit 1 if one escapes)
  autograder stubs [--check]               regenerate lib/ from solutions/ (or report drift)
  autograder demo [--out DIR]              release svm, grade the reference, the stubs and sample bugs

The instructor's desk (after a batch is graded; see docs/instructors.md "Instructor's desk"):
  autograder answer-key NAME [--out DIR] [--fast]    the solution release for students, notebooks run
  autograder regrade ROOT --assignment NAME --results-dir DIR [--csv grades.csv] [--jobs N] [--seed N] [--yes]
  autograder analytics DIR [--report report.md|report.html]   pass rates, scores, frequent mistakes
  autograder policy [NAME] [--out policy.md]         the grading policy page, generated from the checks

Exit status 2 means unusable arguments (unknown assignment, missing folder); 1 from `grade` means
no score could be given (grading was interrupted, or refused as root without isolation; the
results say why).
"""
import argparse
import sys
from pathlib import Path

from .course import ASSIGNMENTS, NoCourseRoot, UnknownAssignment, assignment as find_assignment
from .sandbox.isolation import IsolationRefused
from .text_safety import for_terminal

USAGE_ERROR = 2
GRADING_FAILED = 1


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

    package = commands.add_parser("package", help="check your assignment folder and write the zip to upload")
    package.add_argument("name", metavar="NAME", help=f"the assignment ({names})")
    package.add_argument("--dir", default=".", help="the assignment folder holding lib/ (default: .)")
    package.add_argument("--out", help="the zip to write (default: DIR/NAME_submission.zip)")

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

        release = commands.add_parser("release", help="build the student release of an assignment, or of all")
        release.add_argument("name", metavar="NAME", help=f"the assignment ({names}), or all")
        release.add_argument("--out", default="release", help="parent folder of the release (default: release)")
        release.add_argument("--zip", action="store_true", help="write OUT/NAME.zip instead of the folder OUT/NAME/")

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
        add_desk_commands(commands, names)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (UsageError, UnknownAssignment, NoCourseRoot) as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except IsolationRefused as exc:
        print(f"autograder {args.command}: {exc}", file=sys.stderr)
        return GRADING_FAILED


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
    if results.extra_data.get("error"):  # no score was given: say so, and let callers (nbgrader) see it
        print(f"autograder grade: {results.extra_data['error']}", file=sys.stderr)
        return GRADING_FAILED
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


def run_package(args):
    from .package import PackagingError, package

    find_assignment(args.name)
    try:
        report = package(args.name, existing_folder(args.dir, "--dir"), args.out)
    except PackagingError as exc:
        raise UsageError(str(exc)) from None
    print(for_terminal(report.text()))  # it names the student's files, whatever characters they hold
    return 0 if report.written else 1


def run_release(args):
    from .instructor.release import ReleaseError, build_release, zip_release

    names = [a.name for a in ASSIGNMENTS] if args.name == "all" else [find_assignment(args.name).name]
    for name in names:
        try:
            if args.zip:
                destination = zip_release(name, Path(args.out) / f"{name}.zip")
            else:
                destination = build_release(name, Path(args.out) / name)
        except ReleaseError as exc:
            print(f"autograder release: {exc}", file=sys.stderr)
            return 1
        print(f"release of {name} written to {destination}")
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


COMMANDS = {"check": run_check, "package": run_package, "grade": run_grade, "grade-all": run_grade_all,
            "release": run_release, "gradescope": run_gradescope, "mutants": run_mutants, "stubs": run_stubs,
            "demo": run_demo}


# -- The instructor's desk: answer keys, regrades, class analytics, the grading policy ----------

def add_desk_commands(commands, names):
    key = commands.add_parser("answer-key", help="build the answer key (solution release) of an assignment")
    key.add_argument("name", metavar="NAME", help=f"the assignment ({names})")
    key.add_argument("--out", default="answer-key", help="parent folder of the answer key (default: answer-key)")
    key.add_argument("--fast", action="store_true", help="run the notebooks in fast mode (GRADLAB_FAST=1)")

    regrade = commands.add_parser("regrade", help="grade a class again with the seed of its previous results")
    regrade.add_argument("root", metavar="ROOT", help="one sub-folder per student, as for grade-all")
    regrade.add_argument("--assignment", required=True, help=f"the assignment ({names})")
    regrade.add_argument("--results-dir", required=True, help="the results folder of the earlier grade-all")
    regrade.add_argument("--csv", help="write the new student_id,score,max_score,<checks> here")
    regrade.add_argument("--jobs", type=int, default=None, help="students graded at once (default: cores)")
    regrade.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the one the results record)")
    regrade.add_argument("--yes", action="store_true",
                         help="replace the results without asking (without it: ask on a terminal, else change nothing)")

    analytics = commands.add_parser("analytics", help="pass rates, scores and frequent mistakes of a graded batch")
    analytics.add_argument("results_dir", metavar="DIR", help="the --results-dir of a grade-all")
    analytics.add_argument("--report", help="also write a report with plots: report.md (Markdown) or report.html")

    policy = commands.add_parser("policy", help="the grading policy page, generated from the checks")
    policy.add_argument("name", metavar="NAME", nargs="?", help=f"one assignment ({names}); default: all")
    policy.add_argument("--out", help="write the page (Markdown) here instead of printing it")


def run_answer_key(args):
    from .instructor.answer_key import AnswerKeyError, build_answer_key

    find_assignment(args.name)
    try:
        destination = build_answer_key(args.name, Path(args.out) / args.name, fast=args.fast)
    except AnswerKeyError as exc:
        print(f"autograder answer-key: {exc}", file=sys.stderr)
        return 1
    print(f"answer key of {args.name} written to {destination}"
          + (" (notebooks run in fast mode)" if args.fast else ""))
    return 0


def run_regrade(args):
    from .instructor.batch import BatchError
    from .instructor.regrade import regrade

    find_assignment(args.assignment)
    root = existing_folder(args.root, "ROOT")
    existing_folder(args.results_dir, "--results-dir")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, found {args.jobs}.")
    try:
        pending = regrade(root, args.assignment, args.results_dir, seed=args.seed, jobs=args.jobs)
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    try:
        print(pending.diff.report())
        for student, why in sorted(pending.failed.items()):
            print(for_terminal(f"could not grade {student}: {why}"))
        if args.yes:
            apply = True
        elif sys.stdin.isatty():
            apply = input(f"\nReplace the results in {args.results_dir} with these (the previous ones are kept)? "
                          "[y/N] ").strip().lower() in ("y", "yes")
            if not apply:
                print("Nothing was replaced.")
        else:
            apply = False
            print("\nNothing was replaced: stdin is not a terminal, so no question was asked. Run again with "
                  "--yes to apply this regrade.")
        if apply:
            kept = pending.apply(args.csv)
            print(f"\nNew results written to {args.results_dir}" + (f" and {args.csv}" if args.csv else "")
                  + f"; the previous results are kept in {kept}")
    finally:
        pending.discard()  # the staging folder; already moved into place when applied
    return 0


def run_analytics(args):
    from .instructor.analytics import REPORT_SUFFIXES, analyse, terminal_text, write_report
    from .instructor.batch import BatchError

    existing_folder(args.results_dir, "DIR")
    if args.report and Path(args.report).suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--report {args.report} should end in .md (Markdown) or .html (HTML).")
    try:
        analytics = analyse(args.results_dir)
    except BatchError as exc:
        raise UsageError(str(exc)) from None
    print(terminal_text(analytics))
    if args.report:
        written = write_report(analytics, args.report)
        print(f"\nReport written to {written[0]} (plots: {', '.join(str(p) for p in written[1:])})")
    return 0


def run_policy(args):
    from .instructor.policy import policy_page

    if args.name:
        find_assignment(args.name)
    try:
        page = policy_page([args.name] if args.name else None)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    if args.out:
        from .results import write_atomic

        write_atomic(args.out, page)
        print(f"grading policy written to {args.out}")
    else:
        print(page)
    return 0


COMMANDS.update({"answer-key": run_answer_key, "regrade": run_regrade, "analytics": run_analytics,
                 "policy": run_policy})
