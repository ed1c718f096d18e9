"""Run an assignment's checks on a submission folder (one holding `lib/`) and collect Results."""
import os
import time

from . import __version__
from .course import assignment as find_assignment
from .plugin import GradingPlugin, run_pytest
from .results import Results
from .sandbox.proxy import Limits


def isolation_summary(limits):
    """What kept the student's code apart from the grader, for the results' extra_data."""
    parts = ["separate worker process on a temporary copy of lib/", "scrubbed environment",
             f"{limits.call_seconds:g} s wall-clock limit per call"]
    if os.name == "posix":
        parts.append(f"rlimits: CPU {limits.cpu_seconds} s, address space {limits.memory_bytes >> 20} MiB, "
                     f"file size {limits.file_bytes >> 20} MiB")
    return "; ".join(parts)


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
                    "isolation": isolation_summary(limits)})
