"""Run an assignment's checks on a submission folder (one holding `lib/`) and collect Results."""
import time

from . import __version__
from .course import assignment as find_assignment
from .plugin import GradingPlugin, run_pytest
from .results import Results
from .sandbox.isolation import describe
from .sandbox.proxy import Limits


def run_checks(assignment_name, submission_dir, *, include_hidden, seed, reference=None,
               reference_dir=None, limits=Limits(), unavailable=None):
    """Results of the assignment's checks (public, plus hidden when `include_hidden`).

    With `unavailable` (a message), every check gets zero with that message and nothing runs.
    """
    assignment = find_assignment(assignment_name)
    plugin = GradingPlugin(submission_dir, seed, include_hidden, reference, reference_dir, limits,
                           unavailable)
    start = time.perf_counter()
    tests, _ = run_pytest(assignment.checks_file, plugin)
    return Results(tests, time.perf_counter() - start,
                   {"grader_version": __version__, "assignment": assignment_name, "seed": seed,
                    "checks": "public and hidden" if include_hidden else "public only",
                    "isolation": describe(limits)})
