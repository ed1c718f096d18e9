"""Grading with hidden checks: one submission, or a whole class folder into a CSV."""
import csv
import io
import multiprocessing
import os
import secrets
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..course import settings
from ..results import Results, write_atomic
from ..runner import interrupted_results, run_checks
from ..sandbox import isolation
from ..sandbox.proxy import Limits
from ..sandbox.scratch import ScratchDir
from ..text_safety import for_csv, for_terminal
from .reference import Reference, copy_reference_lib


def resolve_seed(seed=None):
    """(seed, where it came from): the --seed given, else the course secret, else a fresh one."""
    if seed is not None:
        return int(seed), "--seed"
    course_seed = settings().seed
    if course_seed is not None:
        return course_seed, "course secret"
    return secrets.randbelow(2**31), "fresh random (no course secret set)"


# Folders of a class root that are never a student's: grade-all lists them as skipped.
NOT_STUDENTS = (".git", ".ipynb_checkpoints")


def find_submission(folder, assignment_name):
    """The folder holding the student's lib/: `folder/<assignment>/` (nbgrader) or `folder`, or None.

    Looked up with lstat, never through a link: a candidate that is a link is passed over, and a
    `lib` that is a link or a file counts as found, so the submission reader refuses it and says why.
    """
    folder = Path(folder)
    for candidate in (folder / assignment_name, folder):
        if candidate.is_dir() and not candidate.is_symlink() and os.path.lexists(candidate / "lib"):
            return candidate
    return None


def grade_submission(folder, assignment_name, seed):
    """Results of the public and hidden checks on the submission in `folder`.

    A `folder` that is a symbolic link is not followed (it could lead to a classmate's work or the
    course's own files): every check gets zero, saying so.
    """
    folder = Path(folder)
    submission = None if folder.is_symlink() else find_submission(folder, assignment_name)
    if submission is None:
        if folder.is_symlink():
            message = (f"{folder.name} is a symbolic link; the grader does not follow links, so nothing was "
                       "graded. Hand in the submission as a folder of its own.")
        else:
            linked = (f" ({assignment_name}/ is a symbolic link, which the grader does not follow)"
                      if (folder / assignment_name).is_symlink() else "")
            message = (f"No lib/ found in {folder.name}/ (looked for {assignment_name}/lib/ and lib/){linked}; "
                       "hand in the assignment folder with its lib/ inside.")
        results = run_checks(assignment_name, folder, include_hidden=True, seed=seed, unavailable=message)
        results.output = f"Your submission could not be graded: {message}"
    else:
        # The reference's copy for the timing worker: a scratch folder of the grader's own (mode
        # 0700, watched: removed under the grader, it makes the result an error, not a score).
        reference_dir = ScratchDir("reference")
        try:
            try:
                copy_reference_lib(reference_dir.path)
            except OSError:
                if reference_dir.intact():
                    raise
                return interrupted_results(assignment_name, submission, seed, True, Limits(), [str(reference_dir.path)])
            results = run_checks(assignment_name, submission, include_hidden=True, seed=seed,
                                 reference=Reference(), reference_dir=reference_dir.path,
                                 watched=[reference_dir])
        finally:
            reference_dir.remove()
    return results


def student_folders(root):
    """Every student's folder in `root`, sorted: its folders, dot-folders included, and its symbolic
    links (refused when graded, never followed), except NOT_STUDENTS."""
    return sorted(p for p in Path(root).iterdir()
                  if (p.is_symlink() or p.is_dir()) and p.name not in NOT_STUDENTS)


def skipped_folders(root):
    """The folders of NOT_STUDENTS present in `root` (not graded, listed in the batch summary)."""
    return sorted(p.name for p in Path(root).iterdir()
                  if p.name in NOT_STUDENTS and p.is_dir() and not p.is_symlink())


def _grade_task(folder, assignment_name, seed, out):
    """Grade one student inside a pool process and write its results. → (results dict, None) or (None, why)

    The pool's processes are forked from the grader, so Python, numpy and pytest are imported
    once per process, not once per student; each student still gets fresh workers of their own.
    """
    try:
        results = grade_submission(folder, assignment_name, seed)
    except Exception as exc:  # a grader bug must not stop the class; the student is told
        return None, f"the grader failed ({type(exc).__name__}: {exc})"
    if results.extra_data.get("error"):
        return None, results.extra_data["error"]
    results.write(out)
    return results.to_dict(), None


