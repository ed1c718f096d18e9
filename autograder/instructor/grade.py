"""Grading with hidden checks: one submission, or a whole class folder into a CSV."""
import csv
import io
import os
import secrets
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from ..course import settings
from ..results import Results, write_atomic
from ..runner import run_checks
from .reference import Reference, copy_reference_lib


def resolve_seed(seed=None):
    """(seed, where it came from): the --seed given, else the course secret, else a fresh one."""
    if seed is not None:
        return int(seed), "--seed"
    course_seed = settings().seed
    if course_seed is not None:
        return course_seed, "course secret"
    return secrets.randbelow(2**31), "fresh random (no course secret set)"


def find_submission(folder, assignment_name):
    """The folder holding the student's lib/: `folder/<assignment>/` (nbgrader) or `folder`, or None."""
    folder = Path(folder)
    for candidate in (folder / assignment_name, folder):
        if (candidate / "lib").is_dir():
            return candidate
    return None


def grade_submission(folder, assignment_name, seed):
    """Results of the public and hidden checks on the submission in `folder`."""
    submission = find_submission(folder, assignment_name)
    if submission is None:
        message = (f"No lib/ found in {Path(folder).name}/ (looked for {assignment_name}/lib/ and lib/); "
                   "hand in the assignment folder with its lib/ inside.")
        results = run_checks(assignment_name, folder, include_hidden=True, seed=seed, unavailable=message)
    else:
        with tempfile.TemporaryDirectory(prefix="gradlab-reference-") as reference_dir:
            copy_reference_lib(reference_dir)
            results = run_checks(assignment_name, submission, include_hidden=True, seed=seed,
                                 reference=Reference(), reference_dir=reference_dir)
    return results


def student_folders(root):
    return sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("."))


def _grade_in_subprocess(folder, assignment_name, seed, out):
    """Grade one student in a fresh grader process (isolates grading state and runs in parallel)."""
    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--assignment", assignment_name,
               "--seed", str(seed), "--out", str(out), "--quiet"]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0 or not Path(out).is_file():
        raise RuntimeError(f"the grader failed on {folder.name}: {completed.stderr.strip()[-800:]}")
    return Results.read(out)


def grade_all(root, assignment_name, csv_path, seed, jobs=None, results_dir=None):
    """Grade every student folder under `root`; write the CSV (and per-student JSON). → {id: Results}"""
    folders = student_folders(root)
    jobs = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="gradlab-results-") as scratch:
        out_dir = Path(results_dir) if results_dir else Path(scratch)
        out_dir.mkdir(parents=True, exist_ok=True)
        results = {}
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_grade_in_subprocess, f, assignment_name, seed, out_dir / f"{f.name}.json"): f
                       for f in folders}
            for future in tqdm(as_completed(futures), total=len(futures), desc=f"grading {assignment_name}",
                               unit="student", file=sys.stderr):
                results[futures[future].name] = future.result()
    write_csv(csv_path, results)
    return results


def write_csv(path, results):
    """student_id,score,max_score, then one column per check in results order."""
    names = []
    for r in results.values():
        names += [t.name for t in r.tests if t.name not in names]
    rows = [["student_id", "score", "max_score"] + names]
    for student_id in sorted(results):
        r = results[student_id]
        scores = {t.name: t.score for t in r.tests}
        rows.append([student_id, f"{r.score:g}", f"{r.max_score:g}"] + [f"{scores.get(n, 0):g}" for n in names])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    write_atomic(path, buffer.getvalue())
