"""Run an assignment's checks on a submission folder (one holding `lib/`) and collect Results."""
import sys
import time
from pathlib import Path

from . import __version__
from .course import assignment as find_assignment
from .plugin import GradingPlugin, run_pytest
from .results import Results
from .sandbox import isolation, scratch
from .sandbox.isolation import describe
from .sandbox.proxy import Limits
from .sandbox.submission import SubmissionRefused, scan_submission


def run_checks(assignment_name, submission_dir, *, include_hidden, seed, reference=None,
               reference_dir=None, limits=Limits(), unavailable=None, watched=()):
    """Results of the assignment's checks (public, plus hidden when `include_hidden`).

    With `unavailable` (a message), every check gets zero with that message and nothing runs.
    `watched`: the caller's scratch folders (scratch.ScratchDir) the checks rely on. When one of
    them, or a worker's folder, is found removed or changed, the results are an error (zero on
    every check, `extra_data["error"]` set) instead of a score that may be silently wrong.
    The submission's lib/ is scanned once, before any check (sandbox.submission): a lib/ the
    reader refuses gives every check zero with the refusal, and what it left out (a link, a
    pipe, a large file) becomes the results' top-level output.
    """
    assignment = find_assignment(assignment_name)
    if include_hidden and not unavailable:
        _guard_secrets(limits)
    start = time.perf_counter()     # the scan is part of the grading time
    manifest, output = None, ""
    if not unavailable:
        try:
            manifest = scan_submission(Path(submission_dir) / "lib")
        except SubmissionRefused as refused:
            unavailable = output = f"Your submission could not be graded: {refused}"
    if manifest is not None and manifest.notes:
        output = "Notes on your submission:\n" + "\n".join(f"- {note}" for note in manifest.notes)
    plugin = GradingPlugin(submission_dir, seed, include_hidden, reference, reference_dir, limits,
                           unavailable, manifest)
    with scratch.watch() as damaged:
        tests, _ = run_pytest(assignment.checks_file, plugin)
        for folder in watched:
            folder.check()
    if damaged:
        return interrupted_results(assignment_name, submission_dir, seed, include_hidden, limits, damaged)
    return Results(tests, time.perf_counter() - start,
                   {"grader_version": __version__, "assignment": assignment_name, "seed": seed,
                    "checks": "public and hidden" if include_hidden else "public only",
                    "isolation": describe(limits)}, output)


def interrupted_results(assignment_name, submission_dir, seed, include_hidden, limits, damaged):
    """Zero on every check, saying that grading was interrupted, with `extra_data["error"]` set:
    a score computed while the grader's temporary files were being removed (a /tmp cleaner, another
    program) may be silently wrong, so none is given; grade-all counts the student as not graded."""
    why = (f"the grader's temporary files ({', '.join(damaged)}) were removed or changed while it was "
           "grading, so no score could be trusted. This is not a problem in your submission; it will be "
           "graded again")
    results = run_checks(assignment_name, submission_dir, include_hidden=include_hidden, seed=seed,
                         limits=limits, unavailable=f"Grading was interrupted: {why}.")
    results.extra_data["error"] = f"grading was interrupted: {why}"
    return results


_warned = []


def _guard_secrets(limits):
    """Before hidden checks run: refuse where a worker would keep root, make this process's /proc
    unreadable to workers of the same user, and say on stderr (once) what is not protected."""
    refused = isolation.refusal()
    if refused:
        raise isolation.IsolationRefused(refused)
    isolation.make_grader_undumpable()
    level, _ = isolation.isolation_level()
    if level not in (isolation.ROOT_JAIL, isolation.USER_JAIL) and not _warned:
        _warned.append(level)
        print(f"gradlab: warning: hidden checks are graded without a jail: {isolation.level_statement(limits)}.",
              file=sys.stderr)