def _pool(jobs):
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def _run_pool(todo, jobs, assignment_name, seed, out_dir, progress):
    """{student: (results dict or None, why)} for the folders in `todo`.

    A pool process that dies (only a grader bug or the machine can do that) breaks the pool: the
    students it took down are graded again once in a fresh pool, and fail if that breaks too.
    """
    outcomes, attempts = {}, {}
    while todo:
        retry = []
        with _pool(jobs) as pool:
            futures = {pool.submit(_grade_task, f, assignment_name, seed, out_dir / f"{f.name}.json"): f
                       for f in todo}
            for future in as_completed(futures):
                folder = futures[future]
                try:
                    outcomes[folder.name] = future.result()
                except BrokenProcessPool:
                    attempts[folder.name] = attempts.get(folder.name, 0) + 1
                    if attempts[folder.name] < 2:
                        retry.append(folder)
                        continue
                    outcomes[folder.name] = (None, "the grading process crashed twice")
                progress.update()
        todo = retry
    return outcomes


def failed_results(assignment_name, seed, why):
    """Zero on every check, each saying why the submission could not be graded."""
    with tempfile.TemporaryDirectory(prefix="gradlab-failed-") as empty:
        message = f"Your submission could not be graded: {why}. Your instructor has been told."
        return run_checks(assignment_name, empty, include_hidden=True, seed=seed, unavailable=message)


def previous_results(path, assignment_name, seed):
    """Results already written for this assignment and seed (resume), else None."""
    try:
        results = Results.read(path)
    except (OSError, ValueError, KeyError):
        return None
    same = results.extra_data.get("assignment") == assignment_name and results.extra_data.get("seed") == seed
    return results if same else None


def grade_all(root, assignment_name, csv_path, seed, jobs=None, results_dir=None, force=False):
    """Grade every student folder under `root` in parallel; write the CSV (and per-student JSON).

    With `results_dir`, students whose results for this assignment and seed are already there are
    skipped unless `force`. Returns a BatchReport.
    """
    folders = student_folders(root)
    jobs = jobs or os.cpu_count() or 1
    report = BatchReport(skipped=skipped_folders(root))
    with tempfile.TemporaryDirectory(prefix="gradlab-results-") as scratch:
        out_dir = Path(results_dir) if results_dir else Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        # Classmates' folders and the results stay out of every worker's sight, even when they
        # sit inside a folder the jail must show (isolation.masked_paths).
        isolation.hide(root)
        isolation.hide(out_dir)
        todo = []
        for folder in folders:
            done = None if force else previous_results(out_dir / f"{folder.name}.json", assignment_name, seed)
            if done is not None:
                report.results[folder.name] = done
                report.resumed.append(folder.name)
            else:
                todo.append(folder)
        with tqdm(total=len(todo), desc=f"grading {assignment_name}", unit="student", file=sys.stderr) as progress:
            outcomes = _run_pool(todo, jobs, assignment_name, seed, out_dir, progress)
        for student, (data, why) in outcomes.items():
            if data is None:
                results = failed_results(assignment_name, seed, why)
                results.write(out_dir / f"{student}.json")
                report.failed[student] = why
            else:
                results = Results.from_dict(data)
            report.results[student] = results
    write_csv(csv_path, report.results)
    return report


@dataclass
class BatchReport:
    results: dict = field(default_factory=dict)     # student id -> Results
    resumed: list = field(default_factory=list)     # ids whose earlier results were kept
    failed: dict = field(default_factory=dict)      # id -> why the grader could not grade it
    skipped: list = field(default_factory=list)     # folders of the root that are not students'

    def summary(self):
        scores = [r.score for r in self.results.values()]
        mean = sum(scores) / len(scores) if scores else 0.0
        slowest = sorted(self.results.items(), key=lambda item: -item[1].execution_time)[:3]
        lines = [f"graded {len(self.results) - len(self.resumed)} students, kept {len(self.resumed)} earlier "
                 f"results, {len(self.failed)} could not be graded; mean score {mean:.2f}"]
        if slowest:
            lines.append("slowest: " + ", ".join(f"{s} ({r.execution_time:.1f} s)" for s, r in slowest))
        lines += [f"could not grade {s}: {why}" for s, why in sorted(self.failed.items())]
        if self.skipped:
            lines.append("skipped, as no student's: " + ", ".join(f"{name}/" for name in self.skipped))
        # Student ids are folder names and a failure's why may quote their code: both are a student's text.
        return for_terminal("\n".join(lines))


def write_csv(path, results):
    """student_id,score,max_score, then one column per check in results order.

    A student id (a folder name, chosen by the student) that a spreadsheet would run as a formula
    is written as text, its control characters escaped (text_safety.for_csv); the scores are
    numbers and stay numbers.
    """
    names = []
    for r in results.values():
        names += [t.name for t in r.tests if t.name not in names]
    rows = [["student_id", "score", "max_score"] + [for_csv(n) for n in names]]
    for student_id in sorted(results):
        r = results[student_id]
        scores = {t.name: t.score for t in r.tests}
        rows.append([for_csv(student_id), f"{r.score:g}", f"{r.max_score:g}"]
                    + [f"{scores.get(n, 0):g}" for n in names])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    write_atomic(path, buffer.getvalue())
