"""A graded batch on disk: the `<student_id>.json` files that `grade-all --results-dir` writes.

Regrades and class analytics both start from one. Only the folder's own `*.json` files count:
sub-folders (such as the `previous/` copies a regrade keeps) are not part of the batch.
"""
from pathlib import Path

from ..results import Results


class BatchError(ValueError):
    """A results folder that cannot be used; the message says what was found and what to do."""


def read_batch(results_dir, assignment_name=None):
    """{student id: Results} of every `<student_id>.json` in `results_dir`.

    Raises BatchError when the folder holds no results, a file is not a results.json, or the
    results are of another assignment than `assignment_name` (or of several assignments).
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise BatchError(f"{str(results_dir)!r} is not a folder; expected the --results-dir of a batch "
                         "graded with `autograder grade-all`.")
    batch = {}
    for path in sorted(folder.glob("*.json")):
        try:
            batch[path.stem] = Results.read(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BatchError(f"{path} is not a results.json written by the grader ({type(exc).__name__}: {exc}); "
                             "move it out of the results folder.") from None
    if not batch:
        raise BatchError(f"{folder} holds no <student_id>.json results; grade the class first with "
                         f"`autograder grade-all ROOT --assignment NAME --csv grades.csv --results-dir {folder}`.")
    assignments = {}
    for student, results in batch.items():
        assignments.setdefault(results.extra_data.get("assignment"), []).append(student)
    if len(assignments) > 1:
        listed = "; ".join(f"{name or 'no assignment recorded'}: {', '.join(students[:3])}"
                           f"{' ...' if len(students) > 3 else ''}" for name, students in sorted(
                               assignments.items(), key=lambda item: str(item[0])))
        raise BatchError(f"{folder} mixes results of several assignments ({listed}); keep one assignment's "
                         "results per folder.")
    found = next(iter(assignments))
    if assignment_name is not None and found != assignment_name:
        raise BatchError(f"the results in {folder} are of the {found!r} assignment, not {assignment_name!r}; "
                         "pass the assignment they were graded for, or another results folder.")
    return batch


def batch_assignment(batch):
    """The assignment a batch read by read_batch was graded for."""
    return next(iter(batch.values())).extra_data.get("assignment")
